// Where things live. Every script resolves paths from here so they work from any cwd.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const tasksRoot = path.join(repoRoot, 'tasks');
export const buildRoot = path.join(repoRoot, 'build');
/** The folder tfx packages: manifest, images, overview, LICENSE, tasks/<Task>/{task.json,icon.png,index.js,lib.json}. */
export const stagingRoot = path.join(buildRoot, 'extension');
export const stagedTasksRoot = path.join(stagingRoot, 'tasks');
/** esbuild metafiles of the task bundles (kept for the checks and `npm run bench`; never shipped). */
export const metafilesRoot = path.join(buildRoot, 'meta');
export const extensionManifestPath = path.join(repoRoot, 'vss-extension.json');
export const devOverridesPath = path.join(repoRoot, 'configs', 'dev.json');
export const architectureDocPath = path.join(repoRoot, 'docs', 'architecture.md');
/** The task.json schema lives in the team's shared folder beside the repository (never copied into it). */
export const taskSchemaPath = path.resolve(repoRoot, '..', 'shared', 'schemas', 'tasks.schema.json');

/** Repository-relative path with forward slashes, for messages. */
export function rel(p) {
  return path.relative(repoRoot, p).split(path.sep).join('/');
}
