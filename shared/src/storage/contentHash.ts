import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

import { LocalFile } from './fileSet';

/**
 * Content hash of a file or folder, the name of its upload folder (LocalUpload/<hash>/…).
 *
 * sha256 over, in order:
 *   `azureml-mlops-content-v1\n`, then `file\n` or `folder\n`, then for each file sorted by relative path
 *   (UTF-16 code-unit order, '/' separators; a single file's relative path is its base name):
 *   `<relative path>\0<size in bytes, decimal>\0<contents>`.
 * Sizes make the framing unambiguous; the version line lets the format change without collisions.
 * The same files give the same hash on any OS; renaming, adding, removing or editing a file changes it.
 */
export async function contentHash(kind: 'file' | 'folder', files: readonly LocalFile[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`azureml-mlops-content-v1\n${kind}\n`);
  const sorted = [...files].sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
  for (const file of sorted) {
    hash.update(`${file.relativePath}\0${file.size}\0`);
    let read = 0;
    for await (const chunk of fs.createReadStream(file.absolutePath)) {
      const bytes = chunk as Buffer;
      read += bytes.length;
      hash.update(bytes);
    }
    if (read !== file.size) {
      throw new Error(`The file ${file.absolutePath} changed while it was being read (${file.size} bytes expected, ${read} read).`);
    }
  }
  return hash.digest('hex');
}
