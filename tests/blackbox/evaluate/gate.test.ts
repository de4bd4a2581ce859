/**
 * AzureMLEvaluate black-box: the bundled task, run as the agent runs it, judges REAL jobs of the emulator (the diabetes
 * sample trained with several alphas, a job logging chosen metrics, a pipeline) against each kind of baseline. Model
 * versions, endpoints and deployments are created with plain ARM calls, as `az ml` would.
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { inPool, logOf, STACK_TRACE } from '../support/trainTask';
import { armWrites, type EvaluateTaskResult, runEvaluateTask, sharedJobs, type TrainedJobs, uniqueName, Workspace } from './support';

const RULES = 'mse:lower\nr2:higher';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function assertPromoted(result: EvaluateTaskResult, decision: RegExp): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.equal(result.outputs['ShouldRegister'], 'true', logOf(result));
  assert.match(result.outputs['Decision'] ?? '', decision);
  assert.ok(logOf(result).includes(result.outputs['Decision']!), 'the decision is in the log');
}

/** onReject skip (the default): the task succeeds with the decision as its one warning. */
function assertRejected(result: EvaluateTaskResult, decision: RegExp): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.equal(result.outputs['ShouldRegister'], 'false', logOf(result));
  assert.match(result.outputs['Decision'] ?? '', decision);
  assert.deepEqual(result.warnings, [result.outputs['Decision']]);
}

describe('AzureMLEvaluate black-box: the promotion gate', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let jobs: TrainedJobs;
  let workspace: Workspace;
  /** The metrics the emulator holds for a job (what the job really logged). */
  let logged: (job: string) => Record<string, number>;
  const evaluate = (inputs: Record<string, string>): Promise<EvaluateTaskResult> => runEvaluateTask({ emulator, inputs: { rules: RULES, ...inputs } });

  before(async function () {
    emulator = await sharedEmulator();
    jobs = await sharedJobs(emulator);
    workspace = await Workspace.connect(emulator);
    logged = (job) => emulator.inspect.metrics(job);
  });

  it('the jobs really logged the numbers the cases rely on', function () {
    assert.equal(logged(jobs.good)['mse']!.toFixed(2), '3353.80');
    assert.equal(logged(jobs.middle)['mse']!.toFixed(2), '3442.80');
    assert.equal(logged(jobs.weak)['mse']!.toFixed(2), '3747.54');
    assert.deepEqual(logged(jobs.goodAgain), logged(jobs.good));
  });

  describe('baseline latestVersion: the newest version of the model, with the metrics of the job that produced it', function () {
    let model: string;
    let better: EvaluateTaskResult;
    let worse: EvaluateTaskResult;
    let worseFail: EvaluateTaskResult;
    let since: number;

    before(async function () {
      model = uniqueName('diabetes-latest');
      await workspace.registerFromJob(model, '1', jobs.weak);
      await workspace.registerFromJob(model, '2', jobs.middle);
      since = emulator.traffic.length;
      [better, worse, worseFail] = await inPool([
        () => evaluate({ jobName: jobs.good, modelName: model }),
        () => evaluate({ jobName: jobs.weak, modelName: model, baseline: 'latestVersion' }),
        () => evaluate({ jobName: jobs.weak, modelName: model, baseline: 'latestVersion', onReject: 'fail' }),
      ]);
    });

    it('promotes a better candidate: ShouldRegister true, and a Decision with both values, the baseline and the margin', function () {
      assertPromoted(better, new RegExp(`^Promote: mse 3353\\.8 is lower than 3442\\.8 \\(${escape(model)}:2, the newest version\\) by 88\\.99\\d* \\(tolerance 0\\); r2 0\\.45\\d+ is higher than 0\\.438\\d+ by 0\\.01\\d+ \\(tolerance 0\\)\\.$`));
      assert.equal(better.outputs['BaselineModel'], `${model}:2`);
      assert.deepEqual(JSON.parse(better.outputs['CandidateMetrics']!), logged(jobs.good));
      assert.match(logOf(better), new RegExp(`The model ${escape(model)}:2 was produced by the job '${jobs.middle}': its metrics are read from that job's MLflow run\\.`));
    });

    it('the summary shows candidate against baseline metric by metric, with delta and verdict, and links both jobs', function () {
      assert.equal(better.summaries.length, 1);
      const summary = better.summaries[0]!;
      assert.match(summary, /\| Metric \| Rule \| Candidate \| Baseline \| Delta \| Tolerance \| Verdict \|/);
      assert.match(summary, /\| mse \| lower is better \| 3353\.8 \| 3442\.8 \| -88\.99\d* \| 0 \| better \|/);
      assert.match(summary, /\| r2 \| higher is better \| 0\.45\d+ \| 0\.438\d+ \| \+0\.01\d+ \| 0 \| better \|/);
      assert.ok(summary.includes(`](https://ml.azure.com/runs/${jobs.good}`), 'candidate job link');
      assert.ok(summary.includes(`](https://ml.azure.com/runs/${jobs.middle}`), 'baseline job link');
    });

    it('rejects a worse candidate; onReject skip (default) succeeds with a warning and ShouldRegister false', function () {
      assertRejected(worse, new RegExp(`^Reject: mse 3747\\.54 is higher than 3442\\.8 \\(${escape(model)}:2, the newest version\\) by 304\\.\\d+ \\(tolerance 0\\); r2 0\\.388\\d+ is lower than 0\\.438\\d+`));
      assert.match(logOf(worse), /ShouldRegister: false\. The task succeeds \(onReject: skip\)/);
    });

    it('onReject fail: the task fails with the decision as its one error, and still sets the outputs', function () {
      assert.equal(worseFail.result, 'Failed', logOf(worseFail));
      assert.deepEqual(worseFail.errors, [worseFail.outputs['Decision']]);
      assert.equal(worseFail.outputs['ShouldRegister'], 'false');
      assert.doesNotMatch(`${worseFail.rawStdout}\n${worseFail.rawStderr}`, STACK_TRACE);
    });

    it('changes nothing in the workspace', function () {
      assert.deepEqual(armWrites(emulator, since), []);
    });
  });

  describe('baseline taggedModel: the newest version carrying the tag', function () {
    let model: string;
    let results: EvaluateTaskResult[];

    before(async function () {
      model = uniqueName('diabetes-tagged');
      await workspace.registerFromJob(model, '1', jobs.weak, { tags: { stage: 'production' } });
      await workspace.registerFromJob(model, '2', jobs.good, { tags: { stage: 'staging' } });
      await workspace.registerFromJob(model, '3', jobs.middle);
      results = await inPool([
        () => evaluate({ jobName: jobs.middle, baseline: 'taggedModel', modelName: model }),
        () => evaluate({ jobName: jobs.middle, baseline: 'taggedModel', modelName: model, baselineTag: 'stage=staging' }),
        () => evaluate({ jobName: jobs.middle, baseline: 'taggedModel', modelName: model, baselineTag: 'stage' }),
        () => evaluate({ jobName: jobs.middle, baseline: 'taggedModel', modelName: model, baselineTag: 'approved' }),
      ]);
    });

    it('by default stage=production, skipping newer versions without it', function () {
      assertPromoted(results[0]!, new RegExp(`^Promote: mse 3442\\.8 is lower than 3747\\.54 \\(${escape(model)}:1, the newest version with the tag stage=production\\)`));
      assert.equal(results[0]!.outputs['BaselineModel'], `${model}:1`);
    });

    it('baselineTag key=value chooses another tagged version', function () {
      assertRejected(results[1]!, new RegExp(`^Reject: mse 3442\\.8 is higher than 3353\\.8 \\(${escape(model)}:2, the newest version with the tag stage=staging\\)`));
    });

    it('baselineTag key alone: the newest version with that tag, whatever its value', function () {
      assert.equal(results[2]!.outputs['BaselineModel'], `${model}:2`, logOf(results[2]!));
    });

    it('no version with the tag: the first model, promoted', function () {
      assertPromoted(results[3]!, new RegExp(`^Promote: first model, as no version of the model '${escape(model)}' carries the tag approved yet \\(mse 3442\\.8, r2 0\\.438\\d+\\)\\.$`));
      assert.equal(results[3]!.outputs['BaselineModel'], '');
    });
  });

  describe('baseline threshold: fixed values, each rule kind', function () {
    let results: EvaluateTaskResult[];

    before(async function () {
      const threshold = (rules: string, thresholds: string, extra: Record<string, string> = {}) => () =>
        evaluate({ jobName: jobs.good, baseline: 'threshold', rules, thresholds, ...extra });
      results = await inPool([
        threshold(RULES, 'mse=3500\nr2=0.4'),
        threshold('mse:lower:200', 'mse=3500'),
        threshold('mse:lower:100', 'mse=3500'),
        threshold('r2:higher:5%', 'r2=0.47'),
        threshold('r2:higher:2%', 'r2=0.47'),
        threshold('mse:lower:200', 'mse=3500', { allowTie: 'true' }),
        threshold('mse:higher', 'mse=3500'),
      ]);
    });

    it('better than every threshold: promoted', function () {
      assertPromoted(results[0]!, /^Promote: mse 3353\.8 is lower than 3500 \(threshold\) by 146\.\d+ \(tolerance 0\); r2 0\.45\d+ is higher than 0\.4 by 0\.05\d+ \(tolerance 0\)\.$/);
      assert.equal(results[0]!.outputs['BaselineModel'], '');
    });

    it('an absolute tolerance: within it a tie (rejected), beyond it better', function () {
      assertRejected(results[1]!, /^Reject: a tie, no metric is better: mse 3353\.8 is within tolerance 200 of 3500 \(threshold\) \(lower by 146\.\d+\)\. Set allowTie to true to promote ties\.$/);
      assertPromoted(results[2]!, /^Promote: mse 3353\.8 is lower than 3500 \(threshold\) by 146\.\d+ \(tolerance 100\)\.$/);
    });

    it('a relative tolerance: a percentage of the baseline value', function () {
      assertRejected(results[3]!, /^Reject: a tie, no metric is better: r2 0\.45\d+ is within tolerance 5% = 0\.0235 of 0\.47 \(threshold\) \(lower by 0\.01\d+\)/);
      assertRejected(results[4]!, /^Reject: r2 0\.45\d+ is lower than 0\.47 \(threshold\) by 0\.01\d+ \(tolerance 2% = 0\.0094\)\.$/);
    });

    it('allowTie promotes a tie', function () {
      assertPromoted(results[5]!, /^Promote: a tie, allowed by allowTie: mse 3353\.8 is within tolerance 200 of 3500/);
    });

    it('the direction decides: with mse:higher the same numbers are worse', function () {
      assertRejected(results[6]!, /^Reject: mse 3353\.8 is lower than 3500 \(threshold\) by 146\.\d+ \(tolerance 0\)\.$/);
    });
  });

  describe('a tie between two real jobs, and the first model', function () {
    let model: string;
    let results: EvaluateTaskResult[];

    before(async function () {
      model = uniqueName('diabetes-tie');
      await workspace.registerFromJob(model, '1', jobs.good);
      results = await inPool([
        () => evaluate({ jobName: jobs.goodAgain, modelName: model }),
        () => evaluate({ jobName: jobs.goodAgain, modelName: model, allowTie: 'true' }),
        () => evaluate({ jobName: jobs.good, modelName: uniqueName('never-registered') }),
      ]);
    });

    it('the same training twice: every metric equal, a tie, rejected by default', function () {
      assertRejected(results[0]!, new RegExp(`^Reject: a tie, no metric is better: mse 3353\\.8 equals 3353\\.8 \\(${escape(model)}:1, the newest version\\) \\(tolerance 0\\); r2 (0\\.45\\d+) equals \\1 \\(tolerance 0\\)\\. Set allowTie to true to promote ties\\.$`));
    });

    it('allowTie: the tie is promoted', function () {
      assertPromoted(results[1]!, /^Promote: a tie, allowed by allowTie: mse 3353\.8 equals 3353\.8/);
    });

    it('a model never registered: no baseline yet, the first model is promoted', function () {
      assertPromoted(results[2]!, /^Promote: first model, as the model 'never-registered-[0-9a-f]+' has no registered version yet \(mse 3353\.8, r2 0\.45\d+\)\.$/);
      assert.equal(results[2]!.outputs['BaselineModel'], '');
      assert.deepEqual(results[2]!.warnings, []);
    });
  });

  describe('missing metrics', function () {
    let model: string;
    let fromFiles: string;
    let results: EvaluateTaskResult[];

    before(async function () {
      model = uniqueName('diabetes-missing');
      fromFiles = uniqueName('diabetes-files');
      await workspace.registerFromJob(model, '1', jobs.weak);
      // Registered from the files the weak job wrote: no job, only the metric recorded on the model (no r2).
      await workspace.registerFromFiles(fromFiles, '1', jobs.weak, { 'azureml-mlops.metric.mse': String(logged(jobs.weak)['mse']) });
      results = await inPool([
        () => evaluate({ jobName: jobs.good, modelName: model, rules: 'mse:lower\nrmse:lower' }),
        () => evaluate({ jobName: jobs.withMae, modelName: model, rules: 'mse:lower\nmae:lower' }),
        () => evaluate({ jobName: jobs.good, modelName: fromFiles }),
      ]);
    });

    it('on the candidate: one error that names the metrics the job has', function () {
      const result = results[0]!;
      assert.equal(result.result, 'Failed', logOf(result));
      assert.deepEqual(result.errors, [
        `Input 'rules': line 2: the candidate job '${jobs.good}' has no metric 'rmse'. Its metrics: mse, r2. Use one of those names, or log the metric in the training script (mlflow.log_metric).`,
      ]);
      assert.equal(result.outputs['ShouldRegister'], undefined);
    });

    it('on the baseline: reported, and the other metrics decide', function () {
      const result = results[1]!;
      assertPromoted(result, new RegExp(`^Promote: mse 3400 is lower than 3747\\.54 \\(${escape(model)}:1, the newest version\\) by 347\\.\\d+ \\(tolerance 0\\); not compared, missing on the baseline: mae\\.$`));
      assert.match(logOf(result), /Not compared, as the baseline has no value for them: mae\. The other metrics decide\./);
      assert.match(result.summaries[0]!, /\| mae \| lower is better \| 47 \| — \| — \| — \| not compared: missing on the baseline \|/);
    });

    it('a model registered from files: the metrics recorded on the model, and the summary says so', function () {
      const result = results[2]!;
      assertPromoted(result, new RegExp(`^Promote: mse 3353\\.8 is lower than 3747\\.54 \\(${escape(fromFiles)}:1, the newest version\\) by 393\\.\\d+ \\(tolerance 0\\); not compared, missing on the baseline: r2\\.$`));
      assert.match(logOf(result), new RegExp(`The model ${escape(fromFiles)}:1 was not produced by a job \\(registered from files\\): its metrics are those recorded on the model\\.`));
      assert.match(result.summaries[0]!, /\| Baseline metrics from \| metrics recorded on the model \(model properties azureml-mlops\.metric\.\\\*\) \|/);
    });
  });

  describe('a pipeline candidate', function () {
    let results: EvaluateTaskResult[];

    before(async function () {
      const threshold = { baseline: 'threshold', jobName: jobs.pipeline };
      results = await inPool([
        () => evaluate({ ...threshold, rules: 'train.mse:lower\nr2:higher', thresholds: 'train.mse=3500\nr2=0.4' }),
        () => evaluate({ ...threshold, rules: 'mse:lower', thresholds: 'mse=3500' }),
        () => evaluate({ ...threshold, pipelineStep: 'train', rules: 'mse:lower', thresholds: 'mse=3400' }),
        () => evaluate({ ...threshold, pipelineStep: 'evaluate', rules: 'mse:lower', thresholds: 'mse=3400' }),
      ]);
    });

    it('rules name a step metric as <step>.<metric>, or plainly when one step alone logs it', function () {
      assertPromoted(results[0]!, /^Promote: train\.mse 3353\.8 is lower than 3500 \(threshold\) by 146\.2 \(tolerance 0\); r2 0\.45 is higher than 0\.4 by 0\.05 \(tolerance 0\)\.$/);
      assert.match(logOf(results[0]!), / {2}r2 = 0\.45 \(step train\)/);
    });

    it('a plain name logged by several steps: one error with the names to choose from', function () {
      assert.deepEqual(results[1]!.errors, [
        `Input 'rules': line 1: the metric 'mse' is logged by several steps of the pipeline job '${jobs.pipeline}'. Name the step's metric: check.mse or train.mse; or set 'pipelineStep'.`,
      ]);
    });

    it('pipelineStep judges that step; an unknown step is one error listing the steps', function () {
      assertPromoted(results[2]!, /^Promote: mse 3353\.8 is lower than 3400 \(threshold\)/);
      assert.equal(results[3]!.result, 'Failed');
      assert.deepEqual(results[3]!.errors, [
        `Input 'pipelineStep': the pipeline job '${jobs.pipeline}' has no step 'evaluate' that logged metrics (steps with metrics: check, train). Use the step's key under jobs: in the pipeline YAML, as listed.`,
      ]);
    });
  });
});
