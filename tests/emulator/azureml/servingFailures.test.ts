import assert from 'node:assert/strict';
import type { Emulator } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, processExists, unique } from './support';
import {
  DIABETES_SCORE_PY,
  ScoringClient,
  deploymentBody,
  diabetesAssets,
  endpointBody,
  logsOf,
  operationResult,
  registerCode,
  scoringTarget,
  succeeds,
  type ServingAssets,
} from './servingFixture';

const INIT_RAISES = `
import os

def init():
    raise RuntimeError("cannot open the model in " + os.environ["AZUREML_MODEL_DIR"])

def run(raw_data):
    return {}
`;

/** run() raises for {"fail": true}, returns what JSON cannot encode for {"deep": true}, sleeps for {"sleep": seconds}, else echoes. */
const RUN_MISBEHAVES = `
import json, time

def init():
    pass

def run(raw_data):
    request = json.loads(raw_data)
    if request.get("fail"):
        raise ValueError("row 3 has 2 values; the model takes 10")
    if request.get("deep"):
        # json.dumps of this raises RecursionError (not a TypeError): the answer must still be the server's 500.
        nested = []
        for _ in range(100000):
            nested = [nested]
        return nested
    time.sleep(request.get("sleep", 0))
    return {"echo": request}
`;

/** init() never returns (a model download that hangs). */
const INIT_HANGS = `
import time

def init():
    while True:
        time.sleep(60)

def run(raw_data):
    return {}
`;

describe('emulator Azure ML: online deployments whose scoring script fails', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let client: AzureMlTestClient;
  let scoring: ScoringClient;
  let assets: ServingAssets;
  const endpoints: string[] = [];

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    scoring = new ScoringClient(emulator);
    assets = await diabetesAssets(client);
  });

  after(async function () {
    scoring?.close();
    for (const ep of endpoints) if (emulator.inspect.onlineEndpoint(ep)) await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`);
  });

  async function newEndpoint(properties = {}): Promise<string> {
    const ep = unique('failing-ep');
    endpoints.push(ep);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody(properties));
    return ep;
  }

  it('ends a deployment whose init() raises Failed (ResourceNotReady), with the traceback in the InferenceServer log', async function () {
    const ep = await newEndpoint();
    const code = await registerCode(client, { 'score.py': INIT_RAISES });
    const started = await client.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, code));
    assert.equal(started.status, 201, started.text);
    const status = await operationResult(client, started);
    assert.equal(status['status'], 'Failed');
    assert.equal(status['error']['code'], 'ResourceNotReady');
    assert.match(status['error']['message'], /^User container has crashed or terminated: the inference server exited with code 3 while starting/);
    assert.match(status['error']['message'], /https:\/\/aka\.ms\/oe-tsg#error-resourcenotready/);
    const deployment = (await client.arm('GET', `onlineEndpoints/${ep}/deployments/blue`)).body;
    assert.equal(deployment['properties']['provisioningState'], 'Failed');

    const log = await logsOf(client, ep, 'blue');
    assert.match(log, /Invoking user's init function/);
    assert.match(log, /User's init function failed/);
    assert.match(log, /Traceback \(most recent call last\):/);
    assert.match(log, /File ".*\/onlinescoring\/score\.py", line 5, in init/);
    assert.match(log, /RuntimeError: cannot open the model in .*azureml-models\/diabetes-[0-9a-f]+\/1/);
    assert.deepEqual(emulator.inspect.inferenceServerPids(ep), {}, 'no process is left running');

    // A failed deployment takes no traffic, and the endpoint says so to its callers.
    const refused = await client.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }));
    assert.equal(refused.status, 400, refused.text);
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    const answer = await scoring.score(scoringUri, primaryKey, '{}', { 'azureml-model-deployment': 'blue' });
    assert.equal(answer.status, 503, answer.text);
  });

  it('keeps serving the previous version when an update\'s init() raises', async function () {
    const ep = await newEndpoint();
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, await registerCode(client, { 'score.py': DIABETES_SCORE_PY })));
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }));
    const update = await client.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, await registerCode(client, { 'score.py': INIT_RAISES })));
    assert.equal(update.status, 200, update.text);
    assert.equal((await operationResult(client, update))['status'], 'Failed');
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    const answer = await scoring.score(scoringUri, primaryKey);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json<{ predictions: number[] }>().predictions.length, 3);
  });

  it('ends a deployment whose init() never returns Failed at its readiness deadline, and stops its inference server', async function () {
    const ep = await newEndpoint();
    const code = await registerCode(client, { 'score.py': INIT_HANGS });
    const probe = { initialDelay: 'PT0S', period: 'PT0.5S', failureThreshold: 1, timeout: 'PT0.5S' };
    const started = await client.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, code, { readinessProbe: probe }));
    assert.equal(started.status, 201, started.text);
    let pids: number[] = [];
    for (let i = 0; i < 400 && pids.length === 0; i++) {
      pids = emulator.inspect.inferenceServerPids(ep)['blue'] ?? [];
      if (pids.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(pids.length, 1, 'the inference server was started');
    const status = await operationResult(client, started);
    assert.equal(status['status'], 'Failed');
    assert.equal(status['error']['code'], 'ResourceNotReady');
    assert.match(status['error']['message'], /Readiness probe failed: the inference server was not ready after 1 s/);
    assert.match(await logsOf(client, ep, 'blue'), /Invoking user's init function/);
    assert.deepEqual(emulator.inspect.inferenceServerPids(ep), {});
    assert.equal(processExists(pids[0]!), false, `the inference server (pid ${pids[0]}) stuck in init() was stopped`);
  });

  it('fails a deployment whose scoring script is not in its code', async function () {
    const ep = await newEndpoint();
    const code = await registerCode(client, { 'main.py': RUN_MISBEHAVES });
    const started = await client.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, code));
    assert.equal((await operationResult(client, started))['status'], 'Failed');
    assert.match(await logsOf(client, ep, 'blue'), /FileNotFoundError: The entry script .*\/onlinescoring\/score\.py does not exist/);
  });

  describe('a request whose run() raises or runs too long', function () {
    let ep: string;
    let target: { scoringUri: string; primaryKey: string };

    before(async function () {
      ep = await newEndpoint();
      const code = await registerCode(client, { 'score.py': RUN_MISBEHAVES });
      await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, code, { requestSettings: { requestTimeout: 'PT0.5S' } }));
      await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }));
      target = await scoringTarget(client, ep);
    });

    it('answers 424 (the model\'s 500 in ms-azureml-model-error-statuscode), the traceback in the log, and serves the next request', async function () {
      const failed = await scoring.score(target.scoringUri, target.primaryKey, '{"fail": true}');
      assert.equal(failed.status, 424, failed.text);
      assert.equal(failed.headers['ms-azureml-model-error-statuscode'], '500');
      assert.equal(failed.headers['ms-azureml-model-error-reason'], 'model_error');
      assert.equal(failed.headers['x-ms-run-function-failed'], 'True');
      assert.equal(failed.headers['azureml-model-deployment'], 'blue');
      assert.deepEqual(failed.json(), { message: 'An unexpected error occurred in scoring script. Check the logs for more info.' });
      const log = await logsOf(client, ep, 'blue');
      assert.match(log, /Encountered Exception: Traceback \(most recent call last\):[\s\S]*ValueError: row 3 has 2 values; the model takes 10/);
      assert.match(log, /POST \/score 500 /);

      const ok = await scoring.score(target.scoringUri, target.primaryKey, '{"rows": [1]}');
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json(), { echo: { rows: [1] } });
      assert.equal(emulator.inspect.scoringRequests(ep)['blue']!.failed, 1);
    });

    it('answers 424 (the server\'s 500, run not failed) when what run() returns cannot be serialised, however it fails, and serves the next request', async function () {
      const failed = await scoring.score(target.scoringUri, target.primaryKey, '{"deep": true}');
      assert.equal(failed.status, 424, failed.text);
      assert.equal(failed.headers['ms-azureml-model-error-statuscode'], '500');
      assert.equal(failed.headers['x-ms-run-function-failed'], 'False');
      assert.deepEqual(failed.json(), { message: 'An unexpected internal error occurred. Check the logs for more info.' });
      assert.match(await logsOf(client, ep, 'blue'), /RecursionError/);
      const ok = await scoring.score(target.scoringUri, target.primaryKey, '{"rows": [2]}');
      assert.equal(ok.status, 200, ok.text);
    });

    it('answers 408 after request_settings.request_timeout_ms', async function () {
      const slow = await scoring.score(target.scoringUri, target.primaryKey, '{"sleep": 1.5}');
      assert.equal(slow.status, 408, slow.text);
      assert.equal(slow.text, 'upstream request timeout');
    });
  });

  it('answers a Kubernetes endpoint at its compute\'s host: 502 when run() raises, 504 after the request timeout', async function () {
    const computeId = `/${client.workspacePath}/computes/k8s-compute`;
    const ep = await newEndpoint({ compute: computeId });
    const code = await registerCode(client, { 'score.py': RUN_MISBEHAVES });
    const body = deploymentBody(assets, code, { endpointComputeType: 'Kubernetes', instanceType: null, requestSettings: { requestTimeout: 'PT0.5S' } });
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, body);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ compute: computeId, traffic: { blue: 100 } }));
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    assert.equal(scoringUri, `https://k8s-compute.westeurope.cloudapp.azure.com/api/v1/endpoint/${ep}/score`);
    const ok = await scoring.score(scoringUri, primaryKey, '{"a": 1}');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json(), { echo: { a: 1 } });
    assert.equal((await scoring.score(scoringUri, primaryKey, '{"fail": true}')).status, 502);
    assert.equal((await scoring.score(scoringUri, primaryKey, '{"sleep": 1.5}')).status, 504);
    assert.equal((await scoring.score(scoringUri.replace(ep, unique('other')), primaryKey)).status, 404, 'no such endpoint on the cluster');
  });
});
