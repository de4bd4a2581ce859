/**
 * AzureMLEvaluate L0: the task's tsc output under azure-pipelines-task-lib's MockTestRunner, offline. The workspace
 * (ARM reads and MLflow) is faked (support/evaluateRunner.ts); inputs, the baseline lookup, the judgement, the
 * outputs and the summary are the real code.
 */
import assert from 'node:assert/strict';

import { type L0Result, runScenario, type ScenarioInput, WORKSPACE_INPUTS } from './support/runScenario';
import type { SeededResource, SeededRun } from './support/scenario';

const CANDIDATE = 'diabetes-ridge_candidate01';
const RULES = 'mse:lower\nr2:higher';

type World = { resources: Record<string, SeededResource>; runs: Record<string, SeededRun> };

function world(): World {
  return { resources: {}, runs: {} };
}

function addJob(w: World, name: string, metrics: Record<string, number>, options: { status?: string; jobType?: string } = {}): World {
  w.resources[`jobs/${name}`] = {
    properties: {
      jobType: options.jobType ?? 'Command',
      status: options.status ?? 'Completed',
      experimentName: 'diabetes-ridge',
      services: { Studio: { endpoint: `https://ml.azure.com/runs/${name}?wsid=/x` } },
    },
  };
  w.runs[name] = { metrics };
  return w;
}

let clock = Date.UTC(2025, 0, 1);
/** A model version (and its container), created after every earlier one. */
function addModel(w: World, name: string, version: string, properties: { jobName?: string; tags?: Record<string, string>; properties?: Record<string, string> } = {}): World {
  w.resources[`models/${name}`] = { properties: {} };
  clock += 60_000;
  w.resources[`models/${name}/versions/${version}`] = { properties: { modelType: 'custom_model', modelUri: `azureml://jobs/${properties.jobName ?? 'x'}/outputs/model`, ...properties }, systemData: { createdAt: new Date(clock).toISOString() } };
  return w;
}

function addEndpoint(w: World, name: string, traffic: Record<string, number>, deployments: Record<string, string | null>): World {
  w.resources[`onlineEndpoints/${name}`] = { properties: { authMode: 'Key', provisioningState: 'Succeeded', traffic } };
  for (const [deployment, model] of Object.entries(deployments)) {
    w.resources[`onlineEndpoints/${name}/deployments/${deployment}`] = { properties: { endpointComputeType: 'Managed', model, provisioningState: 'Succeeded' } };
  }
  return w;
}

const modelId = (name: string, version: string): string =>
  `/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-l0/providers/Microsoft.MachineLearningServices/workspaces/ws-l0/models/${name}/versions/${version}`;

function run(w: World, inputs: Record<string, string>, extra: Partial<ScenarioInput> = {}): Promise<L0Result> {
  return runScenario({ inputs: { ...WORKSPACE_INPUTS, jobName: CANDIDATE, rules: RULES, ...inputs }, resources: w.resources, runs: w.runs, ...extra });
}

function assertFailedWithOneError(result: L0Result, pattern: RegExp): void {
  assert.equal(result.succeeded, false, 'the task should fail');
  assert.equal(result.errors.length, 1, `one error expected, got: ${JSON.stringify(result.errors)}`);
  assert.match(result.errors[0]!, pattern);
  assert.doesNotMatch(`${result.stdout}\n${result.stderr}`, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
}

/** The task only reads. */
function assertReadOnly(result: L0Result): void {
  assert.deepEqual(result.calls.filter((c) => c.method !== 'GET' && c.method !== 'OPEN' && !c.path.startsWith('mlflow:runs/search')), []);
}

/** The diabetes sample's numbers: alpha 0.5 (good) and alpha 500 (weak). */
const GOOD = { mse: 3353.797, r2: 0.452847 };
const WEAK = { mse: 3747.5432, r2: 0.388612 };

describe('AzureMLEvaluate L0 (mock runner, tsc output)', function () {
  this.timeout(60_000);

  describe('latestVersion: a better candidate', function () {
    let result: L0Result;

    before(async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      addJob(w, 'base-job-1', { mse: 4000, r2: 0.3 });
      addJob(w, 'base-job-2', WEAK);
      addModel(w, 'diabetes-ridge', '1', { jobName: 'base-job-1' });
      addModel(w, 'diabetes-ridge', '2', { jobName: 'base-job-2' });
      result = await run(w, { modelName: 'diabetes-ridge' });
    });

    it('promotes, judging against the newest version and the metrics of the job that produced it', function () {
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.outputs['ShouldRegister'], 'true');
      assert.equal(
        result.outputs['Decision'],
        'Promote: mse 3353.8 is lower than 3747.54 (diabetes-ridge:2, the newest version) by 393.746 (tolerance 0); r2 0.452847 is higher than 0.388612 by 0.064235 (tolerance 0).',
      );
      assert.equal(result.outputs['BaselineModel'], 'diabetes-ridge:2');
      assert.deepEqual(JSON.parse(result.outputs['CandidateMetrics']!), GOOD);
      assert.match(result.stdout, /The model diabetes-ridge:2 was produced by the job 'base-job-2': its metrics are read from that job's MLflow run\./);
      assert.deepEqual(result.warnings, []);
    });

    it('logs the comparison table', function () {
      assert.match(result.stdout, /Metric +Rule +Candidate +Baseline +Delta +Tolerance +Verdict/);
      assert.match(result.stdout, /mse +lower is better +3353\.8 +3747\.54 +-393\.746 +0 +better/);
    });

    it('publishes a summary: the decision, both jobs linked, metric by metric with delta and verdict', function () {
      assert.equal(result.summaries.length, 1);
      const summary = result.summaries[0]!;
      assert.match(summary, /^### Azure ML evaluation: promote diabetes-ridge\\_candidate01/m);
      assert.match(summary, /\| Metric \| Rule \| Candidate \| Baseline \| Delta \| Tolerance \| Verdict \|/);
      assert.match(summary, /\| r2 \| higher is better \| 0\.452847 \| 0\.388612 \| \+0\.064235 \| 0 \| better \|/);
      assert.match(summary, /\| Baseline metrics from \| the MLflow run of job base-job-2 \|/);
      assert.match(summary, /\[Candidate job diabetes-ridge\\_candidate01 in Azure ML studio\]\(https:\/\/ml\.azure\.com\/runs\/diabetes-ridge_candidate01/);
      assert.match(summary, /\[Baseline job base-job-2 in Azure ML studio\]\(https:\/\/ml\.azure\.com\/runs\/base-job-2/);
      assert.match(summary, /\[Baseline model diabetes-ridge:2 in Azure ML studio\]\(https:\/\/ml\.azure\.com\/model\/diabetes-ridge:2\/details\?wsid=/);
    });

    it('only reads', function () {
      assertReadOnly(result);
    });
  });

  describe('a worse candidate', function () {
    const w = world();
    addJob(w, CANDIDATE, WEAK);
    addJob(w, 'base-job', GOOD);
    addModel(w, 'diabetes-ridge', '1', { jobName: 'base-job' });

    it('onReject skip (default): succeeds with the decision as a warning and ShouldRegister false', async function () {
      const result = await run(w, { modelName: 'diabetes-ridge' });
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.outputs['ShouldRegister'], 'false');
      const decision = 'Reject: mse 3747.54 is higher than 3353.8 (diabetes-ridge:1, the newest version) by 393.746 (tolerance 0); r2 0.388612 is lower than 0.452847 by 0.064235 (tolerance 0).';
      assert.equal(result.outputs['Decision'], decision);
      assert.deepEqual(result.warnings, [decision]);
      assert.match(result.summaries[0] ?? '', /\| ShouldRegister \| false \(onReject: skip\) \|/);
    });

    it('onReject fail: fails with the decision, the outputs still set', async function () {
      const result = await run(w, { modelName: 'diabetes-ridge', onReject: 'fail' });
      assertFailedWithOneError(result, /^Reject: mse 3747\.54 is higher than 3353\.8 \(diabetes-ridge:1, the newest version\)/);
      assert.equal(result.outputs['ShouldRegister'], 'false');
      assert.equal(result.outputs['Decision'], result.errors[0]);
      assert.equal(result.summaries.length, 1);
    });
  });

  describe('production', function () {
    function productionWorld(traffic: Record<string, number>): World {
      const w = world();
      addJob(w, CANDIDATE, { mse: 3500, r2: 0.42 });
      addJob(w, 'blue-job', GOOD);
      addJob(w, 'green-job', WEAK);
      addModel(w, 'diabetes-ridge', '1', { jobName: 'blue-job' });
      addModel(w, 'diabetes-ridge', '2', { jobName: 'green-job' });
      return addEndpoint(w, 'diabetes-prod', traffic, { blue: modelId('diabetes-ridge', '1'), green: 'azureml:diabetes-ridge:2' });
    }

    it('judges against the model of the deployment that takes the most traffic (auto: an endpoint is named)', async function () {
      const toGreen = await run(productionWorld({ blue: 20, green: 80 }), { endpointName: 'diabetes-prod' });
      assert.equal(toGreen.outputs['ShouldRegister'], 'true', toGreen.stdout);
      assert.match(toGreen.outputs['Decision']!, /^Promote: mse 3500 is lower than 3747\.54 \(production diabetes-ridge:2 on endpoint diabetes-prod, deployment green\) by 247\.543/);
      assert.match(toGreen.summaries[0]!, /\| Traffic \| deployment green takes 80% on endpoint diabetes-prod \|/);

      const toBlue = await run(productionWorld({ blue: 90, green: 10 }), { endpointName: 'diabetes-prod' });
      assert.equal(toBlue.outputs['ShouldRegister'], 'false');
      assert.equal(toBlue.outputs['BaselineModel'], 'diabetes-ridge:1');
      assert.match(toBlue.outputs['Decision']!, /^Reject: mse 3500 is higher than 3353\.8 \(production diabetes-ridge:1 on endpoint diabetes-prod, deployment blue\)/);
    });

    it('equal traffic: reports the tie and uses the first deployment by name', async function () {
      const result = await run(productionWorld({ blue: 50, green: 50 }), { endpointName: 'diabetes-prod' });
      assert.deepEqual(result.warnings.slice(0, 1), [
        "The deployments blue, green of the online endpoint 'diabetes-prod' take 50% of the traffic each: the baseline is the model of 'blue' (the first by name).",
      ]);
      assert.equal(result.outputs['BaselineModel'], 'diabetes-ridge:1');
    });

    it('an endpoint that does not exist yet: the first model, promoted, with an info line', async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      const result = await run(w, { baseline: 'production', endpointName: 'diabetes-prod' });
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.outputs['ShouldRegister'], 'true');
      assert.equal(result.outputs['Decision'], "Promote: first model, as the online endpoint 'diabetes-prod' does not exist yet (mse 3353.8, r2 0.452847).");
      assert.equal(result.outputs['BaselineModel'], '');
      assert.match(result.stdout, /No baseline: the online endpoint 'diabetes-prod' does not exist yet/);
      assert.deepEqual(result.warnings, []);
    });

    it('an endpoint without live traffic (mirrored traffic does not count): the first model', async function () {
      const w = productionWorld({ blue: 0 });
      const result = await run(w, { endpointName: 'diabetes-prod' });
      assert.equal(result.outputs['ShouldRegister'], 'true', result.stdout);
      assert.match(result.outputs['Decision']!, /sends no live traffic to any deployment yet/);
    });

    it('a deployment serving a model that is not in the workspace: one clear error', async function () {
      const w = productionWorld({ blue: 100 });
      addEndpoint(w, 'diabetes-prod', { blue: 100 }, { blue: 'azureml://registries/shared-models/models/diabetes-ridge/versions/4' });
      const result = await run(w, { endpointName: 'diabetes-prod' });
      assertFailedWithOneError(result, /^The deployment 'blue' of the online endpoint 'diabetes-prod' serves the model 'azureml:\/\/registries\/shared-models\/models\/diabetes-ridge\/versions\/4', which is not a model version of this workspace/);
      assert.equal(result.outputs['ShouldRegister'], undefined);
    });

    it('traffic to a deployment that does not exist: one clear error', async function () {
      const w = productionWorld({ blue: 100 });
      w.resources['onlineEndpoints/diabetes-prod'] = { properties: { traffic: { red: 100 } } };
      const result = await run(w, { endpointName: 'diabetes-prod' });
      assertFailedWithOneError(result, /^The online endpoint 'diabetes-prod' sends 100% of its traffic to the deployment 'red', which does not exist\./);
    });

    it('warns when the endpoint serves another model than modelName', async function () {
      const result = await run(productionWorld({ blue: 100 }), { endpointName: 'diabetes-prod', modelName: 'diabetes-lasso' });
      assert.ok(result.warnings.some((w) => /serves the model 'diabetes-ridge', not 'diabetes-lasso' \(modelName\)/.test(w)), result.warnings.join('\n'));
    });
  });

  describe('taggedModel', function () {
    it('the newest version with the tag (default stage=production), skipping newer untagged ones', async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      addJob(w, 'prod-job', WEAK);
      addJob(w, 'staging-job', { mse: 3000, r2: 0.5 });
      addModel(w, 'diabetes-ridge', '3', { jobName: 'prod-job', tags: { stage: 'production' } });
      addModel(w, 'diabetes-ridge', '4', { jobName: 'staging-job', tags: { stage: 'staging' } });
      const result = await run(w, { baseline: 'taggedModel', modelName: 'diabetes-ridge' });
      assert.equal(result.outputs['BaselineModel'], 'diabetes-ridge:3', result.stdout);
      assert.match(result.outputs['Decision']!, /\(diabetes-ridge:3, the newest version with the tag stage=production\)/);
      assert.ok(result.calls.some((c) => c.path === 'models/diabetes-ridge/versions?%24orderBy=createdtime+desc&listViewType=ActiveOnly&tags=stage%3Dproduction'), JSON.stringify(result.calls));
    });

    it('no version with the tag yet: the first model', async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      addModel(w, 'diabetes-ridge', '1', { tags: { stage: 'staging' } });
      const result = await run(w, { baseline: 'taggedModel', modelName: 'diabetes-ridge', baselineTag: 'approved' });
      assert.equal(result.outputs['ShouldRegister'], 'true');
      assert.match(result.outputs['Decision']!, /^Promote: first model, as no version of the model 'diabetes-ridge' carries the tag approved yet \(mse 3353\.8, r2 0\.452847\)\.$/);
    });
  });

  describe('baseline metrics from the model', function () {
    it('a model registered from files (no job): the metrics recorded as model properties, and the source is said', async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      addModel(w, 'diabetes-ridge', '1', { properties: { 'azureml-mlops.metric.mse': '3747.5432', 'azureml-mlops.metric.r2': 'n/a' } });
      const result = await run(w, { modelName: 'diabetes-ridge' });
      assert.equal(result.succeeded, true, result.stdout);
      assert.match(result.stdout, /The model diabetes-ridge:1 was not produced by a job \(registered from files\): its metrics are those recorded on the model\./);
      assert.match(result.outputs['Decision']!, /^Promote: mse 3353\.8 is lower than 3747\.54 \(diabetes-ridge:1, the newest version\) by 393\.746 \(tolerance 0\); not compared, missing on the baseline: r2\.$/);
      assert.match(result.summaries[0]!, /\| Baseline metrics from \| metrics recorded on the model/);
      assert.match(result.summaries[0]!, /\| r2 \| higher is better \| 0\.452847 \| — \| — \| — \| not compared: missing on the baseline \|/);
    });

    it('a baseline without any rule metric: promoted like a first model, with a warning that says so', async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      addJob(w, 'silent-job', { accuracy: 0.9 });
      addModel(w, 'diabetes-ridge', '1', { jobName: 'silent-job' });
      const result = await run(w, { modelName: 'diabetes-ridge' });
      assert.equal(result.outputs['ShouldRegister'], 'true');
      assert.match(result.outputs['Decision']!, /^Promote: no rule metric could be compared, as the baseline \(diabetes-ridge:1, the newest version\) has none of mse, r2; promoted like a first model\.$/);
      assert.equal(result.warnings.length, 1);
      assert.match(result.warnings[0]!, /nothing could be compared and the candidate is promoted like a first model/);
    });

    it('skips a version registered from the candidate job itself (a re-run after registration)', async function () {
      const w = world();
      addJob(w, CANDIDATE, GOOD);
      addJob(w, 'base-job', WEAK);
      addModel(w, 'diabetes-ridge', '1', { jobName: 'base-job' });
      addModel(w, 'diabetes-ridge', '2', { jobName: CANDIDATE });
      const result = await run(w, { modelName: 'diabetes-ridge' });
      assert.equal(result.outputs['BaselineModel'], 'diabetes-ridge:1');
      assert.match(result.stdout, /Version 2 of the model 'diabetes-ridge' was registered from the candidate job itself: it is not a baseline\./);
    });
  });

  describe('thresholds', function () {
    it('judges against fixed values; a value within the tolerance ties and a tie is rejected', async function () {
      const w = addJob(world(), CANDIDATE, GOOD);
      const result = await run(w, { baseline: 'threshold', rules: 'mse:lower:5%\nr2:higher', thresholds: 'mse=3500\nr2=0.452847' });
      assert.equal(result.outputs['ShouldRegister'], 'false', result.stdout);
      assert.match(result.outputs['Decision']!, /^Reject: a tie, no metric is better: mse 3353\.8 is within tolerance 5% = 175 of 3500 \(threshold\) \(lower by 146\.203\); r2 0\.452847 equals 0\.452847 \(tolerance 0\)\. Set allowTie to true to promote ties\.$/);
      assert.equal(result.outputs['BaselineModel'], '');
      const allowed = await run(w, { baseline: 'threshold', rules: 'mse:lower:5%\nr2:higher', thresholds: 'mse=3500\nr2=0.452847', allowTie: 'true' });
      assert.equal(allowed.outputs['ShouldRegister'], 'true');
    });
  });

  describe('pipeline candidates', function () {
    function pipelineWorld(): World {
      const w = world();
      addJob(w, CANDIDATE, {}, { jobType: 'Pipeline' });
      w.runs['child-train'] = { metrics: { mse: 3353.797, r2: 0.452847 }, parent: CANDIDATE, stepName: 'train' };
      w.runs['child-check'] = { metrics: { mse: 3400, rows: 442 }, parent: CANDIDATE, stepName: 'check' };
      addJob(w, 'base-job', WEAK);
      addModel(w, 'diabetes-ridge', '1', { jobName: 'base-job' });
      return w;
    }

    it('rules name a step metric as <step>.<metric>, or plainly when one step alone logs it', async function () {
      const result = await run(pipelineWorld(), { modelName: 'diabetes-ridge', rules: 'train.mse:lower\nr2:higher' });
      assert.equal(result.outputs['ShouldRegister'], 'true', result.stdout);
      assert.deepEqual(JSON.parse(result.outputs['CandidateMetrics']!), { 'train.mse': 3353.797, r2: 0.452847 });
      assert.match(result.stdout, / {2}r2 = 0\.452847 \(step train\)/);
    });

    it('a plain name logged by several steps: one error that lists the step metrics to choose from', async function () {
      const result = await run(pipelineWorld(), { modelName: 'diabetes-ridge' });
      assertFailedWithOneError(result, new RegExp(`^Input 'rules': line 1: the metric 'mse' is logged by several steps of the pipeline job '${CANDIDATE}'\\. Name the step's metric: check\\.mse or train\\.mse; or set 'pipelineStep'\\.$`));
    });

    it('pipelineStep: that step\'s metrics; an unknown step lists the steps', async function () {
      const ok = await run(pipelineWorld(), { modelName: 'diabetes-ridge', pipelineStep: 'train' });
      assert.equal(ok.outputs['ShouldRegister'], 'true', ok.stdout);
      assert.match(ok.summaries[0]!, /\| Candidate job \| diabetes-ridge\\_candidate01 \(step train\) \|/);
      const unknown = await run(pipelineWorld(), { modelName: 'diabetes-ridge', pipelineStep: 'evaluate' });
      assertFailedWithOneError(unknown, /^Input 'pipelineStep': the pipeline job '.*' has no step 'evaluate' that logged metrics \(steps with metrics: check, train\)/);
    });
  });

  describe('the candidate', function () {
    it('a metric the candidate did not log: one error naming the metrics it has, before any baseline lookup', async function () {
      const w = addJob(world(), CANDIDATE, { mse: 1, r2: 0.5, mae: 2 });
      const result = await run(w, { endpointName: 'diabetes-prod', rules: 'mse:lower\nrmse:lower' });
      assertFailedWithOneError(result, new RegExp(`^Input 'rules': line 2: the candidate job '${CANDIDATE}' has no metric 'rmse'\\. Its metrics: mae, mse, r2\\. Use one of those names`));
      assert.ok(!result.calls.some((c) => c.path.startsWith('onlineEndpoints')), 'no baseline lookup');
    });

    it('a candidate that has not completed: one error with its status and what to do', async function () {
      const w = addJob(world(), CANDIDATE, GOOD, { status: 'Running' });
      const result = await run(w, { modelName: 'diabetes-ridge' });
      assertFailedWithOneError(result, new RegExp(`^Input 'jobName': the job '${CANDIDATE}' is Running \\(https://ml\\.azure\\.com/runs/.*\\), but only a Completed job can be evaluated\\. Evaluate it once it has finished: run AzureMLTrain with wait: true`));
    });

    it('a candidate that does not exist', async function () {
      const result = await run(world(), { modelName: 'diabetes-ridge' });
      assertFailedWithOneError(result, new RegExp(`^Input 'jobName': the job '${CANDIDATE}' was not found in the Azure ML workspace 'ws-l0' \\(resource group rg-l0\\)`));
    });
  });

  describe('bad inputs fail before any Azure call', function () {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['no baseline can be chosen', { rules: RULES }, /^Input 'baseline': is 'auto', but neither 'endpointName' nor 'modelName' is set/],
      ['thresholds with baseline auto', { thresholds: 'mse=1' }, /^Input 'baseline': is 'auto', which never compares with 'thresholds'\. Set 'baseline' to threshold/],
      ['an input the baseline does not use', { baseline: 'latestVersion', modelName: 'm', endpointName: 'diabetes-prod' }, /^Input 'endpointName': is set, but only the baseline production uses it, and 'baseline' is 'latestVersion'\. Remove 'endpointName', or set 'baseline' to production\.$/],
      ['a threshold without a rule', { baseline: 'threshold', thresholds: 'mse=1\nr2=0.4\nmae=3' }, /^Input 'thresholds': line 3 gives a threshold for 'mae', but no rule judges that metric \(rules: mse, r2\)/],
      ['a rule without a threshold', { baseline: 'threshold', thresholds: 'mse=1' }, /^Input 'thresholds': has no threshold for 'r2' \(line 2 of 'rules'\)\. Add a line r2=<value>\.$/],
      ['an unexpanded variable as jobName', { jobName: '$(train.JobName)', modelName: 'm' }, /^Input 'jobName': is '\$\(train\.JobName\)', a pipeline variable that is not set/],
      ['a model reference as modelName', { modelName: 'azureml:diabetes-ridge:3' }, /^Input 'modelName': 'azureml:diabetes-ridge:3' is a model reference, but a model name is expected\. Write just the name, 'diabetes-ridge'/],
      ['a bad rule line', { modelName: 'm', rules: 'mse:lower\nr2 higher' }, /^Input 'rules': line 2 \('r2 higher'\) is not a rule/],
      ['an unknown onReject', { modelName: 'm', onReject: 'ignore' }, /^Input 'onReject': 'ignore' is not an allowed value\. Use one of: skip, fail\.$/],
    ];
    for (const [name, inputs, pattern] of cases) {
      it(name, async function () {
        const result = await run(addJob(world(), CANDIDATE, GOOD), inputs);
        assertFailedWithOneError(result, pattern);
        assert.deepEqual(result.calls, [], 'the workspace was not even opened');
      });
    }
  });

  it('a connection scoped to the workspace needs no resourceGroup or workspace', async function () {
    const w = addJob(world(), CANDIDATE, GOOD);
    const result = await runScenario({ inputs: { azureSubscription: WORKSPACE_INPUTS.azureSubscription, jobName: CANDIDATE, rules: RULES, endpointName: 'diabetes-prod' }, connectionScope: 'workspace', resources: w.resources, runs: w.runs });
    assert.equal(result.succeeded, true, result.stdout);
    assert.equal(result.outputs['ShouldRegister'], 'true');
  });
});
