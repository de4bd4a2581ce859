/**
 * AzureMLDeployProd black-box: bad inputs. Each case runs the bundled task against the shared emulator, next to an
 * endpoint serving v1 (blue = 100 %), and must end with ONE clear error that names the input (or says what on the
 * endpoint is in the way), no stack trace, and nothing created or changed: no ARM write at all, the endpoint as it was.
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { inPool } from '../support/trainTask';
import { armWritesSince, assertOneClearError, endpointView, logOf, type ProdModels, prodModels, type ProdResult, runDeployProd, uniqueName } from './support';

interface BadInputCase {
  readonly name: string;
  readonly inputs: Record<string, string>;
  readonly error: RegExp;
}

describe('AzureMLDeployProd black-box: bad inputs', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  let models: ProdModels;
  const endpointName = uniqueName('diabetes-bad');
  const cases: BadInputCase[] = [];
  const results = new Map<string, ProdResult>();
  let writes: string[];
  let viewBefore: ReturnType<typeof endpointView>;
  let viewAfter: ReturnType<typeof endpointView>;

  before(async function () {
    emulator = await sharedEmulator();
    models = await prodModels(emulator);
    const base = { endpointName, model: models.v1, environment: models.environment };
    const first = await runDeployProd({ emulator, inputs: base });
    assert.equal(first.result, 'Succeeded', logOf(first));

    const rollout = { ...base, model: models.v2 };
    const bad = (name: string, inputs: Record<string, string>, error: RegExp): void => {
      cases.push({ name, inputs, error });
    };
    bad('an unknown action', { ...rollout, action: 'rollout' }, /^Input 'action': 'rollout' is not an allowed value\. Use one of: deploy, canary, promote, reject\.$/);
    bad('traffic steps that do not increase', { ...rollout, trafficSteps: '10, 5, 100' }, /^Input 'trafficSteps': 5 does not increase on 10\. Give increasing whole percentages ending with 100/);
    bad('traffic steps that stop short of 100', { ...rollout, trafficSteps: '10, 50' }, /^Input 'trafficSteps': '10, 50' does not end with 100: the rollout ends with the new deployment taking all the traffic\. .*use action canary/);
    bad('a canary percentage of 100', { ...rollout, action: 'canary', canaryPercentage: '100' }, /^Input 'canaryPercentage': 100 is above the maximum of 99\. Use a whole number from 1 to 99\.$/);
    bad('mirrored traffic above 50 %', { ...rollout, mirrorPercentage: '60' }, /^Input 'mirrorPercentage': 60 is above the maximum of 50\. Use a whole number from 0 to 50\.$/);
    bad('no smoke test request', { ...rollout, smokeTestRequestFile: '' }, /^Input 'smokeTestRequestFile': a value is required: action deploy smoke tests the new deployment before it gets traffic and after every traffic step\./);
    bad('malformed smoke test assertions', { ...rollout, smokeTestAssertions: 'predictions length 3' }, /^Input 'smokeTestAssertions': line 1 \('predictions length 3'\) does not start with a JSON path such as \$\.predictions\./);
    bad('an invalid deployment name', { ...rollout, deploymentName: 'Blue_1' }, /^Input 'deploymentName': 'Blue_1' is not a valid online deployment name\./);
    bad(
      'the deployment serving production as the new one',
      { ...rollout, deploymentName: 'blue' },
      /^Input 'deploymentName': 'blue' is the deployment serving production on '.+' \(blue=100%\)\. A safe rollout creates the new deployment beside it: give another name, or leave 'deploymentName' empty to alternate blue and green\.$/,
    );
    bad('a model version that does not exist', { ...rollout, model: `azureml:${models.modelName}:99` }, /^Input 'model': .*99.*(does not exist|not found)/i);
    bad('an unknown value of previousDeployment', { ...rollout, previousDeployment: 'archive' }, /^Input 'previousDeployment': 'archive' is not an allowed value\. Use one of: delete, keep\.$/);
    bad(
      'mirrored traffic to a new Kubernetes endpoint',
      { ...rollout, endpointName: uniqueName('diabetes-k8s'), endpointFile: '', deploymentFile: '', computeType: 'Kubernetes', kubernetesCompute: 'k8s-compute', codePath: 'samples/diabetes/score', scoringScript: 'score.py', mirrorPercentage: '10' },
      /^Input 'mirrorPercentage': the endpoint to create is a Kubernetes endpoint, and Azure ML mirrors traffic only on managed online endpoints\. Set 'mirrorPercentage' to 0/,
    );
    bad('promote on an endpoint that does not exist', { endpointName: uniqueName('diabetes-none'), action: 'promote' }, /^Input 'endpointName': the online endpoint does not exist in the workspace, so there is no rollout to promote\./);

    viewBefore = endpointView(emulator, endpointName);
    const from = emulator.traffic.length;
    const outcomes = await inPool(cases.map((c) => () => runDeployProd({ emulator, inputs: c.inputs })));
    cases.forEach((c, index) => results.set(c.name, outcomes[index]!));
    writes = armWritesSince(emulator, from);
    viewAfter = endpointView(emulator, endpointName);
  });

  it('has at least 8 cases', function () {
    assert.ok(cases.length >= 8, `${cases.length}`);
  });

  it('nothing was created or changed: no ARM write, the endpoint as it was', function () {
    assert.deepEqual(writes, []);
    assert.deepEqual(viewAfter, viewBefore);
  });

  describe('each case: one clear error, no stack trace', function () {
    for (const name of [
      'an unknown action',
      'traffic steps that do not increase',
      'traffic steps that stop short of 100',
      'a canary percentage of 100',
      'mirrored traffic above 50 %',
      'no smoke test request',
      'malformed smoke test assertions',
      'an invalid deployment name',
      'the deployment serving production as the new one',
      'a model version that does not exist',
      'an unknown value of previousDeployment',
      'mirrored traffic to a new Kubernetes endpoint',
      'promote on an endpoint that does not exist',
    ]) {
      it(name, function () {
        const badCase = cases.find((c) => c.name === name)!;
        const result = results.get(name)!;
        assertOneClearError(result, badCase.error);
      });
    }
  });
});
