/**
 * The build context as the .tar.gz ACR Tasks downloads: written once to a file (it is uploaded from there), with the
 * sha256 of its uncompressed tar bytes. The archive is deterministic (entries sorted by path, time 0, owner 0, mode
 * 0644 or 0755 as the file is executable or not), so the same files give the same hash on any agent and any day.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { pack } from 'tar-stream';

export type ArchiveEntry =
  | { readonly archivePath: string; readonly executable: boolean; readonly kind: 'file'; readonly absolutePath: string; readonly size: number }
  | { readonly archivePath: string; readonly executable: boolean; readonly kind: 'bytes'; readonly data: Buffer };

export interface WrittenArchive {
  readonly file: string;
  /** sha256 (hex) of the uncompressed tar stream. */
  readonly tarSha256: string;
  readonly tarBytes: number;
  readonly gzipBytes: number;
  readonly fileCount: number;
}

const EPOCH = new Date(0);

export async function writeContextArchive(entries: readonly ArchiveEntry[], file: string, signal?: AbortSignal): Promise<WrittenArchive> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sorted = [...entries].sort((a, b) => (a.archivePath < b.archivePath ? -1 : a.archivePath > b.archivePath ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.archivePath === sorted[i - 1]!.archivePath) throw new Error(`The build context would hold '${sorted[i]!.archivePath}' twice.`);
  }
  const tar = pack();
  const hash = createHash('sha256');
  let tarBytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      tarBytes += chunk.length;
      callback(null, chunk);
    },
  });
  const written = pipeline(tar, hasher, createGzip({ level: 6 }), fs.createWriteStream(file), ...(signal ? [{ signal }] : []));
  written.catch(() => undefined);
  try {
    for (const entry of sorted) {
      signal?.throwIfAborted();
      const header = { name: entry.archivePath, mode: entry.executable ? 0o755 : 0o644, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '', type: 'file' as const };
      if (entry.kind === 'bytes') {
        await new Promise<void>((resolve, reject) => tar.entry({ ...header, size: entry.data.length }, entry.data, (error) => (error ? reject(error) : resolve())));
      } else {
        const stream = tar.entry({ ...header, size: entry.size });
        try {
          await pipeline(fs.createReadStream(entry.absolutePath), stream);
        } catch (error) {
          throw new Error(`${entry.absolutePath} could not be added to the build context (did it change while the task read it?): ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    tar.finalize();
    await written;
  } catch (error) {
    tar.destroy();
    await written.catch(() => undefined);
    throw error;
  }
  return { file, tarSha256: hash.digest('hex'), tarBytes, gzipBytes: fs.statSync(file).size, fileCount: sorted.length };
}
