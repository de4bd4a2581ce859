import assert from 'node:assert/strict';
import type { Emulator } from '@azureml-mlops/emulator';
import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, unique, type Json } from './support';

describe('emulator Azure ML: workspace, computes, datastores and assets (ARM 2022-10-01)', function () {
  let emulator: Emulator;
  let client: AzureMlTestClient;

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
  });

  describe('workspace', function () {
    it('answers GET with the properties clients rely on', async function () {
      const res = await client.arm('GET', '');
      assert.equal(res.status, 200, res.text);
      const ws = res.body;
      assert.equal(ws['id'], `/${client.workspacePath}`);
      assert.equal(ws['name'], emulator.workspaceName);
      assert.equal(ws['type'], 'Microsoft.MachineLearningServices/workspaces');
      assert.equal(ws['location'], 'westeurope');
      const p = ws['properties'];
      assert.equal(p['discoveryUrl'], `${emulator.url}discovery`);
      assert.equal(p['mlFlowTrackingUri'], `azureml://westeurope.api.azureml.ms/mlflow/v1.0/${client.workspacePath}`);
      assert.match(p['workspaceId'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(p['storageAccount'], `/subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${emulator.storage.accountName}`);
      assert.equal(p['provisioningState'], 'Succeeded');
      assert.equal(p['tenantId'], emulator.tenantId);
    });

    it('is listed by resource group and by subscription', async function () {
      const byGroup = await client.arm('GET', `/subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces`);
      assert.deepEqual(byGroup.body['value'].map((w: Json) => w['name']), [emulator.workspaceName]);
      const bySubscription = await client.arm('GET', `/subscriptions/${emulator.subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces`);
      assert.deepEqual(bySubscription.body['value'].map((w: Json) => w['id']), [`/${client.workspacePath}`]);
    });

    it('answers an unknown resource group or workspace as ARM does', async function () {
      const group = await client.arm('GET', `/subscriptions/${emulator.subscriptionId}/resourceGroups/no-such-rg/providers/Microsoft.MachineLearningServices/workspaces/${emulator.workspaceName}`);
      assert.equal(group.status, 404);
      assert.equal(group.body['error']['code'], 'ResourceGroupNotFound');
      assert.equal(group.body['error']['message'], "Resource group 'no-such-rg' could not be found.");
      const ws = await client.arm('GET', `/subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/no-such-ws`);
      assert.equal(ws.status, 404);
      assert.equal(ws.body['error']['code'], 'ResourceNotFound');
      assert.equal(
        ws.body['error']['message'],
        `The Resource 'Microsoft.MachineLearningServices/workspaces/no-such-ws' under resource group '${emulator.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
      const job = await client.arm('GET', `/subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/no-such-ws/jobs/x`);
      assert.equal(job.body['error']['code'], 'ResourceNotFound');
    });
  });

  describe('computes', function () {
    it('lists the clusters jobs can run on', async function () {
      const res = await client.arm('GET', 'computes');
      const types = Object.fromEntries(res.body['value'].map((c: Json) => [c['name'], c['properties']['computeType']]));
      assert.deepEqual(types, { 'cpu-cluster': 'AmlCompute', 'gpu-cluster': 'AmlCompute', 'k8s-compute': 'Kubernetes' });
    });

    it('gets one by name, and answers 404 for another', async function () {
      const cpu = await client.arm('GET', 'computes/cpu-cluster');
      assert.equal(cpu.body['id'], `/${client.workspacePath}/computes/cpu-cluster`);
      assert.equal(cpu.body['type'], 'Microsoft.MachineLearningServices/workspaces/computes');
      assert.equal(cpu.body['properties']['provisioningState'], 'Succeeded');
      assert.equal(cpu.body['properties']['properties']['scaleSettings']['minNodeCount'], 0);
      const missing = await client.arm('GET', 'computes/no-such-cluster');
      assert.equal(missing.status, 404);
    });
  });

  describe('datastores', function () {
    it('lists the default blob store (isDefault filter) pointing at the workspace storage account', async function () {
      const all = await client.arm('GET', 'datastores');
      assert.deepEqual(all.body['value'].map((d: Json) => d['name']).sort(), ['workspaceartifactstore', 'workspaceblobstore']);
      const defaults = await client.arm('GET', 'datastores?isDefault=true');
      assert.equal(defaults.body['value'].length, 1);
      const store = defaults.body['value'][0];
      assert.equal(store['name'], 'workspaceblobstore');
      assert.deepEqual(
        { ...store['properties'], tags: undefined, properties: undefined, description: undefined, serviceDataAccessAuthIdentity: undefined },
        {
          isDefault: true,
          credentials: { credentialsType: 'AccountKey' },
          datastoreType: 'AzureBlob',
          accountName: emulator.storage.accountName,
          containerName: emulator.storage.defaultContainer,
          endpoint: 'core.windows.net',
          protocol: 'https',
          tags: undefined,
          properties: undefined,
          description: undefined,
          serviceDataAccessAuthIdentity: undefined,
        },
      );
      const artifacts = await client.arm('GET', 'datastores/workspaceartifactstore');
      assert.equal(artifacts.body['properties']['containerName'], emulator.storage.artifactsContainer);
    });

    it('hands out the account key with listSecrets, and it opens the storage', async function () {
      const secrets = await client.arm('POST', 'datastores/workspaceblobstore/listSecrets');
      assert.equal(secrets.status, 200);
      assert.equal(secrets.body['secretsType'], 'AccountKey');
      assert.ok(secrets.body['key'] === emulator.storage.accountKey, 'listSecrets returns the storage account key');
      const blob = `${unique('a2-secrets')}/hello.txt`;
      await client.uploadText(blob, 'hello');
      assert.equal(await client.readBlob(blob), 'hello');
    });
  });

  describe('assets', function () {
    it('creates a code version (and its container), re-PUTs it idempotently and updates its description', async function () {
      const name = unique('code');
      const body = { properties: { codeUri: `https://${emulator.storage.accountName}.blob.core.windows.net/${emulator.storage.defaultContainer}/LocalUpload/abc/src`, isAnonymous: false } };
      const created = await client.arm('PUT', `codes/${name}/versions/1`, body);
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body['id'], `/${client.workspacePath}/codes/${name}/versions/1`);
      assert.equal(created.body['name'], '1');
      assert.equal(created.body['type'], 'Microsoft.MachineLearningServices/workspaces/codes/versions');
      assert.equal((await client.arm('PUT', `codes/${name}/versions/1`, body)).status, 200);
      const described = await client.arm('PUT', `codes/${name}/versions/1`, { properties: { ...body.properties, description: 'training code' } });
      assert.equal(described.status, 200);
      assert.equal((await client.arm('GET', `codes/${name}/versions/1`)).body['properties']['description'], 'training code');
      const container = await client.arm('GET', `codes/${name}`);
      assert.equal(container.status, 200);
      assert.equal(container.body['properties']['latestVersion'], '1');
      assert.equal(container.body['properties']['nextVersion'], '2');
    });

    it('refuses to change an existing version\'s content (409), as the service does', async function () {
      const name = unique('code');
      const uri = (suffix: string): string => `https://${emulator.storage.accountName}.blob.core.windows.net/${emulator.storage.defaultContainer}/LocalUpload/${suffix}`;
      assert.equal((await client.arm('PUT', `codes/${name}/versions/1`, { properties: { codeUri: uri('a') } })).status, 201);
      const changed = await client.arm('PUT', `codes/${name}/versions/1`, { properties: { codeUri: uri('b') } });
      assert.equal(changed.status, 409, changed.text);
      assert.equal(changed.body['error']['code'], 'UserError');
      assert.match(changed.body['error']['message'], /A code version with this name and version already exists/);
      assert.equal((await client.arm('GET', `codes/${name}/versions/1`)).body['properties']['codeUri'], uri('a'));
    });

    it('lists versions newest first, with $orderBy, $top and paging, and deletes them', async function () {
      const name = unique('env');
      for (const v of ['1', '2', '3']) {
        const res = await client.arm('PUT', `environments/${name}/versions/${v}`, {
          properties: { build: { contextUri: `https://${emulator.storage.accountName}.blob.core.windows.net/${emulator.storage.defaultContainer}/ctx/${v}/`, dockerfilePath: 'Dockerfile' } },
        });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body['properties']['environmentType'], 'UserCreated');
      }
      const newest = await client.arm('GET', `environments/${name}/versions`);
      assert.deepEqual(newest.body['value'].map((v: Json) => v['name']), ['3', '2', '1']);
      const oldestFirst = await client.arm('GET', `environments/${name}/versions?$orderBy=createdtime%20asc&$top=2`);
      assert.deepEqual(oldestFirst.body['value'].map((v: Json) => v['name']), ['1', '2']);
      assert.equal((await client.arm('DELETE', `environments/${name}/versions/3`)).status, 200);
      assert.equal((await client.arm('DELETE', `environments/${name}/versions/3`)).status, 204);
      assert.equal((await client.arm('GET', `environments/${name}/versions/3`)).status, 404);
      assert.equal((await client.arm('GET', `environments/${name}`)).body['properties']['latestVersion'], '2');
    });

    it('pages long lists with nextLink', async function () {
      const name = unique('many');
      for (let v = 1; v <= 103; v++) {
        const res = await client.arm('PUT', `data/${name}/versions/${v}`, { properties: { dataType: 'uri_file', dataUri: `azureml://datastores/workspaceblobstore/paths/many/${v}.csv` } });
        assert.equal(res.status, 201, res.text);
      }
      const first = await client.arm('GET', `data/${name}/versions`);
      assert.equal(first.body['value'].length, 100);
      assert.ok(String(first.body['nextLink']).startsWith(`${emulator.url}${client.workspacePath}/data/${name}/versions?`), first.body['nextLink']);
      const second = await client.request('GET', first.body['nextLink']);
      assert.deepEqual(second.body['value'].map((v: Json) => v['name']), ['3', '2', '1']);
      assert.equal(second.body['nextLink'], undefined);
    });

    it('filters data versions by tags and keeps the container\'s dataType', async function () {
      const name = unique('data');
      const uri = 'azureml://datastores/workspaceblobstore/paths/data/folder/';
      await client.arm('PUT', `data/${name}/versions/1`, { properties: { dataType: 'uri_folder', dataUri: uri, tags: { stage: 'raw' } } });
      await client.arm('PUT', `data/${name}/versions/2`, { properties: { dataType: 'uri_folder', dataUri: uri, tags: { stage: 'clean' } } });
      const clean = await client.arm('GET', `data/${name}/versions?$tags=stage=clean`);
      assert.deepEqual(clean.body['value'].map((v: Json) => v['name']), ['2']);
      const container = await client.arm('GET', `data/${name}`);
      assert.equal(container.body['properties']['dataType'], 'uri_folder');
    });
  });

  describe('invalid asset requests (an emulator of its own: these requests are invalid on purpose)', function () {
    let invalid: AzureMlTestClient;

    before(async function () {
      invalid = await AzureMlTestClient.connect(await dedicatedEmulator('azureml-invalid-requests'));
    });

    it('names what is missing or wrong in each asset body', async function () {
      const cases: Array<[string, unknown, number, RegExp]> = [
        ['environments/e/versions/1', { properties: { description: 'nothing to run' } }, 400, /either properties\.image .* or properties\.build/],
        ['environments/e/versions/1', { properties: { image: 'python:3.11', build: { contextUri: 'https://x/y' } } }, 400, /mutually exclusive/],
        ['codes/c/versions/1', { properties: {} }, 400, /properties\.codeUri is required/],
        ['data/d/versions/1', { properties: { dataType: 'uri_file' } }, 400, /properties\.dataUri is required/],
        ['data/d/versions/1', { properties: { dataType: 'csv', dataUri: 'azureml://datastores/workspaceblobstore/paths/x' } }, 400, /dataType must be one of uri_file, uri_folder, mltable/],
        ['data/d', { properties: {} }, 400, /dataType must be one of/],
        ['components/k/versions/1', { properties: { componentSpec: { type: 'command', environment: 'azureml:missing:1' } } }, 400, /componentSpec\.command is required/],
        ['components/k/versions/1', { properties: { componentSpec: { type: 'command', command: 'echo', environment: 'azureml:missing:1' } } }, 404, /environment missing:1 was not found/],
        ['environments/e/versions/1', { properties: { image: 'python:3.11', tags: { n: 1 } } }, 400, /tags must be an object of string values/],
        ['environments/bad name/versions/1', { properties: { image: 'python:3.11' } }, 400, /name 'bad name' is not valid/],
      ];
      for (const [relative, body, status, message] of cases) {
        const res = await invalid.arm('PUT', relative, body);
        assert.equal(res.status, status, `${relative} ${JSON.stringify(body)} -> ${res.status} ${res.text}`);
        assert.equal(res.body['error']['code'], 'UserError');
        assert.match(res.body['error']['message'], message);
      }
    });

    it('refuses a data version of another type than its container', async function () {
      const uri = 'azureml://datastores/workspaceblobstore/paths/x';
      assert.equal((await invalid.arm('PUT', 'data/typed/versions/1', { properties: { dataType: 'uri_file', dataUri: uri } })).status, 201);
      const other = await invalid.arm('PUT', 'data/typed/versions/2', { properties: { dataType: 'uri_folder', dataUri: uri } });
      assert.equal(other.status, 400);
      assert.match(other.body['error']['message'], /holds versions of type 'uri_file'/);
    });
  });
});
