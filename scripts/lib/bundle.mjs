// One esbuild bundle per task, and the checks on what went into it (from esbuild's metafile).
import path from 'node:path';
import esbuild from 'esbuild';
import { preferModulePlugin, shelljsPlugin, workspaceSourcesPlugin } from './esbuild-plugins.mjs';
import { problem } from './problems.mjs';

/**
 * Dynamic requires esbuild cannot bundle but that are safe because the file they load ships next to the bundle.
 * Key: metafile path suffix; value: why it is safe.
 */
const ALLOWED_DYNAMIC_REQUIRES = {
  'node_modules/azure-pipelines-task-lib/internal.js': 'loads the task.json passed to setResourcePath, shipped beside index.js',
};

/**
 * @param {{ entryPoint: string, outfile: string, absWorkingDir: string, extensionVersion: string }} options
 *   extensionVersion: compiled in for the user agent (shared/src/pipeline/taskIdentity.ts)
 * @returns {Promise<{ metafile: import('esbuild').Metafile, dynamicRequires: { file: string, line: number, text: string }[] }>}
 */
export async function bundleTask({ entryPoint, outfile, absWorkingDir, extensionVersion }) {
  const result = await esbuild.build({
    absWorkingDir,
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    // ESM builds first: tree-shakeable (see preferModulePlugin).
    mainFields: ['module', 'main'],
    // Third-party license comments are kept, at the end of the file.
    legalComments: 'eof',
    metafile: true,
    sourcemap: false,
    logLevel: 'silent',
    // Surface `require(variable)`: such a require needs a file the one-file bundle may not carry.
    logOverride: { 'unsupported-require-call': 'warning', 'unsupported-dynamic-import': 'warning' },
    define: {
      AZUREML_MLOPS_EXTENSION_VERSION: JSON.stringify(extensionVersion),
      // ESM builds call createRequire(import.meta.url); in this CommonJS bundle it is the bundle's own URL.
      'import.meta.url': '__bundleFileUrl',
    },
    banner: { js: 'var __bundleFileUrl = require("url").pathToFileURL(__filename).href;' },
    plugins: [
      workspaceSourcesPlugin({ '@azureml-mlops/shared': path.join(absWorkingDir, 'shared/src/index.ts') }),
      preferModulePlugin(),
      shelljsPlugin(),
    ],
  });
  const dynamicRequires = result.warnings
    .filter((w) => w.id === 'unsupported-require-call' || w.id === 'unsupported-dynamic-import')
    .map((w) => ({ file: w.location?.file ?? '?', line: w.location?.line ?? 0, text: (w.location?.lineText ?? '').trim() }));
  const otherWarnings = result.warnings.filter((w) => !dynamicRequires.some((d) => d.file === w.location?.file && d.line === w.location?.line));
  if (otherWarnings.length > 0) {
    const formatted = await esbuild.formatMessages(otherWarnings, { kind: 'warning', color: false });
    process.stdout.write(formatted.join(''));
  }
  return { metafile: result.metafile, dynamicRequires };
}

/**
 * Package root of every bundled input: `node_modules/a/node_modules/@b/c/x.js` -> `node_modules/a/node_modules/@b/c`.
 * @returns {Map<string, Set<string>>} package name -> package roots
 */
export function packageRoots(metafile) {
  const roots = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const root = packageRootOf(input);
    if (!root) continue;
    const name = root.slice(root.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!roots.has(name)) roots.set(name, new Set());
    roots.get(name).add(root);
  }
  return roots;
}

function packageRootOf(input) {
  const normalized = input.split(path.sep).join('/');
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(normalized);
  return match ? match[1] : undefined;
}

/**
 * Checks on a task bundle's metafile.
 * @param {import('esbuild').Metafile} metafile
 * @param {{ taskName: string, allTaskNames: string[], file: string,
 *           dynamicRequires?: { file: string, line: number, text: string }[] }} ctx  file: shown in messages
 */
export function checkBundle(metafile, ctx) {
  const problems = [];
  const report = (rule, message) => problems.push(problem(rule, ctx.file, message));
  const inputs = Object.keys(metafile.inputs).map((i) => i.split(path.sep).join('/'));

  const taskLibRoots = packageRoots(metafile).get('azure-pipelines-task-lib') ?? new Set();
  if (taskLibRoots.size > 1) {
    report('task-lib-once', `the bundle holds azure-pipelines-task-lib ${taskLibRoots.size} times (${[...taskLibRoots].join(', ')}): secrets and variables break with two copies; make every package use the root one (it is a peerDependency of shared)`);
  }

  // A package root bundled both as its ESM and its CommonJS build (see preferModulePlugin).
  const flavours = new Map();
  for (const input of inputs) {
    // @azure/core-* ESM builds import their CommonJS `state` module on purpose, so that both builds share one state.
    if (/\/dist\/commonjs\/state(-cjs)?\.js$/.test(input)) continue;
    const root = packageRootOf(input);
    const flavour = /\/(dist-esm|dist\/esm|dist\/browser)\//.test(input) ? 'esm' : /\/dist\/(commonjs|cjs)\/|\/dist\/index\.js$/.test(input) ? 'cjs' : undefined;
    if (!root || !flavour) continue;
    if (!flavours.has(root)) flavours.set(root, new Set());
    flavours.get(root).add(flavour);
  }
  for (const [root, kinds] of flavours) {
    if (kinds.size > 1) report('package-once', `${root} is bundled twice, as its ESM and its CommonJS build`);
  }

  for (const input of inputs) {
    const other = /^tasks\/([^/]+)\//.exec(input)?.[1];
    if (other && other !== ctx.taskName) {
      report('tasks-independent', `the bundle includes ${input}: a task never imports another task's folder (move shared code to shared/)`);
    }
  }

  for (const d of ctx.dynamicRequires ?? []) {
    const allowed = Object.keys(ALLOWED_DYNAMIC_REQUIRES).some((suffix) => d.file.split(path.sep).join('/').endsWith(suffix));
    if (!allowed) {
      report('bundle-self-contained', `${d.file}:${d.line} \`${d.text}\` is a require esbuild cannot follow: the packaged task would miss the module it loads`);
    }
  }
  return problems;
}
