import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { bundle, esbuildPlugins } from './scripts';

const metafile = (...inputs: string[]) => ({ inputs: Object.fromEntries(inputs.map((i) => [i, {}])) });
const ctx = { taskName: 'AzureMLTrain', allTaskNames: ['AzureMLTrain', 'AzureMLEvaluate'], file: 'tasks/AzureMLTrain/src/index.ts' };

describe('bundle checks (scripts/lib/bundle.mjs)', function () {
  it('accepts a bundle with one task library and its own task only', function () {
    const m = metafile(
      'tasks/AzureMLTrain/src/index.ts',
      'shared/dist/index.js',
      'node_modules/azure-pipelines-task-lib/task.js',
      'node_modules/azure-pipelines-task-lib/internal.js',
      'node_modules/@azure/core-util/dist/commonjs/index.js',
    );
    assert.deepEqual(bundle.checkBundle(m, ctx), []);
  });

  it('rejects azure-pipelines-task-lib bundled from two package roots [task-lib-once]', function () {
    const m = metafile(
      'tasks/AzureMLTrain/src/index.ts',
      'node_modules/azure-pipelines-task-lib/task.js',
      'shared/node_modules/azure-pipelines-task-lib/task.js',
    );
    const problems = bundle.checkBundle(m, ctx);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.rule, 'task-lib-once');
    assert.equal(problems[0]?.file, ctx.file);
    assert.match(problems[0]?.message ?? '', /2 times.*shared\/node_modules\/azure-pipelines-task-lib/);
  });

  it("rejects a task that imports another task's folder [tasks-independent]", function () {
    const problems = bundle.checkBundle(metafile('tasks/AzureMLTrain/src/index.ts', 'tasks/AzureMLEvaluate/src/metrics.ts'), ctx);
    assert.deepEqual(problems.map((p) => p.rule), ['tasks-independent']);
    assert.match(problems[0]?.message ?? '', /tasks\/AzureMLEvaluate\/src\/metrics\.ts/);
  });

  it('rejects a package bundled as both its ESM and CommonJS builds [package-once]', function () {
    const m = metafile('node_modules/@azure/core-client/dist/esm/index.js', 'node_modules/@azure/core-client/dist/commonjs/index.js');
    assert.deepEqual(bundle.checkBundle(m, ctx).map((p) => p.rule), ['package-once']);
  });

  it('rejects a dynamic require the bundle cannot carry, but not the task library loading task.json [bundle-self-contained]', function () {
    const problems = bundle.checkBundle(metafile('tasks/AzureMLTrain/src/index.ts'), {
      ...ctx,
      dynamicRequires: [
        { file: 'node_modules/azure-pipelines-task-lib/internal.js', line: 129, text: 'var resourceJson = require(resourceFile);' },
        { file: 'node_modules/some-plugin-host/load.js', line: 7, text: 'require(pluginName)' },
      ],
    });
    assert.deepEqual(problems.map((p) => p.rule), ['bundle-self-contained']);
    assert.match(problems[0]?.message ?? '', /some-plugin-host\/load\.js:7/);
  });

  it('finds package roots, scoped and nested', function () {
    const roots = bundle.packageRoots(metafile('node_modules/a/index.js', 'node_modules/a/node_modules/@b/c/x/y.js', 'shared/dist/index.js'));
    assert.deepEqual([...(roots.get('@b/c') ?? [])], ['node_modules/a/node_modules/@b/c']);
    assert.deepEqual([...(roots.get('a') ?? [])], ['node_modules/a']);
    assert.equal(roots.size, 2);
  });
});

describe('esbuild plugins (scripts/lib/esbuild-plugins.mjs)', function () {
  let dir: string;

  /** A package laid out like shelljs 0.8: commands required in a loop, exec() running a file beside itself. */
  function writeShelljsLikePackage(root: string): void {
    const pkg = path.join(root, 'node_modules', 'shelljs');
    fs.mkdirSync(path.join(pkg, 'src'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'shelljs', version: '0.8.5', main: 'shell.js' }));
    fs.writeFileSync(
      path.join(pkg, 'shell.js'),
      "var common = require('./src/common');\nmodule.exports = common.shell;\nrequire('./commands').forEach(function (command) {\n  require('./src/' + command);\n});\n",
    );
    fs.writeFileSync(path.join(pkg, 'commands.js'), "module.exports = ['echo', 'exec'];\n");
    fs.writeFileSync(path.join(pkg, 'src', 'common.js'), 'exports.shell = {};\nexports.register = function (name, fn) { exports.shell[name] = fn; };\n');
    fs.writeFileSync(path.join(pkg, 'src', 'echo.js'), "require('./common').register('echo', function (s) { return 'echo:' + s; });\n");
    fs.writeFileSync(
      path.join(pkg, 'src', 'exec.js'),
      "var path = require('path');\nvar child = require('child_process');\nrequire('./common').register('exec', function (cmd) {\n  return child.execFileSync(process.execPath, [path.join(__dirname, 'exec-child.js'), cmd]).toString();\n});\n",
    );
    fs.writeFileSync(path.join(pkg, 'src', 'exec-child.js'), "console.log('child ran');\n");
    fs.writeFileSync(
      path.join(root, 'entry.js'),
      "const sh = require('shelljs');\nconsole.log(sh.echo('hi'));\ntry { sh.exec('x'); } catch (e) { console.log('exec: ' + e.message); }\n",
    );
  }

  async function bundleAndRun(plugins: esbuild.Plugin[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const outfile = path.join(dir, `out-${plugins.length}`, 'index.js');
    await esbuild.build({ entryPoints: [path.join(dir, 'entry.js')], bundle: true, platform: 'node', outfile, logLevel: 'silent', plugins });
    const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8' });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shelljs-plugin-'));
    writeShelljsLikePackage(dir);
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without the plugin, esbuild bundles shelljs silently and the bundle crashes at run time', async function () {
    const run = await bundleAndRun([]);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /Module not found in bundle: \.\/src\/echo/);
  });

  it('with the plugin, the command loop becomes literal requires and the bundle works', async function () {
    const run = await bundleAndRun([esbuildPlugins.shelljsPlugin() as esbuild.Plugin]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^echo:hi$/m);
  });

  it('with the plugin, shelljs exec() fails at once with a message saying what to use', async function () {
    const run = await bundleAndRun([esbuildPlugins.shelljsPlugin() as esbuild.Plugin]);
    assert.match(run.stdout, /exec: shelljs exec\(\) cannot run inside a bundled task .* use the task library tool runner/);
  });

  it('leaves a shell.js without the loop (shelljs 0.10) unchanged', function () {
    const source = "require('./src/cat');\nrequire('./src/cd');\n";
    assert.equal(esbuildPlugins.makeShelljsCommandRequiresStatic(source, dir), source);
  });

  it('resolves require() of dual-format packages to their ESM build (one copy per package, tree-shakeable)', async function () {
    const entry = path.join(dir, 'dual.ts');
    const pkg = path.join(dir, 'node_modules', 'dual');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: 'dual', exports: { '.': { import: './esm.mjs', require: './cjs.js' } } }),
    );
    fs.writeFileSync(path.join(pkg, 'esm.mjs'), "export const flavour = 'esm';\n");
    fs.writeFileSync(path.join(pkg, 'cjs.js'), "exports.flavour = 'cjs';\n");
    fs.writeFileSync(path.join(dir, 'cjs-user.js'), "module.exports = require('dual').flavour;\n");
    fs.writeFileSync(entry, "import { flavour } from 'dual';\nimport viaRequire = require('./cjs-user');\nconsole.log(flavour, viaRequire);\n");
    const build = (plugins: esbuild.Plugin[]) =>
      esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent', plugins });
    const inputs = async (plugins: esbuild.Plugin[]) => Object.keys((await build(plugins)).metafile.inputs).filter((i) => i.includes('node_modules/dual/'));
    assert.equal((await inputs([])).length, 2, 'without the plugin both builds are bundled');
    const withPlugin = await inputs([esbuildPlugins.preferModulePlugin() as esbuild.Plugin]);
    assert.equal(withPlugin.length, 1);
    assert.ok(withPlugin[0]?.endsWith('node_modules/dual/esm.mjs'), withPlugin[0]);
  });
});
