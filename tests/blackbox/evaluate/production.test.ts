/**
 * AzureMLEvaluate black-box, baseline production: the model version behind the deployment that takes the most traffic
 * on an online endpoint (created with plain ARM calls, as `az ml online-endpoint/online-deployment create` would), with
 * the metrics of the REAL job that produced it. Changing which deployment leads the traffic changes the baseline.
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { inPool, logOf } from '../support/trainTask';
import { armWrites, type EvaluateTaskResult, runEvaluateTask, sharedJobs, type TrainedJobs, uniqueName, Workspace } from './support';

const RULES = 'mse:lower\nr2:higher';

describe('AzureMLEvaluate black-box: baseline production', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let jobs: TrainedJobs;
  let workspace: Workspace;
  let model: string;
  let endpoint: string;
  /** blue serves the good model (version 1), green the weak one (version 2). */
  const evaluate = (inputs: Record<string, string>): Promise<EvaluateTaskResult> => runEvaluateTask({ emulator, inputs: { rules: RULES, ...inputs } });

  before(async function () {
    emulator = await sharedEmulator();
    jobs = await sharedJobs(emulator);
    workspace = await Workspace.connect(emulator);
    model = uniqueName('diabetes-prod');
    endpoint = uniqueName('diabetes-ep');
    await workspace.registerFromJob(model, '1', jobs.good);
    await workspace.registerFromJob(model, '2', jobs.weak);
    const environment = await workspace.environment();
    await workspace.putEndpoint(endpoint, {});
    await workspace.putDeployment(endpoint, 'blue', { name: model, version: '1' }, environment);
    await workspace.putDeployment(endpoint, 'green', { name: model, version: '2' }, environment);
  });

  describe('changing which deployment takes the most traffic changes the baseline the gate uses', function () {
    let blueLeads: EvaluateTaskResult;
    let greenLeads: EvaluateTaskResult;
    let tied: EvaluateTaskResult;
    let since: number;

    before(async function () {
      // The same candidate (mse 3442.8, between the two production models) each time; only the traffic changes.
      await workspace.putEndpoint(endpoint, { blue: 80, green: 20 });
      since = emulator.traffic.length;
      blueLeads = await evaluate({ jobName: jobs.middle, endpointName: endpoint });
      await workspace.putEndpoint(endpoint, { blue: 10, green: 90 });
      greenLeads = await evaluate({ jobName: jobs.middle, endpointName: endpoint, modelName: model });
      await workspace.putEndpoint(endpoint, { blue: 50, green: 50 });
      tied = await evaluate({ jobName: jobs.middle, baseline: 'production', endpointName: endpoint });
    });

    it('blue leads (80%): the baseline is its model and the good job behind it, so the candidate is rejected', function () {
      assert.equal(blueLeads.result, 'Succeeded', logOf(blueLeads));
      assert.equal(blueLeads.outputs['ShouldRegister'], 'false');
      assert.equal(blueLeads.outputs['BaselineModel'], `${model}:1`);
      assert.match(blueLeads.outputs['Decision']!, new RegExp(`^Reject: mse 3442\\.8 is higher than 3353\\.8 \\(production ${model}:1 on endpoint ${endpoint}, deployment blue\\) by 88\\.99\\d* \\(tolerance 0\\)`));
      assert.match(logOf(blueLeads), new RegExp(`Online endpoint '${endpoint}': traffic blue 80%, green 20%\\.`));
      assert.match(blueLeads.summaries[0]!, new RegExp(`\\| Traffic \\| deployment blue takes 80% on endpoint ${endpoint} \\|`));
      assert.ok(blueLeads.summaries[0]!.includes(`](https://ml.azure.com/runs/${jobs.good}`), 'the baseline job is linked');
    });

    it('green leads (90%): the baseline is the weak model, so the same candidate is promoted', function () {
      assert.equal(greenLeads.outputs['ShouldRegister'], 'true', logOf(greenLeads));
      assert.equal(greenLeads.outputs['BaselineModel'], `${model}:2`);
      assert.match(greenLeads.outputs['Decision']!, new RegExp(`^Promote: mse 3442\\.8 is lower than 3747\\.54 \\(production ${model}:2 on endpoint ${endpoint}, deployment green\\) by 304\\.\\d+ \\(tolerance 0\\)`));
      assert.match(logOf(greenLeads), new RegExp(`The model ${model}:2 was produced by the job '${jobs.weak}': its metrics are read from that job's MLflow run\\.`));
      assert.deepEqual(greenLeads.warnings, [], 'modelName matches what production serves');
    });

    it('equal traffic: the tie is reported and the first deployment by name is the baseline', function () {
      assert.equal(tied.outputs['BaselineModel'], `${model}:1`, logOf(tied));
      assert.ok(
        tied.warnings.includes(`The deployments blue, green of the online endpoint '${endpoint}' take 50% of the traffic each: the baseline is the model of 'blue' (the first by name).`),
        tied.warnings.join('\n'),
      );
      assert.match(tied.summaries[0]!, /\(tied with green: the first by name is used\)/);
    });

    it('the task changed nothing (the endpoint updates between runs are the test\'s own)', function () {
      const writes = armWrites(emulator, since);
      assert.ok(writes.every((write) => write.startsWith(`PUT /subscriptions/`) && write.endsWith(`/onlineEndpoints/${endpoint}`)), writes.join('\n'));
      assert.equal(writes.length, 2);
    });
  });

  describe('no model in production yet: the first model is promoted', function () {
    let missing: EvaluateTaskResult;
    let noTraffic: EvaluateTaskResult;
    let empty: string;

    before(async function () {
      empty = uniqueName('empty-ep');
      await workspace.putEndpoint(empty, {});
      [missing, noTraffic] = await inPool([
        () => evaluate({ jobName: jobs.good, endpointName: uniqueName('new-ep') }),
        () => evaluate({ jobName: jobs.good, endpointName: empty }),
      ]);
    });

    it('an endpoint that does not exist yet: promoted, with an info line, no warning', function () {
      assert.equal(missing.result, 'Succeeded', logOf(missing));
      assert.equal(missing.outputs['ShouldRegister'], 'true');
      assert.match(missing.outputs['Decision']!, /^Promote: first model, as the online endpoint 'new-ep-[0-9a-f]+' does not exist yet \(mse 3353\.8, r2 0\.45\d+\)\.$/);
      assert.match(logOf(missing), /^No baseline: the online endpoint 'new-ep-[0-9a-f]+' does not exist yet, so no model is in production\.$/m);
      assert.deepEqual(missing.warnings, []);
    });

    it('an endpoint without traffic: promoted', function () {
      assert.equal(noTraffic.outputs['ShouldRegister'], 'true', logOf(noTraffic));
      assert.match(noTraffic.outputs['Decision']!, new RegExp(`^Promote: first model, as the online endpoint '${empty}' sends no live traffic to any deployment yet \\(mse 3353\\.8, r2 0\\.45\\d+\\)\\.$`));
    });
  });
});
