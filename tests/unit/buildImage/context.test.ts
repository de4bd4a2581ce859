/**
 * AzureMLBuildImage build contexts: which files of the user's folder are sent (.dockerignore in Docker's rules, az acr
 * build's defaults), the deterministic archive and its hash, and the Dockerfile the task writes (checked by the
 * emulator's Dockerfile analysis, i.e. it parses and every COPY source is in the generated context).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

import { analyzeDockerfile } from '@azureml-mlops/emulator/dist/containerRegistry/dockerfile';

import type * as ArchiveModule from '../../../tasks/AzureMLBuildImage/src/context/archive';
import type * as GeneratedModule from '../../../tasks/AzureMLBuildImage/src/context/generatedDockerfile';
import type * as PrepareModule from '../../../tasks/AzureMLBuildImage/src/context/prepare';
import type * as UserContextModule from '../../../tasks/AzureMLBuildImage/src/context/userContext';
import { taskModule, writeFiles } from './support';

const { listUserContext, OUTSIDE_DOCKERFILE_NAME } = taskModule<typeof UserContextModule>('context/userContext');
const { writeContextArchive } = taskModule<typeof ArchiveModule>('context/archive');
const { generateDockerfile, GENERATED_CONTEXT } = taskModule<typeof GeneratedModule>('context/generatedDockerfile');
const { buildHash } = taskModule<typeof PrepareModule>('context/prepare');

describe('AzureMLBuildImage build context', function () {
  let root: string;

  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-context-'));
  });

  afterEach(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const sent = (context: UserContextModule.UserContext): string[] => context.files.map((f) => f.archivePath);

  describe('.dockerignore, in Docker\'s rules', function () {
    it('matches from the context root only, `**` across folders, and `!` re-includes even inside an excluded folder', function () {
      writeFiles(root, {
        Dockerfile: 'FROM x\n',
        'README.md': 'r',
        'CHANGES.md': 'c',
        'docs/guide.md': 'g',
        'app/.env': 'secret',
        'app/deep/.env': 'secret',
        'app/main.py': 'm',
        'build/out.bin': 'b',
        'build/keep.txt': 'k',
        '.dockerignore': '# comment\n*.md\n!README.md\n**/.env\nbuild\n!build/keep.txt\n',
      });
      const context = listUserContext(root, path.join(root, 'Dockerfile'));
      assert.deepEqual(sent(context), ['.dockerignore', 'Dockerfile', 'README.md', 'app/main.py', 'build/keep.txt', 'docs/guide.md']);
      assert.equal(context.ignoreFile, '.dockerignore');
      assert.equal(context.ignoredCount, 4);
    });

    it('leaves out version-control folders and files at the root as az acr build does, even without a .dockerignore', function () {
      writeFiles(root, { Dockerfile: 'FROM x\n', '.git/HEAD': 'ref', '.gitignore': 'x', 'src/.gitignore': 'kept: not at the root', 'src/a.py': 'a' });
      const context = listUserContext(root, path.join(root, 'Dockerfile'));
      assert.deepEqual(sent(context), ['Dockerfile', 'src/.gitignore', 'src/a.py']);
      assert.deepEqual(context.defaultExcluded, ['.git', '.gitignore']);
      assert.equal(context.ignoreFile, undefined);
    });

    it('always sends the Dockerfile, even when the rules exclude it, under its path in the context', function () {
      writeFiles(root, { 'docker/Dockerfile': 'FROM x\n', 'a.txt': 'a', '.dockerignore': 'docker\n' });
      const context = listUserContext(root, path.join(root, 'docker', 'Dockerfile'));
      assert.equal(context.dockerfilePath, 'docker/Dockerfile');
      assert.deepEqual(sent(context), ['.dockerignore', 'a.txt', 'docker/Dockerfile']);
    });

    it('uses <Dockerfile name>.dockerignore instead of .dockerignore when there is one, and does not send it', function () {
      writeFiles(root, { 'Dockerfile.prod': 'FROM x\n', 'a.txt': 'a', 'b.txt': 'b', '.dockerignore': 'a.txt\n', 'Dockerfile.prod.dockerignore': 'b.txt\n' });
      const context = listUserContext(root, path.join(root, 'Dockerfile.prod'));
      assert.equal(context.ignoreFile, 'Dockerfile.prod.dockerignore');
      assert.deepEqual(sent(context), ['.dockerignore', 'Dockerfile.prod', 'a.txt']);
    });

    it('adds a Dockerfile that lives outside the context under a name of its own', function () {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-dockerfile-'));
      try {
        writeFiles(outside, { Dockerfile: 'FROM x\n' });
        writeFiles(root, { 'a.txt': 'a' });
        const context = listUserContext(root, path.join(outside, 'Dockerfile'));
        assert.equal(context.dockerfilePath, OUTSIDE_DOCKERFILE_NAME);
        assert.deepEqual(sent(context), [OUTSIDE_DOCKERFILE_NAME, 'a.txt'].sort());
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  });

  describe('the archive', function () {
    it('is the same bytes for the same files, whatever their times; another content or mode gives another hash', async function () {
      writeFiles(root, { 'b.txt': 'bee', 'a/c.sh': '#!/bin/sh\necho hi\n' });
      const entries = (): ArchiveModule.ArchiveEntry[] => [
        { kind: 'file', archivePath: 'b.txt', absolutePath: path.join(root, 'b.txt'), size: 3, executable: false },
        { kind: 'file', archivePath: 'a/c.sh', absolutePath: path.join(root, 'a', 'c.sh'), size: 18, executable: true },
        { kind: 'bytes', archivePath: 'Dockerfile', data: Buffer.from('FROM x\n'), executable: false },
      ];
      const one = await writeContextArchive(entries(), path.join(root, 'out', 'one.tar.gz'));
      fs.utimesSync(path.join(root, 'b.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
      const two = await writeContextArchive(entries(), path.join(root, 'out', 'two.tar.gz'));
      assert.equal(two.tarSha256, one.tarSha256);
      const tar = gunzipSync(fs.readFileSync(one.file));
      assert.equal(createHash('sha256').update(tar).digest('hex'), one.tarSha256, 'the hash is of the tar the archive holds');
      assert.deepEqual(tarEntries(tar), [
        { name: 'Dockerfile', mode: '000644', mtime: 0 },
        { name: 'a/c.sh', mode: '000755', mtime: 0 },
        { name: 'b.txt', mode: '000644', mtime: 0 },
      ]);
      fs.writeFileSync(path.join(root, 'b.txt'), 'bee');
      const nonExecutable = entries().map((e) => ({ ...e, executable: false }));
      assert.notEqual((await writeContextArchive(nonExecutable, path.join(root, 'out', 'three.tar.gz'))).tarSha256, one.tarSha256);
    });

    it('refuses a file that changed size while it was read', async function () {
      writeFiles(root, { 'b.txt': 'bee' });
      await assert.rejects(
        writeContextArchive([{ kind: 'file', archivePath: 'b.txt', absolutePath: path.join(root, 'b.txt'), size: 10, executable: false }], path.join(root, 'x.tar.gz')),
        /b\.txt could not be added to the build context/,
      );
    });

    it("the build's identity covers the Dockerfile path, the platform and the build arguments, not their order", function () {
      const base = { platform: { name: 'linux/amd64' as const, os: 'Linux' as const, architecture: 'amd64' }, buildArguments: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] };
      const hash = buildHash('f'.repeat(64), 'Dockerfile', base);
      assert.equal(buildHash('f'.repeat(64), 'Dockerfile', { ...base, buildArguments: [...base.buildArguments].reverse() }), hash);
      assert.notEqual(buildHash('f'.repeat(64), 'docker/Dockerfile', base), hash);
      assert.notEqual(buildHash('f'.repeat(64), 'Dockerfile', { ...base, platform: { name: 'linux/arm64', os: 'Linux', architecture: 'arm64' } }), hash);
      assert.notEqual(buildHash('f'.repeat(64), 'Dockerfile', { ...base, buildArguments: [{ name: 'A', value: '2' }] }), hash);
      assert.notEqual(buildHash('e'.repeat(64), 'Dockerfile', base), hash);
    });
  });

  describe('the Dockerfile the task writes', function () {
    const spec = {
      baseImage: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
      condaFileDisplay: 'samples/diabetes/environment/score-conda.yml',
      condaEnvironmentName: 'diabetes-scoring',
      scoringCodeDisplay: 'samples/diabetes/score',
      scoringScript: 'score.py',
      model: { name: 'diabetes-ridge', version: '3' },
      port: 5001,
      generator: 'AzureMLBuildImage@1',
    };

    it('follows Azure ML\'s conventions: conda environment, app root, entry script, model folder, inference server', function () {
      const text = generateDockerfile(spec);
      assert.match(text, /^# Written by AzureMLBuildImage@1: an Azure ML scoring image/);
      assert.match(text, /^FROM mcr\.microsoft\.com\/azureml\/openmpi4\.1\.0-ubuntu20\.04:latest$/m);
      assert.match(text, /^RUN conda env create -p \/azureml-envs\/diabetes-scoring -f \/azureml-environment-setup\/conda_env\.yml \\$/m);
      assert.match(text, /^ENV PATH=\/azureml-envs\/diabetes-scoring\/bin:\$PATH \\$/m);
      assert.match(text, /^COPY model\/ \/var\/azureml-app\/azureml-models\/diabetes-ridge\/3\/$/m);
      assert.match(text, /AML_APP_ROOT=\/var\/azureml-app\/score \\\n {4}AZUREML_ENTRY_SCRIPT=score\.py \\\n {4}AZUREML_MODEL_DIR=\/var\/azureml-app\/azureml-models\/diabetes-ridge\/3$/m);
      assert.match(text, /^EXPOSE 5001$/m);
      assert.match(text, /^CMD \["azmlinfsrv","--entry_script","\/var\/azureml-app\/score\/score\.py","--port","5001"\]$/m);
    });

    it('leaves out the conda steps without a conda file, and the model without a model', function () {
      const text = generateDockerfile({ ...spec, condaFileDisplay: undefined, model: undefined, port: 8080 });
      assert.doesNotMatch(text, /conda/);
      assert.doesNotMatch(text, /AZUREML_MODEL_DIR|COPY model/);
      assert.match(text, /"--port","8080"/);
    });

    it('parses, and every COPY source is in the generated context (the emulated ACR build checks it)', function () {
      const context = new Set([GENERATED_CONTEXT.condaFile, `${GENERATED_CONTEXT.scoringCode}/score.py`, `${GENERATED_CONTEXT.model}/model.json`, 'Dockerfile']);
      const analysis = analyzeDockerfile(generateDockerfile(spec), context, {});
      assert.equal(analysis.error, undefined, analysis.error);
      assert.deepEqual(analysis.baseImages, [spec.baseImage]);
      const withoutModelFiles = analyzeDockerfile(generateDockerfile(spec), new Set([...context].filter((f) => !f.startsWith('model/'))), {});
      assert.match(withoutModelFiles.error ?? '', /COPY failed: file not found in build context or excluded by \.dockerignore: stat model: file does not exist/);
    });
  });
});

/** Name, mode and mtime of each entry of a tar (ustar headers). */
function tarEntries(tar: Buffer): Array<{ name: string; mode: string; mtime: number }> {
  const entries: Array<{ name: string; mode: string; mtime: number }> = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '').trim();
    const prefix = field(345, 155);
    const name = field(0, 100);
    const size = parseInt(field(124, 12), 8);
    entries.push({ name: prefix ? `${prefix}/${name}` : name, mode: field(100, 8), mtime: parseInt(field(136, 12), 8) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}
