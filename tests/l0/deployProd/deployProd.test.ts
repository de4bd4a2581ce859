/**
 * AzureMLDeployProd L0: the task's tsc output under azure-pipelines-task-lib's MockTestRunner, offline. The workspace
 * (one online endpoint, model, environment and code versions) is faked in memory with the service's traffic rules
 * (support/fakeWorkspace.ts) and the scoring requests of the smoke tests are faked (support/prodRunner.ts); the task's
 * inputs, plan, rollout state machine, the shared deployment library, tags, outputs and summary are the real code.
 * Each scenario starts from the endpoint the previous run left, as consecutive pipeline runs would.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { BASE_INPUTS, type L0Result, runScenario, type ScenarioInput, writes } from './support/runScenario';
import type { FakeEndpointState } from './support/scenario';
import { inPool } from '../../support/inPool';
import { repositoryPath } from '../../support/repository';

const V1 = { ...BASE_INPUTS, model: 'azureml:diabetes:1' };
const V2 = { ...BASE_INPUTS, model: 'azureml:diabetes:2' };

function assertSucceeded(result: L0Result): void {
  assert.equal(result.succeeded, true, `${result.errors.join('\n')}\n${result.stdout}`);
  assert.deepEqual(result.errors, []);
}

function assertFailedWithOneError(result: L0Result, pattern: RegExp): void {
  assert.equal(result.succeeded, false, 'the task should fail');
  assert.equal(result.errors.length, 1, `one error expected, got: ${JSON.stringify(result.errors)}`);
  assert.match(result.errors[0]!, pattern);
  assert.doesNotMatch(result.stdout, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
}

/** The endpoint and the model tags a run left, to start the next run from. */
function after(result: L0Result, extra: ScenarioInput = {}): ScenarioInput {
  return { endpoint: result.record.endpoint, models: result.record.models, ...extra };
}

function endpointOf(result: L0Result): FakeEndpointState {
  assert.ok(result.record.endpoint, 'the endpoint exists');
  return result.record.endpoint;
}

const BAD_CASES: Array<{ name: string; inputs: Record<string, string>; error: RegExp }> = [
  { name: 'traffic steps not ending at 100', inputs: { ...V2, trafficSteps: '25%, 50%' }, error: /^Input 'trafficSteps': '25%, 50%' does not end with 100/ },
  { name: 'a canary percentage of 0', inputs: { ...V2, action: 'canary', canaryPercentage: '0' }, error: /^Input 'canaryPercentage': 0 is below the minimum of 1\./ },
  { name: 'mirrored traffic above 50 %', inputs: { ...V2, mirrorPercentage: '75' }, error: /^Input 'mirrorPercentage': 75 is above the maximum of 50\./ },
  { name: 'no model anywhere', inputs: { ...V2, model: '', deploymentOverrides: 'model=' }, error: /^Input 'model': a value is required: a production rollout deploys a registered model version\. Set 'model' \(e\.g\. \$\(register\.ModelReference\)/ },
  { name: 'promote without any endpoint name', inputs: { ...BASE_INPUTS, action: 'promote', endpointName: '', endpointFile: '', deploymentFile: '' }, error: /^Input 'endpointName': a value is required\./ },
];

describe('AzureMLDeployProd L0 (mock runner, tsc output)', function () {
  this.timeout(120_000);
  let first: L0Result;
  /** Runs that start from the endpoint the first run left, side by side. */
  const runs = new Map<string, L0Result>();

  before(async function () {
    // A copy of the sample deployment YAML without its name (removed once the runs that use it are done).
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'prod-l0-yaml-'));
    const nameless = path.join(folder, 'deployment.yml');
    const sample = fs.readFileSync(repositoryPath('samples/diabetes/deploy/deployment.yml'), 'utf8');
    fs.writeFileSync(nameless, sample.replace(/^name: .*\n/m, '').replace(/^( {2}code: ).*$/m, `$1${repositoryPath('samples/diabetes/score')}`));
    first = await runScenario({ inputs: V1 });
    assertSucceeded(first);
    const scenarios: Record<string, ScenarioInput> = {
      // First deployments whose new deployment nothing names: the default name, said as such.
      namedByNothing: { inputs: { ...V1, deploymentFile: '', codePath: 'samples/diabetes/score', scoringScript: 'score.py', instanceType: 'Standard_DS3_v2' } },
      namelessFile: { inputs: { ...V1, deploymentFile: nameless } },
      // Values left in inputs deploy hides (mirroring off, no canary): ignored, not validated.
      deployLeftovers: { inputs: { ...V1, mirrorPercentage: '0', mirrorDurationSeconds: 'soon', canaryPercentage: '0' }, ...after(first) },
      again: { inputs: V1, ...after(first) },
      rollout: { inputs: V2, ...after(first) },
      smokeFailure: { inputs: V2, ...after(first), smokeFailures: ['at 50 %'] },
      deleteRefused: { inputs: V2, ...after(first), refuse: [{ method: 'DELETE', path: 'deployments/blue$' }] },
      canary: { inputs: { ...V2, action: 'canary', canaryPercentage: '25', mirrorPercentage: '20' }, ...after(first) },
      busy: { inputs: V2, ...after(first), endpoint: { ...first.record.endpoint!, provisioningState: 'Updating' } },
      ...Object.fromEntries(BAD_CASES.map((c) => [c.name, { inputs: c.inputs, ...after(first) }])),
    };
    try {
      const outcomes = await inPool(Object.values(scenarios).map((scenario) => () => runScenario(scenario)));
      Object.keys(scenarios).forEach((key, index) => runs.set(key, outcomes[index]!));
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('first deployment: creates the endpoint and blue, smoke tests blue at 0 %, gives it all the traffic, tags v1 production', function () {
    assertSucceeded(first);
    assert.deepEqual(writes(first.record), ['PUT onlineEndpoints/diabetes-prod', 'PUT onlineEndpoints/diabetes-prod/deployments/blue', 'PUT onlineEndpoints/diabetes-prod', 'PUT models/diabetes/versions/1']);
    assert.deepEqual(endpointOf(first).traffic, { blue: 100 });
    assert.deepEqual(first.record.smokeTests, [{ label: 'blue at 0 %', deployment: 'blue', passed: true }]);
    assert.equal(first.record.models['diabetes:1']!['stage'], 'production');
    assert.deepEqual(first.outputs, {
      ScoringUri: 'https://diabetes-prod.westeurope.inference.ml.azure.com/score',
      DeploymentName: 'blue',
      PreviousDeploymentName: '',
      Traffic: '{"blue":100}',
    });
  });

  it('the new deployment is named by the deployment file when it names it, else by the default name, and the log says which', function () {
    assert.match(first.stdout, /New deployment: 'blue' \(the name in the deployment file; it takes no traffic\)\./);
    for (const key of ['namedByNothing', 'namelessFile']) {
      const result = runs.get(key)!;
      assertSucceeded(result);
      assert.match(result.stdout, /New deployment: 'blue' \(the default name; it takes no traffic\)\./, key);
      assert.doesNotMatch(result.stdout, /the name in the deployment file/, key);
      assert.deepEqual(endpointOf(result).traffic, { blue: 100 }, key);
    }
  });

  it('inputs deploy does not use (hidden in the editor) are not validated: leftover values do not fail it', function () {
    const result = runs.get('deployLeftovers')!;
    assertSucceeded(result);
    assert.deepEqual(writes(result.record), []);
  });

  it('the same model again: nothing written, the outputs set', function () {
    const again = runs.get('again')!;
    assertSucceeded(again);
    assert.deepEqual(writes(again.record), []);
    assert.match(again.stdout, /Nothing to change: the deployment 'blue' serving 'diabetes-prod' already runs azureml:diabetes:1 with this environment and code/);
    assert.equal(again.outputs['DeploymentName'], 'blue');
    assert.equal(again.outputs['Traffic'], '{"blue":100}');
  });

  it('v2: record, create green, 10/50/100 % with smoke tests, delete blue, clear the record, tag v2 production and v1 archived', function () {
    const rollout = runs.get('rollout')!;
    assertSucceeded(rollout);
    assert.deepEqual(writes(rollout.record), [
      'PATCH onlineEndpoints/diabetes-prod',
      'PUT onlineEndpoints/diabetes-prod/deployments/green',
      'PUT onlineEndpoints/diabetes-prod',
      'PUT onlineEndpoints/diabetes-prod',
      'PUT onlineEndpoints/diabetes-prod',
      'DELETE onlineEndpoints/diabetes-prod/deployments/blue',
      'PATCH onlineEndpoints/diabetes-prod',
      'PUT models/diabetes/versions/2',
      'PUT models/diabetes/versions/1',
    ]);
    const traffic = rollout.record.calls.filter((c) => c.method === 'PUT' && c.path === 'onlineEndpoints/diabetes-prod').map((c) => (c.body as { properties: { traffic: unknown } }).properties.traffic);
    assert.deepEqual(traffic, [{ blue: 90, green: 10 }, { blue: 50, green: 50 }, { blue: 0, green: 100 }]);
    const record = (rollout.record.calls[rollout.record.calls.findIndex((c) => c.method === 'PATCH')]!.body as { tags: Record<string, string> }).tags;
    assert.equal(record['azureml-mlops.rollout.candidate'], 'green');
    assert.equal(record['azureml-mlops.rollout.traffic-before'], 'blue=100');
    assert.equal(record['model'], 'diabetes-ridge', "the endpoint's own tags are kept");
    const endpoint = endpointOf(rollout);
    assert.deepEqual(endpoint.traffic, { green: 100 });
    assert.deepEqual(Object.keys(endpoint.deployments), ['green']);
    assert.deepEqual(Object.keys(endpoint.tags).filter((t) => t.startsWith('azureml-mlops.rollout.')), []);
    assert.deepEqual(rollout.record.smokeTests.map((s) => s.label), ['green at 0 %', 'green at 10 %', 'green at 50 %', 'green at 100 %']);
    assert.equal(rollout.record.models['diabetes:2']!['stage'], 'production');
    assert.equal(rollout.record.models['diabetes:1']!['stage'], 'archived');
    assert.deepEqual(rollout.outputs, { ScoringUri: 'https://diabetes-prod.westeurope.inference.ml.azure.com/score', DeploymentName: 'green', PreviousDeploymentName: 'blue', Traffic: '{"green":100}' });
    assert.match(rollout.summaries.join('\n'), /\| Result \| Completed: 'green' takes all the traffic \|/);
  });

  it('a smoke test failing at 50 %: rolled back to blue = 100 %, green deleted, the record removed, one clear error', function () {
    const failed = runs.get('smokeFailure')!;
    assertFailedWithOneError(
      failed,
      /^The rollout of 'green' failed at 'smoke test of green at 50 %': the smoke test failed: HTTP 424, expected 200\. Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\) and the deployment 'green' was deleted\. The logs of 'green' are in the task log above\.$/,
    );
    const endpoint = endpointOf(failed);
    assert.deepEqual(endpoint.traffic, { blue: 100 });
    assert.deepEqual(endpoint.mirrorTraffic, {});
    assert.deepEqual(Object.keys(endpoint.deployments), ['blue']);
    assert.deepEqual(endpoint.tags, first.record.endpoint!.tags);
    assert.match(failed.stdout, /log of green/, "green's log in the task log");
    assert.equal(failed.record.models['diabetes:2']!['stage'], undefined, 'a rolled back model is not tagged');
    assert.equal(failed.outputs['Traffic'], '{"blue":100}');
    assert.match(failed.summaries.join('\n'), /\| Result \| Failed and rolled back \|/);
  });

  it('the deletion of blue refused: rolled back to blue = 100 % (blue still exists), green deleted', function () {
    const failed = runs.get('deleteRefused')!;
    assertFailedWithOneError(failed, /^The rollout of 'green' failed at 'delete the previous deployment 'blue'': .*Injected refusal\..*Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\)/);
    assert.deepEqual(endpointOf(failed).traffic, { blue: 100 });
    assert.deepEqual(Object.keys(endpointOf(failed).deployments), ['blue']);
  });

  describe('canary, then promote or reject (separate runs, as after a manual approval)', function () {
    let canary: L0Result;
    let promote: L0Result;
    let reject: L0Result;
    let deployAgain: L0Result;
    let rejectLeftovers: L0Result;
    let promoteLeftovers: L0Result;

    before(async function () {
      canary = runs.get('canary')!;
      assertSucceeded(canary);
      // Values left in inputs the action hides (the same step inputs reused with another action, or a classic editor
      // step switched to another action): each action reads and validates only the inputs it uses.
      const leftovers = { canaryPercentage: '0', mirrorPercentage: '75', mirrorDurationSeconds: 'soon', deploymentName: 'Not a name!', computeType: 'Serverless', authMode: 'password' };
      const rejectHidden = { trafficSteps: '25%, 50%', stepWaitSeconds: '-1', previousDeployment: 'archive', smokeTestRequestFile: 'no/such/request.json', smokeTestExpectedStatus: '999', smokeTestAssertions: 'not an assertion', smokeTestAttempts: '0' };
      [promote, reject, deployAgain, rejectLeftovers, promoteLeftovers] = await inPool([
        () => runScenario({ inputs: { ...BASE_INPUTS, action: 'promote', deploymentFile: '', endpointFile: '' }, ...after(canary) }),
        () => runScenario({ inputs: { ...BASE_INPUTS, action: 'reject', smokeTestRequestFile: '' }, ...after(canary) }),
        () => runScenario({ inputs: V2, ...after(canary) }),
        () => runScenario({ inputs: { ...BASE_INPUTS, action: 'reject', ...leftovers, ...rejectHidden }, ...after(canary) }),
        () => runScenario({ inputs: { ...BASE_INPUTS, action: 'promote', ...leftovers }, ...after(canary) }),
      ]);
    });

    it('reject ignores the values left in the inputs it does not use (steps, mirroring, smoke test, canary, deployment)', function () {
      assertSucceeded(rejectLeftovers);
      assert.deepEqual(endpointOf(rejectLeftovers).traffic, { blue: 100 });
      assert.deepEqual(Object.keys(endpointOf(rejectLeftovers).deployments), ['blue']);
    });

    it('promote ignores the values left in the inputs only deploy and canary use (mirroring, canary, deployment)', function () {
      assertSucceeded(promoteLeftovers);
      assert.deepEqual(endpointOf(promoteLeftovers).traffic, { green: 100 });
    });

    it('canary: mirrors first, stops at 25 %, keeps the rollout recorded on the endpoint', function () {
      assertSucceeded(canary);
      const endpoint = endpointOf(canary);
      assert.deepEqual(endpoint.traffic, { blue: 75, green: 25 });
      assert.deepEqual(endpoint.mirrorTraffic, {});
      assert.equal(endpoint.tags['azureml-mlops.rollout.candidate'], 'green');
      const mirror = canary.record.calls.find((c) => c.method === 'PUT' && c.path === 'onlineEndpoints/diabetes-prod');
      assert.deepEqual((mirror!.body as { properties: { mirrorTraffic: unknown } }).properties.mirrorTraffic, { green: 20 });
      assert.equal(canary.outputs['Traffic'], '{"blue":75,"green":25}');
    });

    it('promote needs only the endpoint name: 50 %, 100 %, blue deleted, record removed', function () {
      assertSucceeded(promote);
      assert.deepEqual(endpointOf(promote).traffic, { green: 100 });
      assert.deepEqual(Object.keys(endpointOf(promote).deployments), ['green']);
      assert.deepEqual(promote.record.smokeTests.map((s) => s.label), ['green at 25 %', 'green at 50 %', 'green at 100 %']);
      assert.equal(promote.record.models['diabetes:2']!['stage'], 'production');
    });

    it('deploy of the same model again (a re-run after a partial rollout): continues from 25 % without re-creating green', function () {
      assertSucceeded(deployAgain);
      assert.match(deployAgain.stdout, /Continuing the rollout of 'green' recorded on the endpoint \(before it: traffic blue=100%; now: traffic blue=75%, green=25%\)/);
      assert.deepEqual(writes(deployAgain.record).slice(0, 3), ['PUT onlineEndpoints/diabetes-prod', 'PUT onlineEndpoints/diabetes-prod', 'DELETE onlineEndpoints/diabetes-prod/deployments/blue']);
      assert.deepEqual(deployAgain.record.smokeTests.map((s) => s.label), ['green at 25 %', 'green at 50 %', 'green at 100 %']);
      assert.deepEqual(endpointOf(deployAgain).traffic, { green: 100 });
    });

    it('reject: the split before the canary, exactly; green deleted; record removed', function () {
      assertSucceeded(reject);
      assert.deepEqual(endpointOf(reject).traffic, { blue: 100 });
      assert.deepEqual(endpointOf(reject).mirrorTraffic, {});
      assert.deepEqual(Object.keys(endpointOf(reject).deployments), ['blue']);
      assert.deepEqual(endpointOf(reject).tags, first.record.endpoint!.tags);
      assert.deepEqual(reject.record.smokeTests, []);
    });
  });

  describe('refused before anything is written', function () {
    it('an endpoint being updated', function () {
      const busy = runs.get('busy')!;
      assertFailedWithOneError(busy, /^The online endpoint 'diabetes-prod' is being updated \(provisioning state Updating\): another operation on it is in progress\. Nothing was changed\./);
      assert.deepEqual(writes(busy.record), []);
    });

    for (const badCase of BAD_CASES) {
      it(badCase.name, function () {
        const result = runs.get(badCase.name)!;
        assertFailedWithOneError(result, badCase.error);
        assert.deepEqual(result.record.calls, [], 'no Azure call');
      });
    }
  });
});
