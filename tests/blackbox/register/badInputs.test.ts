/**
 * AzureMLRegisterModel black-box: bad inputs. Each case runs the bundled task against the shared emulator and must end
 * with ONE clear error that names the input, no stack trace, and nothing done: no model version created, nothing
 * uploaded, no artifact, no build tag.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { assertOneClearError, datastoreSnapshot, inPool, logOf, runTrainTask, SAMPLE_JOB } from '../support/trainTask';
import { modelVersions, type RegisterTaskResult, runRegisterTask, uniqueModelName } from './support/registerTask';

interface BadInputCase {
  readonly name: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** The one error line. */
  readonly error: RegExp;
}

describe('AzureMLRegisterModel black-box: bad inputs', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let sources: string;
  const model = uniqueModelName('bad-inputs');
  const cases: BadInputCase[] = [];
  const results = new Map<string, RegisterTaskResult>();
  let versionsBefore: string[];
  let versionsAfter: string[];
  let blobsBefore: string[];
  let blobsAfter: string[];

  before(async function () {
    emulator = await sharedEmulator();
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'register-bb-bad-'));
    fs.mkdirSync(path.join(sources, 'model'));
    fs.writeFileSync(path.join(sources, 'model', 'weights.json'), JSON.stringify({ sources }));

    const [completed, failed] = await Promise.all([
      runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB } }),
      // train.py refuses a negative alpha: the job fails on the service side.
      runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: 'inputs.alpha=-1' } }),
    ]);
    assert.equal(completed.result, 'Succeeded', logOf(completed));
    const job = completed.outputs['JobName']!;
    const failedJob = failed.outputs['JobName']!;
    assert.equal(failed.outputs['JobStatus'], 'Failed', logOf(failed));
    // Version 1 exists, so an explicit version 1 from another source conflicts.
    const seeded = await runRegisterTask({ emulator, inputs: { modelName: model, localPath: 'model' }, sourcesDirectory: sources });
    assert.equal(seeded.result, 'Succeeded', logOf(seeded));

    const bad = (name: string, inputs: Record<string, string>, error: RegExp): void => {
      cases.push({ name, inputs: { modelName: model, ...inputs }, error });
    };
    bad('an unknown job', { jobName: 'no-such-job-42' }, /^Input 'jobName': the job 'no-such-job-42' was not found in the Azure ML workspace 'mlops-ws' \(resource group mlops-rg\)\. Check the name in Azure ML studio/);
    bad('a job that did not complete', { jobName: failedJob }, new RegExp(`^Input 'jobName': the job '${failedJob}' has status Failed; only the outputs of a Completed job can be registered\\. Register the output of a job that completed\\. The job: https://ml\\.azure\\.com/`));
    bad('an unknown output', { jobName: job, outputName: 'modle' }, new RegExp(`^Input 'outputName': the job '${job}' has no output 'modle'\\. Its outputs: model\\.`));
    bad('a path that is not in the output', { jobName: job, modelPath: 'model.pkl' }, new RegExp(`^Input 'modelPath': 'model\\.pkl' does not exist in the output 'model' of the job '${job}'`));
    bad('a local path that does not exist', { localPath: 'models/missing' }, /^Input 'localPath': '.*models[\\/]missing' does not exist\. Check the path/);
    bad('an unknown model type', { jobName: job, modelType: 'onnx_model' }, /^Input 'modelType': 'onnx_model' is not an allowed value\. Use one of: custom_model, mlflow_model, triton_model\.$/);
    bad('an mlflow_model without its MLmodel file', { jobName: job, modelType: 'mlflow_model' }, new RegExp(`^Input 'modelType': is mlflow_model, but the output 'model' of the job '${job}' has no MLmodel file at its root`));
    bad('an invalid model name', { modelName: 'diabetes.ridge v2', jobName: job }, /^Input 'modelName': 'diabetes\.ridge v2' is not a valid model name\. Use up to 255 letters, digits, '-' and '_'/);
    bad('tags that are not key=value', { jobName: job, tags: 'team=diabetes\nnightly' }, /^Input 'tags': line 2 \('nightly'\) is not in key=value form\. Write one key=value pair per line\.$/);
    bad('a tag the lineage owns', { jobName: job, tags: 'azure-pipelines.build-id=1' }, /^Input 'tags': line 1: the tag 'azure-pipelines\.build-id' starts with 'azure-pipelines\.', which the task keeps for the lineage it records itself/);
    bad(
      'an explicit version that holds another model',
      { jobName: job, version: '1' },
      new RegExp(`^Input 'version': version 1 of the model '${model}' already exists and holds another model \\(model \\(content hash [0-9a-f]{12}\\), custom_model, .*\\), not azureml://jobs/${job}/outputs/model/paths/ \\(custom_model\\)`),
    );
    bad('both a job and local files', { jobName: job, localPath: 'model' }, /^Input 'localPath': both a job output \('jobName'\) and local files \('localPath'\) are set, but a model version has one source/);
    bad('no source at all', {}, /^Input 'jobName': a value is required: no model source is set\./);
    bad('a metric the job did not log', { jobName: job, metrics: 'r2\naccuracy' }, new RegExp(`^Input 'metrics': the job '${job}' logged no metric 'accuracy'\\. It logged: mse, r2\\.$`));
    bad('a job output URI naming another job than jobName', { jobName: job, modelPath: `azureml://jobs/${failedJob}/outputs/model/paths/` }, new RegExp(`^Input 'modelPath': names the job '${failedJob}', but 'jobName' is '${job}'`));

    versionsBefore = modelVersions(emulator, model).map((v) => v.version);
    blobsBefore = await datastoreSnapshot(emulator);
    const outcomes = await inPool(cases.map((c) => () => runRegisterTask({ emulator, inputs: c.inputs, sourcesDirectory: sources })));
    cases.forEach((c, index) => results.set(c.name, outcomes[index]!));
    versionsAfter = modelVersions(emulator, model).map((v) => v.version);
    blobsAfter = await datastoreSnapshot(emulator);
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  it('covers at least 10 cases', function () {
    assert.ok(cases.length >= 10, `${cases.length} cases`);
  });

  it('creates no model version and uploads nothing in any case', function () {
    assert.deepEqual(versionsBefore, ['1']);
    assert.deepEqual(versionsAfter, versionsBefore);
    assert.deepEqual(blobsAfter, blobsBefore);
    assert.deepEqual(emulator.inspect.modelVersions('diabetes.ridge v2'), []);
  });

  describe('each ends with one clear error, no stack trace, no output, artifact or build tag', function () {
    // The cases are defined in before(): generate the tests from their names, known up front.
    const names = [
      'an unknown job', 'a job that did not complete', 'an unknown output', 'a path that is not in the output', 'a local path that does not exist',
      'an unknown model type', 'an mlflow_model without its MLmodel file', 'an invalid model name', 'tags that are not key=value', 'a tag the lineage owns',
      'an explicit version that holds another model', 'both a job and local files', 'no source at all', 'a metric the job did not log',
      'a job output URI naming another job than jobName',
    ];
    for (const name of names) {
      it(name, function () {
        const badCase = cases.find((c) => c.name === name);
        assert.ok(badCase, `no case named '${name}'`);
        const result = results.get(name)!;
        assertOneClearError(result, badCase.error);
        assert.deepEqual(result.outputs, {}, 'no output variable');
        assert.deepEqual(result.artifacts, [], 'no artifact');
        assert.deepEqual(result.buildTags, [], 'no build tag');
      });
    }

    it('every case defined has a test', function () {
      assert.deepEqual(cases.map((c) => c.name).sort(), [...names].sort());
    });
  });
});
