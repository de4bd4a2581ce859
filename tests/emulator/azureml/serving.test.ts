import assert from 'node:assert/strict';
import type { Emulator } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, unique } from './support';
import {
  DIABETES_SCORE_PY,
  MIRROR_API,
  SAMPLE_REQUEST,
  ScoringClient,
  deploymentBody,
  diabetesAssets,
  endpointBody,
  expectedPredictions,
  logsOf,
  registerCode,
  scoringTarget,
  succeeds,
  type ServingAssets,
} from './servingFixture';

/** Tells which deployment answered: it is in the answer, as `version`. */
function versionedScript(version: string): string {
  return `${DIABETES_SCORE_PY}\n\n_run = run\n\ndef run(raw_data):\n    answer = _run(raw_data)\n    answer["version"] = "${version}"\n    return answer\n`;
}

describe('emulator Azure ML: online endpoints serve their deployments (scoring URI through the agent proxy)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let client: AzureMlTestClient;
  let scoring: ScoringClient;
  let assets: ServingAssets;
  let diabetesCode: string;
  const ep = unique('diabetes-ep');

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    scoring = new ScoringClient(emulator);
    assets = await diabetesAssets(client);
    diabetesCode = await registerCode(client, { 'score.py': DIABETES_SCORE_PY });
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody());
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, diabetesCode));
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }));
  });

  after(async function () {
    scoring?.close();
    if (client && emulator.inspect.onlineEndpoint(ep)) await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`);
  });

  it('scores the sample request with the trained model at the production-style scoring URI, with the key', async function () {
    const { scoringUri, primaryKey, secondaryKey } = await scoringTarget(client, ep);
    assert.equal(scoringUri, `https://${ep}.westeurope.inference.ml.azure.com/score`);
    const answer = await scoring.score(scoringUri, primaryKey);
    assert.equal(answer.status, 200, answer.text);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    const predictions = answer.json<{ predictions: number[] }>().predictions;
    const expected = expectedPredictions(assets.model, SAMPLE_REQUEST);
    assert.equal(predictions.length, 3);
    predictions.forEach((p, i) => assert.ok(Math.abs(p - expected[i]!) <= 0.011, `prediction ${i}: ${p}, expected ${expected[i]}`));
    assert.equal(answer.headers['azureml-model-deployment'], 'blue');
    assert.equal(answer.headers['x-ms-run-function-failed'], 'False');
    assert.match(String(answer.headers['x-request-id']), /^[0-9a-f-]{36}$/);

    // The secondary key works as well; a request id the client sends comes back.
    const second = await scoring.score(scoringUri, secondaryKey, SAMPLE_REQUEST, { 'x-request-id': 'client-chosen-id' });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.headers['x-request-id'], 'client-chosen-id');
  });

  it('refuses a request without the key or with another one (401), and a key once regenerated', async function () {
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    const missing = await scoring.score(scoringUri, undefined);
    assert.equal(missing.status, 401, missing.text);
    const wrong = await scoring.score(scoringUri, `${primaryKey}x`);
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.text, 'key_auth_access_denied');
    const basic = await scoring.request('POST', scoringUri, { body: SAMPLE_REQUEST, headers: { authorization: `Basic ${primaryKey}` } });
    assert.equal(basic.status, 401);

    // regenerateKeys is polled through Location only.
    const regenerate = await client.arm('POST', `onlineEndpoints/${ep}/regenerateKeys`, { keyType: 'Primary' });
    assert.equal(regenerate.status, 202, regenerate.text);
    let result = await client.request('GET', String(regenerate.headers['location']));
    for (let i = 0; i < 400 && result.status === 202; i++) {
      await new Promise((r) => setTimeout(r, 15));
      result = await client.request('GET', String(result.headers['location']));
    }
    assert.equal(result.status, 200, result.text);
    const renewed = await scoringTarget(client, ep);
    assert.notEqual(renewed.primaryKey, primaryKey);
    assert.equal((await scoring.score(scoringUri, primaryKey)).status, 401, 'the old primary key no longer works');
    assert.equal((await scoring.score(scoringUri, renewed.primaryKey)).status, 200);
  });

  it('serves the swagger.json of the deployment, with the key', async function () {
    const { swaggerUri, primaryKey } = await scoringTarget(client, ep);
    const swagger = await scoring.request('GET', swaggerUri, { bearer: primaryKey });
    assert.equal(swagger.status, 200, swagger.text);
    assert.equal(swagger.json()['swagger'], '2.0');
    assert.ok(swagger.json()['paths']['/score']['post']);
    const v3 = await scoring.request('GET', `${swaggerUri}?version=3`, { bearer: primaryKey });
    assert.equal(v3.json()['openapi'], '3.0.1');
    assert.equal((await scoring.request('GET', swaggerUri)).status, 401);
  });

  it('logs what the containers did: the model download and the inference server with init()', async function () {
    const storage = await logsOf(client, ep, 'blue', 'StorageInitializer');
    assert.match(storage, new RegExp(`Downloading model ${assets.modelName}:1 from azureml://`));
    assert.match(storage, /Model download completed: 2 file\(s\) in .*azureml-models\/diabetes-[0-9a-f]+\/1\/model/);
    const server = await logsOf(client, ep, 'blue');
    assert.match(server, /Azure ML Inferencing HTTP server v/);
    assert.match(server, /Entry Script Name: .*\/onlinescoring\/score\.py/);
    assert.match(server, /Model Directory: .*azureml-models\/diabetes-[0-9a-f]+\/1\n/);
    assert.match(server, /Users's init has completed successfully/);
    assert.match(server, /POST \/score 200 /);
  });

  it('routes by the azureml-model-deployment header, even to a deployment without traffic; an unknown name is a 404', async function () {
    const green = await registerCode(client, { 'score.py': versionedScript('green') });
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/green`, deploymentBody(assets, green));
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    const routed = await scoring.score(scoringUri, primaryKey, SAMPLE_REQUEST, { 'azureml-model-deployment': 'green' });
    assert.equal(routed.status, 200, routed.text);
    assert.equal(routed.json()['version'], 'green');
    assert.equal(routed.headers['azureml-model-deployment'], 'green');
    const live = await scoring.score(scoringUri, primaryKey);
    assert.equal(live.headers['azureml-model-deployment'], 'blue', 'live traffic still goes to blue');
    const unknown = await scoring.score(scoringUri, primaryKey, SAMPLE_REQUEST, { 'azureml-model-deployment': 'purple' });
    assert.equal(unknown.status, 404, unknown.text);
    assert.match(unknown.json()['message'], /The deployment 'purple'/);
  });

  it('splits live traffic by the endpoint\'s weights (50/50 over 20 requests: 10 each) and mirrors a share to another deployment', async function () {
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 50, green: 50 } }));
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    const served: Record<string, number> = {};
    for (let i = 0; i < 20; i++) {
      const answer = await scoring.score(scoringUri, primaryKey);
      assert.equal(answer.status, 200, answer.text);
      const by = String(answer.headers['azureml-model-deployment']);
      served[by] = (served[by] ?? 0) + 1;
    }
    assert.deepEqual(served, { blue: 10, green: 10 });

    // Mirror 20 % of blue's live traffic to red; red's answers never reach the client.
    const red = await registerCode(client, { 'score.py': versionedScript('red') });
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/red`, deploymentBody(assets, red));
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}?${MIRROR_API}`, endpointBody({ traffic: { blue: 100, green: 0 }, mirrorTraffic: { red: 20 } }));
    const before = emulator.inspect.scoringRequests(ep)['red'] ?? { routed: 0, mirrored: 0, failed: 0 };
    for (let i = 0; i < 10; i++) {
      const answer = await scoring.score(scoringUri, primaryKey);
      assert.equal(answer.headers['azureml-model-deployment'], 'blue');
      assert.equal(answer.json()['version'], undefined, 'the answer is blue\'s');
    }
    // Mirrored copies are fire-and-forget: wait for red to have answered them.
    let redLog = '';
    for (let i = 0; i < 200 && (redLog.match(/POST \/score 200/g) ?? []).length < 2; i++) {
      redLog = await logsOf(client, ep, 'red');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((redLog.match(/POST \/score 200/g) ?? []).length, 2, 'red scored 2 mirrored copies');
    assert.equal(emulator.inspect.scoringRequests(ep)['red']!.mirrored - before.mirrored, 2);
    assert.equal(emulator.inspect.scoringRequests(ep)['red']!.routed, before.routed, 'mirrored copies are not routed requests');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}?${MIRROR_API}`, endpointBody({ traffic: { blue: 100 }, mirrorTraffic: {} }));
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}/deployments/red`);
  });

  it('answers 404 when no deployment takes traffic and the request names none', async function () {
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 0, green: 0 } }));
    const { scoringUri, primaryKey } = await scoringTarget(client, ep);
    const answer = await scoring.score(scoringUri, primaryKey);
    assert.equal(answer.status, 404, answer.text);
    assert.match(answer.json()['message'], /^No valid deployments to route to\./);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }));
  });

  it('accepts an AMLToken endpoint\'s own tokens, not its keys or tokens of another endpoint', async function () {
    const tokenEp = unique('diabetes-tok');
    await succeeds(client, 'PUT', `onlineEndpoints/${tokenEp}`, endpointBody({ authMode: 'AMLToken' }));
    try {
      await succeeds(client, 'PUT', `onlineEndpoints/${tokenEp}/deployments/blue`, deploymentBody(assets, diabetesCode));
      await succeeds(client, 'PUT', `onlineEndpoints/${tokenEp}`, endpointBody({ authMode: 'AMLToken', traffic: { blue: 100 } }));
      const scoringUri = String((await client.arm('GET', `onlineEndpoints/${tokenEp}`)).body['properties']['scoringUri']);
      const token = String((await client.arm('POST', `onlineEndpoints/${tokenEp}/token`)).body['accessToken']);
      assert.equal((await scoring.score(scoringUri, token)).status, 200);
      const { primaryKey } = await scoringTarget(client, ep);
      assert.equal((await scoring.score(scoringUri, primaryKey)).status, 401, 'a key of another endpoint');
      assert.equal((await scoring.score(scoringUri, undefined)).status, 401);
    } finally {
      await succeeds(client, 'DELETE', `onlineEndpoints/${tokenEp}`);
    }
  });

  it('is reached only through the proxy, for endpoints that exist (no name resolution otherwise)', async function () {
    const { primaryKey } = await scoringTarget(client, ep);
    await assert.rejects(scoring.score(`https://${unique('nothere')}.westeurope.inference.ml.azure.com/score`, primaryKey), /CONNECT .* with 502/);
    await assert.rejects(scoring.score(`https://${ep}.eastus.inference.ml.azure.com/score`, primaryKey), /CONNECT .* with 403/);
  });
});
