import assert from 'node:assert/strict';

import { InputError, type ModelVersionResource, TaskError } from '@azureml-mlops/shared';

import type * as IdempotencyModule from '../../../tasks/AzureMLRegisterModel/src/idempotency';
import type * as ModelJsonModule from '../../../tasks/AzureMLRegisterModel/src/modelJson';
import type * as RegisterModule from '../../../tasks/AzureMLRegisterModel/src/register';
import { fakeRegistry, taskModule, version, WS } from './support';

const idempotency = taskModule<typeof IdempotencyModule>('idempotency');
const register = taskModule<typeof RegisterModule>('register');
const modelJson = taskModule<typeof ModelJsonModule>('modelJson');

const SIGNAL = new AbortController().signal;
const URI_A = 'azureml://jobs/job-a/outputs/model/paths/';
const URI_B = 'azureml://jobs/job-b/outputs/model/paths/';
const fromJob = (job: string, uri: string, extra: Record<string, string> = {}) => ({ 'azureml-mlops.job-name': job, 'azureml-mlops.source': uri, ...extra });

function body(uri: string, job: string): RegisterModule.ModelVersionBody {
  return { properties: { modelType: 'custom_model', modelUri: uri, jobName: job, tags: {}, properties: fromJob(job, uri) } };
}

describe('AzureMLRegisterModel idempotency and versions', function () {
  describe('holdsSameModel', function () {
    const identity = idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model');

    it('the same job output and model type match (the service may answer CustomModel)', function () {
      assert.equal(idempotency.holdsSameModel(version('m', '1', fromJob('job-a', URI_A)), identity), true);
      assert.equal(idempotency.holdsSameModel(version('m', '1', fromJob('job-a', URI_A), 'CustomModel'), identity), true);
    });

    it('another path of the same job, another job, another type, or no lineage do not', function () {
      assert.equal(idempotency.holdsSameModel(version('m', '1', fromJob('job-a', `${URI_A}sub`)), identity), false);
      assert.equal(idempotency.holdsSameModel(version('m', '1', fromJob('job-b', URI_B)), identity), false);
      assert.equal(idempotency.holdsSameModel(version('m', '1', fromJob('job-a', URI_A), 'mlflow_model'), identity), false);
      assert.equal(idempotency.holdsSameModel(version('m', '1', {}), identity), false);
    });

    it('local files match by content hash, wherever they were', function () {
      const local = idempotency.localFilesIdentity('f'.repeat(64), 'models/a', 'custom_model');
      assert.equal(idempotency.holdsSameModel(version('m', '1', { 'azureml-mlops.content-hash': 'f'.repeat(64), 'azureml-mlops.source': 'elsewhere/b' }), local), true);
      assert.equal(idempotency.holdsSameModel(version('m', '1', { 'azureml-mlops.content-hash': 'e'.repeat(64) }), local), false);
    });
  });

  describe('findRegisteredVersion', function () {
    it('finds the newest version holding the same model, asking the service to filter on the job', async function () {
      const registry = fakeRegistry({
        'models/m/versions/1': version('m', '1', fromJob('job-a', URI_A), 'custom_model', '2025-01-01T00:00:00Z'),
        'models/m/versions/2': version('m', '2', fromJob('job-b', URI_B), 'custom_model', '2025-01-02T00:00:00Z'),
        'models/m/versions/3': version('m', '3', fromJob('job-a', URI_A), 'custom_model', '2025-01-03T00:00:00Z'),
      });
      const found = await register.findRegisteredVersion(registry.workspace, { modelName: 'm', version: undefined, identity: idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model') }, SIGNAL);
      assert.equal(found?.name, '3');
      assert.ok(registry.requests.some((r) => r.startsWith('GET models/m/versions?') && r.includes('properties=azureml-mlops.job-name=job-a')), registry.requests.join('\n'));
    });

    it('an explicit version holding another model is an InputError naming version, with what it holds', async function () {
      const registry = fakeRegistry({ 'models/m/versions/1': version('m', '1', fromJob('job-b', URI_B, { 'azure-pipelines.build-url': 'https://dev.azure.com/o/p/_build/results?buildId=9' })) });
      const identity = idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model');
      await assert.rejects(register.findRegisteredVersion(registry.workspace, { modelName: 'm', version: '1', identity }, SIGNAL), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.inputName, 'version');
        assert.match(error.message, /version 1 of the model 'm' already exists and holds another model \(azureml:\/\/jobs\/job-b\/outputs\/model\/paths\/, custom_model, registered by https:\/\/dev\.azure\.com\/o\/p\/_build\/results\?buildId=9\)/);
        return true;
      });
    });

    it('an explicit version that does not exist: nothing found', async function () {
      const registry = fakeRegistry();
      assert.equal(await register.findRegisteredVersion(registry.workspace, { modelName: 'm', version: '7', identity: idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model') }, SIGNAL), undefined);
    });
  });

  describe('registerVersion', function () {
    it('a new model starts at version 1; the next one takes nextVersion', async function () {
      const registry = fakeRegistry();
      const first = await register.registerVersion(registry.workspace, { modelName: 'm', version: undefined, identity: idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model') }, body(URI_A, 'job-a'), SIGNAL);
      const second = await register.registerVersion(registry.workspace, { modelName: 'm', version: undefined, identity: idempotency.jobOutputIdentity('job-b', URI_B, 'custom_model') }, body(URI_B, 'job-b'), SIGNAL);
      assert.deepEqual([first.model.name, first.created, second.model.name, second.created], ['1', true, '2', true]);
    });

    it('a 409 race with another model takes the next number', async function () {
      let races = 1;
      const registry = fakeRegistry({}, (path) => (path.endsWith('/versions/1') && races-- > 0 ? { status: 409 } : undefined));
      const result = await register.registerVersion(registry.workspace, { modelName: 'm', version: undefined, identity: idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model') }, body(URI_A, 'job-a'), SIGNAL);
      assert.equal(result.model.name, '2');
      assert.deepEqual(registry.requests.filter((r) => r.startsWith('PUT')), ['PUT models/m/versions/1', 'PUT models/m/versions/2']);
    });

    it('a 409 race won by another run of the same source: that version, not a duplicate', async function () {
      const winner = version('m', '1', fromJob('job-a', URI_A));
      const racing = fakeRegistry({}, (path) => {
        if (path === 'models/m/versions/1') {
          racing.versions.set(path, winner);
          return { status: 409 };
        }
        return undefined;
      });
      const result = await register.registerVersion(racing.workspace, { modelName: 'm', version: undefined, identity: idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model') }, body(URI_A, 'job-a'), SIGNAL);
      assert.deepEqual([result.model.name, result.created], ['1', false]);
      assert.equal(racing.requests.filter((r) => r.startsWith('PUT')).length, 1, 'no second PUT: no duplicate');
    });

    it(`gives up after ${5} numbers taken by others, with a clear error`, async function () {
      const registry = fakeRegistry({}, () => ({ status: 409 }));
      await assert.rejects(
        register.registerVersion(registry.workspace, { modelName: 'm', version: undefined, identity: idempotency.jobOutputIdentity('job-a', URI_A, 'custom_model') }, body(URI_A, 'job-a'), SIGNAL),
        (error: unknown) => error instanceof TaskError && /versions 1, 2, 3, 4, 5 were each taken by another registration at the same time\. Run the task again, or set 'version'/.test(error.message),
      );
    });

    it('nextVersion falls back to the highest number + 1 when the service suggests none', async function () {
      const registry = fakeRegistry({ 'models/m/versions/4': version('m', '4', {}), 'models/m/versions/v9': version('m', 'v9', {}) });
      const original = registry.workspace.armRequest.bind(registry.workspace);
      registry.workspace.armRequest = (async (method: string, path: string, body?: unknown, options?: { allowedStatuses?: readonly number[] }) => {
        const answer = await original(method, path, body, options);
        return /\/models\/m$/.test(path) ? { ...answer, body: { name: 'm', properties: { latestVersion: 'v9', nextVersion: null } } } : answer;
      }) as typeof registry.workspace.armRequest;
      assert.equal(await register.nextVersion(registry.workspace, 'm', SIGNAL), '5');
    });
  });

  describe('model.json', function () {
    const model: ModelVersionResource = {
      id: `${WS}/models/m/versions/3`,
      name: '3',
      properties: {
        modelType: 'custom_model',
        modelUri: URI_A,
        jobName: 'job-a',
        description: 'd',
        tags: { z: '1', a: '2' },
        properties: { ...fromJob('job-a', URI_A), 'azureml-mlops.experiment': 'exp', 'azureml-mlops.job-output': 'model', 'azureml-mlops.input.train': 'azureml:train:2', 'azureml-mlops.metric.r2': '0.5' },
      },
      systemData: { createdAt: '2025-01-03T00:00:00Z' },
    };
    const workspace = { subscriptionId: 'sub-1', resourceGroup: 'rg-1', name: 'ws-1', id: WS, location: 'westeurope', tenantId: 't' };

    it('describes the version as the service returned it: identity, files, workspace, job and lineage', function () {
      const manifest = modelJson.buildModelManifest({ name: 'm', version: '3', model, alreadyRegistered: true, studioUrl: 'https://ml.azure.com/model/m:3/details', workspace });
      assert.deepEqual(
        { ...manifest, lineage: { ...manifest.lineage, properties: undefined, tags: Object.keys(manifest.lineage.tags) } },
        {
          schemaVersion: 1,
          name: 'm',
          version: '3',
          id: `${WS}/models/m/versions/3`,
          reference: 'azureml:m:3',
          type: 'custom_model',
          uri: URI_A,
          description: 'd',
          studioUrl: 'https://ml.azure.com/model/m:3/details',
          alreadyRegistered: true,
          createdAt: '2025-01-03T00:00:00Z',
          workspace,
          job: { name: 'job-a', experiment: 'exp', output: 'model' },
          lineage: { source: URI_A, sourceKind: null, contentHash: null, dataInputs: { train: 'azureml:train:2' }, metrics: { r2: 0.5 }, tags: ['a', 'z'], properties: undefined },
        },
      );
    });
  });
});
