/**
 * AzureMLTrain black-box: what the task reports — output variables, the run summary, the result — for a job it does
 * not wait for, a job it re-attaches to, and a job that fails.
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { logOf, runTrainTask, SAMPLE_JOB, STACK_TRACE, type TrainTaskResult } from '../support/trainTask';

const TERMINAL = ['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused'];

describe('AzureMLTrain black-box: outputs and summary', function () {
  this.timeout(120_000);
  let emulator: Emulator;

  before(async function () {
    emulator = await sharedEmulator();
  });

  describe('submitted without waiting, then re-attached to with jobName', function () {
    let submitted: TrainTaskResult;
    let attached: TrainTaskResult;
    let jobName: string;

    before(async function () {
      submitted = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, wait: 'false' } });
      jobName = submitted.outputs['JobName'] ?? '';
      attached = await runTrainTask({ emulator, inputs: { jobName } });
    });

    it('without waiting: succeeds at once with JobName, StudioUrl and the status at submission, and no results', function () {
      assert.equal(submitted.result, 'Succeeded', logOf(submitted));
      assert.ok(emulator.inspect.job(jobName), 'the job exists');
      assert.ok(submitted.outputs['JobStatus'] && !TERMINAL.includes(submitted.outputs['JobStatus']), submitted.outputs['JobStatus']);
      const studio = (emulator.inspect.job(jobName) as { properties: { services: { Studio: { endpoint: string } } } }).properties.services.Studio.endpoint;
      assert.equal(submitted.outputs['StudioUrl'], studio);
      assert.equal(submitted.outputs['Metrics'], undefined);
      assert.match(logOf(submitted), new RegExp(`^Azure ML studio: ${studio.replace(/[.?*+^$()[\]{}|\\/]/g, '\\$&')}$`, 'm'));
      assert.match(submitted.summaries.join('\n'), /\(the task did not wait for it to finish\)/);
    });

    it('re-attached: waits for the same job and reports its final status, metrics and outputs', function () {
      assert.equal(attached.result, 'Succeeded', logOf(attached));
      assert.equal(attached.outputs['JobName'], jobName);
      assert.equal(attached.outputs['JobStatus'], 'Completed');
      const metrics = emulator.inspect.metrics(jobName);
      assert.deepEqual(JSON.parse(attached.outputs['Metrics']!), metrics);
      assert.equal(Number(attached.outputs['Metric_r2']), metrics['r2']);
    });

    it('the Output_ URIs point at what the job wrote', async function () {
      const model = attached.outputs['Output_model'];
      assert.equal(model, `azureml://datastores/workspaceblobstore/paths/azureml/${jobName}/model/`);
      assert.deepEqual(JSON.parse(attached.outputs['Outputs']!), { model });
      const blobs = (await emulator.inspect.datastoreBlobs()).map((blob) => blob.name);
      assert.ok(blobs.includes(`azureml/${jobName}/model/model.json`), 'the model is in the datastore at that URI');
    });

    it('the summary has the job, its status and duration, the metrics table and the studio link', function () {
      assert.equal(attached.summaries.length, 1);
      const summary = attached.summaries[0]!;
      assert.match(summary, /^### Azure ML job /m);
      assert.match(summary, /\| Status \| Completed \|/);
      assert.match(summary, /\| Duration \| \d+ s \|/);
      assert.match(summary, /\| Submitted by \| an earlier run \(the task re-attached to it\) \|/);
      assert.match(summary, /\| Metric \| Value \|\n\| --- \| --- \|\n\| mse \| \d+(\.\d+)? \|\n\| r2 \| 0\.\d+ \|/);
      assert.match(summary, /\[Open the job in Azure ML studio\]\(https:\/\/ml\.azure\.com\/runs\//);
    });
  });

  describe('a job that fails', function () {
    let result: TrainTaskResult;

    before(async function () {
      // train.py refuses a negative alpha: the job itself fails, on the service side.
      result = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: 'inputs.alpha=-1' } });
    });

    it("fails the task with the service's own error text, once, without a stack trace", function () {
      assert.equal(result.result, 'Failed', logOf(result));
      assert.equal(result.errors.length, 1, result.errors.join('\n'));
      assert.match(result.errors[0]!, /^The Azure ML job '.+' failed: Execution failed\. .*--alpha must be >= 0\. Logs and details: https:\/\/ml\.azure\.com\/runs\//s);
      assert.doesNotMatch(`${result.rawStdout}\n${result.rawStderr}`, STACK_TRACE);
    });

    it('still sets JobName, StudioUrl and the final JobStatus, and publishes the summary', function () {
      assert.ok(result.outputs['JobName']);
      assert.ok(result.outputs['StudioUrl']);
      assert.equal(result.outputs['JobStatus'], 'Failed');
      assert.match(result.summaries.join('\n'), /\| Status \| Failed \|/);
    });
  });
});
