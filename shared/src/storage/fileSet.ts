import * as fs from 'node:fs';
import * as path from 'node:path';

import ignore, { Ignore } from 'ignore';

/** A file to upload: path relative to the uploaded folder (always '/'-separated) and its size. */
export interface LocalFile {
  readonly relativePath: string;
  readonly absolutePath: string;
  readonly size: number;
}

/** Ignore files, by precedence: in each folder `.amlignore` if present, else `.gitignore` (as Azure ML does). */
export const IGNORE_FILE_NAMES = ['.amlignore', '.gitignore'] as const;

/** Folders never uploaded: version-control metadata is not code. */
const ALWAYS_SKIPPED_FOLDERS = new Set(['.git']);

interface ScopedIgnore {
  /** Folder of the ignore file, relative to the root ('' for the root). */
  readonly base: string;
  readonly rules: Ignore;
}

/**
 * Git's rule for nested ignore files: every ignore file applies to its own folder and below, with paths relative
 * to that folder; a deeper file can re-include (`!pattern`) what a shallower one excluded. The last file with an
 * opinion wins.
 */
function isIgnored(relativePath: string, isFolder: boolean, scopes: readonly ScopedIgnore[]): boolean {
  let ignored = false;
  for (const scope of scopes) {
    const local = scope.base === '' ? relativePath : relativePath.slice(scope.base.length + 1);
    const result = scope.rules.test(isFolder ? `${local}/` : local);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

function readIgnoreFile(folder: string): string | undefined {
  for (const name of IGNORE_FILE_NAMES) {
    const candidate = path.join(folder, name);
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return fs.readFileSync(candidate, 'utf8');
  }
  return undefined;
}

/**
 * The files of `folder` to upload, sorted by relative path: `.amlignore`/`.gitignore` rules applied (nested ones
 * too), `.git` skipped, symbolic links followed (a link cycle is visited once).
 */
export function listFolderFiles(folder: string): LocalFile[] {
  const files: LocalFile[] = [];
  const visited = new Set<string>();

  const walk = (absolute: string, relative: string, inherited: readonly ScopedIgnore[]): void => {
    const real = fs.realpathSync(absolute);
    if (visited.has(real)) return;
    visited.add(real);
    const ignoreText = readIgnoreFile(absolute);
    const scopes = ignoreText === undefined ? inherited : [...inherited, { base: relative, rules: ignore().add(ignoreText) }];
    const entries = fs.readdirSync(absolute).sort();
    for (const name of entries) {
      const childAbsolute = path.join(absolute, name);
      const childRelative = relative === '' ? name : `${relative}/${name}`;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(childAbsolute);
      } catch {
        continue; // A dangling symbolic link: nothing to upload.
      }
      if (stat.isDirectory()) {
        if (ALWAYS_SKIPPED_FOLDERS.has(name)) continue;
        if (isIgnored(childRelative, true, scopes)) continue;
        walk(childAbsolute, childRelative, scopes);
      } else if (stat.isFile()) {
        if (isIgnored(childRelative, false, scopes)) continue;
        files.push({ relativePath: childRelative, absolutePath: childAbsolute, size: stat.size });
      }
    }
  };

  walk(folder, '', []);
  return files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
}
