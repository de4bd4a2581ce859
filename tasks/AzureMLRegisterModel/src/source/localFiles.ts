/**
 * Local files as a model source: listed (`.amlignore`/`.gitignore` apply, as for uploads) and hashed before anything
 * happens on the Azure side, so that a version with the same content is found, and an explicit version that holds
 * other content refused, without uploading anything. They are uploaded only when a new version is registered.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  contentHash,
  type DatastoreContainer,
  InputError,
  listFolderFiles,
  type LocalFile,
  type ModelType,
  TaskError,
  uploadIfChanged,
  type UploadResult,
} from '@azureml-mlops/shared';

import { INPUTS, type LocalSourceParameters } from '../parameters';

export interface ResolvedLocalFiles {
  readonly kind: 'local';
  readonly localPath: string;
  readonly displayPath: string;
  readonly isFolder: boolean;
  /** Content hash (shared contentHash): the source's identity, and its upload folder LocalUpload/<hash>. */
  readonly hash: string;
  readonly fileCount: number;
  readonly totalBytes: number;
}

export async function resolveLocalFiles(source: LocalSourceParameters, modelType: ModelType): Promise<ResolvedLocalFiles> {
  const { localPath, isFolder } = source;
  const files: LocalFile[] = isFolder ? listFolderFiles(localPath) : [{ relativePath: path.basename(localPath), absolutePath: localPath, size: fs.statSync(localPath).size }];
  if (files.length === 0) {
    throw new InputError(
      INPUTS.localPath,
      `the folder '${source.displayPath}' has no file to register: it is empty, or .amlignore/.gitignore exclude everything in it`,
      'Point it at the folder the model was saved to, and check the ignore files',
    );
  }
  if (modelType === 'mlflow_model' && !files.some((file) => file.relativePath === 'MLmodel')) {
    throw new InputError(
      INPUTS.modelType,
      `is mlflow_model, but ${isFolder ? `the folder '${source.displayPath}' has` : `'${source.displayPath}' is a file, not a folder with`} no MLmodel file at its root`,
      `Point '${INPUTS.localPath}' at the folder mlflow.save_model wrote (it holds MLmodel), or use custom_model`,
    );
  }
  const hash = await contentHash(isFolder ? 'folder' : 'file', files);
  return {
    kind: 'local',
    localPath,
    displayPath: source.displayPath,
    isFolder,
    hash,
    fileCount: files.length,
    totalBytes: files.reduce((sum, file) => sum + file.size, 0),
  };
}

/**
 * Uploads the files to the default datastore (LocalUpload/<hash>/<name>, skipped when that content is there already)
 * and returns the model URI: the long datastore form, as azure-ai-ml sends it for a model.
 */
export async function uploadLocalFiles(
  workspace: { readonly subscriptionId: string; readonly resourceGroup: string; readonly workspaceName: string },
  datastore: DatastoreContainer,
  files: ResolvedLocalFiles,
  signal: AbortSignal,
): Promise<{ readonly modelUri: string; readonly upload: UploadResult }> {
  const upload = await uploadIfChanged(datastore.containerClient, files.localPath, { abortSignal: signal });
  if (upload.hash !== files.hash) {
    throw new TaskError(`The files of '${files.displayPath}' changed while the task was registering them. Run the task again once nothing writes to them.`);
  }
  const modelUri =
    `azureml://subscriptions/${workspace.subscriptionId}/resourcegroups/${workspace.resourceGroup}/workspaces/${workspace.workspaceName}` +
    `/datastores/${datastore.name}/paths/${upload.blobPath}`;
  return { modelUri, upload };
}
