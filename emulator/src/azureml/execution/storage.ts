import { mkdir, readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { datastoreContainer } from '../arm/workspace';
import { dataAssetRef } from '../jobs/validate';
import type { AzureMlService } from '../service';

/** A failure of the job itself (as opposed to an emulator bug), reported on the run as the service would. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly code: 'UserError' | 'SystemError' = 'UserError',
  ) {
    super(message);
  }
}

export interface BlobLocation {
  readonly container: string;
  /** Blob name or prefix, without a leading '/'; '' is the container root. */
  readonly path: string;
}

/**
 * Maps the URI forms jobs use for storage to a container and path of the emulator's storage account:
 * production-style blob URLs, wasbs://, azureml://datastores/… (short and long form), azureml://jobs/<job>/outputs/…,
 * and data asset references (resolved to their dataUri).
 */
export function resolveStorageUri(svc: AzureMlService, uri: string, depth = 0): BlobLocation {
  if (depth > 5) throw new JobFailure(`The data asset references starting at '${uri}' form a loop.`);
  const { storage } = svc.ctx;
  const account = storage.accountName.toLowerCase();
  const asUrl = tryUrl(uri);

  if (asUrl && (asUrl.protocol === 'https:' || asUrl.protocol === 'http:')) {
    const host = asUrl.hostname.toLowerCase();
    if (host !== `${account}.blob.${storage.endpointSuffix.toLowerCase()}`) {
      throw new JobFailure(`The storage URL '${stripQuery(uri)}' is not in the workspace's storage account '${storage.accountName}', the only one reachable from the compute.`);
    }
    const segments = asUrl.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
    if (segments.length === 0) throw new JobFailure(`The storage URL '${stripQuery(uri)}' names no container.`);
    return { container: segments[0]!, path: segments.slice(1).join('/') };
  }
  if (asUrl && (asUrl.protocol === 'wasbs:' || asUrl.protocol === 'wasb:')) {
    const [container, host] = [decodeURIComponent(asUrl.username), asUrl.hostname.toLowerCase()];
    if (!host.startsWith(`${account}.`)) throw new JobFailure(`The storage URI '${uri}' is not in the workspace's storage account '${storage.accountName}'.`);
    return { container, path: decodeURIComponent(asUrl.pathname.replace(/^\//, '')) };
  }
  const datastore = /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/?(.*)$/i.exec(uri);
  if (datastore) {
    const container = datastoreContainer(svc, datastore[1]!);
    if (!container) throw new JobFailure(`The datastore '${datastore[1]}' (in '${uri}') does not exist in workspace '${svc.scope.name}'.`);
    return { container, path: decodeURIComponent(datastore[2]!) };
  }
  const jobOutput = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths\/?(.*))?$/i.exec(uri);
  if (jobOutput) {
    const [, jobName, output, sub = ''] = jobOutput;
    const job = svc.jobs.get(jobName!);
    if (!job) throw new JobFailure(`The job '${jobName}' (in '${uri}') does not exist.`);
    if (output === 'artifacts' || output === 'default') return { container: storage.artifactsContainer, path: joinPath(`ExperimentRun/dcid.${jobName}`, sub) };
    const recorded = job.outputUris[output!];
    if (!recorded) throw new JobFailure(`The job '${jobName}' has no uploaded output '${output}' (in '${uri}').`);
    const base = resolveStorageUri(svc, recorded, depth + 1);
    return { container: base.container, path: joinPath(base.path, sub) };
  }
  const ref = dataAssetRef(uri);
  if (ref && ref.scope === 'workspace') {
    const version = svc.assets.data.resolve(ref);
    if (!version) throw new JobFailure(`The data asset '${uri}' does not exist in workspace '${svc.scope.name}'.`);
    return resolveStorageUri(svc, String(version.properties['dataUri']), depth + 1);
  }
  throw new JobFailure(`'${stripQuery(uri)}' is not a storage location the emulator can read: use azureml://datastores/<datastore>/paths/<path>, an https:// blob URL of the workspace's storage account, or a data asset (azureml:<name>:<version>).`);
}

/** Downloads every blob under `location` (as a folder) into `dir`; returns how many files it wrote. */
export async function downloadFolder(svc: AzureMlService, location: BlobLocation, dir: string, signal?: AbortSignal): Promise<number> {
  const container = svc.ctx.storage.client.getContainerClient(location.container);
  const prefix = location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`;
  let count = 0;
  for await (const blob of container.listBlobsFlat({ prefix })) {
    signal?.throwIfAborted();
    const relative = blob.name.slice(prefix.length);
    if (relative === '' || relative.endsWith('/')) continue;
    const target = safeJoin(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await container.getBlobClient(blob.name).downloadToFile(target, undefined, undefined, { abortSignal: signal });
    count++;
  }
  return count;
}

/** Downloads one blob to `file`; false when it does not exist. */
export async function downloadFile(svc: AzureMlService, location: BlobLocation, file: string, signal?: AbortSignal): Promise<boolean> {
  const blob = svc.ctx.storage.client.getContainerClient(location.container).getBlobClient(location.path);
  if (location.path === '' || !(await blob.exists({ abortSignal: signal }))) return false;
  await mkdir(path.dirname(file), { recursive: true });
  await blob.downloadToFile(file, undefined, undefined, { abortSignal: signal });
  return true;
}

/** Uploads every file under `dir` below the blob prefix of `location`; returns how many files it uploaded. */
export async function uploadFolder(svc: AzureMlService, dir: string, location: BlobLocation): Promise<number> {
  const container = svc.ctx.storage.client.getContainerClient(location.container);
  const prefix = location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`;
  let count = 0;
  for (const file of await listFiles(dir)) {
    const name = prefix + path.relative(dir, file).split(path.sep).join('/');
    await container.getBlockBlobClient(name).uploadFile(file);
    count++;
  }
  return count;
}

export async function uploadFile(svc: AzureMlService, file: string, location: BlobLocation): Promise<void> {
  await svc.ctx.storage.client.getContainerClient(location.container).getBlockBlobClient(location.path).uploadFile(file);
}

async function listFiles(dir: string): Promise<string[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function safeJoin(dir: string, relative: string): string {
  const target = path.resolve(dir, ...relative.split('/'));
  if (target !== dir && !target.startsWith(dir + path.sep)) throw new JobFailure(`The blob path '${relative}' escapes its folder.`);
  return target;
}

export function joinPath(base: string, sub: string): string {
  if (sub === '') return base;
  return `${base.replace(/\/+$/, '')}/${sub.replace(/^\/+/, '')}`;
}

function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function stripQuery(uri: string): string {
  const q = uri.indexOf('?');
  return q < 0 ? uri : uri.slice(0, q);
}
