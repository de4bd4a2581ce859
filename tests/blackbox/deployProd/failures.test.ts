/**
 * AzureMLDeployProd black-box: a failure injected at each step of a rollout on an endpoint serving v1 (blue = 100 %)
 * rolls back to exactly the traffic it had, every time on the same endpoint (each rollback leaves it as it found it):
 * the new deployment failing to start, the mirror setting refused, each traffic update refused (emulator faults), a
 * smoke test failing at a later step (the new scoring code starts failing), the deletion of the old deployment
 * refused. Then a 409 and a busy endpoint (refused, nothing changed), and a cancellation (SIGINT) mid-rollout.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import {
  arm,
  armWritesSince,
  endpointView,
  type EndpointView,
  type LoopOutcome,
  logOf,
  type ProdModels,
  prodModels,
  type ProdResult,
  runDeployProd,
  ScoringLoop,
  scoringCodeThatFails,
  servedModel,
  STACK_TRACE,
  startDeployProd,
  uniqueName,
} from './support';

const ENDPOINT_PUT = (name: string): RegExp => new RegExp(`/onlineEndpoints/${name}$`);

interface FailureCase {
  readonly name: string;
  /** Inputs over the v2 rollout's. */
  readonly inputs?: Record<string, string>;
  /** Arms the failure: before the run, and on each log line of the task. */
  readonly arm?: (emulator: Emulator) => void;
  readonly onLine?: (line: string, emulator: Emulator) => void;
  /** The step named in the error. */
  readonly step: RegExp;
  /**
   * The new scoring code itself starts failing while it takes live traffic: the requests it answers then fail, as
   * they would for clients in Azure, until the rollback. Every other failure must not fail a single request.
   */
  readonly newCodeFailsLive?: boolean;
}

describe('AzureMLDeployProd black-box: failures at each step roll back exactly', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let models: ProdModels;
  const endpointName = uniqueName('diabetes-faults');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'prod-faults-'));
  const marker = path.join(scratch, 'fail-now');
  let baseInputs: Record<string, string>;
  let serving: EndpointView;

  before(async function () {
    emulator = await sharedEmulator();
    models = await prodModels(emulator);
    baseInputs = { endpointName, model: models.v1, environment: models.environment };
    const first = await runDeployProd({ emulator, inputs: baseInputs });
    assert.equal(first.result, 'Succeeded', logOf(first));
    serving = endpointView(emulator, endpointName)!;
    assert.deepEqual(serving.traffic, { blue: 100 });
  });

  after(function () {
    emulator?.faults.clear();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** Adds a one-time 400 (not retried) on the next request matching `method` and `pattern`. */
  const refuseNext = (target: Emulator, method: string, pattern: RegExp): void =>
    target.faults.add({ method, path: pattern, fault: { type: 'status', status: 400 }, times: 1 });

  const cases: FailureCase[] = [
    {
      name: 'the new deployment fails to start (its init() raises)',
      inputs: { codePath: 'INIT_FAILS', scoringScript: 'score.py' },
      step: /failed at 'create the deployment 'green'': Deployment 'green' of endpoint '.+' failed/,
    },
    {
      name: 'the mirror setting is refused',
      inputs: { mirrorPercentage: '20' },
      arm: (e) => refuseNext(e, 'PUT', ENDPOINT_PUT(endpointName)),
      step: /failed at 'mirror 20 % of the traffic to 'green'': .*Injected fault with status 400/,
    },
    {
      name: 'the traffic update to 10 % is refused',
      arm: (e) => refuseNext(e, 'PUT', ENDPOINT_PUT(endpointName)),
      step: /failed at 'traffic step 10 %': .*Injected fault with status 400/,
    },
    {
      name: 'the traffic update to 50 % is refused',
      onLine: (line, e) => /^Traffic step 10 %: /.test(line) && refuseNext(e, 'PUT', ENDPOINT_PUT(endpointName)),
      step: /failed at 'traffic step 50 %': .*Injected fault with status 400/,
    },
    {
      name: 'the traffic update to 100 % is refused',
      onLine: (line, e) => /^Traffic step 50 %: /.test(line) && refuseNext(e, 'PUT', ENDPOINT_PUT(endpointName)),
      step: /failed at 'traffic step 100 %': .*Injected fault with status 400/,
    },
    {
      name: 'the new scoring code starts failing at 50 % (smoke test)',
      inputs: { codePath: 'MARKER_FAILS', scoringScript: 'score.py' },
      onLine: (line) => /^Traffic step 50 %: /.test(line) && fs.writeFileSync(marker, 'now'),
      step: /failed at 'smoke test of green at 50 %': the smoke test failed: HTTP 424/,
      newCodeFailsLive: true,
    },
    {
      name: 'the deletion of the old deployment is refused',
      arm: (e) => refuseNext(e, 'DELETE', new RegExp(`/onlineEndpoints/${endpointName}/deployments/blue$`)),
      step: /failed at 'delete the previous deployment 'blue'': .*Injected fault with status 400/,
    },
  ];

  for (const failure of cases) {
    describe(failure.name, function () {
      let result: ProdResult;
      let after: EndpointView;
      let loop: LoopOutcome;

      before(async function () {
        fs.rmSync(marker, { force: true });
        const inputs: Record<string, string> = { ...baseInputs, model: models.v2, ...(failure.inputs ?? {}) };
        if (inputs['codePath'] === 'INIT_FAILS') inputs['codePath'] = scoringCodeThatFails('init');
        if (inputs['codePath'] === 'MARKER_FAILS') inputs['codePath'] = scoringCodeThatFails({ marker });
        // Clients keep scoring the endpoint through the whole rollout and its rollback.
        const running = await ScoringLoop.start(emulator, endpointName);
        failure.arm?.(emulator);
        try {
          result = await runDeployProd({ emulator, inputs, onLine: (line) => failure.onLine?.(line, emulator) });
        } finally {
          emulator.faults.clear();
          loop = await running.stop();
        }
        after = endpointView(emulator, endpointName)!;
      });

      if (failure.newCodeFailsLive) {
        it("clients saw failures only from green's failing code while it took live traffic; blue answered everything else", function () {
          assert.deepEqual(Object.keys(loop.failedBy), ['green'], JSON.stringify(loop.failedBy));
          assert.ok((loop.servedBy['blue'] ?? 0) > 20, JSON.stringify(loop.servedBy));
        });
      } else {
        it('no request of the clients failed during the rollout and its rollback', function () {
          assert.equal(loop.failed, 0, `failed requests: ${loop.failures.join(' | ')}`);
          assert.ok(loop.succeeded > 20, `requests flowed during the rollout (${loop.succeeded})`);
        });
      }

      it('fails with one clear error naming the step, and says it rolled back', function () {
        assert.equal(result.result, 'Failed', logOf(result));
        assert.equal(result.errors.length, 1, result.errors.join('\n'));
        assert.match(result.errors[0]!, failure.step);
        assert.match(result.errors[0]!, /Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\) and the deployment 'green' was deleted\./);
        assert.doesNotMatch(logOf(result), STACK_TRACE);
      });

      it('the live and mirrored traffic are exactly as before, blue still serves v1, green is gone, the record removed', function () {
        assert.deepEqual(after.traffic, serving.traffic);
        assert.deepEqual(after.mirrorTraffic, serving.mirrorTraffic);
        assert.deepEqual(after.deployments, ['blue']);
        assert.equal(servedModel(emulator, endpointName, 'blue'), `${models.modelName}:1`);
        assert.deepEqual(after.tags, serving.tags);
        assert.equal(after.provisioningState, 'Succeeded');
      });

      it("green's logs are in the task log; the outputs show the traffic as restored", function () {
        assert.match(logOf(result), /Inference server log of deployment 'green'/);
        assert.deepEqual(JSON.parse(result.outputs['Traffic'] ?? '{}'), { blue: 100 });
        assert.equal(result.outputs['PreviousDeploymentName'], 'blue');
      });
    });
  }

  describe('newDeploymentOnRollback keep', function () {
    it('keeps the failed deployment at 0 % for debugging, the traffic exactly as before', async function () {
      const result = await runDeployProd({
        emulator,
        inputs: { ...baseInputs, model: models.v2, codePath: scoringCodeThatFails('always'), scoringScript: 'score.py', newDeploymentOnRollback: 'keep' },
      });
      assert.equal(result.result, 'Failed', logOf(result));
      assert.match(result.errors[0]!, /Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\) and the deployment 'green' was kept at 0 % for debugging\./);
      const view = endpointView(emulator, endpointName)!;
      assert.deepEqual(view.deployments, ['blue', 'green']);
      assert.equal(view.traffic['blue'], 100);
      assert.equal(view.traffic['green'] ?? 0, 0);
      // The next rollout reuses (updates) the kept deployment.
      const next = await runDeployProd({ emulator, inputs: { ...baseInputs, model: models.v2, previousDeployment: 'keep' } });
      assert.equal(next.result, 'Succeeded', logOf(next));
      assert.match(logOf(next), /Updated the deployment 'green' \(0 % traffic\)/);
      assert.deepEqual(endpointView(emulator, endpointName)!.traffic, { blue: 0, green: 100 });
      assert.match(logOf(next), /Kept the previous deployment 'blue' \(0 % traffic\)/);
    });
  });

  describe('refusals: nothing changed', function () {
    it('a 409 on the first change (another operation started): one clear error, nothing changed', async function () {
      const name = uniqueName('diabetes-409');
      const inputs = { endpointName: name, model: models.v1, environment: models.environment };
      assert.equal((await runDeployProd({ emulator, inputs })).result, 'Succeeded');
      const before = endpointView(emulator, name);
      emulator.faults.add({ method: 'PATCH', path: ENDPOINT_PUT(name), fault: { type: 'status', status: 409 }, times: 1 });
      const from = emulator.traffic.length;
      let result: ProdResult;
      try {
        result = await runDeployProd({ emulator, inputs: { ...inputs, model: models.v2 } });
      } finally {
        emulator.faults.clear();
      }
      assert.equal(result.result, 'Failed', logOf(result));
      assert.equal(result.errors.length, 1);
      assert.match(result.errors[0]!, /^The online endpoint is being updated by another operation: .*Nothing was changed\. Wait for that operation to finish, then run the task again\.$/);
      assert.deepEqual(armWritesSince(emulator, from), [`PATCH /${workspaceArmPath(emulator)}/onlineEndpoints/${name}`], 'only the refused change');
      assert.deepEqual(endpointView(emulator, name), before);
    });

    it('an endpoint being updated (provisioning state Creating): refused before anything is read or written', async function () {
      // A slow emulator: its endpoint operations take 8 s, so the endpoint is still Creating when the task starts.
      const slow = await dedicatedEmulator('deploy-prod-busy', { jobStepDelayMs: 8_000 });
      const name = uniqueName('diabetes-busy');
      const created = await arm(slow, 'PUT', `onlineEndpoints/${name}`, { location: 'westeurope', properties: { authMode: 'Key' } });
      assert.equal(created.status, 201, created.text);
      const from = slow.traffic.length;
      const result = await runDeployProd({ emulator: slow, inputs: { endpointName: name, model: 'azureml:diabetes:1', environment: 'azureml:scoring:1' } });
      assert.equal(result.result, 'Failed', logOf(result));
      assert.deepEqual(result.errors, [
        `The online endpoint '${name}' is being updated (provisioning state Creating): another operation on it is in progress. Nothing was changed. Wait for that operation to finish (Azure ML studio > Endpoints), then run the task again.`,
      ]);
      assert.deepEqual(armWritesSince(slow, from), []);
    });
  });

  describe('cancellation (SIGINT) mid-rollout', function () {
    it('rolls back within the grace period: Cancelled, traffic exactly as before, the new deployment deleted', async function () {
      const name = uniqueName('diabetes-cancel');
      const inputs = { endpointName: name, model: models.v1, environment: models.environment };
      assert.equal((await runDeployProd({ emulator, inputs })).result, 'Succeeded');
      const before = endpointView(emulator, name)!;
      let cancelled = false;
      const running = startDeployProd({
        emulator,
        // A long watch at each step: the pipeline is cancelled while green takes 10 % of the traffic.
        inputs: { ...inputs, model: models.v2, stepWaitSeconds: '60' },
        onLine: (line) => {
          if (!cancelled && /^Traffic step 10 %: /.test(line)) {
            cancelled = true;
            running.cancel();
          }
        },
      });
      const result = await running.result;
      assert.ok(cancelled, logOf(result));
      assert.equal(result.result, 'Cancelled', logOf(result));
      assert.deepEqual(result.signalsSent, ['SIGINT'], 'finished before the agent had to send SIGTERM');
      assert.match(result.resultMessage ?? '', /^The task was cancelled during 'watch 'green' at 10 %'\. Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\) and the deployment 'green' was deleted\.$/);
      const view = endpointView(emulator, name)!;
      assert.deepEqual(view.traffic, before.traffic);
      assert.deepEqual(view.deployments, ['blue']);
      assert.deepEqual(view.tags, before.tags);
    });
  });
});

function workspaceArmPath(emulator: Emulator): string {
  return `subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${emulator.workspaceName}`;
}
