/**
 * AzureMLRegisterModel@1: register a job's output (or local files) as a model version with its lineage, once per
 * source, and hand the version to later stages (outputs, model.json artifact, build tag).
 *
 * Order matters for "bad input leaves nothing half-done": the inputs are checked offline (parameters.ts), then the
 * source is checked with reads only (the job, its output and files, its metrics; or the local files and their hash),
 * then the versions are read (same model registered already? explicit version taken?). Only then are local files
 * uploaded and the version registered.
 */
import {
  currentTask,
  group,
  info,
  InputError,
  listForMessage,
  type ModelVersionResource,
  modelStudioUrl,
  modelVersionIdentity,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { jobOutputIdentity, localFilesIdentity, type SourceIdentity } from './idempotency';
import { buildLineage, chooseMetrics, type Lineage, type LineageSource, MAX_RECORDED_METRICS } from './lineage';
import { buildModelManifest, writeModelManifest } from './modelJson';
import { INPUTS, type RegisterParameters } from './parameters';
import { findRegisteredVersion, type ModelVersionBody, type Registration, registerVersion, type VersionRequest } from './register';
import { publishForLaterStages, publishModelSummary, setModelOutputs } from './report';
import { type ResolvedJobOutput, resolveJobOutput } from './source/jobOutput';
import { type ResolvedLocalFiles, resolveLocalFiles, uploadLocalFiles } from './source/localFiles';

/** The Azure clients run() needs, created by index.ts from the service connection (tests inject fakes). */
export interface RegisterClients {
  /** Opens the workspace (reads it: a wrong resource group or workspace name fails here). */
  connectWorkspace(signal: AbortSignal): Promise<WorkspaceClient>;
}

type ResolvedSource = ResolvedJobOutput | ResolvedLocalFiles;

export async function run(params: RegisterParameters, clients: RegisterClients, signal: AbortSignal): Promise<void> {
  const workspace = await clients.connectWorkspace(signal);
  info(`Azure ML workspace: ${workspace.workspaceName} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId}).`);

  const source = await group('Checking the model source', () => resolveSource(workspace, params, signal));
  const lineage = lineageFor(source, params);
  const identity: SourceIdentity =
    source.kind === 'job' ? jobOutputIdentity(source.location.jobName, source.uri, params.modelType) : localFilesIdentity(source.hash, source.displayPath, params.modelType);
  const request: VersionRequest = { modelName: params.modelName, version: params.version, identity };

  let model: ModelVersionResource;
  let alreadyRegistered: boolean;
  const existing = await findRegisteredVersion(workspace, request, signal);
  if (existing) {
    model = existing;
    alreadyRegistered = true;
    info(
      `The model '${params.modelName}' is already registered as version ${modelVersionIdentity(existing).version} from ${identity.description} ` +
        `(${params.modelType}): nothing registered. Its description, tags and properties are left as they are.`,
    );
  } else {
    const registration = await group(`Registering the model '${params.modelName}'`, () => register(workspace, params, source, lineage, request, signal));
    model = registration.model;
    alreadyRegistered = !registration.created;
    const version = modelVersionIdentity(model).version;
    info(
      registration.created
        ? `Registered the model '${params.modelName}' version ${version} (${params.modelType}) from ${identity.description}.`
        : `Another run registered the same model at the same time, as version ${version}: using it.`,
    );
  }

  const version = modelVersionIdentity(model).version;
  const manifest = buildModelManifest({
    name: params.modelName,
    version,
    model,
    alreadyRegistered,
    studioUrl: modelStudioUrl(workspace, params.modelName, version),
    workspace: {
      subscriptionId: workspace.subscriptionId,
      resourceGroup: workspace.resourceGroup,
      name: workspace.workspaceName,
      id: workspace.workspaceArmPath,
      location: workspace.workspace.location ?? null,
      tenantId: workspace.connection.tenantId,
    },
  });
  const modelJsonPath = writeModelManifest(params.tempDirectory, manifest);
  setModelOutputs(manifest, modelJsonPath);
  info(`Azure ML studio: ${manifest.studioUrl}`);
  const published = publishForLaterStages(manifest, modelJsonPath, params.artifactName);
  publishModelSummary({
    manifest,
    jobStudioUrl: source.kind === 'job' ? source.studioUrl : undefined,
    artifactName: published.artifact ? params.artifactName : undefined,
  });
}

async function resolveSource(workspace: WorkspaceClient, params: RegisterParameters, signal: AbortSignal): Promise<ResolvedSource> {
  if (params.source.kind === 'local') {
    const files = await resolveLocalFiles(params.source, params.modelType);
    info(`Local files: ${files.displayPath} (${files.fileCount} file${files.fileCount === 1 ? '' : 's'}, content hash ${files.hash}).`);
    return files;
  }
  const output = await resolveJobOutput(workspace, params.source, params.modelType, signal);
  info(`Job output: ${output.uri} (job status Completed${output.experimentName ? `, experiment ${output.experimentName}` : ''}).`);
  if (params.metrics) {
    const missing = params.metrics.filter((name) => !(name in output.metrics));
    if (missing.length > 0) {
      const logged = Object.keys(output.metrics);
      throw new InputError(
        INPUTS.metrics,
        `the job '${output.location.jobName}' logged no metric ${missing.map((name) => `'${name}'`).join(', ')}`,
        logged.length > 0 ? `It logged: ${listForMessage(logged, 30)}` : 'It logged no metric at all: remove the input',
      );
    }
  }
  return output;
}

function lineageFor(source: ResolvedSource, params: RegisterParameters): Lineage {
  let lineageSource: LineageSource;
  let metrics: Record<string, number> = {};
  if (source.kind === 'job') {
    const chosen = chooseMetrics(source.metrics, params.metrics);
    metrics = chosen.metrics;
    if (chosen.leftOut.length > 0) {
      warning(`Metrics not recorded on the model: ${chosen.leftOut.join(', ')} (at most ${MAX_RECORDED_METRICS} finite values; name the ones to keep in '${INPUTS.metrics}').`);
    }
    lineageSource = {
      kind: 'job-output',
      uri: source.uri,
      jobName: source.location.jobName,
      outputName: source.location.outputName,
      experimentName: source.experimentName,
      inputs: source.job.properties?.inputs ?? {},
    };
  } else {
    lineageSource = { kind: 'local-files', displayPath: source.displayPath, hash: source.hash };
  }
  const task = currentTask();
  const lineage = buildLineage({ source: lineageSource, metrics, pipeline: params.lineageTags, registeredBy: `${task.name}@${task.version}` });
  for (const remark of lineage.skipped) warning(`Lineage not recorded: ${remark}.`);
  return lineage;
}

async function register(
  workspace: WorkspaceClient,
  params: RegisterParameters,
  source: ResolvedSource,
  lineage: Lineage,
  request: VersionRequest,
  signal: AbortSignal,
): Promise<Registration> {
  let modelUri: string;
  if (source.kind === 'local') {
    const datastore = await workspace.defaultDatastore(signal);
    const { modelUri: uploaded, upload } = await uploadLocalFiles(workspace, datastore, source, signal);
    info(
      upload.uploaded
        ? `Uploaded ${source.displayPath} to ${datastore.name}/${upload.blobPath}.`
        : `${source.displayPath} is unchanged, already uploaded to ${datastore.name}/${upload.blobPath}: nothing uploaded.`,
    );
    modelUri = uploaded;
  } else {
    modelUri = source.uri;
  }
  info(`Model URI: ${modelUri}`);
  info('Lineage recorded in the properties:');
  for (const [key, value] of Object.entries(lineage.properties)) info(`  ${key} = ${value}`);
  const body: ModelVersionBody = {
    properties: {
      modelType: params.modelType,
      modelUri,
      ...(source.kind === 'job' ? { jobName: source.location.jobName } : {}),
      ...(params.description !== undefined ? { description: params.description } : {}),
      tags: { ...params.tags, ...lineage.tags },
      properties: { ...params.properties, ...lineage.properties },
    },
  };
  return registerVersion(workspace, request, body, signal);
}
