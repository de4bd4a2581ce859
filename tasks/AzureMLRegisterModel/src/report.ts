/** What the task reports: output variables, the model.json artifact, the build tag and the run summary section. */
import {
  addBuildTag,
  info,
  outputWriter,
  publishSummary,
  SummaryBuilder,
  uploadPipelineArtifact,
} from '@azureml-mlops/shared';

import type { ModelManifest } from './modelJson';

/** Output variables declared in task.json. */
export const OUTPUT_NAMES = ['ModelName', 'ModelVersion', 'ModelId', 'ModelUri', 'ModelReference', 'AlreadyRegistered', 'ModelJsonPath'] as const;

const writeOutput = outputWriter(OUTPUT_NAMES);

export function setModelOutputs(manifest: ModelManifest, modelJsonPath: string): void {
  writeOutput('ModelName', manifest.name);
  writeOutput('ModelVersion', manifest.version);
  writeOutput('ModelId', manifest.id);
  writeOutput('ModelUri', manifest.uri);
  writeOutput('ModelReference', manifest.reference);
  writeOutput('AlreadyRegistered', manifest.alreadyRegistered);
  writeOutput('ModelJsonPath', modelJsonPath);
}

/** `model:<name>:<version>`: lets a release pipeline or a search find the build that registered the version. */
export function buildTagFor(manifest: Pick<ModelManifest, 'name' | 'version'>): string {
  return `model:${manifest.name}:${manifest.version}`;
}

/** Uploads model.json as the pipeline artifact and tags the build; in a release or deployment job, says why not. */
export function publishForLaterStages(manifest: ModelManifest, modelJsonPath: string, artifactName: string): { artifact: boolean; buildTag: string | undefined } {
  const artifact = uploadPipelineArtifact({ artifactName, filePath: modelJsonPath });
  info(artifact.done ? `model.json is uploaded as the pipeline artifact '${artifactName}'.` : `model.json is not uploaded as a pipeline artifact: ${artifact.reason}. It is at ${modelJsonPath}.`);
  const tag = buildTagFor(manifest);
  const tagged = addBuildTag(tag);
  info(tagged.done ? `Build tag: ${tag}.` : `No build tag: ${tagged.reason}.`);
  return { artifact: artifact.done, buildTag: tagged.done ? tag : undefined };
}

export interface SummaryInput {
  readonly manifest: ModelManifest;
  /** The job's page in the studio, for a job output. */
  readonly jobStudioUrl: string | undefined;
  readonly artifactName: string | undefined;
}

/** The run summary section: the model and version, its source, lineage and metrics, and links to the studio. */
export function publishModelSummary(input: SummaryInput): void {
  const { manifest } = input;
  const { lineage } = manifest;
  const summary = new SummaryBuilder().heading(`Azure ML model ${manifest.name}:${manifest.version}`);
  summary.keyValueTable([
    ['Model', manifest.name],
    ['Version', manifest.version],
    ['Registered', manifest.alreadyRegistered ? 'earlier, from the same source (this run found it and registered nothing)' : 'by this run'],
    ['Type', manifest.type],
    ['Source', lineage.source],
    ['Job', manifest.job?.name],
    ['Experiment', manifest.job?.experiment ?? undefined],
    ['Model URI', manifest.uri],
    ['Reference', manifest.reference],
    ['Pipeline artifact', input.artifactName ? `${input.artifactName} (model.json)` : undefined],
  ]);
  if (Object.keys(lineage.dataInputs).length > 0) summary.table(['Job input', 'Data'], Object.entries(lineage.dataInputs));
  if (Object.keys(lineage.metrics).length > 0) summary.metricsTable(lineage.metrics);
  const pipelineLineage = Object.entries(lineage.properties).filter(([key]) => key.startsWith('azure-pipelines.'));
  if (pipelineLineage.length > 0) summary.keyValueTable(pipelineLineage, ['Lineage', 'Value']);
  summary.links([
    ['Open the model in Azure ML studio', manifest.studioUrl],
    ...(input.jobStudioUrl ? ([['Open the job in Azure ML studio', input.jobStudioUrl]] as const) : []),
  ]);
  try {
    publishSummary('Azure ML model', summary.toMarkdown());
  } catch (error) {
    // The summary is a convenience: never let it change the task's result.
    info(`The run summary was not published: ${error instanceof Error ? error.message : String(error)}`);
  }
}
