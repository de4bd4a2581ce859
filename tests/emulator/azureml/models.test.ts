import assert from 'node:assert/strict';
import fs from 'node:fs';
import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { Emulator } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../../support/emulatorFixture';
import { armAccessToken } from '../../support/emulatorHttp';
import { AzureMlTestClient, unique, type Json } from './support';

/** The job-output, datastore and blob-URL forms of modelUri, resolved and checked as the service does. */
describe('emulator Azure ML: models (ARM 2022-10-01)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let client: AzureMlTestClient;
  /** A completed job with a custom_model output `model` (model.pkl) and outputs/summary.txt in its artifacts. */
  let jobName: string;
  /** A folder of the default datastore holding model.pkl. */
  let folder: string;

  const datastoreUri = (path: string): string => `azureml://datastores/workspaceblobstore/paths/${path}`;
  const longUri = (datastore: string, path: string): string =>
    `azureml://subscriptions/${emulator.subscriptionId}/resourcegroups/${emulator.resourceGroup}/workspaces/${emulator.workspaceName}/datastores/${datastore}/paths/${path}`;
  const version = (modelUri: string, extra: Json = {}): Json => ({ properties: { modelType: 'custom_model', modelUri, ...extra } });

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    folder = `models/${unique('weights')}`;
    await client.uploadText(`${folder}/model.pkl`, 'weights');
    const env = await client.arm('PUT', `environments/${unique('model-env')}/versions/1`, { properties: { image: 'python:3.11-slim' } });
    assert.equal(env.status, 201, env.text);
    jobName = unique('model-job');
    const job = await client.arm('PUT', `jobs/${jobName}`, {
      properties: {
        jobType: 'Command',
        command: 'mkdir -p ${{outputs.model}} outputs && echo weights > ${{outputs.model}}/model.pkl && echo done > outputs/summary.txt',
        environmentId: env.body['id'],
        computeId: 'cpu-cluster',
        outputs: { model: { jobOutputType: 'custom_model' } },
      },
    });
    assert.equal(job.status, 201, job.text);
    const { job: finished } = await client.waitForJob(jobName);
    assert.equal(finished['properties']['status'], 'Completed');
  });

  describe('versions', function () {
    it('registers a version (201) answered with every field, and maintains the container\'s latestVersion and nextVersion', async function () {
      const name = unique('model');
      const created = await client.arm('PUT', `models/${name}/versions/1`, version(datastoreUri(`${folder}/`), { description: 'first', tags: { stage: 'dev' }, properties: { auc: '0.91' } }));
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body['id'], `/${client.workspacePath}/models/${name}/versions/1`);
      assert.equal(created.body['name'], '1');
      assert.equal(created.body['type'], 'Microsoft.MachineLearningServices/workspaces/models/versions');
      assert.deepEqual(created.body['properties'], {
        description: 'first',
        tags: { stage: 'dev' },
        properties: { auc: '0.91' },
        isArchived: false,
        isAnonymous: false,
        flavors: null,
        jobName: null,
        modelType: 'custom_model',
        modelUri: datastoreUri(`${folder}/`),
      });
      assert.match(created.body['systemData']['createdAt'], /^\d{4}-\d\d-\d\dT/);

      const second = await client.arm('PUT', `models/${name}/versions/2`, version(datastoreUri(`${folder}/model.pkl`)));
      assert.equal(second.status, 201, second.text);
      assert.ok(second.body['systemData']['createdAt'] > created.body['systemData']['createdAt'], 'each version is created after the previous one');
      const container = await client.arm('GET', `models/${name}`);
      assert.equal(container.status, 200, container.text);
      assert.equal(container.body['properties']['latestVersion'], '2');
      assert.equal(container.body['properties']['nextVersion'], '3');
      assert.deepEqual(emulator.inspect.modelVersions(name).map((v) => v['name']), ['1', '2']);

      const got = await client.arm('GET', `models/${name}/versions/1`);
      assert.deepEqual(got.body, created.body);
    });

    it('answers an identical re-PUT with 200, lets tags and description change, and refuses a content change with 409', async function () {
      const name = unique('model');
      const body = version(datastoreUri(`${folder}/`), { tags: { a: '1' } });
      assert.equal((await client.arm('PUT', `models/${name}/versions/1`, body)).status, 201);
      const again = await client.arm('PUT', `models/${name}/versions/1`, body);
      assert.equal(again.status, 200, again.text);
      const retagged = await client.arm('PUT', `models/${name}/versions/1`, version(datastoreUri(`${folder}/`), { tags: { a: '2' }, description: 'now described', isArchived: true }));
      assert.equal(retagged.status, 200, retagged.text);
      assert.deepEqual(retagged.body['properties']['tags'], { a: '2' });
      assert.equal(retagged.body['properties']['isArchived'], true);

      const message =
        'A model version with this name and version already exists. If you are trying to create a new model version, use a different name or version. ' +
        'If you are trying to update an existing model version, only tags, description, and isArchived can be updated.';
      for (const changed of [
        version(datastoreUri(`${folder}/model.pkl`)),
        version(datastoreUri(`${folder}/`), { modelType: 'mlflow_model' }),
        version(datastoreUri(`${folder}/`), { properties: { auc: '0.5' } }),
        version(datastoreUri(`${folder}/`), { flavors: { python_function: { data: { loader_module: 'mlflow.sklearn' } } } }),
        version(datastoreUri(`${folder}/`), { jobName }),
      ]) {
        const res = await client.arm('PUT', `models/${name}/versions/1`, changed);
        assert.equal(res.status, 409, res.text);
        assert.equal(res.body['error']['code'], 'UserError');
        assert.equal(res.body['error']['message'], message);
      }
      assert.equal((emulator.inspect.modelVersions(name)[0]! as Json)['properties']['modelUri'], datastoreUri(`${folder}/`), 'the version is unchanged');
    });

    it('resolves a job output URI to the output\'s datastore path and records the job', async function () {
      const name = unique('model');
      const res = await client.arm('PUT', `models/${name}/versions/1`, version(`azureml://jobs/${jobName}/outputs/model/paths/model.pkl`));
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body['properties']['modelUri'], longUri('workspaceblobstore', `azureml/${jobName}/model/model.pkl`));
      assert.equal(res.body['properties']['jobName'], jobName);
      // Registering again from the same job output is the identical request.
      const again = await client.arm('PUT', `models/${name}/versions/1`, version(`azureml://jobs/${jobName}/outputs/model/paths/model.pkl`));
      assert.equal(again.status, 200, again.text);

      const whole = await client.arm('PUT', `models/${name}/versions/2`, version(`azureml://jobs/${jobName}/outputs/model/paths/`, { jobName }));
      assert.equal(whole.status, 201, whole.text);
      assert.equal(whole.body['properties']['modelUri'], longUri('workspaceblobstore', `azureml/${jobName}/model/`));

      const artifacts = await client.arm('PUT', `models/${name}/versions/3`, version(`azureml://jobs/${jobName}/outputs/artifacts/paths/outputs/summary.txt`));
      assert.equal(artifacts.status, 201, artifacts.text);
      assert.equal(artifacts.body['properties']['modelUri'], longUri('workspaceartifactstore', `ExperimentRun/dcid.${jobName}/outputs/summary.txt`));
      assert.equal(artifacts.body['properties']['jobName'], jobName);
    });

    it('refuses a job output URI naming a missing job, a missing output or an empty path, and a jobName of another job', async function () {
      const name = unique('model');
      const cases: Array<[string, Json, RegExp]> = [
        ['missing job', version('azureml://jobs/no-such-job-x1/outputs/model/paths/'), /names the job 'no-such-job-x1', which does not exist in workspace/],
        ['missing output', version(`azureml://jobs/${jobName}/outputs/weights/paths/`), new RegExp(`the job '${jobName}' has no output named 'weights'\\. Its outputs: model`)],
        ['empty path', version(`azureml://jobs/${jobName}/outputs/model/paths/nothing-here.pkl`), /no file or folder exists at this path in storage/],
        ['jobName of another job', version(`azureml://jobs/${jobName}/outputs/model/paths/`, { jobName: 'another-job' }), /properties\.jobName: the job 'another-job' does not exist/],
      ];
      for (const [what, body, message] of cases) {
        const res = await client.arm('PUT', `models/${name}/versions/1`, body);
        assert.equal(res.status, 400, `${what}: ${res.text}`);
        assert.equal(res.body['error']['code'], 'UserError', what);
        assert.match(res.body['error']['message'], message, what);
      }
      assert.deepEqual(emulator.inspect.modelVersions(name), [], 'nothing was registered');
    });

    it('refuses storage paths with nothing there, unknown datastores, other storage accounts, other URI forms and model types', async function () {
      const name = unique('model');
      const blobUrl = `https://${emulator.storage.accountName}.blob.core.windows.net/${emulator.storage.defaultContainer}/${folder}/model.pkl`;
      assert.equal((await client.arm('PUT', `models/${name}/versions/1`, version(blobUrl))).status, 201, 'a blob URL of the workspace storage');
      assert.equal((await client.arm('PUT', `models/${name}/versions/2`, version(longUri('workspaceblobstore', `${folder}/model.pkl`)))).status, 201, 'the long datastore form');
      const cases: Array<[Json, RegExp]> = [
        [version(datastoreUri(`${folder}/missing.pkl`)), /no file or folder exists at this path in storage/],
        [version('azureml://datastores/nostore/paths/x/'), /The datastore 'nostore'.*does not exist/],
        [version('https://otheraccount.blob.core.windows.net/models/model.pkl'), /not in the workspace's storage account/],
        [version('runs:/abc/model'), /is not a supported model location/],
        [version(datastoreUri(`${folder}/`), { modelType: 'onnx_model' }), /^The model type 'onnx_model' is not supported\. Supported model types are: custom_model, mlflow_model, triton_model\.$/],
        [{ properties: { modelType: 'custom_model' } }, /properties\.modelUri is required/],
      ];
      for (const [body, message] of cases) {
        const res = await client.arm('PUT', `models/${name}/versions/9`, body);
        assert.equal(res.status, 400, res.text);
        assert.match(res.body['error']['message'], message);
      }
      assert.equal(emulator.inspect.modelVersions(name).length, 2);
    });

    it('deletes versions and containers (200, then 204) and answers 404 for what is gone', async function () {
      const name = unique('model');
      assert.equal((await client.arm('PUT', `models/${name}/versions/1`, version(datastoreUri(`${folder}/`)))).status, 201);
      assert.equal((await client.arm('DELETE', `models/${name}/versions/1`)).status, 200);
      assert.equal((await client.arm('DELETE', `models/${name}/versions/1`)).status, 204);
      const gone = await client.arm('GET', `models/${name}/versions/1`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body['error']['code'], 'UserError');
      assert.equal((await client.arm('DELETE', `models/${name}`)).status, 200);
      assert.equal((await client.arm('GET', `models/${name}`)).status, 404);
    });
  });

  describe('listing versions', function () {
    const name = unique('listed');
    before(async function () {
      // 23 versions: more than one page. Every third is tagged candidate=yes, versions 5 and 6 are archived.
      for (let v = 1; v <= 23; v++) {
        const extra: Json = { tags: v % 3 === 0 ? { candidate: 'yes', run: String(v) } : { run: String(v) }, properties: v === 7 ? { champion: 'true' } : {} };
        if (v === 5 || v === 6) extra['isArchived'] = true;
        if (v === 8) extra['description'] = 'the eighth';
        const res = await client.arm('PUT', `models/${name}/versions/${v}`, version(datastoreUri(`${folder}/`), extra));
        assert.equal(res.status, 201, res.text);
      }
    });

    async function listAll(query: string): Promise<{ names: string[]; pages: number }> {
      let res = await client.arm('GET', `models/${name}/versions?${query}`);
      const names: string[] = [];
      let pages = 0;
      for (;;) {
        assert.equal(res.status, 200, res.text);
        pages++;
        names.push(...res.body['value'].map((v: Json) => v['name']));
        if (!res.body['nextLink']) return { names, pages };
        res = await client.request('GET', res.body['nextLink']);
      }
    }

    const range = (from: number, to: number): string[] => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => String(from < to ? from + i : from - i));

    it('lists active versions newest first across pages (nextLink), and in the other orders', async function () {
      const active = range(23, 1).filter((v) => v !== '5' && v !== '6');
      const newest = await listAll('');
      assert.deepEqual(newest.names, active);
      assert.ok(newest.pages > 1, 'more than one page');
      assert.deepEqual((await listAll('$orderBy=createdtime%20asc')).names, [...active].reverse());
      assert.deepEqual((await listAll('$orderBy=version%20desc')).names, active, 'numeric version order');
    });

    it('applies $top, offset, version, description, tags, properties and listViewType', async function () {
      assert.deepEqual((await listAll('$top=3')).names, ['23', '22', '21']);
      assert.deepEqual((await listAll('$orderBy=createdtime%20asc&offset=2&$top=2')).names, ['3', '4']);
      assert.deepEqual((await listAll('version=7')).names, ['7']);
      assert.deepEqual((await listAll('description=the%20eighth')).names, ['8']);
      assert.deepEqual((await listAll('tags=candidate')).names, ['21', '18', '15', '12', '9', '3']);
      assert.deepEqual((await listAll('tags=candidate,run=9')).names, ['9']);
      assert.deepEqual((await listAll('tags=candidate=yes,run=10')).names, []);
      assert.deepEqual((await listAll('properties=champion=true')).names, ['7']);
      assert.deepEqual((await listAll('listViewType=ArchivedOnly')).names, ['6', '5']);
      assert.equal((await listAll('listViewType=All')).names.length, 23);
    });

    it('lists containers (the model appears once, with its latest version)', async function () {
      let res = await client.arm('GET', 'models');
      const containers: Json[] = [];
      for (;;) {
        containers.push(...res.body['value']);
        if (!res.body['nextLink']) break;
        res = await client.request('GET', res.body['nextLink']);
      }
      const mine = containers.filter((c) => c['name'] === name);
      assert.equal(mine.length, 1);
      assert.equal(mine[0]!['properties']['latestVersion'], '23');
      assert.equal(mine[0]!['properties']['nextVersion'], '24');
    });
  });

  describe('through @azure/arm-machinelearning', function () {
    it('registers and lists versions with the SDK the tasks use', async function () {
      const token = await armAccessToken(emulator);
      const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
      const sdk = new AzureMachineLearningWorkspaces(credential, emulator.subscriptionId, {
        endpoint: emulator.url,
        credentialScopes: [`${emulator.url}.default`],
        tlsOptions: { ca: fs.readFileSync(emulator.caCertPath, 'utf8') },
      });
      const name = unique('sdk-model');
      const created = await sdk.modelVersions.createOrUpdate(emulator.resourceGroup, emulator.workspaceName, name, '1', {
        properties: { modelType: 'mlflow_model', modelUri: `azureml://jobs/${jobName}/outputs/model/paths/`, tags: { via: 'sdk' } },
      });
      assert.equal(created.properties.jobName, jobName);
      assert.equal(created.properties.modelUri, longUri('workspaceblobstore', `azureml/${jobName}/model/`));
      const listed = [];
      for await (const v of sdk.modelVersions.list(emulator.resourceGroup, emulator.workspaceName, name, { tags: 'via=sdk', orderBy: 'createdtime desc' })) listed.push(v);
      assert.deepEqual(listed.map((v) => v.name), ['1']);
      const container = await sdk.modelContainers.get(emulator.resourceGroup, emulator.workspaceName, name);
      assert.equal(container.properties.latestVersion, '1');
    });
  });
});
