/**
 * AzureMLDeployQA L0: the task's tsc output under azure-pipelines-task-lib's MockTestRunner, offline. The workspace
 * (ARM, datastore) and the scoring client are faked (support/fakeWorkspace.ts); inputs, YAML, checks, create-or-update,
 * traffic, the smoke test, outputs and the summary are the real code.
 */
import assert from 'node:assert/strict';

import { BASE_INPUTS, type L0Result, runScenario, writes } from './support/runScenario';
import { FAKE_PRIMARY_KEY, type FakeResource } from './support/scenario';

const WORLD: Record<string, FakeResource> = {
  'models/diabetes-ridge/versions/3': { properties: { modelType: 'custom_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/azureml/job/model/' } },
  'environments/diabetes-scoring/versions/2': { properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference:latest' } },
};

const INPUTS = {
  ...BASE_INPUTS,
  endpointName: 'qa-l0',
  model: 'diabetes-ridge:3',
  environment: 'azureml:diabetes-scoring:2',
  codePath: 'samples/diabetes/score',
  scoringScript: 'score.py',
  instanceType: 'Standard_DS3_v2',
  smokeTestRequestFile: 'samples/diabetes/score/sample-request.json',
  smokeTestAssertions: '$.predictions length 3',
};

function assertFailedWithOneError(result: L0Result, pattern: RegExp): void {
  assert.equal(result.succeeded, false, 'the task should fail');
  assert.equal(result.errors.length, 1, `one error expected, got: ${JSON.stringify(result.errors)}`);
  assert.match(result.errors[0]!, pattern);
  assert.doesNotMatch(result.stdout, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
}

describe('AzureMLDeployQA L0 (mock runner, tsc output)', function () {
  this.timeout(60_000);

  describe('a first deployment from inputs alone, then the same run on what it left', function () {
    let first: L0Result;
    let again: L0Result;

    before(async function () {
      first = await runScenario({ inputs: INPUTS, resources: WORLD });
      again = await runScenario({ inputs: INPUTS, resources: first.record.resources });
    });

    it('reads the model, environment and code before it writes; then code, endpoint, deployment, traffic', function () {
      assert.equal(first.succeeded, true, first.stdout);
      const firstWrite = first.record.calls.findIndex((c) => c.method !== 'GET');
      const reads = first.record.calls.slice(0, firstWrite).map((c) => `${c.method} ${c.path}`);
      for (const read of ['GET onlineEndpoints/qa-l0', 'GET models/diabetes-ridge/versions/3', 'GET environments/diabetes-scoring/versions/2']) assert.ok(reads.includes(read), reads.join('\n'));
      assert.deepEqual(
        writes(first.record).map((c) => `${c.method} ${c.path.replace(/codes\/[0-9a-f-]{36}/, 'codes/<hash>')} ${c.apiVersion ?? '(default 2022-10-01)'}`),
        [
          'PUT codes/<hash>/versions/1 (default 2022-10-01)',
          'PUT onlineEndpoints/qa-l0 2023-04-01',
          'PUT onlineEndpoints/qa-l0/deployments/blue 2022-10-01',
          'PUT onlineEndpoints/qa-l0 2023-04-01',
          'POST onlineEndpoints/qa-l0/listKeys 2022-10-01',
        ],
      );
      assert.ok(first.record.uploads.some((blob) => /^LocalUpload\/[0-9a-f]{64}\/score\/score\.py$/.test(blob)), first.record.uploads.join('\n'));
    });

    it('PUTs the deployment with the resolved references and the inputs', function () {
      const put = writes(first.record).find((c) => c.path === 'onlineEndpoints/qa-l0/deployments/blue')!.body as { location: string; sku: unknown; properties: Record<string, unknown> };
      assert.equal(put.location, 'westeurope');
      assert.deepEqual(put.sku, { name: 'Default', capacity: 1 });
      assert.match(String(put.properties['model']), /\/workspaces\/ws-l0\/models\/diabetes-ridge\/versions\/3$/);
      assert.match(String(put.properties['environmentId']), /\/environments\/diabetes-scoring\/versions\/2$/);
      assert.equal((put.properties['codeConfiguration'] as { scoringScript: string }).scoringScript, 'score.py');
      assert.equal(put.properties['instanceType'], 'Standard_DS3_v2');
      const traffic = writes(first.record).filter((c) => c.path === 'onlineEndpoints/qa-l0')[1]!.body as { properties: { traffic: unknown } };
      assert.deepEqual(traffic.properties.traffic, { blue: 100 });
    });

    it('smoke-tests the deployment with the key and the deployment header, and reports it', function () {
      assert.deepEqual(first.record.scoring, [{ url: 'https://qa-l0.westeurope.inference.ml.azure.com/score', deployment: 'blue', authorization: `Bearer ${FAKE_PRIMARY_KEY}` }]);
      assert.match(first.stdout, /Smoke test of deployment 'blue' passed/);
      assert.match(first.summaries.join('\n'), /\| deployment 'blue' \| ✅ passed \| 200 \|/);
      const printed = first.stdout.split(/\r?\n/).filter((line) => !line.startsWith('##vso[task.setsecret]'));
      assert.ok(!printed.some((line) => line.includes(FAKE_PRIMARY_KEY)), 'the key is never printed');
    });

    it('sets the outputs', function () {
      assert.deepEqual(first.outputs, {
        ScoringUri: 'https://qa-l0.westeurope.inference.ml.azure.com/score',
        SwaggerUri: 'https://qa-l0.westeurope.inference.ml.azure.com/swagger.json',
        EndpointName: 'qa-l0',
        DeploymentName: 'blue',
        Changed: 'true',
      });
    });

    it('the same run again sends nothing but the key request, uploads nothing, and says so', function () {
      assert.equal(again.succeeded, true, again.stdout);
      assert.deepEqual(writes(again.record).map((c) => `${c.method} ${c.path}`), ['POST onlineEndpoints/qa-l0/listKeys']);
      assert.deepEqual(again.record.uploads, []);
      assert.equal(again.outputs['Changed'], 'false');
      assert.match(again.stdout, /Code: score unchanged/);
    });
  });

  it('bad input fails before the workspace is even opened', async function () {
    const result = await runScenario({ inputs: { ...INPUTS, trafficPercent: '150' }, resources: WORLD });
    assertFailedWithOneError(result, /^Input 'trafficPercent': 150 is above the maximum of 100\. Use a whole number from 0 to 100\.$/);
    assert.deepEqual(result.record.calls, []);
  });

  it('a deployment that fails: its logs in groups of their own, then one error with the service error and the last error line', async function () {
    const result = await runScenario({
      inputs: INPUTS,
      resources: WORLD,
      deploymentFailure: { code: 'ResourceNotReady', message: 'User container has crashed or terminated.' },
      failureLog: 'Invoking init\nTraceback (most recent call last):\n  File "score.py", line 17, in init\nKeyError: \'features\'\n',
    });
    assertFailedWithOneError(result, /^Deployment 'blue' of endpoint 'qa-l0' failed \(ResourceNotReady\): User container has crashed or terminated\. Last error in the inference server log: KeyError: 'features'\./);
    const log = result.stdout;
    const group = log.indexOf("##[group]Inference server log of deployment 'blue' (endpoint 'qa-l0')");
    assert.ok(group > log.indexOf("##[endgroup]", log.indexOf("##[group]Deployment 'blue'")), 'after the deployment group closed');
    assert.match(log.slice(group), /Traceback \(most recent call last\)[\s\S]*KeyError: 'features'[\s\S]*##\[endgroup\][\s\S]*##\[group\]Storage initializer log/);
    assert.deepEqual(result.record.scoring, [], 'no smoke test');
    assert.deepEqual(writes(result.record).filter((c) => c.path === 'onlineEndpoints/qa-l0').length, 1, 'the traffic was not moved');
  });

  it('an endpoint whose creation fails is torn down (teardown onFailure): nothing half-created is left', async function () {
    const result = await runScenario({
      inputs: { ...INPUTS, teardown: 'onFailure' },
      resources: WORLD,
      endpointFailure: { code: 'QuotaExceeded', message: 'Not enough quota for the endpoint.' },
    });
    assertFailedWithOneError(result, /^Online endpoint 'qa-l0': the creation ended Failed \(QuotaExceeded\): Not enough quota for the endpoint\.$/);
    assert.ok(writes(result.record).some((c) => c.method === 'DELETE' && c.path === 'onlineEndpoints/qa-l0'), writes(result.record).map((c) => `${c.method} ${c.path}`).join('\n'));
    assert.deepEqual(Object.keys(result.record.resources).filter((k) => k.startsWith('onlineendpoints/')), []);
    assert.ok(!writes(result.record).some((c) => c.path.includes('/deployments/') && c.method === 'PUT'), 'no deployment was attempted');
  });

  it('a smoke test that meets 503s then a wrong answer fails with the assertion and the response', async function () {
    const result = await runScenario({
      inputs: { ...INPUTS, smokeTestAttempts: '3' },
      resources: WORLD,
      scoringAnswers: [
        { status: 503, body: 'warming up' },
        { status: 200, body: '{"predictions": [1, 2]}' },
      ],
    });
    assertFailedWithOneError(result, /^The smoke test of deployment 'blue' failed: assertion '\$\.predictions length 3' failed: \$\.predictions has length 2, not 3\. Response \(HTTP 200\): \{"predictions": \[1, 2\]\}$/);
    assert.equal(result.record.scoring.length, 2);
    assert.equal(result.outputs['ScoringUri'], 'https://qa-l0.westeurope.inference.ml.azure.com/score', 'outputs are set before the test');
    assert.match(result.summaries.join('\n'), /❌ failed/);
  });
});
