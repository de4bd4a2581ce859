import * as fs from 'node:fs';
import * as path from 'node:path';

import { TaskError } from '../pipeline/errors';
import { debug } from '../pipeline/logging';
import { urlWithoutQuery } from '../pipeline/secrets';
import { contentHash } from './contentHash';
import { LocalFile, listFolderFiles } from './fileSet';

/** The part of @azure/storage-blob's BlockBlobClient the upload uses (a ContainerClient satisfies UploadContainer). */
export interface UploadBlob {
  exists(options?: { abortSignal?: AbortSignal }): Promise<boolean>;
  uploadFile(filePath: string, options?: { abortSignal?: AbortSignal; concurrency?: number }): Promise<unknown>;
  upload(
    body: Buffer,
    contentLength: number,
    options?: { abortSignal?: AbortSignal; blobHTTPHeaders?: { blobContentType?: string } },
  ): Promise<unknown>;
}

export interface UploadContainer {
  /** Container URL (a SAS query, if any, is never returned or logged). */
  readonly url: string;
  getBlockBlobClient(blobName: string): UploadBlob;
}

export interface UploadOptions {
  /** First folder of the blob path (default LocalUpload, as Azure ML's own uploads). */
  readonly prefix?: string;
  /** Files uploaded at once (default 4). */
  readonly concurrency?: number;
  readonly abortSignal?: AbortSignal;
  /** Called after each uploaded file. */
  readonly onProgress?: (uploadedFiles: number, totalFiles: number) => void;
  /** Allow a folder with no files left after ignore rules (default: that is an error). */
  readonly allowEmpty?: boolean;
}

export interface UploadResult {
  /** Content hash (see contentHash.ts). */
  readonly hash: string;
  /** Blob path inside the container: `<prefix>/<hash>/<basename>`. */
  readonly blobPath: string;
  /** https://<account>.blob.<suffix>/<container>/<prefix>/<hash>/<basename> (no SAS). */
  readonly blobUri: string;
  /** False when the same content had already been uploaded completely. */
  readonly uploaded: boolean;
  readonly fileCount: number;
  readonly totalBytes: number;
}

/** Folder (beside the upload, never inside it) holding one completion marker per uploaded base name. */
export const COMPLETION_MARKER_FOLDER = '.azureml-mlops-upload-complete';

function encodeBlobPath(blobPath: string): string {
  return blobPath.split('/').map(encodeURIComponent).join('/');
}

async function runPool<T>(items: readonly T[], concurrency: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const runners = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next];
      next += 1;
      try {
        await worker(item);
      } catch (error) {
        failed = true; // Stop the other runners from starting new files.
        throw error;
      }
    }
  });
  await Promise.all(runners);
}

/**
 * Uploads a local file or folder to `<prefix>/<content hash>/<basename>` unless that exact content is already
 * there. The completion marker is written LAST, after every file, so an interrupted upload has no marker and is
 * redone in full by the next run; an existing marker means every file is there.
 */
export async function uploadIfChanged(container: UploadContainer, localPath: string, options: UploadOptions = {}): Promise<UploadResult> {
  const prefix = (options.prefix ?? 'LocalUpload').replace(/^\/+|\/+$/g, '');
  const absolute = path.resolve(localPath);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    throw new TaskError(`Cannot upload '${localPath}': it does not exist.`);
  }
  const basename = path.basename(absolute);
  const isFolder = stat.isDirectory();
  const files: LocalFile[] = isFolder ? listFolderFiles(absolute) : [{ relativePath: basename, absolutePath: absolute, size: stat.size }];
  if (isFolder && files.length === 0 && !options.allowEmpty) {
    throw new TaskError(
      `Nothing to upload from '${localPath}': the folder is empty, or every file in it is excluded by .amlignore/.gitignore.`,
    );
  }
  const hash = await contentHash(isFolder ? 'folder' : 'file', files);
  const blobPath = `${prefix}/${hash}/${basename}`;
  const blobUri = `${urlWithoutQuery(container.url).replace(/\/+$/, '')}/${encodeBlobPath(blobPath)}`;
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const result = { hash, blobPath, blobUri, fileCount: files.length, totalBytes };

  const marker = container.getBlockBlobClient(`${prefix}/${hash}/${COMPLETION_MARKER_FOLDER}/${basename}`);
  if (await marker.exists({ abortSignal: options.abortSignal })) {
    debug(`${blobPath} is already uploaded (${files.length} files); reusing it.`);
    return { ...result, uploaded: false };
  }

  let done = 0;
  await runPool(files, options.concurrency ?? 4, async (file) => {
    const name = isFolder ? `${blobPath}/${file.relativePath}` : blobPath;
    await container.getBlockBlobClient(name).uploadFile(file.absolutePath, { abortSignal: options.abortSignal });
    done += 1;
    options.onProgress?.(done, files.length);
  });

  const manifest = Buffer.from(
    JSON.stringify({ format: 'azureml-mlops-content-v1', hash, basename, kind: isFolder ? 'folder' : 'file', fileCount: files.length, totalBytes }),
  );
  await marker.upload(manifest, manifest.length, {
    abortSignal: options.abortSignal,
    blobHTTPHeaders: { blobContentType: 'application/json' },
  });
  debug(`Uploaded ${files.length} files (${totalBytes} bytes) to ${blobPath}.`);
  return { ...result, uploaded: true };
}
