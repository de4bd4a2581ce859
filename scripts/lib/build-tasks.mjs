// `npm run build`: type-check everything, bundle every task, stage build/extension/tasks/<Task>/ and check it all.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { bundleTask, checkBundle, packageRoots } from './bundle.mjs';
import { checkExtensionManifest } from './extension-manifest.mjs';
import { findOutputsSetInCode } from './output-scan.mjs';
import {
  architectureDocPath, extensionManifestPath, metafilesRoot, rel, repoRoot, stagedTasksRoot, taskSchemaPath, tasksRoot,
} from './paths.mjs';
import { readPngSize } from './png.mjs';
import { BuildFailure, problem } from './problems.mjs';
import { checkTaskIdsUnique, checkTaskManifest, readPublishedIds } from './task-rules.mjs';
import { loadTaskSchema } from './task-schema.mjs';
import { discoverTasks, readJson } from './tasks.mjs';
import { parseVersion, stampTaskVersion } from './version.mjs';

/** The only files a packaged task folder holds. */
export const STAGED_TASK_FILES = ['icon.png', 'index.js', 'lib.json', 'task.json'];
export const TASK_ICON_SIZE = 32;

const require = createRequire(import.meta.url);

export function extensionVersion() {
  const { version } = readJson(path.join(repoRoot, 'package.json'));
  parseVersion(version);
  return version;
}

/** `tsc -b` of the root tsconfig.json (every project, tests included). */
export function typeCheck() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [repoRoot] });
  const result = spawnSync(process.execPath, [tsc, '-b', path.join(repoRoot, 'tsconfig.json')], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new BuildFailure('Build failed: TypeScript reported errors (above).');
}

/**
 * Bundles and stages every task, then runs every check. Throws a BuildFailure listing all problems.
 * @returns {Promise<{ name: string, version: string, bundleBytes: number }[]>}
 */
export async function buildTasks({ log = console.log } = {}) {
  const version = extensionVersion();
  const tasks = discoverTasks();
  for (const folder of foldersWithoutTaskJson()) log(`tasks/${folder} has no task.json yet: not built.`);
  if (tasks.length === 0) throw new BuildFailure('Build failed: no task folder (tasks/<Task>/task.json) found.');

  const schema = loadTaskSchema(taskSchemaPath);
  if ('skipped' in schema) log(`task.json schema validation skipped: ${schema.skipped}.`);
  const publishedIds = readPublishedIds(architectureDocPath);
  const allTaskNames = tasks.map((t) => t.name);

  fs.rmSync(stagedTasksRoot, { recursive: true, force: true });
  fs.rmSync(metafilesRoot, { recursive: true, force: true });
  fs.mkdirSync(metafilesRoot, { recursive: true });

  const problems = [];
  const manifests = [];
  const summary = [];
  await Promise.all(
    tasks.map(async (task) => {
      const file = rel(task.taskJsonPath);
      const stagedDir = path.join(stagedTasksRoot, task.name);
      fs.mkdirSync(stagedDir, { recursive: true });

      let taskJson;
      try {
        taskJson = readJson(task.taskJsonPath);
      } catch (err) {
        problems.push(problem('task-json-parse', file, `cannot be read as JSON: ${err.message}`));
        return;
      }
      const staged = stampTaskVersion(taskJson, version);
      fs.writeFileSync(path.join(stagedDir, 'task.json'), `${JSON.stringify(staged, null, 2)}\n`);
      manifests.push({ task: staged, file });

      if (fs.existsSync(task.iconPath)) {
        const size = readPngSize(fs.readFileSync(task.iconPath));
        if (!size) problems.push(problem('icon', rel(task.iconPath), 'is not a PNG file'));
        else if (size.width !== TASK_ICON_SIZE || size.height !== TASK_ICON_SIZE) {
          problems.push(problem('icon', rel(task.iconPath), `is ${size.width}x${size.height}; task icons are ${TASK_ICON_SIZE}x${TASK_ICON_SIZE}`));
        }
        fs.copyFileSync(task.iconPath, path.join(stagedDir, 'icon.png'));
      } else {
        problems.push(problem('icon', rel(task.iconPath), 'is missing: every task folder has a 32x32 icon.png'));
      }

      if (!fs.existsSync(task.entryPoint)) {
        problems.push(problem('entry-point', rel(task.entryPoint), 'is missing: a task is bundled from src/index.ts'));
      } else {
        try {
          const { metafile, dynamicRequires } = await bundleTask({
            entryPoint: task.entryPoint,
            outfile: path.join(stagedDir, 'index.js'),
            absWorkingDir: repoRoot,
            extensionVersion: version,
          });
          fs.writeFileSync(path.join(metafilesRoot, `${task.name}.json`), JSON.stringify(metafile));
          problems.push(...checkBundle(metafile, { taskName: task.name, allTaskNames, file: rel(task.entryPoint), dynamicRequires }));
          copyTaskLibResources(metafile, stagedDir);
          summary.push({ name: task.name, version: `${staged.version?.Major}.${staged.version?.Minor}.${staged.version?.Patch}`, bundleBytes: fs.statSync(path.join(stagedDir, 'index.js')).size });
        } catch (err) {
          const detail = Array.isArray(err.errors) && err.errors.length > 0
            ? err.errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('; ')
            : err.message;
          problems.push(problem('bundle', rel(task.entryPoint), `esbuild could not bundle it: ${detail}`));
        }
      }

      if ('validate' in schema) problems.push(...schema.validate(staged, file));
      problems.push(
        ...checkTaskManifest(staged, {
          file,
          folderName: task.name,
          stagedDir,
          outputsSetInCode: findOutputsSetInCode(path.join(task.dir, 'src')),
          publishedIds,
        }),
      );
    }),
  );
  problems.push(...checkTaskIdsUnique(manifests));
  for (const task of tasks) {
    const extra = fs.readdirSync(path.join(stagedTasksRoot, task.name)).filter((f) => !STAGED_TASK_FILES.includes(f));
    if (extra.length > 0) problems.push(problem('staged-files', rel(task.taskJsonPath), `the packaged folder would also hold ${extra.join(', ')}`));
  }

  problems.push(...checkTasksTypeChecked(allTaskNames, path.join(repoRoot, 'tsconfig.json'), tasksRoot));

  if (fs.existsSync(extensionManifestPath)) {
    problems.push(...checkExtensionManifest(readJson(extensionManifestPath), allTaskNames, rel(extensionManifestPath)));
  } else {
    problems.push(problem('extension-manifest', rel(extensionManifestPath), 'is missing'));
  }

  if (problems.length > 0) {
    problems.sort((a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule));
    throw new BuildFailure(`Build failed: ${problems.length} problem(s) found (listed above).`, problems);
  }
  return summary.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * esbuild strips types without checking them, so a task is only type-checked if `tsc -b` of the root tsconfig.json
 * reaches it: each task folder has a tsconfig.json and is in the root references.
 */
export function checkTasksTypeChecked(taskNames, rootConfig, tasksDir) {
  // tsconfig files may hold comments: read them with TypeScript's own parser.
  const ts = require(require.resolve('typescript', { paths: [repoRoot] }));
  const { config, error } = ts.parseConfigFileTextToJson(rootConfig, fs.readFileSync(rootConfig, 'utf8'));
  if (error) return [problem('type-checked', 'tsconfig.json', `cannot be read: ${ts.flattenDiagnosticMessageText(error.messageText, ' ')}`)];
  const configDir = path.dirname(rootConfig);
  const references = new Set((config.references ?? []).map((r) => path.normalize(path.resolve(configDir, String(r.path ?? '')))));
  const problems = [];
  for (const name of taskNames) {
    const dir = path.join(tasksDir, name);
    if (!fs.existsSync(path.join(dir, 'tsconfig.json'))) {
      problems.push(problem('type-checked', `tasks/${name}/tsconfig.json`, 'is missing: the task would be bundled without being type-checked'));
    } else if (!references.has(path.normalize(dir))) {
      problems.push(problem('type-checked', 'tsconfig.json', `references does not include { "path": "tasks/${name}" }: \`tsc -b\` would not type-check the task`));
    }
  }
  return problems;
}

function foldersWithoutTaskJson() {
  if (!fs.existsSync(tasksRoot)) return [];
  return fs
    .readdirSync(tasksRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !fs.existsSync(path.join(tasksRoot, e.name, 'task.json')))
    .map((e) => e.name)
    .sort();
}

/**
 * lib.json of the task library the bundle uses. azure-pipelines-task-lib 5 embeds these strings (lib-resource.js),
 * but older releases load lib.json from beside their code at run time, i.e. beside index.js once bundled; shipping it
 * keeps a task working whichever task-lib release it is built with.
 */
function copyTaskLibResources(metafile, stagedDir) {
  const roots = [...(packageRoots(metafile).get('azure-pipelines-task-lib') ?? [])];
  const root = roots.length > 0
    ? path.join(repoRoot, roots[0])
    : path.dirname(require.resolve('azure-pipelines-task-lib/package.json', { paths: [repoRoot] }));
  fs.copyFileSync(path.join(root, 'lib.json'), path.join(stagedDir, 'lib.json'));
}
