/**
 * AzureMLDeployProd decisions (pure): what each action does with the state found on the endpoint, every refusal
 * decided before anything is written; the traffic split of each step; the rollout record in the endpoint's tags;
 * blue/green names; watching a deployment's log.
 */
import assert from 'node:assert/strict';

import { TaskError } from '@azureml-mlops/shared';

import type * as NamingModule from '../../../tasks/AzureMLDeployProd/src/rollout/naming';
import type * as PlanModule from '../../../tasks/AzureMLDeployProd/src/rollout/plan';
import type * as RecordModule from '../../../tasks/AzureMLDeployProd/src/rollout/record';
import type * as TrafficModule from '../../../tasks/AzureMLDeployProd/src/rollout/traffic';
import type * as WatchModule from '../../../tasks/AzureMLDeployProd/src/rollout/watch';
import { taskModule } from './support';

const plan = taskModule<typeof PlanModule>('rollout/plan');
const traffic = taskModule<typeof TrafficModule>('rollout/traffic');
const record = taskModule<typeof RecordModule>('rollout/record');
const naming = taskModule<typeof NamingModule>('rollout/naming');
const watch = taskModule<typeof WatchModule>('rollout/watch');

const INPUTS = { deploymentName: 'deploymentName', mirrorPercent: 'mirrorPercentage', endpointName: 'endpointName', action: 'action' };
const NOW = new Date('2025-03-01T12:00:00.000Z');

function settings(action: PlanModule.RolloutAction, extra: Partial<PlanModule.Settings> = {}): PlanModule.Settings {
  return { action, stopAt: action === 'canary' ? 10 : 100, mirrorPercent: 0, startedBy: 'https://dev.azure.com/org/p/_build/results?buildId=7', now: () => NOW, inputs: INPUTS, ...extra };
}

function endpoint(split: Record<string, number>, extra: Partial<PlanModule.EndpointState> = {}): PlanModule.EndpointState {
  const names = new Set([...Object.keys(split), ...(extra.deployments ?? []).map((d) => d.name)]);
  return {
    name: 'diabetes',
    provisioningState: 'Succeeded',
    computeType: 'Managed',
    traffic: { traffic: split, mirror: {} },
    record: undefined,
    deployments: [...names].map((name) => ({ name, provisioningState: 'Succeeded' })),
    ...extra,
  };
}

/** Desired content: `same` lists the deployments that already run it. */
function desired(same: string[] = [], extra: Partial<PlanModule.DesiredDeployment> = {}): PlanModule.DesiredDeployment {
  return { explicitName: undefined, fileName: 'blue', matches: (name) => same.includes(name), modelLabel: 'azureml:diabetes:3', ...extra };
}

function recorded(before: Record<string, number>, candidate = 'green'): RecordModule.ReadRecord {
  return { record: { candidate, previous: 'blue', before: { traffic: before, mirror: {} }, model: 'azureml:diabetes:2', startedAt: '2025-02-01T00:00:00.000Z', startedBy: 'https://dev.azure.com/org/p/_build/results?buildId=6' } };
}

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof TaskError && pattern.test(error.message));
}

describe('AzureMLDeployProd decisions', function () {
  describe('deploy', function () {
    it('no endpoint: first deployment, the endpoint created, the deployment named as in the file', function () {
      const result = plan.planRollout(settings('deploy'), undefined, desired());
      assert.deepEqual(result, { kind: 'first', candidate: 'blue', createEndpoint: true, before: { traffic: {}, mirror: {} }, deployCandidate: true, nameReason: 'the name in the deployment file; it takes no traffic' });
    });

    it('an endpoint where nothing takes traffic: first deployment on it (no rollout), an idle deployment with this content reused', function () {
      const result = plan.planRollout(settings('deploy'), endpoint({ blue: 0 }), desired(['blue']));
      assert.equal(result.kind, 'first');
      assert.equal((result as { deployCandidate: boolean }).deployCandidate, false);
      assert.equal((result as { createEndpoint: boolean }).createEndpoint, false);
    });

    it('the deployment serving production already runs this model, environment and code: unchanged, whatever the name', function () {
      assert.deepEqual(plan.planRollout(settings('deploy'), endpoint({ blue: 100 }), desired(['blue'])), { kind: 'unchanged', deployment: 'blue' });
      assert.deepEqual(plan.planRollout(settings('deploy'), endpoint({ blue: 100 }), desired(['blue'], { explicitName: 'v3' })), { kind: 'unchanged', deployment: 'blue' });
    });

    it('something differs: a rollout to the blue/green partner, recording the split before it', function () {
      const result = plan.planRollout(settings('deploy'), endpoint({ blue: 100 }), desired());
      assert.equal(result.kind, 'rollout');
      const rollout = result as Extract<PlanModule.Plan, { kind: 'rollout' }>;
      assert.equal(rollout.candidate, 'green');
      assert.equal(rollout.previous, 'blue');
      assert.equal(rollout.stopAt, 100);
      assert.equal(rollout.deployCandidate, true);
      assert.deepEqual(rollout.newRecord, {
        candidate: 'green',
        previous: 'blue',
        before: { traffic: { blue: 100 }, mirror: {} },
        model: 'azureml:diabetes:3',
        startedAt: NOW.toISOString(),
        startedBy: 'https://dev.azure.com/org/p/_build/results?buildId=7',
      });
    });

    it('a kept previous deployment at 0 % is reused (updated in place) by the next rollout', function () {
      const result = plan.planRollout(settings('deploy'), endpoint({ green: 100, blue: 0 }), desired());
      assert.equal((result as { candidate: string }).candidate, 'blue');
    });

    it('refuses to name the new deployment after the one serving, or one taking traffic', function () {
      refused(() => plan.planRollout(settings('deploy'), endpoint({ blue: 100 }), desired([], { explicitName: 'blue' })), /^Input 'deploymentName': 'blue' is the deployment serving production on 'diabetes' \(blue=100%\)\. A safe rollout creates the new deployment beside it/);
      refused(() => plan.planRollout(settings('deploy'), endpoint({ blue: 90, red: 10 }), desired([], { explicitName: 'red' })), /^Input 'deploymentName': the deployment 'red' takes 10% of the live traffic of 'diabetes'/);
    });

    it('refuses a name that receives mirrored traffic', function () {
      const state = endpoint({ blue: 100 }, { traffic: { traffic: { blue: 100 }, mirror: { green: 10 } } });
      refused(() => plan.planRollout(settings('deploy'), state, desired([], { explicitName: 'green' })), /^Input 'deploymentName': the deployment 'green' receives mirrored traffic on 'diabetes'/);
      assert.equal((plan.planRollout(settings('deploy'), state, desired()) as { candidate: string }).candidate, 'blue-3', 'blue serves and green is mirrored: the next free name');
    });

    it('refuses to start while the endpoint or a deployment it involves is being updated', function () {
      for (const state of ['Creating', 'Updating', 'Deleting']) {
        refused(() => plan.planRollout(settings('deploy'), endpoint({ blue: 100 }, { provisioningState: state }), desired()), new RegExp(`^The online endpoint 'diabetes' is being updated \\(provisioning state ${state}\\): another operation on it is in progress\\. Nothing was changed\\.`));
      }
      const busy = endpoint({ blue: 100 }, { deployments: [{ name: 'blue', provisioningState: 'Scaling' }] });
      refused(() => plan.planRollout(settings('deploy'), busy, desired()), /^The deployment 'blue' of the online endpoint 'diabetes' is being updated \(provisioning state Scaling\)/);
      refused(() => plan.planRollout(settings('promote'), busy, undefined), /is being updated/);
    });

    it('refuses mirrored traffic on a Kubernetes endpoint, naming the input', function () {
      refused(
        () => plan.planRollout(settings('deploy', { mirrorPercent: 10 }), endpoint({ blue: 100 }, { computeType: 'Kubernetes' }), desired()),
        /^Input 'mirrorPercentage': the online endpoint 'diabetes' is a Kubernetes endpoint, and Azure ML mirrors traffic only on managed online endpoints\. Set 'mirrorPercentage' to 0/,
      );
    });

    it('a recorded rollout of the same content is continued from where it is', function () {
      const state = endpoint({ blue: 90, green: 10 }, { record: recorded({ blue: 100 }) });
      const result = plan.planRollout(settings('deploy'), state, desired(['green'])) as Extract<PlanModule.Plan, { kind: 'rollout' }>;
      assert.equal(result.kind, 'rollout');
      assert.equal(result.resumed, true);
      assert.equal(result.newRecord, undefined);
      assert.equal(result.deployCandidate, false);
      assert.deepEqual(result.before.traffic, { blue: 100 }, 'the split before the rollout, not the canary');
    });

    it('a recorded rollout whose deployment was never created: continued by creating it', function () {
      const state = endpoint({ blue: 100 }, { record: recorded({ blue: 100 }) });
      const result = plan.planRollout(settings('deploy'), state, desired()) as Extract<PlanModule.Plan, { kind: 'rollout' }>;
      assert.equal(result.deployCandidate, true);
      assert.equal(result.candidate, 'green');
    });

    it('a recorded rollout of other content: refused, telling to promote or reject it first', function () {
      const state = endpoint({ blue: 90, green: 10 }, { record: recorded({ blue: 100 }) });
      refused(
        () => plan.planRollout(settings('deploy'), state, desired()),
        /^A rollout is already in progress on the online endpoint 'diabetes': its deployment 'green' runs azureml:diabetes:2, not what this run deploys \(azureml:diabetes:3\)\. It was started at 2025-02-01T00:00:00\.000Z by https:\/\/dev\.azure\.com\/org\/p\/_build\/results\?buildId=6 and 'green' takes 10% of the traffic\. Nothing was changed\. Finish it with action promote, or roll it back with action reject/,
      );
    });

    it('a record edited by hand: refused, nothing done on a guess', function () {
      const state = endpoint({ blue: 100 }, { record: { problem: "the tag 'azureml-mlops.rollout.candidate' is missing" } });
      refused(() => plan.planRollout(settings('deploy'), state, desired()), /^The rollout recorded on the online endpoint 'diabetes' cannot be read: the tag 'azureml-mlops\.rollout\.candidate' is missing\./);
    });
  });

  describe('canary', function () {
    it('stops at the canary percentage', function () {
      const result = plan.planRollout(settings('canary', { stopAt: 25 }), endpoint({ blue: 100 }), desired()) as Extract<PlanModule.Plan, { kind: 'rollout' }>;
      assert.equal(result.stopAt, 25);
    });

    it('a canary already at its percentage: nothing to do', function () {
      const state = endpoint({ blue: 90, green: 10 }, { record: recorded({ blue: 100 }) });
      const result = plan.planRollout(settings('canary'), state, desired(['green']));
      assert.equal(result.kind, 'nothing');
      assert.match((result as { message: string }).message, /^The canary 'green' already takes 10% of the traffic of 'diabetes' \(canary percentage 10%\): nothing to do\. Promote or reject it\.$/);
    });
  });

  describe('promote and reject', function () {
    it('without a recorded rollout: nothing to do, said plainly', function () {
      const promote = plan.planRollout(settings('promote'), endpoint({ blue: 100 }), undefined);
      assert.deepEqual(promote, { kind: 'nothing', message: "No rollout is in progress on the online endpoint 'diabetes' (blue=100%): there is nothing to promote.", deployment: 'blue' });
      assert.equal(plan.planRollout(settings('reject'), endpoint({ blue: 100 }), undefined).kind, 'nothing');
    });

    it('promote finishes the recorded rollout to 100 %', function () {
      const state = endpoint({ blue: 90, green: 10 }, { record: recorded({ blue: 100 }) });
      const result = plan.planRollout(settings('promote'), state, undefined) as Extract<PlanModule.Plan, { kind: 'rollout' }>;
      assert.equal(result.kind, 'rollout');
      assert.equal(result.stopAt, 100);
      assert.equal(result.deployCandidate, false);
    });

    it('promote of a rollout whose deployment was never created: refused', function () {
      refused(() => plan.planRollout(settings('promote'), endpoint({ blue: 100 }, { record: recorded({ blue: 100 }) }), undefined), /stopped before its new deployment 'green' was created: there is nothing to promote\. Run the task with action reject to clear it/);
    });

    it('reject of the recorded rollout', function () {
      const state = endpoint({ blue: 90, green: 10 }, { record: recorded({ blue: 100 }) });
      const result = plan.planRollout(settings('reject'), state, undefined);
      assert.equal(result.kind, 'reject');
      assert.equal((result as { candidateExists: boolean }).candidateExists, true);
    });

    it('reject once the previous deployment was deleted: refused, telling to promote', function () {
      const state = endpoint({ green: 100 }, { record: recorded({ blue: 100 }) });
      refused(() => plan.planRollout(settings('reject'), state, undefined), /cannot be rolled back: the deployment 'blue' that served before was already deleted \(the rollout was finishing\)\. Run the task with action promote to finish it/);
    });

    it('promote or reject on an endpoint that does not exist: refused, naming the input', function () {
      refused(() => plan.planRollout(settings('promote'), undefined, undefined), /^Input 'endpointName': the online endpoint does not exist in the workspace, so there is no rollout to promote\./);
    });
  });

  describe('traffic steps', function () {
    it('the others keep their proportions, whole numbers summing to 100', function () {
      assert.deepEqual(traffic.splitAt({ blue: 100 }, 'green', 10), { blue: 90, green: 10 });
      assert.deepEqual(traffic.splitAt({ blue: 100 }, 'green', 100), { blue: 0, green: 100 });
      assert.deepEqual(traffic.splitAt({ a: 50, b: 30, c: 20 }, 'n', 33), { a: 34, b: 20, c: 13, n: 33 });
      assert.deepEqual(traffic.splitAt({ a: 1, b: 1, c: 1, z: 0 }, 'n', 10), { a: 30, b: 30, c: 30, z: 0, n: 10 });
      for (const percent of [1, 7, 10, 33, 50, 99]) {
        const split = traffic.splitAt({ a: 45, b: 45, c: 10 }, 'n', percent);
        assert.equal(Object.values(split).reduce((x, y) => x + y, 0), 100, `${percent}`);
        assert.equal(split['n'], percent);
      }
    });

    it('remaining steps from the current share to where the rollout stops', function () {
      assert.deepEqual(traffic.remainingSteps([10, 50, 100], 0, 100), [10, 50, 100]);
      assert.deepEqual(traffic.remainingSteps([10, 50, 100], 10, 100), [50, 100]);
      assert.deepEqual(traffic.remainingSteps([10, 50, 100], 0, 25), [10, 25]);
      assert.deepEqual(traffic.remainingSteps([10, 50, 100], 25, 25), []);
      assert.deepEqual(traffic.remainingSteps([10, 50, 100], 60, 100), [100]);
    });

    it('zero shares send nothing: the same split with or without them', function () {
      assert.equal(traffic.sameSplit({ blue: 100, green: 0 }, { Blue: 100 }), true);
      assert.equal(traffic.sameSplit({ blue: 90, green: 10 }, { blue: 100 }), false);
    });
  });

  describe('the rollout record in the endpoint tags', function () {
    const sample: RecordModule.RolloutRecord = {
      candidate: 'green',
      previous: 'blue',
      before: { traffic: { blue: 80, red: 20 }, mirror: { shadow: 10 } },
      model: 'azureml:diabetes:3',
      startedAt: NOW.toISOString(),
      startedBy: 'https://dev.azure.com/org/p/_build/results?buildId=7',
    };

    it('round-trips, leaving the other tags alone', function () {
      const tags = record.tagsWithRecord({ team: 'ml' }, sample);
      assert.equal(tags['team'], 'ml');
      assert.equal(tags['azureml-mlops.rollout.traffic-before'], 'blue=80,red=20');
      assert.equal(tags['azureml-mlops.rollout.mirror-before'], 'shadow=10');
      assert.deepEqual(record.readRecord(tags), { record: sample });
      assert.deepEqual(record.tagsWithoutRecord(tags), { team: 'ml' });
      assert.equal(record.readRecord({ team: 'ml' }), undefined);
    });

    it('splits longer than a tag value (256 characters) over numbered tags', function () {
      const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`deployment-with-a-long-name-${i}`, i === 0 ? 81 : 1]));
      const tags = record.recordTags({ ...sample, before: { traffic: many, mirror: {} } });
      assert.ok(Object.values(tags).every((value) => value.length <= 256));
      assert.ok(tags['azureml-mlops.rollout.traffic-before-2']);
      assert.deepEqual((record.readRecord(tags) as { record: RecordModule.RolloutRecord }).record.before.traffic, many);
    });

    it('tags edited by hand are reported, not guessed', function () {
      assert.deepEqual(record.readRecord({ 'azureml-mlops.rollout.candidate': 'green', 'azureml-mlops.rollout.traffic-before': 'blue=lots' }), {
        problem: "the tag 'azureml-mlops.rollout.traffic-before' is missing or not in the form name=percent,...",
      });
    });
  });

  describe('blue/green names', function () {
    it('alternates', function () {
      assert.equal(naming.partnerName('blue'), 'green');
      assert.equal(naming.partnerName('green'), 'blue');
      assert.equal(naming.partnerName('diabetes-blue'), 'diabetes-green');
      assert.equal(naming.partnerName('prod'), 'prod-2');
      assert.equal(naming.partnerName('prod-2'), 'prod');
      assert.ok(naming.DEPLOYMENT_NAME_PATTERN.test(naming.partnerName('a'.repeat(32))));
    });
  });

  describe('watching a deployment', function () {
    function clock() {
      let now = 0;
      return { now: () => now, sleep: async (ms: number) => void (now += ms) };
    }
    const signal = new AbortController().signal;
    const line = (level: string, text: string) => `2025-03-01 12:00:00,000 ${level} [42] azmlinfsrv - ${text}`;

    it('new error lines of the inference server while it gets traffic are a problem; older ones are not', async function () {
      let log = `${line('E', 'Encountered Exception: old one')}\n${line('I', 'POST /score 200')}\n`;
      let reads = 0;
      const problem = await watch.watchDeployment(
        'green',
        {
          readLog: async () => {
            reads += 1;
            if (reads === 3) log += `${line('E', 'Encountered Exception: Traceback (most recent call last):')}\n`;
            return log;
          },
          readState: async () => 'Succeeded',
        },
        20_000,
        signal,
        clock(),
      );
      assert.match(String(problem), /^the inference server of 'green' logged 1 error line while it received traffic, first: .*Encountered Exception: Traceback/);
    });

    it('a quiet log and a healthy deployment for the whole time: no problem', async function () {
      const problem = await watch.watchDeployment('green', { readLog: async () => line('I', 'POST /score 200'), readState: async () => 'Succeeded' }, 20_000, signal, clock());
      assert.equal(problem, undefined);
    });

    it('a deployment that fails or disappears is a problem', async function () {
      assert.equal(await watch.watchDeployment('green', { readLog: async () => '', readState: async () => 'Failed' }, 1000, signal, clock()), "the deployment 'green' is Failed");
      assert.equal(await watch.watchDeployment('green', { readLog: async () => '', readState: async () => undefined }, 1000, signal, clock()), "the deployment 'green' no longer exists");
    });
  });
});
