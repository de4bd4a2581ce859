import fs from 'node:fs';
import path from 'node:path';

/** The repository root: the first folder upwards from here holding vss-extension.json (tests run from tests/dist). */
export const REPOSITORY_ROOT = ((): string => {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    if (fs.existsSync(path.join(folder, 'vss-extension.json'))) return folder;
    if (path.dirname(folder) === folder) throw new Error(`no vss-extension.json above ${__dirname}: run the tests from the repository`);
  }
})();

/** A file or folder of the repository, by its path from the repository root. */
export function repositoryPath(relative: string): string {
  return path.join(REPOSITORY_ROOT, relative);
}
