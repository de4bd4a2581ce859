// `npm run package`: stage build/extension/ around the built tasks and run tfx offline to write the .vsix.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { stageManifest } from './extension-manifest.mjs';
import { buildRoot, devOverridesPath, extensionManifestPath, repoRoot, stagedTasksRoot, stagingRoot } from './paths.mjs';
import { BuildFailure } from './problems.mjs';
import { findTfxWarnings } from './tfx-output.mjs';
import { readJson } from './tasks.mjs';

const require = createRequire(import.meta.url);

/** The user-facing part of README.md (between these markers) is the marketplace overview page. */
export const OVERVIEW_START = '<!-- overview:start -->';
export const OVERVIEW_END = '<!-- overview:end -->';

export function extractOverview(readme) {
  const start = readme.indexOf(OVERVIEW_START);
  const end = readme.indexOf(OVERVIEW_END);
  if (start < 0 || end < start) {
    throw new BuildFailure(`Packaging failed: README.md must mark the marketplace overview with ${OVERVIEW_START} ... ${OVERVIEW_END}.`);
  }
  return `${readme.slice(start + OVERVIEW_START.length, end).trim()}\n`;
}

/**
 * A private (dev) build must be installable next to the public extension in the same organization, so its tasks
 * get other ids (derived from the dev extension's identity and the public id: stable from build to build) and a
 * "(dev)" mark in their friendly name.
 */
export function devTaskVariant(task, devExtensionKey) {
  const hash = crypto.createHash('sha1').update(`${devExtensionKey}:${String(task.id).toLowerCase()}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50; // UUID version 5 layout
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const friendlyName = `${task.friendlyName} (dev)`.slice(0, 40);
  return { ...task, id, friendlyName };
}

/**
 * Stages the manifest, overview, LICENSE and images next to the built tasks (build/extension/tasks must exist: run
 * the build first), then packages. Throws a BuildFailure on any tfx warning or error.
 * @returns {Promise<{ vsixPath: string, bytes: number, tfxOutput: string }>}
 */
export async function packageExtension({ dev = false, version, log = console.log }) {
  if (!fs.existsSync(stagedTasksRoot)) throw new BuildFailure('Packaging failed: build/extension/tasks is missing; run `npm run build` first.');
  const manifest = readJson(extensionManifestPath);
  const overrides = dev ? readJson(devOverridesPath) : {};
  const identity = { ...manifest, ...overrides };

  // Start from the built tasks only: everything else in the staging folder is written again below.
  for (const entry of fs.readdirSync(stagingRoot)) {
    if (entry !== 'tasks') fs.rmSync(path.join(stagingRoot, entry), { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(stagingRoot, 'vss-extension.json'), `${JSON.stringify(stageManifest(manifest, version), null, 2)}\n`);
  fs.writeFileSync(path.join(stagingRoot, 'overview.md'), extractOverview(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8')));
  fs.copyFileSync(path.join(repoRoot, 'LICENSE'), path.join(stagingRoot, 'LICENSE'));
  fs.cpSync(path.join(repoRoot, 'images'), path.join(stagingRoot, 'images'), { recursive: true });

  // A dev build packages its own copy of the tasks (other ids), leaving build/extension/tasks as built.
  let root = stagingRoot;
  if (dev) {
    root = path.join(buildRoot, 'extension-dev');
    fs.rmSync(root, { recursive: true, force: true });
    fs.cpSync(stagingRoot, root, { recursive: true });
    for (const name of fs.readdirSync(path.join(root, 'tasks'))) {
      const file = path.join(root, 'tasks', name, 'task.json');
      const task = devTaskVariant(readJson(file), `${identity.publisher}.${identity.id}`);
      fs.writeFileSync(file, `${JSON.stringify(task, null, 2)}\n`);
    }
  }

  const vsixPath = path.join(buildRoot, `${identity.publisher}.${identity.id}-${version}.vsix`);
  const { bytes, tfxOutput } = await createVsix({ root, vsixPath, overridesFile: dev ? devOverridesPath : undefined, log });
  return { vsixPath, bytes, tfxOutput };
}

/**
 * `tfx extension create` of a staged folder (offline: create never calls the marketplace). Fails, and leaves no
 * .vsix behind, when tfx exits non-zero or prints any warning.
 * @param {{ root: string, vsixPath: string, overridesFile?: string, log?: (line: string) => void }} options
 */
export async function createVsix({ root, vsixPath, overridesFile, log = console.log }) {
  fs.rmSync(vsixPath, { force: true });
  const args = [
    'extension', 'create',
    '--root', root,
    '--manifest-globs', 'vss-extension.json',
    '--output-path', vsixPath,
    '--no-prompt', '--no-color',
  ];
  if (overridesFile) args.push('--overrides-file', overridesFile);
  log(`tfx ${args.join(' ')}`);
  const { code, output } = await runTfx(args);
  const warnings = findTfxWarnings(output);
  if (code !== 0 || warnings.length > 0 || !fs.existsSync(vsixPath)) {
    fs.rmSync(vsixPath, { force: true });
    const reason = warnings.length > 0 ? `tfx warned:\n${warnings.join('\n')}` : `tfx failed (exit code ${code}):\n${output.trim()}`;
    throw new BuildFailure(`Packaging failed: ${reason}`);
  }
  return { bytes: fs.statSync(vsixPath).size, tfxOutput: output };
}

/** tfx-cli from node_modules, run with this node; stdout and stderr collected together, in order. */
function runTfx(args) {
  const tfx = path.join(path.dirname(require.resolve('tfx-cli/package.json', { paths: [repoRoot] })), '_build', 'tfx-cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tfx, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
