// esbuild plugins for task bundles.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/**
 * shelljs loads parts of itself in ways a bundler cannot follow. This transforms its files as esbuild loads them
 * (node_modules is never patched):
 * - shelljs <= 0.9 `shell.js` requires its commands in a loop (`require('./src/' + command)`): the loop becomes one
 *   literal require per command listed in its `commands.js`, so esbuild bundles them.
 * - `src/exec.js` runs `node <its folder>/exec-child.js`, a file a one-file bundle does not carry: exec() would fail
 *   with ENOENT in the middle of a task. It is made to fail at once with a message that says what to use instead.
 * azure-pipelines-task-lib 5 no longer uses shelljs, so today this only matters if a dependency brings shelljs in.
 */
export function shelljsPlugin() {
  return {
    name: 'shelljs-static-requires',
    setup(build) {
      build.onLoad({ filter: /[\\/]shelljs[\\/]shell\.js$/ }, async (args) => {
        const source = await fs.promises.readFile(args.path, 'utf8');
        return { contents: makeShelljsCommandRequiresStatic(source, path.dirname(args.path)), loader: 'js' };
      });
      build.onLoad({ filter: /[\\/]shelljs[\\/]src[\\/]exec\.js$/ }, async (args) => {
        const source = await fs.promises.readFile(args.path, 'utf8');
        return { contents: disableShelljsExecChild(source), loader: 'js' };
      });
    },
  };
}

const COMMAND_LOOP = /require\(\s*['"]\.\/commands(?:\.js)?['"]\s*\)\.forEach\(\s*function\s*\(\s*(\w+)\s*\)\s*\{\s*require\(\s*['"]\.\/src\/['"]\s*\+\s*\1\s*\)\s*;?\s*\}\s*\)\s*;?/;

/** shell.js source with the command loop replaced by literal requires (unchanged when there is no loop). */
export function makeShelljsCommandRequiresStatic(source, shelljsDir) {
  if (!COMMAND_LOOP.test(source)) return source;
  const commandsFile = path.join(shelljsDir, 'commands.js');
  // commands.js is a plain `module.exports = ['cat', 'cd', ...]` list.
  const commands = createRequire(import.meta.url)(commandsFile);
  if (!Array.isArray(commands) || commands.some((c) => typeof c !== 'string' || !/^[\w-]+$/.test(c))) {
    throw new Error(`${commandsFile} does not hold a list of command names: shelljs changed, update scripts/lib/esbuild-plugins.mjs`);
  }
  return source.replace(COMMAND_LOOP, commands.map((c) => `require('./src/${c}');`).join('\n'));
}

const EXEC_CHILD_PATH = /path\.join\(\s*__dirname\s*,\s*['"]exec-child\.js['"]\s*\)/;

export function disableShelljsExecChild(source) {
  return source.replace(
    EXEC_CHILD_PATH,
    `(function () { throw new Error('shelljs exec() cannot run inside a bundled task (its exec-child.js is not shipped); use the task library tool runner (tl.tool) instead'); })()`,
  );
}

/**
 * Resolves `require()` of packages the way `import` resolves them, so that packages shipping an ESM and a CommonJS
 * build (@azure/*, msal) are bundled once, as ESM: one copy (an `instanceof RestError` or a log level set on one copy
 * would not see the other) that esbuild can tree-shake (about 15 % of a task bundle). A package without an ESM build
 * resolves as before.
 */
export function preferModulePlugin() {
  return {
    name: 'prefer-module-build',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'require-call' || args.pluginData?.preferModule) return undefined;
        const result = await build.resolve(args.path, {
          kind: 'import-statement',
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: { preferModule: true },
        });
        // Not resolvable as an import (e.g. an `exports` map with a `require` condition only): leave it to esbuild.
        return result.errors.length > 0 ? undefined : result;
      });
    },
  };
}

/**
 * Bundles a workspace package (`@azureml-mlops/shared`) from its TypeScript sources rather than its tsc output, so
 * its imports are ESM imports like the task's own and tree-shaking reaches through it.
 * @param {Record<string, string>} sources package name -> absolute path of its src/index.ts
 */
export function workspaceSourcesPlugin(sources) {
  const names = Object.keys(sources);
  const filter = new RegExp(`^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'workspace-sources',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: sources[args.path] }));
    },
  };
}
