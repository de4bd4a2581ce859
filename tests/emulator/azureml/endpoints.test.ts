import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { Emulator } from '@azureml-mlops/emulator';
import { buildConfig } from '@azureml-mlops/emulator/dist/config';
import type { EmulatorContext } from '@azureml-mlops/emulator/dist/context';
import { registerOnlineEndpoints } from '@azureml-mlops/emulator/dist/azureml/endpoints';
import { DeploymentFailure, RecordingDeploymentRuntime, type DeploymentSpec } from '@azureml-mlops/emulator/dist/azureml/endpoints/runtime';
import { ModelStore } from '@azureml-mlops/emulator/dist/azureml/models/store';
import { AzureMlService } from '@azureml-mlops/emulator/dist/azureml/service';
import { Router, type EmulatorRequest, type EmulatorResponse } from '@azureml-mlops/emulator/dist/http/router';
import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import { armAccessToken } from '../../support/emulatorHttp';
import { AzureMlTestClient, unique, writeFolder, type HttpResult, type Json } from './support';

/** mirrorTraffic is not in the 2022-10-01 contract: requests that set or read it use the first GA version that has it. */
const MIRROR_API = 'api-version=2023-04-01';

/** Assets a deployment needs, registered in a workspace. */
interface DeploymentAssets {
  readonly environmentId: string;
  readonly codeId: string;
  readonly modelId: string;
  readonly modelName: string;
}

async function registerAssets(client: AzureMlTestClient): Promise<DeploymentAssets> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-endpoints-test-'));
  try {
    const codeUri = await client.uploadFolder(writeFolder(tmp, { 'score.py': 'def init():\n    pass\n\ndef run(data):\n    return [1]\n' }), `code/${unique('score')}`);
    const code = await client.arm('PUT', `codes/${unique('score')}/versions/1`, { properties: { codeUri } });
    assert.equal(code.status, 201, code.text);
    const env = await client.arm('PUT', `environments/${unique('serve-env')}/versions/1`, { properties: { image: 'mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest' } });
    assert.equal(env.status, 201, env.text);
    const weights = `models/${unique('weights')}`;
    await client.uploadText(`${weights}/model.pkl`, 'weights');
    const modelName = unique('served');
    const model = await client.arm('PUT', `models/${modelName}/versions/1`, { properties: { modelType: 'custom_model', modelUri: `azureml://datastores/workspaceblobstore/paths/${weights}/` } });
    assert.equal(model.status, 201, model.text);
    return { environmentId: env.body['id'], codeId: code.body['id'], modelId: model.body['id'], modelName };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function endpointBody(properties: Json = {}, extra: Json = {}): Json {
  return { location: 'westeurope', ...extra, properties: { authMode: 'Key', ...properties } };
}

function deploymentBody(assets: DeploymentAssets, properties: Json = {}, extra: Json = {}): Json {
  return {
    location: 'westeurope',
    sku: { name: 'Default', capacity: 1 },
    ...extra,
    properties: {
      endpointComputeType: 'Managed',
      model: assets.modelId,
      environmentId: assets.environmentId,
      codeConfiguration: { codeId: assets.codeId, scoringScript: 'score.py' },
      instanceType: 'Standard_DS3_v2',
      ...properties,
    },
  };
}

/** Follows an operation's Azure-AsyncOperation status monitor until the operation ends; returns the final status. */
async function waitForOperation(client: AzureMlTestClient, started: HttpResult): Promise<Json> {
  const url = started.headers['azure-asyncoperation'];
  assert.equal(typeof url, 'string', `an Azure-AsyncOperation header (${started.status} ${started.text})`);
  for (let i = 0; i < 400; i++) {
    const status = await client.request('GET', String(url));
    assert.equal(status.status, 200, status.text);
    if (status.body['status'] !== 'InProgress') return status.body;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`operation ${String(url)} did not end`);
}

/** PUT/PATCH/DELETE that must start an operation which then succeeds. */
async function succeeds(client: AzureMlTestClient, method: string, relative: string, body: unknown, expected: number): Promise<HttpResult> {
  const res = await client.arm(method, relative, body);
  assert.equal(res.status, expected, `${method} ${relative}: ${res.text}`);
  const done = await waitForOperation(client, res);
  assert.equal(done['status'], 'Succeeded', JSON.stringify(done));
  return res;
}

function assertError(res: HttpResult, status: number, message: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body['error']['code'], 'UserError');
  assert.match(res.body['error']['message'], message);
}

describe('emulator Azure ML: online endpoints and deployments (ARM 2022-10-01)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let client: AzureMlTestClient;
  let assets: DeploymentAssets;

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    assets = await registerAssets(client);
  });

  it('creates an endpoint as a long-running operation: 201 Creating with Azure-AsyncOperation, then Succeeded', async function () {
    const name = unique('ep');
    const res = await client.arm('PUT', `onlineEndpoints/${name}`, endpointBody({ description: 'scores diabetes' }, { tags: { team: 'mlops' } }));
    assert.equal(res.status, 201, res.text);
    assert.match(String(res.headers['azure-asyncoperation']), /\/locations\/westeurope\/mfeOperationsStatus\/oe:[0-9a-f-]+\?api-version=2022-10-01$/);
    assert.equal(res.headers['location'], undefined, 'a 201 has no Location');
    assert.equal(res.headers['retry-after'], undefined, 'no Retry-After unless configured');
    assert.equal(res.body['id'], `/${client.workspacePath}/onlineEndpoints/${name}`);
    assert.equal(res.body['type'], 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints');
    const p = res.body['properties'];
    assert.equal(p['provisioningState'], 'Creating');
    assert.equal(p['scoringUri'], `https://${name}.westeurope.inference.ml.azure.com/score`);
    assert.equal(p['swaggerUri'], `https://${name}.westeurope.inference.ml.azure.com/swagger.json`);
    assert.equal(p['authMode'], 'Key');
    assert.deepEqual(p['traffic'], {});
    assert.equal(p['keys'], undefined, 'keys only come from listKeys');
    assert.equal('mirrorTraffic' in p, false, 'not a 2022-10-01 field');
    assert.equal(res.body['identity']['type'], 'SystemAssigned');
    assert.match(res.body['identity']['principalId'], /^[0-9a-f-]{36}$/);

    const done = await waitForOperation(client, res);
    assert.equal(done['status'], 'Succeeded');
    assert.ok(done['endTime'] >= done['startTime']);
    const got = await client.arm('GET', `onlineEndpoints/${name}`);
    assert.equal(got.body['properties']['provisioningState'], 'Succeeded');
    assert.deepEqual(got.body['tags'], { team: 'mlops' });
    const listed = await client.arm('GET', `onlineEndpoints?name=${name}`);
    assert.deepEqual(listed.body['value'].map((e: Json) => e['name']), [name]);
    assert.equal((await succeeds(client, 'DELETE', `onlineEndpoints/${name}`, undefined, 202)).headers['location'] !== undefined, true);
  });

  it('lists and regenerates keys (Location-polled), and issues tokens only to AMLToken endpoints', async function () {
    const keyed = unique('ep-key');
    await succeeds(client, 'PUT', `onlineEndpoints/${keyed}`, endpointBody(), 201);
    const keys = await client.arm('POST', `onlineEndpoints/${keyed}/listKeys`);
    assert.equal(keys.status, 200, keys.text);
    assert.ok(keys.body['primaryKey'].length >= 32 && keys.body['secondaryKey'].length >= 32);
    assert.notEqual(keys.body['primaryKey'], keys.body['secondaryKey']);

    const regenerate = await client.arm('POST', `onlineEndpoints/${keyed}/regenerateKeys`, { keyType: 'Secondary' });
    assert.equal(regenerate.status, 202, regenerate.text);
    assert.equal(regenerate.headers['azure-asyncoperation'], undefined, 'regenerateKeys is polled through Location');
    let result = await client.request('GET', String(regenerate.headers['location']));
    while (result.status === 202) result = await client.request('GET', String(result.headers['location']));
    assert.equal(result.status, 200, result.text);
    const after = await client.arm('POST', `onlineEndpoints/${keyed}/listKeys`);
    assert.equal(after.body['primaryKey'], keys.body['primaryKey']);
    assert.notEqual(after.body['secondaryKey'], keys.body['secondaryKey']);
    assertError(await client.arm('POST', `onlineEndpoints/${keyed}/token`), 400, /uses authMode Key: a token is issued only for endpoints with authMode AMLToken/);

    const tokened = unique('ep-tok');
    await succeeds(client, 'PUT', `onlineEndpoints/${tokened}`, endpointBody({ authMode: 'AMLToken' }), 201);
    const token = await client.arm('POST', `onlineEndpoints/${tokened}/token`);
    assert.equal(token.status, 200, token.text);
    assert.equal(token.body['tokenType'], 'Bearer');
    assert.equal(token.body['accessToken'].split('.').length, 3, 'a JWT');
    assert.ok(token.body['expiryTimeUtc'] > Date.now() / 1000 && token.body['refreshAfterTimeUtc'] < token.body['expiryTimeUtc']);
    assertError(await client.arm('POST', `onlineEndpoints/${tokened}/listKeys`), 400, /uses authMode AMLToken: keys exist only for endpoints with authMode Key/);
    await succeeds(client, 'DELETE', `onlineEndpoints/${keyed}`, undefined, 202);
    await succeeds(client, 'DELETE', `onlineEndpoints/${tokened}`, undefined, 202);
  });

  it('deploys blue and green, splits and mirrors traffic, enforces the traffic rules, and deletes deployments only without traffic', async function () {
    const ep = unique('ep-bg');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody(), 201);
    const blue = await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets), 201);
    assert.equal(blue.body['properties']['provisioningState'], 'Creating');
    assert.match(String(blue.headers['azure-asyncoperation']), /\/mfeOperationsStatus\/od:/);
    const got = (await client.arm('GET', `onlineEndpoints/${ep}/deployments/blue`)).body;
    assert.equal(got['type'], 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments');
    assert.equal(got['properties']['provisioningState'], 'Succeeded');
    assert.equal(got['properties']['model'], assets.modelId);
    assert.deepEqual(got['sku'], { name: 'Default', capacity: 1 });
    assert.deepEqual(got['properties']['requestSettings'], { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 1, maxQueueWait: 'PT0.5S' });

    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }), 200);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/green`, deploymentBody(assets, { description: 'candidate' }), 201);
    assert.deepEqual(emulator.inspect.onlineDeployments(ep).map((d) => d['name']), ['blue', 'green']);

    // Invalid live traffic: the endpoint keeps its traffic.
    assertError(await client.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 80, green: 10 } })), 400, /^Traffic values need to sum to 100 \(or to 0 when no deployment takes traffic\): the traffic of endpoint '[^']+' sums to 90 \(blue=80, green=10\)\.$/);
    assertError(await client.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 90, purple: 10 } })), 400, /properties\.traffic names the deployment 'purple', which does not exist on endpoint '[^']+'\. Its deployments: blue, green\./);
    assertError(await client.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 150, green: -50 } })), 400, /properties\.traffic\.blue must be a whole number of percent between 0 and 100, got 150/);
    assert.deepEqual((emulator.inspect.onlineEndpoint(ep)!['properties'] as Json)['traffic'], { blue: 100 });

    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 90, green: 10 } }), 200);
    assert.deepEqual((emulator.inspect.onlineEndpoint(ep)!['properties'] as Json)['traffic'], { blue: 90, green: 10 });

    // Mirrored traffic (safe rollout), in the API version that has it.
    const mirror = (traffic: Json, mirrorTraffic: Json): Promise<HttpResult> => client.arm('PUT', `onlineEndpoints/${ep}?${MIRROR_API}`, endpointBody({ traffic, mirrorTraffic }));
    assertError(await mirror({ blue: 100 }, { green: 60 }), 400, /^Mirror traffic values need to sum to at most 50: properties\.mirrorTraffic\.green is 60\.$/);
    assertError(await mirror({ blue: 90, green: 10 }, { green: 10 }), 400, /The deployment 'green' takes 10% of the live traffic and cannot also receive mirrored traffic/);
    const mirrored = await mirror({ blue: 100 }, { green: 10 });
    assert.equal(mirrored.status, 200, mirrored.text);
    assert.deepEqual(mirrored.body['properties']['mirrorTraffic'], { green: 10 });
    assert.equal((await waitForOperation(client, mirrored))['status'], 'Succeeded');
    assert.deepEqual((await client.arm('GET', `onlineEndpoints/${ep}?${MIRROR_API}`)).body['properties']['mirrorTraffic'], { green: 10 });
    assert.equal('mirrorTraffic' in (await client.arm('GET', `onlineEndpoints/${ep}`)).body['properties'], false, '2022-10-01 answers without it');
    assert.deepEqual((emulator.inspect.onlineEndpoint(ep)!['properties'] as Json)['mirrorTraffic'], { green: 10 });

    // A deployment that takes live or mirrored traffic is not deleted.
    assertError(await client.arm('DELETE', `onlineEndpoints/${ep}/deployments/blue`), 400, /The deployment 'blue' cannot be deleted: it takes 100% of the live traffic of endpoint '[^']+'\. Update the endpoint's traffic/);
    assertError(await client.arm('DELETE', `onlineEndpoints/${ep}/deployments/green`), 400, /The deployment 'green' cannot be deleted: it takes 10% of mirrored traffic/);

    // A PUT replaces the definition: without mirrorTraffic, nothing is mirrored any more.
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}?${MIRROR_API}`, endpointBody({ traffic: { blue: 100 } }), 200);
    const deleted = await succeeds(client, 'DELETE', `onlineEndpoints/${ep}/deployments/green`, undefined, 202);
    assert.match(String(deleted.headers['location']), /\/mfeOperationResults\/od:/);
    assert.equal((await client.arm('GET', `onlineEndpoints/${ep}/deployments/green`)).status, 404);
    assert.equal((await client.arm('DELETE', `onlineEndpoints/${ep}/deployments/green`)).status, 204, 'already gone');
    assert.deepEqual(emulator.inspect.onlineDeployments(ep).map((d) => d['name']), ['blue']);

    // Deleting the endpoint deletes its deployments.
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`, undefined, 202);
    assert.equal((await client.arm('GET', `onlineEndpoints/${ep}`)).status, 404);
    assert.equal(emulator.inspect.onlineEndpoint(ep), undefined);
    assert.deepEqual(emulator.inspect.onlineDeployments(ep), []);
  });

  it('refuses mirrored traffic to more than one deployment', async function () {
    const ep = unique('ep-mirror');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody(), 201);
    for (const d of ['blue', 'green', 'red']) await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/${d}`, deploymentBody(assets), 201);
    const res = await client.arm('PUT', `onlineEndpoints/${ep}?${MIRROR_API}`, endpointBody({ traffic: { blue: 100 }, mirrorTraffic: { green: 10, red: 5 } }));
    assertError(res, 400, /^Traffic can be mirrored to only one deployment of an endpoint; properties\.mirrorTraffic names 2 \(green=10, red=5\)\.$/);
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`, undefined, 202);
  });

  it('returns deployment logs (getLogs) of both containers, tailed', async function () {
    const ep = unique('ep-logs');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody(), 201);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets), 201);
    const init = await client.arm('POST', `onlineEndpoints/${ep}/deployments/blue/getLogs`, { containerType: 'StorageInitializer' });
    assert.equal(init.status, 200, init.text);
    assert.match(init.body['content'], new RegExp(`Downloading model ${assets.modelName}:1`));
    const server = await client.arm('POST', `onlineEndpoints/${ep}/deployments/blue/getLogs`, { containerType: 'InferenceServer', tail: 2 });
    assert.equal(server.body['content'].trimEnd().split('\n').length, 2);
    const all = await client.arm('POST', `onlineEndpoints/${ep}/deployments/blue/getLogs`, {});
    assert.match(all.body['content'], /Entry Script Name: .*\/score\.py/);
    assert.equal((await client.arm('POST', `onlineEndpoints/${ep}/deployments/nothere/getLogs`, {})).status, 404);
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`, undefined, 202);
  });

  it('validates a deployment as the service does at creation, and creates nothing when it is invalid', async function () {
    const ep = unique('ep-bad');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody(), 201);
    const missingVersion = (id: string): string => id.replace(/versions\/1$/, 'versions/9');
    const cases: Array<[string, Json, number, RegExp]> = [
      ['compute type', deploymentBody(assets, { endpointComputeType: 'Kubernetes' }), 400, /properties\.endpointComputeType is Kubernetes, but endpoint '[^']+' is a Managed online endpoint/],
      ['model', deploymentBody(assets, { model: missingVersion(assets.modelId) }), 404, new RegExp(`properties\\.model: the model ${assets.modelName}:9 was not found`)],
      ['environment', deploymentBody(assets, { environmentId: missingVersion(assets.environmentId) }), 404, /properties\.environmentId: environment serve-env-[0-9a-f]+:9 was not found/],
      ['code', deploymentBody(assets, { codeConfiguration: { codeId: missingVersion(assets.codeId), scoringScript: 'score.py' } }), 404, /codeConfiguration\.codeId: code score-[0-9a-f]+:9 was not found/],
      ['no environment', deploymentBody(assets, { environmentId: null, codeConfiguration: null }), 400, /properties\.environmentId is required: only deployments of an mlflow_model or triton_model/],
      ['instance type', deploymentBody(assets, { instanceType: 'Standard_A0' }), 400, /The instance type 'Standard_A0' is not supported for managed online deployments/],
      ['instance count', deploymentBody(assets, {}, { sku: { name: 'Default', capacity: 0 } }), 400, /sku\.capacity \(the instance count\) must be a whole number between 1 and 50, got 0/],
      ['request timeout', deploymentBody(assets, { requestSettings: { requestTimeout: 'PT10M' } }), 400, /requestTimeout 'PT10M' is longer than the 180 seconds/],
      ['probe', deploymentBody(assets, { livenessProbe: { period: 'PT0S' } }), 400, /properties\.livenessProbe\.period must be a positive ISO 8601 duration/],
      ['location', deploymentBody(assets, {}, { location: 'eastus' }), 400, /location 'eastus' is not the region of workspace/],
    ];
    for (const [what, body, status, message] of cases) {
      const res = await client.arm('PUT', `onlineEndpoints/${ep}/deployments/bad`, body);
      assert.equal(res.status, status, `${what}: ${res.text}`);
      assert.match(res.body['error']['message'], message, what);
    }
    assert.deepEqual(emulator.inspect.onlineDeployments(ep), [], 'nothing was created');
    assert.equal((await client.arm('PUT', `onlineEndpoints/no-such-endpoint/deployments/blue`, deploymentBody(assets))).status, 404);
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`, undefined, 202);
  });

  it('serves Kubernetes endpoints: Kubernetes deployments only, no mirrored traffic', async function () {
    const ep = unique('ep-k8s');
    const computeId = `/${client.workspacePath}/computes/k8s-compute`;
    const created = await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ compute: computeId }), 201);
    assert.equal(created.body['properties']['compute'], computeId);
    assert.match(created.body['properties']['scoringUri'], new RegExp(`/api/v1/endpoint/${ep}/score$`));
    assertError(await client.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets)), 400, /endpointComputeType is Managed, but endpoint '[^']+' is a Kubernetes online endpoint/);
    const blue = await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, { endpointComputeType: 'Kubernetes', instanceType: null }), 201);
    assert.equal(blue.body['properties']['instanceType'], 'defaultinstancetype');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/green`, deploymentBody(assets, { endpointComputeType: 'Kubernetes', instanceType: null }), 201);
    const res = await client.arm('PUT', `onlineEndpoints/${ep}?${MIRROR_API}`, endpointBody({ compute: computeId, traffic: { blue: 100 }, mirrorTraffic: { green: 10 } }));
    assertError(res, 400, /Mirror traffic is not supported for Kubernetes online endpoints/);
    assertError(await client.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } })), 400, /The compute of endpoint '[^']+' cannot be changed/);
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`, undefined, 202);
  });

  it('patches endpoint tags and a deployment\'s instance count (Scaling), as long-running operations', async function () {
    const ep = unique('ep-patch');
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody(), 201);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets), 201);
    const patched = await succeeds(client, 'PATCH', `onlineEndpoints/${ep}`, { tags: { stage: 'prod' } }, 202);
    assert.ok(patched.headers['location'], 'a 202 names its result (Location)');
    assert.deepEqual((await client.arm('GET', `onlineEndpoints/${ep}`)).body['tags'], { stage: 'prod' });
    const scaling = await client.arm('PATCH', `onlineEndpoints/${ep}/deployments/blue`, { sku: { capacity: 3 } });
    assert.equal(scaling.status, 202, scaling.text);
    assert.equal((await client.arm('GET', `onlineEndpoints/${ep}/deployments/blue`)).body['properties']['provisioningState'], 'Scaling');
    assert.equal((await waitForOperation(client, scaling))['status'], 'Succeeded');
    const scaled = (await client.arm('GET', `onlineEndpoints/${ep}/deployments/blue`)).body;
    assert.equal(scaled['sku']['capacity'], 3);
    assert.equal(scaled['properties']['provisioningState'], 'Succeeded');
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`, undefined, 202);
  });

  it('works with @azure/arm-machinelearning: create, deploy, route, keys, logs and delete', async function () {
    const token = await armAccessToken(emulator);
    const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const sdk = new AzureMachineLearningWorkspaces(credential, emulator.subscriptionId, {
      endpoint: emulator.url,
      credentialScopes: [`${emulator.url}.default`],
      tlsOptions: { ca: fs.readFileSync(emulator.caCertPath, 'utf8') },
    });
    const { resourceGroup: rg, workspaceName: ws } = emulator;
    const poll = { updateIntervalInMs: 20 };
    const ep = unique('ep-sdk');
    const endpoint = await sdk.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, ep, { location: 'westeurope', properties: { authMode: 'Key' } }, poll);
    assert.equal(endpoint.properties.provisioningState, 'Succeeded');
    const deployment = await sdk.onlineDeployments.beginCreateOrUpdateAndWait(
      rg,
      ws,
      ep,
      'blue',
      {
        location: 'westeurope',
        sku: { name: 'Default', capacity: 2 },
        properties: {
          endpointComputeType: 'Managed',
          model: assets.modelId,
          environmentId: assets.environmentId,
          codeConfiguration: { codeId: assets.codeId, scoringScript: 'score.py' },
          instanceType: 'Standard_F4s_v2',
        },
      },
      poll,
    );
    assert.equal(deployment.properties.provisioningState, 'Succeeded');
    assert.equal(deployment.sku?.capacity, 2);
    const routed = await sdk.onlineEndpoints.beginCreateOrUpdateAndWait(rg, ws, ep, { location: 'westeurope', properties: { authMode: 'Key', traffic: { blue: 100 } } }, poll);
    assert.deepEqual(routed.properties.traffic, { blue: 100 });
    const keys = await sdk.onlineEndpoints.listKeys(rg, ws, ep);
    assert.ok(keys.primaryKey);
    await sdk.onlineEndpoints.beginRegenerateKeysAndWait(rg, ws, ep, { keyType: 'Primary' }, poll);
    assert.notEqual((await sdk.onlineEndpoints.listKeys(rg, ws, ep)).primaryKey, keys.primaryKey);
    const logs = await sdk.onlineDeployments.getLogs(rg, ws, ep, 'blue', { containerType: 'InferenceServer', tail: 1 });
    assert.equal(logs.content?.trimEnd().split('\n').length, 1);
    const names = [];
    for await (const d of sdk.onlineDeployments.list(rg, ws, ep)) names.push(d.name);
    assert.deepEqual(names, ['blue']);
    const skus = [];
    for await (const s of sdk.onlineDeployments.listSkus(rg, ws, ep, 'blue')) skus.push(s);
    assert.equal(skus[0]?.sku?.name, 'Default');
    await sdk.onlineEndpoints.beginDeleteAndWait(rg, ws, ep, poll);
    assert.equal(emulator.inspect.onlineEndpoint(ep), undefined);
  });

  describe('while an operation runs (slow provisioning, Retry-After: an emulator of its own)', function () {
    let slow: AzureMlTestClient;
    let slowAssets: DeploymentAssets;

    before(async function () {
      slow = await AzureMlTestClient.connect(await dedicatedEmulator('azureml-endpoints-slow', { jobStepDelayMs: 800, lroRetryAfterSeconds: 1 }));
      slowAssets = await registerAssets(slow);
    });

    it('refuses another update of a busy endpoint or deployment with 409, and traffic to a deployment still Creating', async function () {
      const ep = unique('ep-busy');
      const created = await slow.arm('PUT', `onlineEndpoints/${ep}`, endpointBody());
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers['retry-after'], '1', 'Retry-After as configured');
      assertError(await slow.arm('PUT', `onlineEndpoints/${ep}`, endpointBody()), 409, /online endpoint '[^']+' is currently in state Creating/);
      assertError(await slow.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(slowAssets)), 409, /is currently in state Creating: its deployments cannot be changed/);
      await waitForOperation(slow, created);

      const updating = await slow.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ description: 'v2' }));
      assert.equal(updating.status, 200, updating.text);
      assert.equal(updating.body['properties']['provisioningState'], 'Updating');
      const busy = /^The online endpoint '[^']+' is currently in state Updating: another operation on it is in progress\. Wait for it to finish, then retry\.$/;
      assertError(await slow.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ description: 'v3' })), 409, busy);
      assertError(await slow.arm('PATCH', `onlineEndpoints/${ep}`, { tags: { a: 'b' } }), 409, busy);
      assertError(await slow.arm('POST', `onlineEndpoints/${ep}/regenerateKeys`, { keyType: 'Primary' }), 409, busy);
      assertError(await slow.arm('DELETE', `onlineEndpoints/${ep}`), 409, busy);
      await waitForOperation(slow, updating);
      assert.equal((await slow.arm('GET', `onlineEndpoints/${ep}`)).body['properties']['description'], 'v2');

      const deploying = await slow.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(slowAssets));
      assert.equal(deploying.status, 201, deploying.text);
      assertError(await slow.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(slowAssets)), 409, /online deployment 'blue' of endpoint '[^']+' is currently in state Creating/);
      assertError(await slow.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } })), 400, /the deployment 'blue' is Creating; traffic can only be moved to a deployment whose provisioning has Succeeded/);
      const polled = await slow.request('GET', String(deploying.headers['azure-asyncoperation']));
      assert.equal(polled.body['status'], 'InProgress');
      assert.equal(polled.headers['retry-after'], '1');
      assert.equal((await waitForOperation(slow, deploying))['status'], 'Succeeded');
      await succeeds(slow, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }), 200);

      // A deployment being updated keeps serving: the endpoint may keep (not raise) its share meanwhile.
      const updatingBlue = await slow.arm('PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(slowAssets, { description: 'v2' }));
      assert.equal(updatingBlue.status, 200, updatingBlue.text);
      assert.equal(updatingBlue.body['properties']['provisioningState'], 'Updating');
      await succeeds(slow, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 }, description: 'v3' }), 200);
      assert.equal((await waitForOperation(slow, updatingBlue))['status'], 'Succeeded');
    });
  });
});

/** A runtime whose deployments never start, as a scoring script that raises in init() will make them. */
class CrashingRuntime extends RecordingDeploymentRuntime {
  override async start(spec: DeploymentSpec): Promise<void> {
    throw new DeploymentFailure(`User container has crashed or terminated: ${spec.code?.scoringScript ?? 'init'} raised ValueError.`, 'ResourceNotReady');
  }
}

describe('emulator Azure ML: the deployment runtime seam', function () {
  const subscription = buildConfig({}).subscriptionId;
  const ws = `/subscriptions/${subscription}/resourceGroups/mlops-rg/providers/Microsoft.MachineLearningServices/workspaces/mlops-ws`;
  let router: Router;
  let module: ReturnType<typeof registerOnlineEndpoints>;

  before(function () {
    const ctx = { config: buildConfig({ jobStepDelayMs: 5 }), baseUrl: 'https://127.0.0.1:1/', debug: () => undefined } as unknown as EmulatorContext;
    const svc = new AzureMlService(ctx);
    const models = new ModelStore();
    svc.assets.environments.putVersion('env', '1', { image: 'python:3.11-slim' }, undefined);
    svc.assets.codes.putVersion('score', '1', { codeUri: 'https://account.blob.core.windows.net/code/score/' }, undefined);
    models.putVersion('m', '1', {}, { modelType: 'custom_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/m/' }, undefined);
    router = new Router();
    module = registerOnlineEndpoints(router, svc, models, { runtime: new CrashingRuntime(5) });
  });

  after(() => module.stop());

  /** Calls a route handler as the server would, without HTTP. */
  async function call(method: string, url: string, body?: unknown): Promise<EmulatorResponse> {
    const parsed = new URL(url, 'https://127.0.0.1:1');
    if (!parsed.searchParams.has('api-version')) parsed.searchParams.set('api-version', '2022-10-01');
    const match = router.match(method, parsed.pathname);
    assert.ok('handler' in match, `${method} ${parsed.pathname} is routed`);
    const raw = Buffer.from(body === undefined ? '' : JSON.stringify(body));
    const req: EmulatorRequest = {
      method,
      url: parsed,
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: {},
      body: raw,
      params: match.params,
      json: <T>() => JSON.parse(raw.toString('utf8')) as T,
    };
    return match.handler(req);
  }

  async function finalStatus(started: EmulatorResponse): Promise<Json> {
    const url = started.headers?.['Azure-AsyncOperation'];
    assert.ok(url, 'an Azure-AsyncOperation header');
    for (;;) {
      const status = (await call('GET', url)).body as Json;
      if (status['status'] !== 'InProgress') return status;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('ends a deployment Failed, with the runtime\'s error in its operation status, when the runtime cannot start it', async function () {
    const ep = `${ws}/onlineEndpoints/crashy`;
    assert.equal((await finalStatus(await call('PUT', ep, { location: 'westeurope', properties: { authMode: 'Key' } })))['status'], 'Succeeded');
    const deployment = {
      location: 'westeurope',
      properties: {
        endpointComputeType: 'Managed',
        model: `${ws}/models/m/versions/1`,
        environmentId: `${ws}/environments/env/versions/1`,
        codeConfiguration: { codeId: `${ws}/codes/score/versions/1`, scoringScript: 'score.py' },
        instanceType: 'Standard_DS3_v2',
      },
    };
    const started = await call('PUT', `${ep}/deployments/blue`, deployment);
    assert.equal(started.status, 201);
    const status = await finalStatus(started);
    assert.equal(status['status'], 'Failed');
    assert.equal(status['error']['code'], 'ResourceNotReady');
    assert.equal(status['error']['message'], 'User container has crashed or terminated: score.py raised ValueError.');
    assert.equal(((await call('GET', `${ep}/deployments/blue`)).body as Json)['properties']['provisioningState'], 'Failed');
    // A Failed deployment takes no traffic, and can be deleted.
    const traffic = await call('PUT', ep, { location: 'westeurope', properties: { authMode: 'Key', traffic: { blue: 100 } } });
    assert.equal(traffic.status, 400);
    assert.match((traffic.body as Json)['error']['message'], /the deployment 'blue' is Failed; traffic can only be moved to a deployment whose provisioning has Succeeded/);
    assert.equal((await finalStatus(await call('DELETE', `${ep}/deployments/blue`)))['status'], 'Succeeded');
    assert.deepEqual(module.inspect.onlineDeployments('crashy'), []);
  });
});
