/**
 * A registered model's files, downloaded from its datastore into a local folder, for a self-contained image. Only
 * reads happen here: the datastore's blobs under the model's path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { type ModelVersionResource, openDatastore, TaskError, type WorkspaceClient } from '@azureml-mlops/shared';

import type { ArchiveEntry } from './archive';

export interface DownloadedModel {
  readonly entries: readonly ArchiveEntry[];
  readonly fileCount: number;
  readonly totalBytes: number;
  /** `workspaceblobstore/azureml/<job>/model/`, for the log. */
  readonly source: string;
}

/** What the task reads of a model version: its name and version and where its files are. */
export interface ModelToInclude {
  readonly name: string;
  readonly version: string;
  readonly resource: ModelVersionResource;
}

const LONG_URI = /^azureml:\/\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/datastores\/([^/]+)\/paths\/(.*)$/i;
const SHORT_URI = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/i;

/** The datastore and path of a model URI, or undefined for a form the task cannot read. */
export function datastoreLocation(modelUri: string): { datastore: string; path: string } | undefined {
  const match = LONG_URI.exec(modelUri) ?? SHORT_URI.exec(modelUri);
  if (!match) return undefined;
  return { datastore: match[1]!, path: match[2]!.split('/').map((part) => decodeURIComponent(part)).join('/') };
}

/**
 * Downloads the model's files to `folder` and returns them as archive entries under `archiveFolder`: a model file is
 * put in the folder as itself, a model folder with its layout.
 */
export async function downloadModelFiles(
  workspace: WorkspaceClient,
  model: ModelToInclude,
  folder: string,
  archiveFolder: string,
  signal: AbortSignal,
): Promise<DownloadedModel> {
  const modelUri = model.resource.properties?.modelUri ?? '';
  const location = datastoreLocation(modelUri);
  if (!location) {
    throw new TaskError(
      `The files of the model ${model.name}:${model.version} are at '${modelUri}', which the task cannot download (it reads azureml://datastores/<datastore>/paths/<path>). ` +
        'Register the model from a job output or local files (AzureMLRegisterModel@1), or build without the model in the image and let the deployment mount it.',
    );
  }
  const datastore = await openDatastore(workspace.arm, workspace.resourceGroup, workspace.workspaceName, location.datastore, workspace.credential, workspace.httpOptions, signal);
  const container = datastore.containerClient;
  const prefix = location.path.replace(/\/+$/, '');
  const blobs: Array<{ name: string; relative: string }> = [];
  const asFile = prefix !== '' && !location.path.endsWith('/') && (await container.getBlobClient(prefix).exists({ abortSignal: signal }));
  if (asFile) {
    blobs.push({ name: prefix, relative: path.posix.basename(prefix) });
  } else {
    const folderPrefix = prefix === '' ? '' : `${prefix}/`;
    for await (const blob of container.listBlobsFlat({ prefix: folderPrefix, abortSignal: signal })) {
      const relative = blob.name.slice(folderPrefix.length);
      // Folder markers of hierarchical namespaces, and empty names, are not files.
      if (relative === '' || relative.endsWith('/')) continue;
      blobs.push({ name: blob.name, relative });
    }
  }
  if (blobs.length === 0) {
    throw new TaskError(`The model ${model.name}:${model.version} has no files at '${modelUri}' (datastore '${location.datastore}'): there is nothing to put in the image.`);
  }
  fs.rmSync(folder, { recursive: true, force: true });
  const entries: ArchiveEntry[] = [];
  let totalBytes = 0;
  for (const blob of blobs.sort((a, b) => (a.relative < b.relative ? -1 : 1))) {
    const target = path.join(folder, ...blob.relative.split('/'));
    if (path.relative(folder, target).startsWith('..')) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    await container.getBlobClient(blob.name).downloadToFile(target, 0, undefined, { abortSignal: signal });
    const size = fs.statSync(target).size;
    totalBytes += size;
    entries.push({ kind: 'file', archivePath: `${archiveFolder}/${blob.relative}`, absolutePath: target, size, executable: false });
  }
  return { entries, fileCount: entries.length, totalBytes, source: `${location.datastore}/${location.path}` };
}
