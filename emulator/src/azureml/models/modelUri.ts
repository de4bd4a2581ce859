import { badRequest } from '../errors';
import { JobFailure, joinPath, resolveStorageUri, type BlobLocation } from '../execution/storage';
import { isTerminal } from '../jobs/model';
import { isObject } from '../resources';
import { sameName } from '../scope';
import type { AzureMlService } from '../service';

/** What the service records for a model version's location. */
export interface ResolvedModelUri {
  /** The URI GET answers: a job output resolved to its datastore path (long form), other forms as sent. */
  readonly modelUri: string;
  /** The job a job-output URI names (the service records it in jobName). */
  readonly jobName?: string;
}

const JOB_OUTPUT = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths(?:\/(.*))?)?$/i;
const SHORT_DATASTORE = /^azureml:\/\/datastores\/([^/]+)\/paths(?:\/(.*))?$/i;
const LONG_DATASTORE =
  /^azureml:\/\/subscriptions\/([^/]+)\/resource[gG]roups\/([^/]+)\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/([^/]+)\/datastores\/([^/]+)\/paths(?:\/(.*))?$/i;
const BLOB_URL = /^https:\/\//i;

/**
 * Resolves and checks a model version's modelUri as the service does when it registers a model:
 * - `azureml://jobs/<job>/outputs/<output>/paths/<path>`: the job must exist and have that output (`artifacts` is the
 *   job's own artifact folder); the URI is recorded as the output's datastore path and the job in jobName;
 * - `azureml://datastores/<ds>/paths/<path>`, its long form with subscription and workspace, and
 *   `https://<account>.blob.core.windows.net/<container>/<path>` of the workspace's storage account.
 * Something must be stored at the path (a blob, or blobs under it as a folder); every failure is a 400 naming the URI.
 */
export async function resolveModelUri(svc: AzureMlService, raw: string, where = 'properties.modelUri'): Promise<ResolvedModelUri> {
  const uri = raw.trim();
  const jobOutput = JOB_OUTPUT.exec(uri);
  if (jobOutput) {
    const [, jobName, output, sub = ''] = jobOutput as unknown as [string, string, string, string | undefined];
    const modelUri = jobOutputDatastoreUri(svc, jobName, output, sub ?? '', `${where} '${uri}'`);
    await requireStoredContent(svc, modelUri, `${where} '${uri}' (${modelUri})`, jobName);
    return { modelUri, jobName };
  }
  const long = LONG_DATASTORE.exec(uri);
  if (long) {
    const cfg = svc.scope.config;
    if (!sameName(long[1]!, cfg.subscriptionId) || !sameName(long[2]!, cfg.resourceGroup) || !sameName(long[3]!, cfg.workspaceName)) {
      throw badRequest(`${where} '${uri}' names a datastore of another workspace; a model can only be registered from the datastores of workspace '${cfg.workspaceName}'.`);
    }
  }
  if (long || SHORT_DATASTORE.test(uri) || BLOB_URL.test(uri)) {
    await requireStoredContent(svc, uri, `${where} '${uri}'`);
    return { modelUri: uri };
  }
  throw badRequest(
    `${where} '${uri}' is not a supported model location: use azureml://jobs/<job>/outputs/<output>/paths/<path>, ` +
      'azureml://datastores/<datastore>/paths/<path> (or its long form azureml://subscriptions/.../workspaces/<workspace>/datastores/<datastore>/paths/<path>) ' +
      "or an https:// URL of the workspace's blob storage.",
  );
}

/** `azureml://subscriptions/<sub>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<path>`, as the service writes it. */
export function longDatastoreUri(svc: AzureMlService, datastore: string, path: string): string {
  const cfg = svc.scope.config;
  return `azureml://subscriptions/${cfg.subscriptionId}/resourcegroups/${cfg.resourceGroup}/workspaces/${cfg.workspaceName}/datastores/${datastore}/paths/${path}`;
}

/** The storage location of a job output (or a path inside it), as a URI GET will answer. */
function jobOutputDatastoreUri(svc: AzureMlService, jobName: string, output: string, sub: string, what: string): string {
  const job = svc.jobs.get(jobName);
  if (!job) throw badRequest(`${what} names the job '${jobName}', which does not exist in workspace '${svc.scope.name}'.`);
  const declared = isObject(job.properties['outputs']) ? job.properties['outputs'] : {};
  const named = Object.keys(declared).filter((name) => name !== 'default');
  if (!named.includes(output)) {
    if (output === 'artifacts' || output === 'default') return longDatastoreUri(svc, 'workspaceartifactstore', joinPath(`ExperimentRun/dcid.${jobName}`, sub));
    const known = named.length > 0 ? `Its outputs: ${named.join(', ')} (and artifacts, its artifact folder).` : "It has no named outputs; 'artifacts' is its artifact folder.";
    throw badRequest(`${what}: the job '${jobName}' has no output named '${output}'. ${known}`);
  }
  const declaredOutput = declared[output];
  const declaredUri = isObject(declaredOutput) && typeof declaredOutput['uri'] === 'string' && declaredOutput['uri'] !== '' ? declaredOutput['uri'] : undefined;
  // Command jobs upload an output without a uri to the default datastore, under azureml/<job>/<output>/.
  const fallback = job.jobType === 'Command' ? `azureml://datastores/workspaceblobstore/paths/azureml/${jobName}/${output}/` : undefined;
  const base = job.outputUris[output] ?? declaredUri ?? fallback;
  if (!base) throw badRequest(`${what}: the output '${output}' of the job '${jobName}' has no storage location yet (the job is ${job.status}).`);
  const short = SHORT_DATASTORE.exec(base);
  if (short) return longDatastoreUri(svc, short[1]!, joinPath(short[2] ?? '', sub));
  return sub === '' ? base : joinPath(base, sub);
}

/** A model registered from an empty path would fail only at deployment: the service refuses it at registration. */
async function requireStoredContent(svc: AzureMlService, uri: string, what: string, jobName?: string): Promise<void> {
  let location: BlobLocation;
  try {
    location = resolveStorageUri(svc, uri);
  } catch (error) {
    if (error instanceof JobFailure) throw badRequest(`${what}: ${error.message}`);
    throw error;
  }
  if (await hasContent(svc, location)) return;
  const job = jobName ? svc.jobs.get(jobName) : undefined;
  const hint = job && !isTerminal(job.status) ? ` The job '${job.name}' is ${job.status}: its outputs are stored when it completes.` : '';
  throw badRequest(`${what}: no file or folder exists at this path in storage.${hint}`);
}

/** A blob at the path itself, or blobs under it (a folder). */
async function hasContent(svc: AzureMlService, location: BlobLocation): Promise<boolean> {
  const container = svc.ctx.storage.client.getContainerClient(location.container);
  const path = location.path.replace(/\/+$/, '');
  try {
    if (path !== '' && !location.path.endsWith('/') && (await container.getBlobClient(path).exists())) return true;
    for await (const blob of container.listBlobsFlat({ prefix: path === '' ? '' : `${path}/` })) {
      if (blob.name !== '') return true;
    }
  } catch (error) {
    // A container that does not exist holds nothing.
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
  return false;
}
