/**
 * A job output as a model source, checked with reads only before anything is registered: the job exists and
 * Completed, it has the output, the output (or the path inside it) holds files, and an mlflow_model has its MLmodel.
 */
import {
  getJobIfExists,
  group,
  info,
  InputError,
  isAbortError,
  type JobResource,
  listForMessage,
  type ModelType,
  openDatastore,
  readJobResults,
  statusOf,
  studioUrl,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { INPUTS, type JobOutputSourceParameters } from '../parameters';
import { ARTIFACTS_OUTPUT, type DatastoreLocation, formatJobOutputUri, type JobOutputLocation, parseDatastoreUri } from './jobOutputUri';

export interface ResolvedJobOutput {
  readonly kind: 'job';
  readonly location: JobOutputLocation;
  /** `azureml://jobs/<job>/outputs/<output>/paths/<path>`: what is registered, and the source's identity. */
  readonly uri: string;
  readonly job: JobResource;
  readonly experimentName: string | undefined;
  readonly studioUrl: string;
  /** Where the output is stored (a datastore URI), when the service reports it. */
  readonly outputUri: string | undefined;
  /** Final value of every metric the job logged (for a pipeline job, also `<step>.<metric>`). */
  readonly metrics: Readonly<Record<string, number>>;
}

/** What of a blob container the content check uses (a ContainerClient has it). */
export interface BlobListing {
  getBlobClient(name: string): { exists(options?: { abortSignal?: AbortSignal }): Promise<boolean> };
  listBlobsFlat(options?: { prefix?: string; abortSignal?: AbortSignal }): {
    byPage(settings?: { maxPageSize?: number }): AsyncIterableIterator<{ segment: { blobItems: ReadonlyArray<{ name: string }> } }>;
  };
}

export async function resolveJobOutput(
  workspace: WorkspaceClient,
  source: JobOutputSourceParameters,
  modelType: ModelType,
  signal: AbortSignal,
): Promise<ResolvedJobOutput> {
  const { jobName, outputName } = source;
  const job = await getJobIfExists(workspace, jobName, signal);
  if (!job) {
    throw new InputError(
      source.inputs.jobName,
      `the job '${jobName}' was not found in the Azure ML workspace '${workspace.workspaceName}' (resource group ${workspace.resourceGroup})`,
      'Check the name in Azure ML studio (Jobs), and that the service connection and workspace are the ones that ran the job',
    );
  }
  const status = statusOf(job);
  const link = studioUrl(job, jobName, workspace);
  if (status !== 'Completed') {
    const finished = ['Failed', 'Canceled', 'NotResponding', 'Paused'].includes(status);
    throw new InputError(
      source.inputs.jobName,
      `the job '${jobName}' has status ${status}; only the outputs of a Completed job can be registered`,
      finished
        ? `Register the output of a job that completed. The job: ${link}`
        : `Wait for the job to finish first: AzureMLTrain@1 waits by default (wait: true), or re-attach to it with its jobName input. The job: ${link}`,
    );
  }

  const outputs = job.properties?.outputs ?? {};
  const named = Object.keys(outputs).filter((name) => name !== 'default');
  const isArtifacts = outputName === ARTIFACTS_OUTPUT && !(ARTIFACTS_OUTPUT in outputs);
  if (!isArtifacts && !named.includes(outputName)) {
    throw new InputError(
      source.inputs.outputName,
      `the job '${jobName}' has no output '${outputName}'`,
      named.length > 0
        ? `Its outputs: ${listForMessage(named)}. Use one of them (the name under outputs: in the job YAML)`
        : `It has no named outputs (outputs: in its YAML); '${ARTIFACTS_OUTPUT}' registers what it wrote to its outputs/ folder`,
    );
  }
  const outputUri = isArtifacts ? undefined : outputs[outputName]?.uri ?? undefined;
  const location: JobOutputLocation = { jobName, outputName, subPath: source.subPath };
  const uri = formatJobOutputUri(location);

  const datastorePath = outputUri ? parseDatastoreUri(outputUri) : undefined;
  if (datastorePath) await group(`Checking the files of ${uri}`, () => checkOutputFiles(workspace, source, modelType, datastorePath, signal));
  else info(`The files of ${uri} are not checked: the job reports no datastore path for the output${isArtifacts ? ` (${ARTIFACTS_OUTPUT})` : ''}.`);

  const results = await readJobResults(workspace, jobName, signal, job);
  return {
    kind: 'job',
    location,
    uri,
    job,
    experimentName: job.properties?.experimentName || undefined,
    studioUrl: link,
    outputUri,
    metrics: results.metrics,
  };
}

/**
 * The output (or the path in it) must hold something, and an mlflow_model folder its MLmodel file: registering an
 * empty path succeeds in Azure ML and fails only at deployment. When the files cannot be listed (e.g. the identity has
 * no storage role on an identity-based datastore), the check is skipped with a warning; the service still resolves the
 * URI when it registers the model.
 */
async function checkOutputFiles(
  workspace: WorkspaceClient,
  source: JobOutputSourceParameters,
  modelType: ModelType,
  output: DatastoreLocation,
  signal: AbortSignal,
): Promise<void> {
  const target = [output.path, source.subPath].filter((part) => part !== '').join('/');
  let found: { exists: boolean; hasMlModel: boolean };
  try {
    const { arm, resourceGroup, workspaceName, credential, httpOptions } = workspace;
    const datastore = await openDatastore(arm, resourceGroup, workspaceName, output.datastore, credential, httpOptions, signal);
    found = await inspectPath(datastore.containerClient, target, signal);
    info(`${output.datastore}/${target}: ${found.exists ? 'found' : 'nothing there'}.`);
  } catch (error) {
    if (signal.aborted || isAbortError(error)) throw error;
    warning(
      `The files of the output '${source.outputName}' could not be listed (${error instanceof Error ? error.message : String(error)}): ` +
        'registering without checking them.',
    );
    return;
  }
  const where = `the output '${source.outputName}' of the job '${source.jobName}'`;
  if (!found.exists && source.subPath !== '') {
    throw new InputError(
      source.inputs.subPath,
      `'${source.subPath}' does not exist in ${where} (azureml://datastores/${output.datastore}/paths/${output.path})`,
      'The path is relative to the output folder, e.g. model.pkl or mlflow-model; see the files in Azure ML studio (the job > Outputs + logs)',
    );
  }
  if (!found.exists) {
    throw new InputError(
      source.inputs.outputName,
      `${where} is empty: the job wrote no file to azureml://datastores/${output.datastore}/paths/${output.path}`,
      `Check that the training script writes its model into the output folder (e.g. --model-dir \${{outputs.${source.outputName}}}), or name another output`,
    );
  }
  if (modelType === 'mlflow_model' && !found.hasMlModel) {
    throw new InputError(
      INPUTS.modelType,
      `is mlflow_model, but ${source.subPath ? `'${source.subPath}' in ` : ''}${where} has no MLmodel file at its root`,
      `Point '${INPUTS.modelPath}' at the folder mlflow.save_model wrote (it holds MLmodel), or use custom_model`,
    );
  }
}

/** Whether `target` is a blob or a folder with at least one blob, and whether it holds `MLmodel`. */
export async function inspectPath(container: BlobListing, target: string, signal: AbortSignal): Promise<{ exists: boolean; hasMlModel: boolean }> {
  const isFile = await container.getBlobClient(target).exists({ abortSignal: signal });
  if (isFile) return { exists: true, hasMlModel: false };
  const pages = container.listBlobsFlat({ prefix: `${target}/`, abortSignal: signal }).byPage({ maxPageSize: 1 });
  const first = await pages.next();
  const exists = !first.done && first.value.segment.blobItems.length > 0;
  const hasMlModel = exists && (await container.getBlobClient(`${target}/MLmodel`).exists({ abortSignal: signal }));
  return { exists, hasMlModel };
}
