import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { buildTasks, bundle, packageExtension, png, repoRoot, tfxOutput } from './scripts';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON read back from the package */

/** Runs `node scripts/package.mjs <args>` (bundles, checks, packages; the type check already ran in `npm test`). */
function runPackaging(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--skip-typecheck', ...args], { cwd: repoRoot });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`scripts/package.mjs ${args.join(' ')} failed (${code}):\n${output}`))));
  });
}

function vsixPathFrom(output: string): string {
  const match = /^Packaged (\S+\.vsix)/m.exec(output);
  assert.ok(match?.[1], `no "Packaged ..." line in:\n${output}`);
  return path.join(repoRoot, match[1]);
}

const readJson = (file: string): any => JSON.parse(fs.readFileSync(file, 'utf8'));

describe('the packaged extension (.vsix)', function () {
  this.timeout(180_000);

  const packageVersion: string = readJson(path.join(repoRoot, 'package.json')).version;
  const [, minor, patch] = packageVersion.split('.').map(Number);
  const taskNames = fs
    .readdirSync(path.join(repoRoot, 'tasks'))
    .filter((name) => fs.existsSync(path.join(repoRoot, 'tasks', name, 'task.json')))
    .sort();
  let zip: JSZip;
  let devZip: JSZip;
  let fileNames: string[];

  before(async function () {
    zip = await JSZip.loadAsync(fs.readFileSync(vsixPathFrom(await runPackaging([]))));
    devZip = await JSZip.loadAsync(fs.readFileSync(vsixPathFrom(await runPackaging(['--dev']))));
    fileNames = Object.keys(zip.files).filter((name) => !zip.files[name]?.dir);
  });

  const text = (z: JSZip, name: string): Promise<string> => {
    const entry = z.file(name);
    assert.ok(entry, `${name} is in the package`);
    return entry.async('string');
  };

  it('has the public identity and the package.json version', async function () {
    const manifest = await text(zip, 'extension.vsixmanifest');
    assert.match(manifest, new RegExp(`<Identity Language="en-US" Id="azureml-mlops-tasks" Publisher="azureml-mlops-tasks" Version="${packageVersion.replace(/\./g, '\\.')}"/>`));
    assert.match(manifest, /<Categories>Azure Pipelines<\/Categories>/);
    assert.match(manifest, /<Icon>images\/extension-icon\.png<\/Icon>/);
    assert.match(manifest, /Microsoft\.VisualStudio\.Services\.Content\.Details" d:Source="File" Path="overview\.md"/);
    assert.ok(!/<GalleryFlags>[^<]*Public/.test(manifest), 'first release is private (see README, Releasing)');
  });

  it('contributes exactly one task per task folder', async function () {
    const vso = JSON.parse(await text(zip, 'extension.vsomanifest'));
    const contributed = vso.contributions
      .filter((c: any) => c.type === 'ms.vss-distributed-task.task')
      .map((c: any) => {
        assert.deepEqual(c.targets, ['ms.vss-distributed-task.tasks']);
        return c.properties.name;
      })
      .sort();
    assert.deepEqual(contributed, taskNames.map((n) => `tasks/${n}`));
  });

  it('carries the overview, the licence and a 128x128 extension icon', async function () {
    assert.match(await text(zip, 'overview.md'), /Azure ML/);
    assert.match(await text(zip, 'LICENSE'), /MIT License/);
    const icon = await zip.file('images/extension-icon.png')!.async('uint8array');
    assert.deepEqual(png.readPngSize(icon), { width: 128, height: 128 });
  });

  it('holds in each task folder only task.json, index.js, icon.png and lib.json', function () {
    for (const name of taskNames) {
      const files = fileNames.filter((f) => f.startsWith(`tasks/${name}/`)).map((f) => f.slice(`tasks/${name}/`.length)).sort();
      assert.deepEqual(files, [...buildTasks.STAGED_TASK_FILES].sort(), name);
    }
    const taskFolders = new Set(fileNames.filter((f) => f.startsWith('tasks/')).map((f) => f.split('/')[1]));
    assert.deepEqual([...taskFolders].sort(), taskNames);
  });

  it('ships no node_modules, TypeScript, source maps or tests', function () {
    const unwanted = fileNames.filter((f) => /(^|\/)node_modules\/|\.ts$|\.map$|\.test\.|(^|\/)tests?\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('stamps each task version (Major from task.json, Minor.Patch from package.json) and keeps its id', async function () {
    for (const name of taskNames) {
      const source = readJson(path.join(repoRoot, 'tasks', name, 'task.json'));
      const packaged = JSON.parse(await text(zip, `tasks/${name}/task.json`));
      assert.deepEqual(packaged.version, { Major: source.version.Major, Minor: minor, Patch: patch }, name);
      assert.equal(packaged.id, source.id);
    }
  });

  it('declares both handlers, pointing at the bundle, and a 32x32 task icon', async function () {
    for (const name of taskNames) {
      const packaged = JSON.parse(await text(zip, `tasks/${name}/task.json`));
      assert.deepEqual(Object.keys(packaged.execution).sort(), ['Node20_1', 'Node24']);
      assert.equal(packaged.execution.Node20_1.target, 'index.js');
      assert.equal(packaged.execution.Node24.target, 'index.js');
      assert.deepEqual(png.readPngSize(await zip.file(`tasks/${name}/icon.png`)!.async('uint8array')), { width: 32, height: 32 });
    }
  });

  it('bundles azure-pipelines-task-lib exactly once per task', function () {
    for (const name of taskNames) {
      const metafile = readJson(path.join(repoRoot, 'build', 'meta', `${name}.json`));
      const roots = bundle.packageRoots(metafile).get('azure-pipelines-task-lib');
      assert.equal(roots?.size, 1, `${name}: ${[...(roots ?? [])].join(', ')}`);
    }
  });

  describe('each bundle, run as `node index.js` with no inputs', function () {
    let extracted: string;

    before(async function () {
      extracted = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-'));
      for (const name of fileNames.filter((f) => f.startsWith('tasks/'))) {
        const target = path.join(extracted, name);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, await zip.file(name)!.async('nodebuffer'));
      }
    });

    after(function () {
      fs.rmSync(extracted, { recursive: true, force: true });
    });

    it('fails as a task (one error, Failed result) rather than crashing', function () {
      for (const name of taskNames) {
        const taskDir = path.join(extracted, 'tasks', name);
        const run = spawnSync(process.execPath, ['index.js'], {
          cwd: taskDir,
          encoding: 'utf8',
          env: { PATH: process.env['PATH'] ?? '', AGENT_TEMPDIRECTORY: os.tmpdir() },
          timeout: 60_000,
        });
        assert.equal(run.signal, null, `${name} was killed`);
        const errors = run.stdout.split('\n').filter((l) => l.startsWith('##vso[task.issue type=error'));
        assert.equal(errors.length, 1, `${name} stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
        assert.match(run.stdout, /##vso\[task\.complete result=Failed;\]\S/, name);
        assert.doesNotMatch(`${run.stdout}\n${run.stderr}`, /^\s+at .+[(:]\d+/m, `${name} printed a stack trace`);
      }
    });
  });

  describe('the dev build (--dev, configs/dev.json)', function () {
    it('is a private extension with its own identity and a "(dev)" name', async function () {
      const manifest = await text(devZip, 'extension.vsixmanifest');
      const dev = readJson(path.join(repoRoot, 'configs', 'dev.json'));
      assert.match(manifest, new RegExp(`Id="${dev.id}" Publisher="${dev.publisher}" Version="${packageVersion.replace(/\./g, '\\.')}"`));
      assert.match(manifest, /<DisplayName>[^<]*\(dev\)<\/DisplayName>/);
      assert.notEqual(dev.id, 'azureml-mlops-tasks');
      assert.equal(dev.public, false);
    });

    it('gives its tasks other, stable ids so both extensions can be installed in one organization', async function () {
      const dev = readJson(path.join(repoRoot, 'configs', 'dev.json'));
      for (const name of taskNames) {
        const publicTask = JSON.parse(await text(zip, `tasks/${name}/task.json`));
        const devTask = JSON.parse(await text(devZip, `tasks/${name}/task.json`));
        assert.notEqual(devTask.id, publicTask.id);
        assert.equal(devTask.id, packageExtension.devTaskVariant(publicTask, `${dev.publisher}.${dev.id}`).id);
        assert.match(devTask.friendlyName, /\(dev\)$/);
        assert.ok(devTask.friendlyName.length <= 40);
      }
    });
  });

  describe('tfx warnings', function () {
    let brokenRoot: string;

    before(function () {
      // A staged extension whose task.json points at a handler target that is not there: tfx only warns about it.
      brokenRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tfx-broken-'));
      fs.cpSync(path.join(repoRoot, 'build', 'extension'), brokenRoot, { recursive: true });
      fs.rmSync(path.join(brokenRoot, 'tasks', taskNames[0]!, 'index.js'));
    });

    after(function () {
      fs.rmSync(brokenRoot, { recursive: true, force: true });
    });

    it('make packaging fail, and no .vsix is left behind', async function () {
      const vsixPath = path.join(brokenRoot, 'broken.vsix');
      await assert.rejects(packageExtension.createVsix({ root: brokenRoot, vsixPath, log: () => undefined }), (err: Error) => {
        assert.match(err.message, /^Packaging failed: tfx warned:/);
        assert.match(err.message, /execution\.Node20_1\.target references file that does not exist: index\.js/);
        return true;
      });
      assert.equal(fs.existsSync(vsixPath), false);
    });

    it('are found in tfx output, coloured or not', function () {
      const captured = [
        'TFS Cross Platform Command Line Interface v0.23.1',
        'Copyright Microsoft Corporation',
        'warning: Please, make sure the task.json file is correct. In the future, this warning will be treated as an error.',
        'warning: \tAzureMLTrain: execution.Node24.target references file that does not exist: index.js',
        '',
        '=== Completed operation: create extension ===',
        ' - VSIX: /tmp/out.vsix',
      ].join('\n');
      assert.equal(tfxOutput.findTfxWarnings(captured).length, 2);
      assert.equal(tfxOutput.findTfxWarnings('\u001b[43m\u001b[30mwarning: Task X@1 is dependent on a task runner that is end-of-life\u001b[39m\u001b[49m').length, 1);
      assert.deepEqual(tfxOutput.findTfxWarnings('=== Completed operation: create extension ===\n - Extension ID: x\n - warnings: none mentioned here'), []);
    });
  });
});
