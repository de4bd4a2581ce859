/**
 * AzureMLDeployProd black-box: the bundled task run by the local agent against the shared emulator, rolling the
 * diabetes model out (two versions from real training runs, the sample's scoring code, YAML and request) WHILE a
 * bounded loop of scoring requests runs through the emulator's proxy: first deployment, idempotent re-run, a rollout
 * with mirrored traffic, a scoring script that raises (rolled back before any client sees it).
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import {
  armWritesSince,
  endpointView,
  logOf,
  modelTags,
  type ProdModels,
  prodModels,
  type ProdResult,
  runDeployProd,
  scoringCodeThatFails,
  ScoringLoop,
  type LoopOutcome,
  servedModel,
  STACK_TRACE,
  uniqueName,
} from './support';

function assertSucceeded(result: ProdResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.deepEqual(result.errors, []);
}

function assertNoRequestFailed(loop: LoopOutcome): void {
  assert.equal(loop.failed, 0, `failed requests: ${loop.failures.join(' | ')}`);
  assert.ok(loop.succeeded > 20, `requests flowed during the rollout (${loop.succeeded})`);
}

describe('AzureMLDeployProd black-box: rollout with requests flowing', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let models: ProdModels;
  const endpointName = uniqueName('diabetes-prod');

  before(async function () {
    emulator = await sharedEmulator();
    models = await prodModels(emulator);
  });

  describe('first deployment, the same again, then the next model version', function () {
    let first: ProdResult;
    let again: ProdResult;
    let writesOfAgain: string[];
    let rollout: ProdResult;
    let loop: LoopOutcome;

    before(async function () {
      const inputs = { endpointName, model: models.v1, environment: models.environment };
      first = await runDeployProd({ emulator, inputs });
      assertSucceeded(first);
      const from = emulator.traffic.length;
      again = await runDeployProd({ emulator, inputs });
      writesOfAgain = armWritesSince(emulator, from);
      const running = await ScoringLoop.start(emulator, endpointName);
      rollout = await runDeployProd({ emulator, inputs: { ...inputs, model: models.v2, mirrorPercentage: '20' } });
      loop = await running.stop();
    });

    it('first deployment: creates the endpoint and blue, smoke tests it, gives it all the traffic, says no rollout was needed', function () {
      assert.deepEqual(endpointView(emulator, endpointName)?.deployments.length ? 1 : 0, 1);
      assert.match(logOf(first), /First deployment to the endpoint: 'blue' \(no deployment serves yet, so no gradual rollout is needed\)/);
      assert.match(logOf(first), /Smoke test of blue at 0 %: HTTP 200/);
      assert.equal(first.outputs['DeploymentName'], 'blue');
      assert.equal(first.outputs['PreviousDeploymentName'], '');
      assert.deepEqual(JSON.parse(first.outputs['Traffic']!), { blue: 100 });
      assert.match(first.outputs['ScoringUri'] ?? '', new RegExp(`^https://${endpointName}\\.westeurope\\.inference\\.ml\\.azure\\.com/score$`));
    });

    it('the same model again changes nothing: no ARM write at all, outputs still set', function () {
      assertSucceeded(again);
      assert.deepEqual(writesOfAgain, []);
      assert.match(logOf(again), /Nothing to change: the deployment 'blue' serving '.+' already runs azureml:.+:1 with this environment and code/);
      assert.equal(again.outputs['DeploymentName'], 'blue');
      assert.deepEqual(JSON.parse(again.outputs['Traffic']!), { blue: 100 });
    });

    it('the next version rolls out to green with requests flowing: no request fails, green takes all the traffic, blue is deleted', function () {
      assertSucceeded(rollout);
      assertNoRequestFailed(loop);
      const view = endpointView(emulator, endpointName)!;
      assert.deepEqual(view.traffic, { green: 100 });
      assert.deepEqual(view.mirrorTraffic, {});
      assert.deepEqual(view.deployments, ['green']);
      assert.equal(servedModel(emulator, endpointName, 'green'), `${models.modelName}:2`);
      assert.ok((loop.servedBy['blue'] ?? 0) > 0 && (loop.servedBy['green'] ?? 0) > 0, JSON.stringify(loop.servedBy));
      assert.deepEqual(Object.keys(view.tags).filter((key) => key.startsWith('azureml-mlops.rollout.')), [], 'the rollout record is removed');
    });

    it('takes the steps in order: record, create at 0 %, smoke test, mirror, 10 / 50 / 100 % with a smoke test after each, delete blue', function () {
      const log = logOf(rollout);
      const steps = [
        /Recorded the rollout on the endpoint: before: traffic blue=100%/,
        /Created the deployment 'green' \(0 % traffic\)/,
        /Smoke test of green at 0 %: HTTP 200/,
        /Mirror 20 % of the traffic to 'green': traffic blue=100%; mirrored green=20%/,
        /Watched 'green' for 2 s with 20 % mirrored traffic: no error in its log/,
        /Traffic step 10 %: traffic blue=90%, green=10%/,
        /Smoke test of green at 10 %: HTTP 200/,
        /Traffic step 50 %: traffic blue=50%, green=50%/,
        /Traffic step 100 %: traffic blue=0%, green=100%/,
        /Smoke test of green at 100 %: HTTP 200/,
        /Deleted the previous deployment 'blue'/,
      ];
      let at = 0;
      for (const step of steps) {
        const match = step.exec(log.slice(at));
        assert.ok(match, `${step} after position ${at}\n${log}`);
        at += match.index + match[0].length;
      }
    });

    it('mirrored traffic reached green before it took live traffic', function () {
      const requests = emulator.inspect.scoringRequests(endpointName);
      assert.ok((requests['green']?.mirrored ?? 0) > 0, JSON.stringify(requests));
    });

    it('sets the outputs and tags the model versions: v2 stage=production, v1 stage=archived', function () {
      assert.equal(rollout.outputs['DeploymentName'], 'green');
      assert.equal(rollout.outputs['PreviousDeploymentName'], 'blue');
      assert.deepEqual(JSON.parse(rollout.outputs['Traffic']!), { green: 100 });
      assert.equal(modelTags(emulator, models.modelName, '2')['stage'], 'production');
      assert.equal(modelTags(emulator, models.modelName, '1')['stage'], 'archived');
    });

    it('publishes a summary with the steps taken and the smoke test results', function () {
      const summary = rollout.summaries.join('\n');
      assert.match(summary, /### Azure ML production rollout: /);
      assert.match(summary, /\| Result \| Completed: 'green' takes all the traffic \|/);
      assert.match(summary, /\| Traffic step 50 % \| ✅ done \|/);
      assert.match(summary, /\| green at 100 % \| ✅ passed \| 200 \|/);
    });
  });

  describe('a new scoring script that raises', function () {
    const broken = uniqueName('diabetes-broken');
    let before: ReturnType<typeof endpointView>;
    let result: ProdResult;
    let loop: LoopOutcome;

    before_(async () => {
      const inputs = { endpointName: broken, model: models.v1, environment: models.environment };
      assertSucceeded(await runDeployProd({ emulator, inputs }));
      before = endpointView(emulator, broken);
      const running = await ScoringLoop.start(emulator, broken);
      result = await runDeployProd({ emulator, inputs: { ...inputs, model: models.v2, codePath: scoringCodeThatFails('always'), scoringScript: 'score.py' } });
      loop = await running.stop();
    });

    it('fails at the smoke test at 0 %, with one clear error, and no request of the clients fails', function () {
      assert.equal(result.result, 'Failed', logOf(result));
      assert.equal(result.errors.length, 1, result.errors.join('\n'));
      assert.match(result.errors[0]!, /^The rollout of 'green' failed at 'smoke test of green at 0 %': the smoke test failed: HTTP 424, expected 200.*Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\) and the deployment 'green' was deleted\. The logs of 'green' are in the task log above\.$/);
      assert.doesNotMatch(logOf(result), STACK_TRACE);
      assertNoRequestFailed(loop);
      assert.equal(loop.servedBy['green'] ?? 0, 0, 'no client request reached the broken deployment');
    });

    it('the traffic is exactly as before, the new deployment is deleted, the record removed', function () {
      const after = endpointView(emulator, broken)!;
      assert.deepEqual(after.traffic, before!.traffic);
      assert.deepEqual(after.mirrorTraffic, before!.mirrorTraffic);
      assert.deepEqual(after.deployments, ['blue']);
      assert.deepEqual(after.tags, before!.tags);
    });

    it("prints green's inference server log, with the exception, in the task log", function () {
      assert.match(logOf(result), /Inference server log of deployment 'green'/);
      assert.match(logOf(result), /RuntimeError: the new scoring code is broken/);
    });
  });
});

/** mocha's `before`, under a name that does not clash with variables named `before`. */
function before_(fn: () => Promise<void>): void {
  before(fn);
}
