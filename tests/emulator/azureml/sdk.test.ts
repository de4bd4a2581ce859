import assert from 'node:assert/strict';
import fs from 'node:fs';
import { AzureMachineLearningWorkspaces, type CommandJob, type JobBase } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { Emulator } from '@azureml-mlops/emulator';
import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import { armAccessToken } from '../../support/emulatorHttp';
import { AzureMlTestClient, unique } from './support';

/** The product talks to ARM through @azure/arm-machinelearning 2.1.1: the emulator must satisfy its client, LROs included. */
async function sdkClient(emulator: Emulator): Promise<AzureMachineLearningWorkspaces> {
  const token = await armAccessToken(emulator);
  const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  return new AzureMachineLearningWorkspaces(credential, emulator.subscriptionId, {
    endpoint: emulator.url,
    credentialScopes: [`${emulator.url}.default`],
    tlsOptions: { ca: fs.readFileSync(emulator.caCertPath, 'utf8') },
  });
}

describe('emulator Azure ML: through @azure/arm-machinelearning', function () {
  let emulator: Emulator;
  let sdk: AzureMachineLearningWorkspaces;
  let environmentId: string;

  before(async function () {
    emulator = await sharedEmulator();
    sdk = await sdkClient(emulator);
    const env = await sdk.environmentVersions.createOrUpdate(emulator.resourceGroup, emulator.workspaceName, unique('sdk-env'), '1', {
      properties: { image: 'python:3.11-slim', description: 'created with the SDK' },
    });
    environmentId = env.id!;
  });

  function sleepingJob(seconds: number): JobBase {
    const properties: CommandJob = { jobType: 'Command', command: `sleep ${seconds}`, environmentId, computeId: 'cpu-cluster', experimentName: 'sdk' };
    return { properties };
  }

  it('reads the workspace and the default datastore', async function () {
    const ws = await sdk.workspaces.get(emulator.resourceGroup, emulator.workspaceName);
    assert.equal(ws.discoveryUrl, `${emulator.url}discovery`);
    const stores = [];
    for await (const store of sdk.datastores.list(emulator.resourceGroup, emulator.workspaceName, { isDefault: true })) stores.push(store);
    assert.deepEqual(stores.map((s) => s.name), ['workspaceblobstore']);
  });

  it('submits a job, cancels it with beginCancelAndWait and sees it Canceled', async function () {
    const name = unique('sdk-cancel');
    const created = await sdk.jobs.createOrUpdate(emulator.resourceGroup, emulator.workspaceName, name, sleepingJob(60));
    assert.equal(created.properties.status, 'NotStarted');
    await sdk.jobs.beginCancelAndWait(emulator.resourceGroup, emulator.workspaceName, name, { updateIntervalInMs: 50 });
    const job = await sdk.jobs.get(emulator.resourceGroup, emulator.workspaceName, name);
    assert.equal(job.properties.status, 'Canceled');
  });

  it('lists jobs across pages (nextLink), with the tag filter', async function () {
    const tag = unique('sdk-page');
    const names = Array.from({ length: 23 }, (_, i) => `${tag}-${i}`);
    for (const name of names) {
      const job = sleepingJob(60);
      job.properties.tags = { [tag]: 'yes' };
      await sdk.jobs.createOrUpdate(emulator.resourceGroup, emulator.workspaceName, name, job);
      // Cancelled before it starts: no process is spent on it.
      await sdk.jobs.beginCancel(emulator.resourceGroup, emulator.workspaceName, name);
    }
    const pages = [];
    for await (const page of sdk.jobs.list(emulator.resourceGroup, emulator.workspaceName, { tag }).byPage()) pages.push(page.map((j) => j.name));
    assert.ok(pages.length > 1, 'more than one page');
    assert.deepEqual(pages.flat().sort(), [...names].sort());
  });

  describe('with Retry-After configured (an emulator of its own)', function () {
    it('sends Retry-After with the cancel\'s 202', async function () {
      const slow = await dedicatedEmulator('azureml-retry-after', { lroRetryAfterSeconds: 1 });
      const client = await AzureMlTestClient.connect(slow);
      const env = await client.arm('PUT', 'environments/sleeper/versions/1', { properties: { image: 'python:3.11-slim' } });
      const put = await client.arm('PUT', 'jobs/sleeper', { properties: { jobType: 'Command', command: 'sleep 60', environmentId: env.body['id'], computeId: 'cpu-cluster' } });
      assert.equal(put.status, 201, put.text);
      const cancel = await client.arm('POST', 'jobs/sleeper/cancel');
      assert.equal(cancel.status, 202);
      assert.equal(cancel.headers['retry-after'], '1');
      const { job } = await client.waitForJob('sleeper');
      assert.equal(job['properties']['status'], 'Canceled');
      const done = await client.request('GET', String(cancel.headers['azure-asyncoperation']));
      assert.equal(done.body['status'], 'Succeeded');
    });
  });
});
