/**
 * AzureMLDeployProd black-box: the manual-approval actions, in the style of KubernetesManifest: `canary` stops at a
 * percentage and leaves the rollout recorded on the endpoint; a later run `promote`s it (finishing the steps) or
 * `reject`s it (restoring the split before the canary). Re-runs of each change nothing.
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { armWritesSince, endpointView, type EndpointView, logOf, modelTags, type ProdModels, prodModels, type ProdResult, runDeployProd, ScoringLoop, servedModel, uniqueName } from './support';

function assertSucceeded(result: ProdResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.deepEqual(result.errors, []);
}

const recordTags = (view: EndpointView | undefined): string[] => Object.keys(view?.tags ?? {}).filter((key) => key.startsWith('azureml-mlops.rollout.')).sort();

describe('AzureMLDeployProd black-box: canary, then promote or reject', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let models: ProdModels;
  const endpointName = uniqueName('diabetes-canary');
  let base: Record<string, string>;

  before(async function () {
    emulator = await sharedEmulator();
    models = await prodModels(emulator);
    base = { endpointName, environment: models.environment };
    assertSucceeded(await runDeployProd({ emulator, inputs: { ...base, model: models.v1 } }));
  });

  describe('canary at 25 %, the same canary again, another deployment meanwhile, then promote', function () {
    let canary: ProdResult;
    let afterCanary: EndpointView;
    let writesOfCanary: string[];
    let again: ProdResult;
    let writesOfAgain: string[];
    let other: ProdResult;
    let writesOfOther: string[];
    let promote: ProdResult;
    let promoteAgain: ProdResult;

    before(async function () {
      let from = emulator.traffic.length;
      canary = await runDeployProd({ emulator, inputs: { ...base, model: models.v2, action: 'canary', canaryPercentage: '25' } });
      writesOfCanary = armWritesSince(emulator, from);
      afterCanary = endpointView(emulator, endpointName)!;
      from = emulator.traffic.length;
      again = await runDeployProd({ emulator, inputs: { ...base, model: models.v2, action: 'canary', canaryPercentage: '25' } });
      writesOfAgain = armWritesSince(emulator, from);
      from = emulator.traffic.length;
      // Another pipeline tries to deploy something else while the canary waits for its approval.
      other = await runDeployProd({ emulator, inputs: { ...base, model: models.v1, instanceCount: '2' } });
      writesOfOther = armWritesSince(emulator, from);
      const loop = await ScoringLoop.start(emulator, endpointName);
      // promote needs only the endpoint (the model input of the deploying stage may not exist in the approval stage).
      promote = await runDeployProd({ emulator, inputs: { endpointName, action: 'promote', deploymentFile: '', endpointFile: '' } });
      const outcome = await loop.stop();
      assert.equal(outcome.failed, 0, outcome.failures.join(' | '));
      promoteAgain = await runDeployProd({ emulator, inputs: { endpointName, action: 'promote' } });
    });

    it('canary: green takes 25 %, blue the rest, the rollout is recorded on the endpoint', function () {
      assertSucceeded(canary);
      assert.deepEqual(afterCanary.traffic, { blue: 75, green: 25 });
      assert.deepEqual(afterCanary.deployments, ['blue', 'green']);
      assert.deepEqual(recordTags(afterCanary), [
        'azureml-mlops.rollout.candidate',
        'azureml-mlops.rollout.mirror-before',
        'azureml-mlops.rollout.model',
        'azureml-mlops.rollout.previous',
        'azureml-mlops.rollout.started-at',
        'azureml-mlops.rollout.started-by',
        'azureml-mlops.rollout.traffic-before',
      ]);
      assert.equal(afterCanary.tags['azureml-mlops.rollout.traffic-before'], 'blue=100');
      assert.match(logOf(canary), /Canary: 'green' takes 25 % of the traffic\. Promote it \(action promote\) or roll it back \(action reject\)\./);
      assert.deepEqual(JSON.parse(canary.outputs['Traffic']!), { blue: 75, green: 25 });
      assert.equal(canary.outputs['DeploymentName'], 'green');
      assert.match(canary.summaries.join('\n'), /\| Result \| Canary: 'green' takes 25 % of the traffic; promote or reject it \|/);
      assert.deepEqual(writesOfCanary.filter((call) => /\/models\//.test(call)), [], 'a canary is not production yet: no model version is tagged');
    });

    it('the same canary again: nothing to do, nothing written', function () {
      assertSucceeded(again);
      assert.match(logOf(again), /The canary 'green' already takes 25% of the traffic of '.+' \(canary percentage 25%\): nothing to do\. Promote or reject it\./);
      assert.deepEqual(writesOfAgain, []);
    });

    it('another deployment while the canary waits: refused with one clear error, nothing written', function () {
      assert.equal(other.result, 'Failed', logOf(other));
      assert.equal(other.errors.length, 1);
      assert.match(other.errors[0]!, /^A rollout is already in progress on the online endpoint '.+': its deployment 'green' runs azureml:.+:2, not what this run deploys \(azureml:.+:1\)\. .*'green' takes 25% of the traffic\. Nothing was changed\. Finish it with action promote, or roll it back with action reject/);
      assert.deepEqual(writesOfOther, []);
    });

    it('promote: 50 %, 100 % with smoke tests, blue deleted, the record removed, v2 tagged production; no request failed', function () {
      assertSucceeded(promote);
      const view = endpointView(emulator, endpointName)!;
      assert.deepEqual(view.traffic, { green: 100 });
      assert.deepEqual(view.deployments, ['green']);
      assert.deepEqual(recordTags(view), []);
      assert.match(logOf(promote), /Smoke test of green at 25 %: HTTP 200/);
      assert.match(logOf(promote), /Traffic step 50 %: traffic blue=50%, green=50%/);
      assert.doesNotMatch(logOf(promote), /Traffic step 10 %/);
      assert.equal(modelTags(emulator, models.modelName, '2')['stage'], 'production');
      assert.equal(promote.outputs['DeploymentName'], 'green');
      assert.equal(promote.outputs['PreviousDeploymentName'], 'blue');
    });

    it('promote again: nothing to promote, success', function () {
      assertSucceeded(promoteAgain);
      assert.match(logOf(promoteAgain), /No rollout is in progress on the online endpoint '.+' \(green=100%\): there is nothing to promote\./);
    });
  });

  describe('canary at 10 %, then reject', function () {
    let before: EndpointView;
    let reject: ProdResult;
    let rejectAgain: ProdResult;
    let writesOfRejectAgain: string[];

    before_(async () => {
      // green serves v2 now: the canary of v1 goes to blue.
      before = endpointView(emulator, endpointName)!;
      const canary = await runDeployProd({ emulator, inputs: { ...base, model: models.v1, action: 'canary' } });
      assertSucceeded(canary);
      assert.deepEqual(endpointView(emulator, endpointName)!.traffic, { green: 90, blue: 10 });
      reject = await runDeployProd({ emulator, inputs: { endpointName, action: 'reject' } });
      const from = emulator.traffic.length;
      rejectAgain = await runDeployProd({ emulator, inputs: { endpointName, action: 'reject' } });
      writesOfRejectAgain = armWritesSince(emulator, from);
    });

    it('reject: the traffic exactly as before the canary, blue deleted after its logs were printed, the record removed', function () {
      assertSucceeded(reject);
      const view = endpointView(emulator, endpointName)!;
      assert.deepEqual(view.traffic, before.traffic);
      assert.deepEqual(view.deployments, ['green']);
      assert.deepEqual(view.tags, before.tags);
      assert.equal(servedModel(emulator, endpointName, 'green'), `${models.modelName}:2`);
      assert.match(logOf(reject), /Inference server log of deployment 'blue'/);
      assert.deepEqual(JSON.parse(reject.outputs['Traffic']!), { green: 100 });
      assert.match(reject.summaries.join('\n'), /\| Result \| Rejected: 'blue' rolled back \|/);
      assert.equal(modelTags(emulator, models.modelName, '2')['stage'], 'production', 'the production model keeps its tag');
    });

    it('reject again: nothing to reject, nothing written', function () {
      assertSucceeded(rejectAgain);
      assert.match(logOf(rejectAgain), /there is nothing to reject/);
      assert.deepEqual(writesOfRejectAgain, []);
    });
  });
});

function before_(fn: () => Promise<void>): void {
  before(fn);
}
