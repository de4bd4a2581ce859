import { gunzipSync } from 'node:zlib';
import { posix } from 'node:path';
import ignore from '@balena/dockerignore';
import { extract } from 'tar-stream';

/** A build context as ACR's build agent sees it after downloading and unpacking the uploaded archive. */
export interface BuildContext {
  /** Every regular file, by its path relative to the context root ('/'-separated, no leading './'). */
  readonly files: ReadonlyMap<string, Buffer>;
  /** Folders named by the archive or implied by a file inside them. */
  readonly folders: ReadonlySet<string>;
  /** The uncompressed archive, the input of the digest. */
  readonly tarBytes: Buffer;
}

/** Unpacks a .tar.gz (or plain .tar) build context; throws with a message in Docker's words when it cannot. */
export async function unpackContext(archive: Buffer): Promise<BuildContext> {
  let tarBytes: Buffer;
  try {
    tarBytes = archive.length >= 2 && archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  } catch (error) {
    throw new Error(`unable to prepare context: the source archive is not a valid gzip stream (${error instanceof Error ? error.message : String(error)})`);
  }
  const files = new Map<string, Buffer>();
  const folders = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    const parser = extract();
    parser.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        const name = normalizeEntry(header.name);
        if (name) {
          if (header.type === 'directory') folders.add(name);
          else if (header.type === 'file' || header.type === 'contiguous-file') files.set(name, Buffer.concat(chunks));
          for (let parent = posix.dirname(name); parent !== '.' && parent !== '/'; parent = posix.dirname(parent)) folders.add(parent);
        }
        next();
      });
      stream.on('error', reject);
    });
    parser.on('finish', () => resolve());
    parser.on('error', (error: Error) => reject(new Error(`unable to prepare context: the source archive cannot be read as tar (${error.message})`)));
    parser.end(tarBytes);
  });
  return { files, folders, tarBytes };
}

function normalizeEntry(name: string): string {
  return posix.normalize(name.replace(/\\/g, '/')).replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.$/, '');
}

/**
 * The paths COPY and ADD may read: `.dockerignore` at the context root applies (as for `docker build`), in Docker's
 * own matching rules; the Dockerfile and `.dockerignore` are sent anyway but, when matched, are not copied either.
 */
export function copyableFiles(context: BuildContext): ReadonlySet<string> {
  const rules = context.files.get('.dockerignore')?.toString('utf8');
  if (rules === undefined) return new Set(context.files.keys());
  const matcher = ignore().add(
    rules
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return new Set([...context.files.keys()].filter((file) => !matcher.ignores(file)));
}
