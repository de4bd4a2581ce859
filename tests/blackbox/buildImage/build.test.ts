/**
 * AzureMLBuildImage black-box: the bundled task run by the local agent against the shared emulator. The diabetes
 * sample's scoring image (a Dockerfile the task writes, with the model inside), a user's Dockerfile, re-runs that build
 * nothing, and a context the build refuses, as a pipeline would see them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { logOf, STACK_TRACE } from '../support/trainTask';
import {
  type BuildImageTaskResult,
  environmentVersions,
  registerModel,
  runBuildImageTask,
  runsFor,
  SAMPLE,
  uniqueName,
} from './support/buildImageTask';

function assertSucceeded(result: BuildImageTaskResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.deepEqual(result.errors, []);
}

describe('AzureMLBuildImage black-box: the diabetes scoring image', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let loginServer: string;
  const repository = uniqueName('diabetes-scoring');
  const modelName = uniqueName('diabetes-ridge');
  let first: BuildImageTaskResult;
  let again: BuildImageTaskResult;
  let nextBuild: BuildImageTaskResult;
  let imagesAfterFirst: Array<{ digest: string; tags: string[] }>;
  const inputs = (): Record<string, string> => ({ repository, ...SAMPLE, model: `${modelName}:1`, includeModel: 'true', imageTags: 'latest' });

  before(async function () {
    emulator = await sharedEmulator();
    loginServer = emulator.inspect.containerRegistry().loginServer;
    await registerModel(emulator, modelName, { 'model.json': JSON.stringify({ intercept: 152, weights: [1, 2], means: [0, 0], stds: [1, 1], features: ['age', 'bmi'] }) });
    first = await runBuildImageTask({ emulator, inputs: inputs() });
    imagesAfterFirst = emulator.inspect.containerImages(repository).map((i) => ({ digest: i.digest, tags: [...i.tags] }));
    again = await runBuildImageTask({ emulator, inputs: inputs() });
    nextBuild = await runBuildImageTask({ emulator, inputs: inputs(), variables: { 'Build.BuildId': '5151' } });
  });

  it('writes the Dockerfile from the sample (base image, conda file, scoring code, model) and shows it in the log', function () {
    assertSucceeded(first);
    const log = logOf(first);
    assert.match(log, /The Dockerfile the task wrote:/);
    assert.match(log, /^ {2}FROM mcr\.microsoft\.com\/azureml\/openmpi4\.1\.0-ubuntu20\.04:latest$/m);
    assert.match(log, /^ {2}COPY azureml-environment-setup\/conda_env\.yml \/azureml-environment-setup\/conda_env\.yml$/m);
    assert.match(log, /^ {2}COPY score\/ \/var\/azureml-app\/score\/$/m);
    assert.match(log, new RegExp(`^ {2}COPY model/ /var/azureml-app/azureml-models/${modelName}/1/$`, 'm'));
    assert.match(log, new RegExp(`AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/${modelName}/1`));
    assert.match(log, /^ {2}CMD \["azmlinfsrv","--entry_script","\/var\/azureml-app\/score\/score\.py","--port","5001"\]$/m);
    assert.match(log, new RegExp(`Model ${modelName}:1: 1 file \\(\\d+ bytes\\) from workspaceblobstore/models/${modelName}/`));
  });

  it('streams the ACR build log into the task log, inside a group, as the run goes', function () {
    const log = first.log;
    const group = log.findIndex((line) => /^##\[group\]Build log \(ACR run ca[0-9a-z]+\)$/.test(line) || /Build log \(ACR run/.test(line));
    assert.ok(group >= 0, logOf(first));
    const text = logOf(first);
    assert.match(text, /no image is built locally/);
    assert.match(text, /Step 1\/\d+ : FROM mcr\.microsoft\.com\/azureml\/openmpi4\.1\.0-ubuntu20\.04:latest/);
    assert.match(text, new RegExp(`Step \\d+/\\d+ : COPY model/ /var/azureml-app/azureml-models/${modelName}/1/`));
    assert.match(text, /ACR run ca[0-9a-z]+: Queued → Running|ACR run ca[0-9a-z]+: Running/);
    assert.match(text, /Run ID: ca[0-9a-z]+ was successful/);
    assert.doesNotMatch(text, STACK_TRACE);
  });

  it('pushes the image with the model, build and user tags, and outputs it by digest', function () {
    const [run] = runsFor(emulator, repository);
    assert.equal(run?.status, 'Succeeded');
    assert.deepEqual(run!.request.imageNames, [`${repository}:${modelName}-1`, `${repository}:build-5150`, `${repository}:latest`]);
    const digest = first.outputs['ImageDigest']!;
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(first.outputs['ImageName'], `${loginServer}/${repository}@${digest}`);
    assert.equal(first.outputs['ImageTags'], `${modelName}-1,build-5150,latest`);
    assert.equal(first.outputs['RegistryLoginServer'], loginServer);
    assert.equal(first.outputs['RunId'], run!.runId);
    assert.equal(first.outputs['AlreadyBuilt'], 'false');
    assert.deepEqual(imagesAfterFirst, [{ digest, tags: ['build-5150', 'latest', `${modelName}-1`].sort() }]);
  });

  it('registers environment version 1 pointing at the image by digest, with the inference routes and its lineage', async function () {
    const versions = await environmentVersions(emulator, repository);
    assert.equal(versions.length, 1);
    const version = versions[0]!;
    assert.equal(version.name, '1');
    assert.equal(version.properties.image, first.outputs['ImageName']);
    assert.deepEqual(version.properties.inferenceConfig, {
      livenessRoute: { path: '/swagger.json', port: 5001 },
      readinessRoute: { path: '/swagger.json', port: 5001 },
      scoringRoute: { path: '/score', port: 5001 },
    });
    assert.equal(version.properties.properties['azureml-mlops.acr-run-id'], first.outputs['RunId']);
    assert.equal(version.properties.properties['azureml-mlops.model'], `${modelName}:1`);
    assert.equal(version.properties.properties['azureml-mlops.model-included'], 'true');
    assert.equal(version.properties.properties['azure-pipelines.build-id'], '5150');
    assert.equal(first.outputs['EnvironmentName'], repository);
    assert.equal(first.outputs['EnvironmentVersion'], '1');
    assert.equal(first.outputs['EnvironmentReference'], `azureml:${repository}:1`);
    assert.equal(first.outputs['EnvironmentId'], version.id);
  });

  it('puts the image, its tags and the build log link in the run summary', function () {
    const summary = first.summaries.join('\n');
    assert.match(summary, /### Scoring image/);
    assert.ok(summary.includes(loginServer), summary);
    assert.match(summary, /build-5150/);
    assert.match(summary, new RegExp(`\\[Build log of ACR run ${first.outputs['RunId']} \\(Azure portal: the registry's Tasks, Runs\\)\\]\\(https://portal\\.azure\\.com/#@${emulator.tenantId}/resource/subscriptions/`));
    assert.match(summary, /az acr task logs --registry/);
    assert.match(summary, /\[Open the environment in Azure ML studio\]\(https:\/\/ml\.azure\.com\/environments\//);
  });

  it('run again with the same inputs: builds nothing, says so, and outputs the same image and environment version', function () {
    assertSucceeded(again);
    assert.equal(runsFor(emulator, repository).length, 1, 'no second ACR run');
    assert.equal(again.outputs['AlreadyBuilt'], 'true');
    assert.equal(again.outputs['ImageName'], first.outputs['ImageName']);
    assert.equal(again.outputs['EnvironmentVersion'], '1');
    assert.equal(again.outputs['RunId'], first.outputs['RunId']);
    assert.match(logOf(again), new RegExp(`The same context was built before by ACR run ${first.outputs['RunId']} \\(environment version 1\\): not building it again`));
    assert.match(logOf(again), /Environment version 1 already points at/);
  });

  it("a later pipeline run with unchanged sources: tags the same image with its build id, builds nothing, keeps version 1", async function () {
    assertSucceeded(nextBuild);
    assert.equal(runsFor(emulator, repository).length, 1, 'no second ACR run');
    assert.equal(nextBuild.outputs['ImageDigest'], first.outputs['ImageDigest']);
    assert.equal(nextBuild.outputs['ImageTags'], `${modelName}-1,build-5151,latest`);
    assert.equal(nextBuild.outputs['EnvironmentVersion'], '1');
    const [image] = emulator.inspect.containerImages(repository);
    assert.deepEqual([...image!.tags], ['build-5150', 'build-5151', 'latest', `${modelName}-1`].sort());
    assert.equal((await environmentVersions(emulator, repository)).length, 1);
  });
});

describe("AzureMLBuildImage black-box: the user's Dockerfile", function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let sources: string;

  before(async function () {
    emulator = await sharedEmulator();
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-bb-'));
    const write = (file: string, content: string): void => {
      fs.mkdirSync(path.dirname(path.join(sources, file)), { recursive: true });
      fs.writeFileSync(path.join(sources, file), content);
    };
    write('docker/Dockerfile', ['FROM python:3.11-slim', 'COPY requirements.txt /app/', 'RUN pip install -r /app/requirements.txt', 'COPY app/ /app/', 'CMD ["python", "/app/serve.py"]', ''].join('\n'));
    write('docker/Dockerfile.broken', ['FROM python:3.11-slim', 'COPY app/ /app/', 'COPY model.pkl /app/model.pkl', ''].join('\n'));
    write('requirements.txt', 'flask\n');
    write('app/serve.py', 'print("serving")\n');
    write('app/.env', 'TOKEN=do-not-ship\n');
    write('notes/todo.md', 'later\n');
    write('.dockerignore', '**/.env\nnotes\n');
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  it('builds it with the context folder (.dockerignore applied) and registers the environment under the given name', async function () {
    const repository = uniqueName('custom-server');
    const environmentName = uniqueName('custom-env');
    const result = await runBuildImageTask({
      emulator,
      sourcesDirectory: sources,
      inputs: { repository, dockerfile: 'docker/Dockerfile', buildContext: '.', environmentName, livenessRoute: '/health', readinessRoute: '/ready', inferencePort: '8080' },
    });
    assertSucceeded(result);
    assert.match(logOf(result), /\.dockerignore applied: 2 files left out\./);
    assert.match(logOf(result), /Context: docker\/Dockerfile with the context \./);
    const [run] = runsFor(emulator, repository);
    assert.equal(run?.status, 'Succeeded');
    assert.equal(run!.request.dockerFilePath, 'docker/Dockerfile');
    assert.deepEqual(run!.request.imageNames, [`${repository}:build-5150`]);
    const [version] = await environmentVersions(emulator, environmentName);
    assert.equal(version?.properties.image, result.outputs['ImageName']);
    assert.deepEqual(version!.properties.inferenceConfig, {
      livenessRoute: { path: '/health', port: 8080 },
      readinessRoute: { path: '/ready', port: 8080 },
      scoringRoute: { path: '/score', port: 8080 },
    });
    assert.equal(version!.properties.properties['azureml-mlops.image-source'], 'dockerfile');
  });

  it('a COPY source missing from the context: the task fails with the ACR log\'s error, and registers nothing', async function () {
    const repository = uniqueName('broken');
    const result = await runBuildImageTask({ emulator, sourcesDirectory: sources, inputs: { repository, dockerfile: 'docker/Dockerfile.broken', buildContext: '.' } });
    assert.equal(result.result, 'Failed', logOf(result));
    assert.equal(result.errors.length, 1, result.errors.join('\n'));
    assert.match(
      result.errors[0]!,
      /^The image build failed: ACR run ca[0-9a-z]+ ended Failed: COPY failed: file not found in build context or excluded by \.dockerignore: stat model\.pkl: file does not exist\. Build log: az acr task logs --registry \w+ --run-id ca[0-9a-z]+$/,
    );
    assert.doesNotMatch(logOf(result), STACK_TRACE);
    assert.equal(runsFor(emulator, repository)[0]?.status, 'Failed');
    assert.deepEqual(await environmentVersions(emulator, repository), []);
    assert.deepEqual(emulator.inspect.containerImages(repository), []);
    assert.equal(result.outputs['ImageName'], undefined);
  });
});
