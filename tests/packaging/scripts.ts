import path from 'node:path';
import type * as BuildTasks from '../../scripts/lib/build-tasks.mjs';
import type * as Bundle from '../../scripts/lib/bundle.mjs';
import type * as EsbuildPlugins from '../../scripts/lib/esbuild-plugins.mjs';
import type * as ExtensionManifest from '../../scripts/lib/extension-manifest.mjs';
import type * as OutputScan from '../../scripts/lib/output-scan.mjs';
import type * as PackageExtension from '../../scripts/lib/package-extension.mjs';
import type * as Png from '../../scripts/lib/png.mjs';
import type * as TaskRules from '../../scripts/lib/task-rules.mjs';
import type * as TaskSchema from '../../scripts/lib/task-schema.mjs';
import type * as TfxOutput from '../../scripts/lib/tfx-output.mjs';
import type * as Version from '../../scripts/lib/version.mjs';

/** The repository root (this file runs from tests/dist/packaging). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The build scripts' modules (ES modules, loaded with Node's require(esm)), typed by their .d.mts files. */
function load<T>(file: string): T {
  return require(path.join(repoRoot, 'scripts', 'lib', file)) as T;
}

export const buildTasks = load<typeof BuildTasks>('build-tasks.mjs');
export const bundle = load<typeof Bundle>('bundle.mjs');
export const esbuildPlugins = load<typeof EsbuildPlugins>('esbuild-plugins.mjs');
export const extensionManifest = load<typeof ExtensionManifest>('extension-manifest.mjs');
export const outputScan = load<typeof OutputScan>('output-scan.mjs');
export const packageExtension = load<typeof PackageExtension>('package-extension.mjs');
export const png = load<typeof Png>('png.mjs');
export const taskRules = load<typeof TaskRules>('task-rules.mjs');
export const taskSchema = load<typeof TaskSchema>('task-schema.mjs');
export const tfxOutput = load<typeof TfxOutput>('tfx-output.mjs');
export const version = load<typeof Version>('version.mjs');

/** ../shared/schemas/tasks.schema.json, present when the team's shared folder sits beside the repository. */
export const taskSchemaPath = path.resolve(repoRoot, '..', 'shared', 'schemas', 'tasks.schema.json');
