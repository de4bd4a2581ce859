import * as fs from 'node:fs';
import * as path from 'node:path';

import { repositoryPath } from '../../support/repository';

/** A module of the task's tsc output (tests compile to tests/dist, the task to tasks/AzureMLBuildImage/dist). */
export function taskModule<T>(relative: string): T {
  return require(repositoryPath(`tasks/AzureMLBuildImage/dist/${relative}.js`)) as T;
}

/** Writes files (relative path -> content) into `folder`; returns it. */
export function writeFiles(folder: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(folder, ...name.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return folder;
}
