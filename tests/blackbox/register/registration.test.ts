/**
 * AzureMLRegisterModel black-box: the bundled task run by the local agent against the shared emulator, after the bundled
 * Train task trained the diabetes sample. Registration with lineage, idempotent re-runs, version numbers, local files,
 * the model.json artifact and the build tag, as a pipeline would see them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { armAccessToken, emulatorRequest, workspacePath } from '../../support/emulatorHttp';
import { datastoreSnapshot, logOf, runTrainTask, SAMPLE_JOB, STACK_TRACE } from '../support/trainTask';
import { modelVersions, type RegisterTaskResult, runRegisterTask, uniqueModelName } from './support/registerTask';

const PIPELINE = {
  'Build.BuildId': '5150',
  'Build.SourceVersion': '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
  'Build.Repository.Uri': 'https://dev.azure.com/mlops-org/MLOps/_git/diabetes-mlops',
} as const;

/** Trains the diabetes sample with the bundled Train task; returns the job name. */
async function train(emulator: Emulator, overrides?: string): Promise<string> {
  const result = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, ...(overrides ? { overrides } : {}) } });
  assert.equal(result.result, 'Succeeded', logOf(result));
  return result.outputs['JobName']!;
}

/** Registers a data asset version with a plain ARM call (as `az ml data create` would). */
async function registerDataAsset(emulator: Emulator, name: string, dataUri: string): Promise<void> {
  const answer = await emulatorRequest(emulator, 'PUT', `/${workspacePath(emulator)}/data/${name}/versions/1?api-version=2022-10-01`, {
    bearer: await armAccessToken(emulator),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ properties: { dataType: 'uri_file', dataUri } }),
  });
  assert.ok(answer.status === 200 || answer.status === 201, answer.text);
}

function assertSucceeded(result: RegisterTaskResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.deepEqual(result.errors, []);
}

describe('AzureMLRegisterModel black-box: registration', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let jobA: string;
  let jobB: string;
  let dataAsset: string;
  const model = uniqueModelName('diabetes-bb');

  before(async function () {
    emulator = await sharedEmulator();
    jobA = await train(emulator);
    // The second job reads a registered data asset: its name and version become lineage.
    const input = (emulator.inspect.job(jobA) as { properties: { inputs: { diabetes: { uri: string } } } }).properties.inputs.diabetes.uri;
    dataAsset = uniqueModelName('diabetes-data');
    await registerDataAsset(emulator, dataAsset, input);
    jobB = await train(emulator, `inputs.diabetes.path=azureml:${dataAsset}:1\ninputs.alpha=0.3`);
  });

  describe("a job's output, registered, registered again, then another job's", function () {
    let first: RegisterTaskResult;
    let again: RegisterTaskResult;
    let other: RegisterTaskResult;
    let versionsAfterAgain: number;

    before(async function () {
      first = await runRegisterTask({ emulator, inputs: { modelName: model, jobName: jobA, tags: 'team=diabetes', description: 'Ridge regression' }, variables: PIPELINE });
      again = await runRegisterTask({ emulator, inputs: { modelName: model, jobName: jobA }, variables: { ...PIPELINE, 'Build.BuildId': '5151' } });
      versionsAfterAgain = modelVersions(emulator, model).length;
      other = await runRegisterTask({ emulator, inputs: { modelName: model, jobName: jobB }, variables: PIPELINE });
    });

    it('registers version 1 with the job name, the model files and the outputs', function () {
      assertSucceeded(first);
      const [v1] = modelVersions(emulator, model);
      assert.equal(v1?.version, '1');
      assert.equal(v1!.properties.jobName, jobA);
      assert.equal(v1!.properties.modelType, 'custom_model');
      assert.equal(v1!.properties.description, 'Ridge regression');
      assert.equal(first.outputs['ModelName'], model);
      assert.equal(first.outputs['ModelVersion'], '1');
      assert.equal(first.outputs['ModelId'], `/${workspacePath(emulator)}/models/${model}/versions/1`);
      assert.equal(first.outputs['ModelUri'], v1!.properties.modelUri, 'the files as the service resolved them');
      assert.match(first.outputs['ModelUri'] ?? '', new RegExp(`/datastores/workspaceblobstore/paths/azureml/${jobA}/model/?$`));
      assert.equal(first.outputs['ModelReference'], `azureml:${model}:1`);
      assert.equal(first.outputs['AlreadyRegistered'], 'false');
    });

    it('records the lineage on the version: job, experiment, data, metrics in properties; build and commit in both', function () {
      const { properties, tags } = modelVersions(emulator, model)[0]!.properties;
      assert.equal(properties['azureml-mlops.source'], `azureml://jobs/${jobA}/outputs/model/paths/`);
      assert.equal(properties['azureml-mlops.job-name'], jobA);
      assert.equal(properties['azureml-mlops.experiment'], 'diabetes-ridge');
      assert.match(properties['azureml-mlops.input.diabetes'] ?? '', /^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{64}\/diabetes\.csv$/);
      const metrics = emulator.inspect.metrics(jobA);
      assert.ok(Object.keys(metrics).length >= 2, JSON.stringify(metrics));
      for (const [name, value] of Object.entries(metrics)) assert.equal(Number(properties[`azureml-mlops.metric.${name}`]), value, name);
      for (const target of [properties, tags]) {
        assert.equal(target['azure-pipelines.build-id'], '5150');
        assert.equal(target['azure-pipelines.source-version'], PIPELINE['Build.SourceVersion']);
        assert.equal(target['azure-pipelines.repository-uri'], PIPELINE['Build.Repository.Uri']);
        assert.match(target['azure-pipelines.build-url'] ?? '', /_build\/results\?buildId=5150$/);
      }
      assert.equal(tags['team'], 'diabetes');
    });

    it('the agent gets the model.json artifact and the build tag model:<name>:1', function () {
      assert.deepEqual(first.buildTags, [`model:${model}:1`]);
      assert.deepEqual(first.artifactFiles.map((a) => a.name), ['model']);
      const manifest = JSON.parse(first.artifactFiles[0]!.content);
      assert.equal(manifest.name, model);
      assert.equal(manifest.version, '1');
      assert.equal(manifest.id, first.outputs['ModelId']);
      assert.equal(manifest.uri, first.outputs['ModelUri']);
      assert.equal(manifest.workspace.name, emulator.workspaceName);
      assert.equal(manifest.workspace.subscriptionId, emulator.subscriptionId);
      assert.equal(manifest.job.name, jobA);
      assert.deepEqual(manifest.lineage.metrics, emulator.inspect.metrics(jobA));
      assert.match(first.summaries.join('\n'), new RegExp(`\\[Open the model in Azure ML studio\\]\\(https://ml\\.azure\\.com/model/${model}:1/details\\?wsid=`));
    });

    it('running Register twice for one job leaves one model version in the emulator', function () {
      assertSucceeded(again);
      assert.equal(versionsAfterAgain, 1);
      assert.equal(again.outputs['ModelVersion'], '1');
      assert.equal(again.outputs['AlreadyRegistered'], 'true');
      assert.match(logOf(again), new RegExp(`already registered as version 1 from azureml://jobs/${jobA}/outputs/model/paths/`));
      assert.deepEqual(again.buildTags, [`model:${model}:1`], 'the artifact and tag are still produced');
      assert.equal(JSON.parse(again.artifactFiles[0]!.content).version, '1');
      assert.equal(modelVersions(emulator, model)[0]!.properties.tags['azure-pipelines.build-id'], '5150', 'the version is left as it was');
    });

    it("another job's output becomes version 2, with the data asset and version it read", function () {
      assertSucceeded(other);
      assert.equal(other.outputs['ModelVersion'], '2');
      const versions = modelVersions(emulator, model);
      assert.deepEqual(versions.map((v) => v.version), ['1', '2']);
      assert.equal(versions[1]!.properties.jobName, jobB);
      assert.equal(versions[1]!.properties.properties['azureml-mlops.input.diabetes'], `azureml:${dataAsset}:1`);
      assert.deepEqual(other.buildTags, [`model:${model}:2`]);
    });

    it('an explicit version that holds another model: one clear error naming version, nothing registered', async function () {
      const result = await runRegisterTask({ emulator, inputs: { modelName: model, jobName: jobB, version: '1' } });
      assert.equal(result.result, 'Failed', logOf(result));
      assert.equal(result.errors.length, 1, result.errors.join('\n'));
      assert.match(
        result.errors[0]!,
        new RegExp(`^Input 'version': version 1 of the model '${model}' already exists and holds another model \\(azureml://jobs/${jobA}/outputs/model/paths/, custom_model, registered by .*buildId=5150\\), not azureml://jobs/${jobB}/outputs/model/paths/`),
      );
      assert.doesNotMatch(`${result.rawStdout}\n${result.rawStderr}`, STACK_TRACE);
      assert.equal(modelVersions(emulator, model).length, 2);
      assert.deepEqual(result.buildTags, []);
      assert.deepEqual(result.artifactFiles, []);
    });
  });

  describe('local files', function () {
    let sources: string;
    let first: RegisterTaskResult;
    let again: RegisterTaskResult;
    let blobsBeforeAgain: string[];
    let blobsAfterAgain: string[];
    const localModel = uniqueModelName('diabetes-local');

    before(async function () {
      sources = fs.mkdtempSync(path.join(os.tmpdir(), 'register-bb-local-'));
      fs.mkdirSync(path.join(sources, 'model'));
      fs.writeFileSync(path.join(sources, 'model', 'weights.json'), JSON.stringify({ sources, w: [0.1, 0.2] }));
      fs.writeFileSync(path.join(sources, 'model', 'README.md'), 'A ridge regression model.\n');
      first = await runRegisterTask({ emulator, inputs: { modelName: localModel, localPath: 'model' }, sourcesDirectory: sources });
      blobsBeforeAgain = await datastoreSnapshot(emulator);
      again = await runRegisterTask({ emulator, inputs: { modelName: localModel, localPath: 'model' }, sourcesDirectory: sources });
      blobsAfterAgain = await datastoreSnapshot(emulator);
    });

    after(function () {
      fs.rmSync(sources, { recursive: true, force: true });
    });

    it('uploads the folder by content hash and registers version 1 from the datastore', async function () {
      assertSucceeded(first);
      const [v1, ...more] = modelVersions(emulator, localModel);
      assert.deepEqual(more, []);
      assert.equal(v1?.version, '1');
      const hash = v1!.properties.properties['azureml-mlops.content-hash'];
      assert.match(hash ?? '', /^[0-9a-f]{64}$/);
      assert.equal(v1!.properties.properties['azureml-mlops.source'], 'model');
      assert.equal(v1!.properties.jobName, null);
      assert.match(v1!.properties.modelUri, new RegExp(`/datastores/workspaceblobstore/paths/LocalUpload/${hash}/model$`));
      const blobs = (await emulator.inspect.datastoreBlobs()).map((b) => b.name);
      assert.ok(blobs.includes(`LocalUpload/${hash}/model/weights.json`), 'the files are in the datastore');
      assert.deepEqual(first.buildTags, [`model:${localModel}:1`]);
    });

    it('the same files again: the same version, nothing uploaded, one version', function () {
      assertSucceeded(again);
      assert.equal(again.outputs['ModelVersion'], '1');
      assert.equal(again.outputs['AlreadyRegistered'], 'true');
      assert.deepEqual(blobsAfterAgain, blobsBeforeAgain);
      assert.equal(modelVersions(emulator, localModel).length, 1);
    });
  });
});
