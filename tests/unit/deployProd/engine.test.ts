/**
 * The AzureMLDeployProd rollout state machine against an in-memory endpoint: the steps of a rollout, and for a failure
 * at EVERY step the exact restoration of the live and mirrored traffic, the fate of the new deployment and of the
 * rollout record; canary, promote and reject; cancellation within the agent's grace period.
 */
import assert from 'node:assert/strict';

import { AzureRequestError, TaskError } from '@azureml-mlops/shared';

import type * as AzCommandsModule from '../../../tasks/AzureMLDeployProd/src/rollout/azCommands';
import type * as EngineModule from '../../../tasks/AzureMLDeployProd/src/rollout/engine';
import type * as PlanModule from '../../../tasks/AzureMLDeployProd/src/rollout/plan';
import type { RolloutRecord } from '../../../tasks/AzureMLDeployProd/src/rollout/record';
import type { TrafficState } from '../../../tasks/AzureMLDeployProd/src/rollout/traffic';
import { type CallName, CancelledError, FakeEndpoint, type FakeEndpointOptions, injected, MemoryIo, taskModule } from './support';

const engineModule = taskModule<typeof EngineModule>('rollout/engine');
const azCommands = taskModule<typeof AzCommandsModule>('rollout/azCommands');

type Plan = PlanModule.Plan;
type RolloutPlan = Extract<Plan, { kind: 'rollout' }>;

const SETTINGS: EngineModule.EngineSettings = {
  steps: [10, 50, 100],
  mirror: undefined,
  stepWaitMs: 0,
  previousDeployment: 'delete',
  onRollback: 'delete',
  cancelBudgetMs: 6_000,
  target: { endpointName: 'prod', resourceGroup: 'rg', workspaceName: 'ws' },
};

function newRecord(before: TrafficState, candidate = 'green', previous = 'blue'): RolloutRecord {
  return { candidate, previous, before, model: 'azureml:diabetes:2', startedAt: '2025-01-01T00:00:00.000Z', startedBy: undefined };
}

function rolloutPlan(before: TrafficState, overrides: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    kind: 'rollout',
    candidate: 'green',
    previous: 'blue',
    before,
    newRecord: newRecord(before),
    resumed: false,
    deployCandidate: true,
    stopAt: 100,
    nameReason: 'test',
    ...overrides,
  };
}

async function execute(fake: FakeEndpoint, plan: Exclude<Plan, { kind: 'unchanged' | 'nothing' }>, settings: Partial<EngineModule.EngineSettings> = {}, signal = new AbortController().signal) {
  const io = new MemoryIo();
  const engine = new engineModule.RolloutEngine(fake, { ...SETTINGS, ...settings }, io);
  try {
    const report = await engine.execute(plan, fake.state, signal);
    return { report, error: undefined, io };
  } catch (error) {
    return { report: (error as { report?: EngineModule.RolloutReport }).report, error: error as Error, io };
  }
}

function nonZero(split: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(split).filter(([, percent]) => percent > 0));
}

describe('AzureMLDeployProd rollout state machine', function () {
  describe('a rollout that succeeds', function () {
    it('records, creates at 0 %, smoke tests, moves 10/50/100 % with a smoke test after each, deletes the previous deployment, clears the record', async function () {
      const fake = new FakeEndpoint();
      const { report, error, io } = await execute(fake, rolloutPlan(fake.state));
      assert.equal(error, undefined, io.text());
      assert.equal(report!.result, 'completed');
      assert.deepEqual(fake.calledNames(), [
        'writeRecord',
        'deployCandidate',
        'smokeTest',
        'setTraffic',
        'smokeTest',
        'setTraffic',
        'smokeTest',
        'setTraffic',
        'smokeTest',
        'deleteDeployment',
        'writeRecord',
      ]);
      const traffic = fake.calls.filter((c) => c.name === 'setTraffic').map((c) => (c.args[0] as TrafficState).traffic);
      assert.deepEqual(traffic, [{ blue: 90, green: 10 }, { blue: 50, green: 50 }, { blue: 0, green: 100 }]);
      const smokes = fake.calls.filter((c) => c.name === 'smokeTest').map((c) => c.args.join(' @ '));
      assert.deepEqual(smokes, ['green @ green at 0 %', 'green @ green at 10 %', 'green @ green at 50 %', 'green @ green at 100 %']);
      assert.equal(fake.calls.find((c) => c.name === 'smokeTest')!.traffic.traffic['green'] ?? 0, 0, 'the first smoke test runs before the new deployment takes any traffic');
      assert.deepEqual(fake.traffic, { green: 100 });
      assert.deepEqual([...fake.deployments.keys()], ['green']);
      assert.equal(fake.record, undefined);
      assert.equal((fake.calls[0]!.args[0] as RolloutRecord).before.traffic['blue'], 100, 'the record holds the split before');
      assert.equal(report!.smokeTests.length, 4);
    });

    it('keeps the previous deployment at 0 % when asked', async function () {
      const fake = new FakeEndpoint();
      const { error, report } = await execute(fake, rolloutPlan(fake.state), { previousDeployment: 'keep' });
      assert.equal(error, undefined);
      assert.deepEqual(fake.traffic, { blue: 0, green: 100 });
      assert.ok(fake.deployments.has('blue'));
      assert.ok(report!.journal.some((entry) => /Kept the previous deployment 'blue'/.test(entry.title)));
    });

    it('shares the rest among several previous deployments in their proportions, and keeps what was mirrored', async function () {
      const before = { traffic: { blue: 75, red: 25 }, mirror: { shadow: 20 } };
      const fake = new FakeEndpoint({ traffic: before.traffic, mirror: before.mirror, deployments: ['blue', 'red', 'shadow'] });
      const { error, io } = await execute(fake, rolloutPlan(before));
      assert.equal(error, undefined, io.text());
      const states = fake.calls.filter((c) => c.name === 'setTraffic').map((c) => c.args[0] as TrafficState);
      assert.deepEqual(states.map((s) => s.traffic), [{ blue: 68, red: 22, green: 10 }, { blue: 38, red: 12, green: 50 }, { blue: 0, red: 0, green: 100 }]);
      for (const state of states) assert.deepEqual(state.mirror, { shadow: 20 });
      assert.deepEqual([...fake.deployments.keys()].sort(), ['green', 'shadow'], 'both previous deployments deleted, the mirrored one left alone');
    });

    it('mirrors traffic to the new deployment first, watches it, then stops mirroring before the first step', async function () {
      const fake = new FakeEndpoint();
      const { error, io } = await execute(fake, rolloutPlan(fake.state), { mirror: { percent: 20, durationMs: 1_000 } });
      assert.equal(error, undefined, io.text());
      const states = fake.calls.filter((c) => c.name === 'setTraffic').map((c) => c.args[0] as TrafficState);
      assert.deepEqual(states[0], { traffic: { blue: 100 }, mirror: { green: 20 } });
      assert.deepEqual(states[1], { traffic: { blue: 100 }, mirror: {} });
      assert.deepEqual(states[2]!.traffic, { blue: 90, green: 10 });
      const names = fake.calledNames();
      assert.deepEqual(names.slice(0, 7), ['writeRecord', 'deployCandidate', 'smokeTest', 'setTraffic', 'watch', 'smokeTest', 'setTraffic']);
    });

    it('watches each step when a wait between steps is set', async function () {
      const fake = new FakeEndpoint();
      const { error } = await execute(fake, rolloutPlan(fake.state), { stepWaitMs: 1_000 });
      assert.equal(error, undefined);
      assert.equal(fake.calls.filter((c) => c.name === 'watch').length, 3);
    });
  });

  describe('a failure at each step rolls back to exactly the traffic before', function () {
    const scenarios: Array<{ name: string; options: FakeEndpointOptions; settings: Partial<EngineModule.EngineSettings> }> = [
      { name: 'one previous deployment', options: {}, settings: {} },
      { name: 'a split and a mirror to another deployment', options: { traffic: { blue: 80, red: 20 }, mirror: { shadow: 10 }, deployments: ['blue', 'red', 'shadow'] }, settings: {} },
      { name: 'mirroring and watched steps', options: {}, settings: { mirror: { percent: 30, durationMs: 1_000 }, stepWaitMs: 1_000 } },
    ];
    for (const scenario of scenarios) {
      describe(scenario.name, function () {
        const healthy = new FakeEndpoint(scenario.options);
        const before = healthy.state;
        let forward: Array<{ name: CallName; nth: number }> = [];

        before_(async () => {
          await execute(healthy, rolloutPlan(before), scenario.settings);
          const counts = new Map<string, number>();
          forward = healthy.calls.map((call) => {
            const nth = (counts.get(call.name) ?? 0) + 1;
            counts.set(call.name, nth);
            return { name: call.name, nth };
          });
          // The last call removes the record of a finished rollout: its failure is a warning, not a rollback.
          forward.pop();
          // Once one of several previous deployments is deleted, the split before cannot come back (a test below).
          forward = forward.filter((call) => !(call.name === 'deleteDeployment' && call.nth > 1));
          assert.ok(forward.length >= 10, forward.map((f) => f.name).join(', '));
        });

        it('at every call of the rollout: traffic and mirror exactly as before, new deployment deleted, record removed, one clear error', async function () {
          for (const target of forward) {
            const fail = (name: CallName, nth: number): Error | undefined => (name === target.name && nth === target.nth ? injected(`${name} #${nth}`) : undefined);
            const fake = new FakeEndpoint({ ...scenario.options, fail });
            const { error, report } = await execute(fake, rolloutPlan(before), scenario.settings);
            const where = `failure at ${target.name} #${target.nth}`;
            assert.ok(error instanceof engineModule.RolloutFailedError, `${where}: ${String(error)}`);
            assert.deepEqual(nonZero(fake.traffic), nonZero(before.traffic), `${where}: live traffic`);
            assert.deepEqual(nonZero(fake.mirror), nonZero(before.mirror), `${where}: mirrored traffic`);
            assert.equal(fake.deployments.has('green'), false, `${where}: new deployment deleted`);
            for (const name of Object.keys(before.traffic)) assert.ok(fake.deployments.has(name), `${where}: '${name}' still there`);
            assert.equal(fake.record, undefined, `${where}: record removed`);
            assert.match(error.message, new RegExp(`^The rollout of 'green' failed at '.+': .*injected failure of ${target.name} #${target.nth}.*\\. Rolled back: the endpoint's traffic is as before the rollout`), where);
            assert.equal(report!.result, 'rolled back', where);
          }
        });

        it('with newDeploymentOnRollback keep: the new deployment stays at 0 % for debugging', async function () {
          const target = forward.find((f) => f.name === 'setTraffic' && f.nth === 2)!;
          const fake = new FakeEndpoint({ ...scenario.options, fail: (name, nth) => (name === target.name && nth === target.nth ? injected('step') : undefined) });
          const { error } = await execute(fake, rolloutPlan(before), { ...scenario.settings, onRollback: 'keep' });
          assert.ok(error instanceof engineModule.RolloutFailedError);
          assert.ok(fake.deployments.has('green'));
          assert.deepEqual(nonZero(fake.traffic), nonZero(before.traffic));
          assert.equal(fake.traffic['green'] ?? 0, 0);
          assert.match(error.message, /the deployment 'green' was kept at 0 % for debugging/);
        });
      });
    }
  });

  describe('what a failed rollout reports', function () {
    it('a smoke test that fails at 50 %: the logs of the new deployment are printed before it is deleted', async function () {
      const fake = new FakeEndpoint({ smoke: (_d, label) => !label.endsWith('at 50 %') });
      const { error } = await execute(fake, rolloutPlan(fake.state));
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.match(error.message, /^The rollout of 'green' failed at 'smoke test of green at 50 %': the smoke test failed: HTTP 500/);
      assert.match(error.message, /The logs of 'green' are in the task log above\.$/);
      const names = fake.calledNames();
      assert.ok(names.indexOf('printLogs') < names.lastIndexOf('deleteDeployment'), names.join(', '));
      assert.deepEqual(fake.traffic, { blue: 100 });
    });

    it('a deployment that fails to provision brings its own logs: they are not fetched again', async function () {
      const fake = new FakeEndpoint({ fail: (name) => (name === 'deployCandidate' ? new Error('provisioning failed, with logs') : undefined) });
      const { error } = await execute(fake, rolloutPlan(fake.state));
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.equal(fake.logsPrinted.length, 0);
      assert.match(error.message, /The logs of 'green' are in the task log above/);
    });

    it('mirrored traffic that makes the new deployment log errors stops the rollout', async function () {
      const fake = new FakeEndpoint({ watch: () => "the inference server of 'green' logged 2 error lines while it received traffic" });
      const { error } = await execute(fake, rolloutPlan(fake.state), { mirror: { percent: 10, durationMs: 1_000 } });
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.match(error.message, /failed at 'watch 'green' while it receives mirrored traffic': the inference server of 'green' logged 2 error lines/);
      assert.deepEqual(fake.state, { traffic: { blue: 100 }, mirror: {} });
    });

    it('once one of several previous deployments is deleted, a failure deleting the next cannot restore the split: it says so', async function () {
      const before = { traffic: { blue: 80, red: 20 }, mirror: {} };
      const fake = new FakeEndpoint({ traffic: before.traffic, fail: (name, nth) => (name === 'deleteDeployment' && nth === 2 ? injected('delete red') : undefined) });
      const { error } = await execute(fake, rolloutPlan(before));
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.match(
        error.message,
        /failed at 'delete the previous deployment 'red'': injected failure of delete red\. The rollback did not finish: the traffic could not be restored to traffic blue=80%, red=20% \(no deployment 'blue'\): the endpoint still serves traffic red=0%, green=100%; the deployment 'green' was not deleted\. The rollout is still recorded on the endpoint: run the task with action reject to finish the rollback\. The logs of 'green' are in the task log above\.$/,
      );
      assert.deepEqual(fake.traffic, { green: 100, red: 0 });
    });

    it('a rollback that cannot restore the traffic says so, keeps the record, and tells to run reject', async function () {
      const fake = new FakeEndpoint({ fail: (name, nth) => (name === 'setTraffic' && nth >= 2 ? injected('traffic') : undefined) });
      const { error, report } = await execute(fake, rolloutPlan(fake.state));
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.match(
        error.message,
        /The rollback did not finish: the traffic could not be restored to traffic blue=100% \(injected failure of traffic\): the endpoint still serves traffic blue=90%, green=10%; the deployment 'green' was not deleted\. The rollout is still recorded on the endpoint: run the task with action reject to finish the rollback\. The logs of 'green' are in the task log above\.$/,
      );
      assert.ok(fake.record, 'the record stays so that reject can finish');
      assert.ok(fake.deployments.has('green'), 'a deployment taking traffic is not deleted');
      assert.equal(report!.result, 'failed');
    });

    it('rollback calls wait while the endpoint answers 409 (an interrupted operation still running)', async function () {
      const fake = new FakeEndpoint({ smoke: (_d, label) => !label.endsWith('at 10 %') });
      fake.busyConflicts = 0;
      const original = fake.setTraffic.bind(fake);
      let setCalls = 0;
      fake.setTraffic = async (state, signal) => {
        setCalls += 1;
        if (setCalls === 2) fake.busyConflicts = 2;
        return original(state, signal);
      };
      const { error } = await execute(fake, rolloutPlan(fake.state));
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.match(error.message, /Rolled back/);
      assert.deepEqual(fake.traffic, { blue: 100 });
      assert.ok(fake.calls.filter((c) => c.name === 'waitForIdle').length >= 3);
    });

    it('a 409 on the very first change: nothing was changed, one clear "being updated" error', async function () {
      const fake = new FakeEndpoint({
        fail: (name) => (name === 'writeRecord' ? new TaskError('refused', { cause: new AzureRequestError('PATCH', 'https://arm/x', 409, 'Conflict', 'busy') }) : undefined),
      });
      const { error } = await execute(fake, rolloutPlan(fake.state));
      assert.match(String(error?.message), /^The online endpoint is being updated by another operation: refused\. Nothing was changed\. Wait for that operation to finish, then run the task again\.$/);
      assert.deepEqual(fake.calledNames(), ['writeRecord']);
    });
  });

  describe('canary, promote and reject', function () {
    it('canary stops at its percentage and leaves the rollout recorded; promote finishes it from there', async function () {
      const fake = new FakeEndpoint();
      const before = fake.state;
      const canary = await execute(fake, rolloutPlan(before, { stopAt: 25 }));
      assert.equal(canary.error, undefined, canary.io.text());
      assert.equal(canary.report!.result, 'canary');
      assert.deepEqual(fake.traffic, { blue: 75, green: 25 });
      assert.ok(fake.record);
      assert.ok(fake.deployments.has('blue'));
      assert.match(canary.io.text(), /Canary: 'green' takes 25 % of the traffic\. Promote it \(action promote\) or roll it back \(action reject\)\./);

      fake.calls.length = 0;
      const promote = await execute(fake, rolloutPlan(fake.record!.before, { newRecord: undefined, resumed: true, deployCandidate: false }));
      assert.equal(promote.error, undefined, promote.io.text());
      assert.equal(promote.report!.result, 'completed');
      assert.deepEqual(fake.calledNames(), ['smokeTest', 'setTraffic', 'smokeTest', 'setTraffic', 'smokeTest', 'deleteDeployment', 'writeRecord']);
      assert.deepEqual(fake.calls.filter((c) => c.name === 'setTraffic').map((c) => (c.args[0] as TrafficState).traffic), [{ blue: 50, green: 50 }, { blue: 0, green: 100 }]);
      assert.equal(fake.record, undefined);
      assert.deepEqual(fake.traffic, { green: 100 });
    });

    it('a failure while promoting rolls back to the split before the canary, not to the canary', async function () {
      const before = { traffic: { blue: 100 }, mirror: {} };
      const fake = new FakeEndpoint({ traffic: { blue: 90, green: 10 }, deployments: ['blue', 'green'], record: newRecord(before), smoke: (_d, label) => !label.endsWith('at 50 %') });
      const { error } = await execute(fake, rolloutPlan(before, { newRecord: undefined, resumed: true, deployCandidate: false }));
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.deepEqual(fake.traffic, { blue: 100 });
      assert.equal(fake.deployments.has('green'), false);
      assert.equal(fake.record, undefined);
    });

    it('reject restores the recorded split, prints the logs and deletes the new deployment', async function () {
      const before = { traffic: { blue: 80, red: 20 }, mirror: { shadow: 5 } };
      const fake = new FakeEndpoint({ traffic: { blue: 72, red: 18, green: 10 }, mirror: { shadow: 5 }, deployments: ['blue', 'red', 'green', 'shadow'], record: newRecord(before) });
      const { error, report } = await execute(fake, { kind: 'reject', record: fake.record!, candidateExists: true });
      assert.equal(error, undefined);
      assert.equal(report!.result, 'rejected');
      assert.deepEqual(fake.state, before);
      assert.equal(fake.deployments.has('green'), false);
      assert.deepEqual(fake.logsPrinted, ['green']);
      assert.equal(fake.record, undefined);
    });

    it('reject when the new deployment was never created: restores nothing, clears the record', async function () {
      const before = { traffic: { blue: 100 }, mirror: {} };
      const fake = new FakeEndpoint({ record: newRecord(before) });
      const { error } = await execute(fake, { kind: 'reject', record: fake.record!, candidateExists: false });
      assert.equal(error, undefined);
      assert.equal(fake.calls.filter((c) => c.name === 'setTraffic').length, 0);
      assert.equal(fake.calls.filter((c) => c.name === 'deleteDeployment').length, 0);
      assert.equal(fake.record, undefined);
    });
  });

  describe('first deployment', function () {
    it('creates the endpoint and the deployment, smoke tests it at 0 %, gives it all the traffic', async function () {
      const fake = new FakeEndpoint({ exists: false, traffic: {}, candidate: 'blue' });
      const { error, report } = await execute(fake, { kind: 'first', candidate: 'blue', createEndpoint: true, before: { traffic: {}, mirror: {} }, deployCandidate: true, nameReason: 'test' });
      assert.equal(error, undefined);
      assert.equal(report!.result, 'first');
      assert.deepEqual(fake.calledNames(), ['createEndpoint', 'deployCandidate', 'smokeTest', 'setTraffic']);
      assert.deepEqual(fake.traffic, { blue: 100 });
    });

    it('a smoke test failure deletes the endpoint it created (nothing left behind)', async function () {
      const fake = new FakeEndpoint({ exists: false, traffic: {}, candidate: 'blue', smoke: () => false });
      const { error } = await execute(fake, { kind: 'first', candidate: 'blue', createEndpoint: true, before: { traffic: {}, mirror: {} }, deployCandidate: true, nameReason: 'test' });
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.match(error.message, /Rolled back: the endpoint this run created was deleted with 'blue'\./);
      assert.equal(fake.exists, false);
    });

    it('on an existing endpoint without traffic, a failure restores its (empty) traffic and deletes the deployment', async function () {
      const fake = new FakeEndpoint({ traffic: {}, deployments: [], candidate: 'blue', fail: (name, nth) => (name === 'setTraffic' && nth === 1 ? injected('traffic') : undefined) });
      const { error } = await execute(fake, { kind: 'first', candidate: 'blue', createEndpoint: false, before: { traffic: {}, mirror: {} }, deployCandidate: true, nameReason: 'test' });
      assert.ok(error instanceof engineModule.RolloutFailedError);
      assert.ok(fake.exists);
      assert.deepEqual(fake.traffic, {});
      assert.equal(fake.deployments.has('blue'), false);
    });
  });

  describe('cancellation (SIGINT)', function () {
    it('mid-rollout: rolls back within the budget and reports Cancelled with what was restored', async function () {
      const controller = new AbortController();
      const fake = new FakeEndpoint({
        before: (name, nth) => {
          if (name === 'smokeTest' && nth === 3) controller.abort(new CancelledError('The task was cancelled (SIGINT).'));
        },
      });
      const { error } = await execute(fake, rolloutPlan(fake.state), {}, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.match(error.message, /^The task was cancelled during 'smoke test of green at 50 %'\. Rolled back: the endpoint's traffic is as before the rollout \(traffic blue=100%\) and the deployment 'green' was deleted\.$/);
      assert.deepEqual(fake.traffic, { blue: 100 });
      assert.equal(fake.deployments.has('green'), false);
      assert.equal(fake.record, undefined);
      assert.deepEqual(fake.logsPrinted, [], 'no time is spent on logs after a cancellation');
    });

    it('when the time runs out mid-restore (the endpoint stays busy with the interrupted step): says what the endpoint may serve, what is left, and to run reject', async function () {
      const controller = new AbortController();
      const fake = new FakeEndpoint({
        before: (name, nth) => {
          if (name !== 'setTraffic' || nth !== 2) return;
          // Cancelled while the 50 % step is sent: that operation keeps the endpoint busy for longer than the budget.
          fake.endpointState = 'Updating';
          controller.abort(new CancelledError('The task was cancelled (SIGINT).'));
        },
      });
      const { error, report } = await execute(fake, rolloutPlan(fake.state), { cancelBudgetMs: 50 }, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.equal(
        error.message,
        "The task was cancelled during 'traffic step 50 %'. The rollback did not finish in the time the agent gives a cancelled task: " +
          'the traffic could not be restored to traffic blue=100% (The rollback ran out of time after the cancellation.): the endpoint serves traffic blue=90%, green=10%, ' +
          "and an operation still running on it (the one the cancellation interrupted) may change that; the deployment 'green' was not deleted. " +
          'The rollout is still recorded on the endpoint: once the operations still running on it have ended, run the task with action reject to finish the rollback.',
      );
      assert.ok(fake.record, 'the record stays so that reject can finish');
      assert.equal(report!.result, 'failed');
    });
  });

  describe('cancellation while the new deployment is being created (minutes in Azure)', function () {
    const SIGINT = (): CancelledError => new CancelledError('The task was cancelled (SIGINT).');

    function cancelledWhileCreating(options: FakeEndpointOptions = {}): { fake: FakeEndpoint; controller: AbortController } {
      const controller = new AbortController();
      const fake = new FakeEndpoint({ ...options, slowCreation: { onCreating: () => controller.abort(SIGINT()) } });
      return { fake, controller };
    }

    it('the traffic never moved: it is not written and nothing waits for the creation; the deletion is requested and goes on in Azure; the record is removed', async function () {
      const { fake, controller } = cancelledWhileCreating({ deletion: 'accepted' });
      const { error, report, io } = await execute(fake, rolloutPlan(fake.state), { cancelBudgetMs: 300 }, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.equal(
        error.message,
        "The task was cancelled during 'create the deployment 'green''. Rolled back: the endpoint's traffic is as before the rollout (traffic blue=100%) " +
          "and the deletion of the deployment 'green' (it was still being created) was accepted by Azure ML and continues after the task ends.",
      );
      assert.match(io.text(), /The traffic is as before the rollout \(traffic blue=100%\): nothing to restore\./);
      assert.match(io.text(), /Requested the deletion of the deployment 'green' \(provisioning state Creating\): Azure ML accepted it\./);
      assert.equal(fake.calls.filter((c) => c.name === 'setTraffic').length, 0, 'no traffic written');
      assert.deepEqual(fake.calls.filter((c) => c.name === 'waitForIdle').map((c) => c.args), [[]], 'only the record removal waits, and only for the endpoint');
      assert.deepEqual(fake.state, { traffic: { blue: 100 }, mirror: {} });
      assert.equal(fake.deployments.get('green')?.state, 'Deleting');
      assert.equal(fake.record, undefined);
      assert.equal(report!.result, 'rolled back');
    });

    it('a deletion Azure ML finishes within the time left is reported as done', async function () {
      const { fake, controller } = cancelledWhileCreating();
      const { error } = await execute(fake, rolloutPlan(fake.state), { cancelBudgetMs: 300 }, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.equal(error.message, "The task was cancelled during 'create the deployment 'green''. Rolled back: the endpoint's traffic is as before the rollout (traffic blue=100%) and the deployment 'green' was deleted.");
      assert.equal(fake.deployments.has('green'), false);
      assert.equal(fake.record, undefined);
    });

    it('a deletion refused while the creation runs: says plainly that it is still being created and how to remove it; the record stays for reject', async function () {
      const { fake, controller } = cancelledWhileCreating({ deletion: 'refused while busy' });
      const { error, report } = await execute(fake, rolloutPlan(fake.state), { cancelBudgetMs: 300 }, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.equal(
        error.message,
        "The task was cancelled during 'create the deployment 'green''. The rollback did not finish in the time the agent gives a cancelled task: " +
          "the deployment 'green' is still being created (provisioning state Creating) and Azure ML did not accept its deletion (Azure ML refused: the deployment 'green' is Creating): it exists, with no traffic. " +
          'Once it has been created, remove it: run the task with action reject, or az ml online-deployment delete --name green --endpoint-name prod --resource-group rg --workspace-name ws --yes. ' +
          'The rollout is still recorded on the endpoint: once the operations still running on it have ended, run the task with action reject to finish the rollback.',
      );
      assert.equal(fake.calls.filter((c) => c.name === 'setTraffic').length, 0);
      assert.deepEqual(fake.state, { traffic: { blue: 100 }, mirror: {} });
      assert.ok(fake.record, 'the record stays: reject deletes the deployment once it is created');
      assert.ok(fake.calls.filter((c) => c.name === 'requestDeletion').length >= 2, 'the deletion is retried while time is left');
      assert.equal(report!.result, 'failed');
    });

    it('without a rollout record (a first deployment on an endpoint without traffic), the error gives the az ml command to finish by hand', async function () {
      const { fake, controller } = cancelledWhileCreating({ traffic: {}, deployments: [], candidate: 'blue', deletion: 'refused while busy' });
      const plan = { kind: 'first' as const, candidate: 'blue', createEndpoint: false, before: { traffic: {}, mirror: {} }, deployCandidate: true, nameReason: 'test' };
      const { error } = await execute(fake, plan, { cancelBudgetMs: 300 }, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.match(
        error.message,
        /the deployment 'blue' is still being created \(provisioning state Creating\) and Azure ML did not accept its deletion \(.+\): it exists, with no traffic\. Once it has been created, remove it: az ml online-deployment delete --name blue --endpoint-name prod --resource-group rg --workspace-name ws --yes\.$/,
      );
      assert.doesNotMatch(error.message, /action reject/, 'there is no rollout record for reject to find');
    });

    it('a first deployment that created the endpoint: the endpoint\'s deletion is requested, not awaited past the time given', async function () {
      const { fake, controller } = cancelledWhileCreating({ exists: false, traffic: {}, candidate: 'blue', deletion: 'accepted' });
      const plan = { kind: 'first' as const, candidate: 'blue', createEndpoint: true, before: { traffic: {}, mirror: {} }, deployCandidate: true, nameReason: 'test' };
      const { error } = await execute(fake, plan, { cancelBudgetMs: 300 }, controller.signal);
      assert.ok(error instanceof engineModule.RolloutCancelledError, String(error));
      assert.equal(
        error.message,
        "The task was cancelled during 'create the deployment 'blue''. Rolled back: the deletion of the endpoint this run created (with 'blue') was accepted by Azure ML and continues after the task ends.",
      );
      assert.equal(fake.endpointState, 'Deleting');
      assert.equal(fake.calls.filter((c) => c.name === 'waitForIdle').length, 0);
    });
  });
});

describe('AzureMLDeployProd: the az ml commands a rollback that could not finish gives', function () {
  const target = { endpointName: 'prod', resourceGroup: 'rg', workspaceName: 'ws' };

  it('the traffic command sets the whole split back, 0 for what the endpoint serves now and did not before, mirror included', function () {
    const before = { traffic: { blue: 80, red: 20 }, mirror: {} };
    const now = { traffic: { blue: 72, red: 18, green: 10 }, mirror: { green: 20 } };
    assert.equal(
      azCommands.azSetTraffic(target, before, now),
      'az ml online-endpoint update --name prod --traffic "blue=80 red=20 green=0" --mirror-traffic "green=0" --resource-group rg --workspace-name ws',
    );
    assert.equal(azCommands.azSetTraffic(target, { traffic: { blue: 100 }, mirror: { shadow: 10 } }, undefined), 'az ml online-endpoint update --name prod --traffic "blue=100" --mirror-traffic "shadow=10" --resource-group rg --workspace-name ws');
  });

  it('the deletion commands name the deployment, the endpoint and the workspace', function () {
    assert.equal(azCommands.azDeleteDeployment(target, 'green'), 'az ml online-deployment delete --name green --endpoint-name prod --resource-group rg --workspace-name ws --yes');
    assert.equal(azCommands.azDeleteEndpoint(target), 'az ml online-endpoint delete --name prod --resource-group rg --workspace-name ws --yes');
  });
});

/** mocha's `before`, under a name that does not clash with the test's own `before` variables. */
function before_(fn: () => Promise<void>): void {
  before(fn);
}
