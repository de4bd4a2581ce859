/**
 * AzureMLEvaluate black-box: bad inputs. Each case runs the bundled task against the shared emulator and must end with
 * ONE clear error that names the input, no stack trace, no decision (no ShouldRegister), and nothing changed in the
 * workspace (no ARM write at all: the task only reads).
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { assertOneClearError, inPool, logOf, runTrainTask, SAMPLE_JOB } from '../support/trainTask';
import { commandJobProject, SLOW_TRAINING, trackJobProjects } from '../train/waitFixtures';
import { armWrites, type EvaluateTaskResult, type EvaluateTaskRun, runEvaluateTask, sharedJobs, type TrainedJobs } from './support';

interface BadInputCase {
  readonly name: string;
  readonly run: Omit<EvaluateTaskRun, 'emulator'>;
  /** The one error line. */
  readonly error: RegExp;
}

describe('AzureMLEvaluate black-box: bad inputs', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let jobs: TrainedJobs;
  const cases: BadInputCase[] = [];
  const results = new Map<string, EvaluateTaskResult>();
  let writes: string[];
  const track = trackJobProjects(() => emulator);

  before(async function () {
    emulator = await sharedEmulator();
    jobs = await sharedJobs(emulator);
    // Candidates that cannot be judged: one that failed (train.py refuses a negative alpha), one still running.
    const failed = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: 'inputs.alpha=-1', streamLogs: 'false' } });
    assert.equal(failed.result, 'Failed', logOf(failed));
    const failedJob = failed.outputs['JobName']!;
    const slow = track(commandJobProject('evaluate-running', 'python slow.py 60', { 'slow.py': SLOW_TRAINING }));
    const submitted = await runTrainTask({ emulator, inputs: { jobFile: slow.jobFile, wait: 'false' } });
    assert.equal(submitted.result, 'Succeeded', logOf(submitted));

    const ok = { jobName: jobs.good, rules: 'mse:lower\nr2:higher', modelName: 'diabetes-ridge' };
    const bad = (name: string, inputs: Record<string, string>, error: RegExp, extra: Omit<EvaluateTaskRun, 'emulator' | 'inputs'> = {}): void => {
      cases.push({ name, run: { inputs, ...extra }, error });
    };
    bad('no rules', { ...ok, rules: '' }, /^Input 'rules': a value is required\. Write one rule per line: <metric>:<lower\|higher>\[:<tolerance>\], e\.g\. mse:lower/);
    bad('a rule with an unknown direction', { ...ok, rules: 'mse:lower\nr2:up' }, /^Input 'rules': line 2 \('r2:up'\) has the direction 'up'\. Use lower \(smaller is better, e\.g\. mse\) or higher/);
    bad('a negative tolerance', { ...ok, rules: 'mse:lower:-5%' }, /^Input 'rules': line 1 \('mse:lower:-5%'\) has the tolerance '-5%'\. Give a tolerance of 0 or more/);
    bad('nothing to compare with', { jobName: jobs.good, rules: 'mse:lower' }, /^Input 'baseline': is 'auto', but neither 'endpointName' nor 'modelName' is set, so there is nothing to compare the candidate with\. Set 'endpointName'/);
    bad('taggedModel without modelName', { jobName: jobs.good, rules: 'mse:lower', baseline: 'taggedModel' }, /^Input 'modelName': a value is required with this 'baseline'\. Set 'modelName' to the registered model whose newest version tagged stage=production is the baseline\.$/);
    bad('threshold without thresholds', { jobName: jobs.good, rules: 'mse:lower', baseline: 'threshold' }, /^Input 'thresholds': a value is required with 'baseline' threshold\. Give one metric=value per line for each metric of 'rules', e\.g\. mse=0\.5\.$/);
    bad('a threshold that is not a number', { jobName: jobs.good, rules: 'mse:lower', baseline: 'threshold', thresholds: 'mse=low' }, /^Input 'thresholds': line 1 \('mse=low'\) gives 'low' for 'mse', which is not a number/);
    bad('a rule without a threshold', { jobName: jobs.good, rules: 'mse:lower\nr2:higher', baseline: 'threshold', thresholds: 'mse=3500' }, /^Input 'thresholds': has no threshold for 'r2' \(line 2 of 'rules'\)\. Add a line r2=<value>\.$/);
    bad('an unknown baseline', { ...ok, baseline: 'best' }, /^Input 'baseline': 'best' is not an allowed value\. Use one of: auto, production, taggedModel, latestVersion, threshold\.$/);
    bad('endpointName with baseline latestVersion', { ...ok, baseline: 'latestVersion', endpointName: 'diabetes-prod' }, /^Input 'endpointName': is set, but only the baseline production uses it, and 'baseline' is 'latestVersion'\. Remove 'endpointName', or set 'baseline' to production\.$/);
    bad('an invalid endpoint name', { jobName: jobs.good, rules: 'mse:lower', endpointName: 'prod_endpoint!' }, /^Input 'endpointName': 'prod_endpoint!' is not a valid name\. Use the online endpoint's name: 3 to 32 letters, digits and '-', starting with a letter\.$/);
    bad('a model reference instead of a name', { ...ok, modelName: 'azureml:diabetes-ridge:3' }, /^Input 'modelName': 'azureml:diabetes-ridge:3' is a model reference, but a model name is expected\. Write just the name, 'diabetes-ridge': the baseline chooses the version\.$/);
    bad('a tag without a name', { ...ok, baseline: 'taggedModel', baselineTag: '=production' }, /^Input 'baselineTag': '=production' has no tag name\. Write one tag as key=value/);
    bad('onReject not skip or fail', { ...ok, onReject: 'warn' }, /^Input 'onReject': 'warn' is not an allowed value\. Use one of: skip, fail\.$/);
    bad('allowTie not a boolean', { ...ok, allowTie: 'sometimes' }, /^Input 'allowTie': 'sometimes' is not a boolean\. Use true or false\.$/);
    bad('a jobName variable that was not set', { ...ok, jobName: '$(train.JobName)' }, /^Input 'jobName': is '\$\(train\.JobName\)', a pipeline variable that is not set \(the agent passes it unexpanded\)\. Check the variable's name/);
    bad('a candidate job that does not exist', { ...ok, jobName: 'no-such-job-42' }, /^Input 'jobName': the job 'no-such-job-42' was not found in the Azure ML workspace 'mlops-ws' \(resource group mlops-rg\)/);
    bad('a candidate job that failed', { ...ok, jobName: failedJob }, new RegExp(`^Input 'jobName': the job '${failedJob}' is Failed \\(https://ml\\.azure\\.com/runs/${failedJob}[^)]*\\), but only a Completed job can be evaluated\\. A job that did not complete has no final metrics to promote`));
    bad('a candidate job still running', { ...ok, jobName: slow.jobName }, new RegExp(`^Input 'jobName': the job '${slow.jobName}' is (NotStarted|Queued|Preparing|Starting|Running) \\(.*\\), but only a Completed job can be evaluated\\. Evaluate it once it has finished: run AzureMLTrain with wait: true`));
    bad('pipelineStep on a command job', { ...ok, pipelineStep: 'train' }, new RegExp(`^Input 'pipelineStep': is 'train', but the job '${jobs.good}' is a command job, not a pipeline job\\. Remove 'pipelineStep'`));
    bad('a metric the candidate did not log', { ...ok, rules: 'accuracy:higher' }, new RegExp(`^Input 'rules': line 1: the candidate job '${jobs.good}' has no metric 'accuracy'\\. Its metrics: mse, r2\\.`));
    bad('a workspace that does not exist', { ...ok, workspace: 'nope-ws' }, /^Input 'workspace': the Azure ML workspace 'nope-ws' was not found in resource group 'mlops-rg' .*Workspaces in that resource group: mlops-ws\.$/);
    bad('another workspace than the connection is scoped to', { ...ok, workspace: 'other-ws' }, /^Input 'workspace': is 'other-ws', but the service connection 'evaluate-conn' is scoped to the Azure ML workspace 'mlops-ws'/, { scopeLevel: 'AzureMLWorkspace' });

    const since = emulator.traffic.length;
    const outcomes = await inPool(cases.map((c) => () => runEvaluateTask({ emulator, ...c.run })));
    cases.forEach((c, index) => results.set(c.name, outcomes[index]!));
    writes = armWrites(emulator, since);
  });

  it('covers at least 10 cases', function () {
    assert.ok(cases.length >= 10, `${cases.length} cases`);
  });

  it('changes nothing in the workspace in any case', function () {
    assert.deepEqual(writes, []);
  });

  describe('each ends with one clear error, no stack trace and no decision', function () {
    // The cases are defined in before(): generate the tests from their names, known up front.
    const names = [
      'no rules', 'a rule with an unknown direction', 'a negative tolerance', 'nothing to compare with', 'taggedModel without modelName',
      'threshold without thresholds', 'a threshold that is not a number', 'a rule without a threshold', 'an unknown baseline',
      'endpointName with baseline latestVersion', 'an invalid endpoint name', 'a model reference instead of a name', 'a tag without a name',
      'onReject not skip or fail', 'allowTie not a boolean', 'a jobName variable that was not set', 'a candidate job that does not exist',
      'a candidate job that failed', 'a candidate job still running', 'pipelineStep on a command job', 'a metric the candidate did not log',
      'a workspace that does not exist', 'another workspace than the connection is scoped to',
    ];
    for (const name of names) {
      it(name, function () {
        const badCase = cases.find((c) => c.name === name);
        assert.ok(badCase, `no case named '${name}'`);
        const result = results.get(name)!;
        assertOneClearError(result, badCase.error);
        assert.equal(result.outputs['ShouldRegister'], undefined, 'no decision');
      });
    }

    it('every case defined has a test', function () {
      assert.deepEqual(cases.map((c) => c.name).sort(), [...names].sort());
    });
  });
});
