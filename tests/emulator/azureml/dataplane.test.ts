import assert from 'node:assert/strict';
import type { Emulator } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, unique, type Json } from './support';

describe('emulator Azure ML: data plane (discovery, MLflow, run history)', function () {
  let emulator: Emulator;
  let client: AzureMlTestClient;
  const experiment = unique('a2-tracking');
  const jobs = { a: unique('track-a'), b: unique('track-b'), c: unique('track-c') };
  let experimentId: string;

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    const env = await client.arm('PUT', `environments/${unique('tracking-env')}/versions/1`, { properties: { image: 'python:3.11-slim' } });
    assert.equal(env.status, 201, env.text);
    for (const [variant, name] of Object.entries(jobs)) {
      const res = await client.arm('PUT', `jobs/${name}`, {
        properties: { jobType: 'Command', command: 'echo tracked', environmentId: env.body['id'], computeId: 'cpu-cluster', experimentName: experiment, tags: { variant } },
      });
      assert.equal(res.status, 201, res.text);
    }
  });

  after(async function () {
    // Let the jobs finish so they do not outlive the suite.
    for (const name of Object.values(jobs)) await client?.waitForJob(name);
  });

  describe('discovery', function () {
    it('answers without a token with the regional host of every service (the emulator)', async function () {
      const ws = await client.arm('GET', '');
      const res = await client.request('GET', ws.body['properties']['discoveryUrl'], undefined, false);
      assert.equal(res.status, 200, res.text);
      const host = emulator.url.replace(/\/$/, '');
      for (const service of ['api', 'history', 'experimentation', 'modelmanagement']) assert.equal(res.body[service], host, service);
    });
  });

  describe('MLflow REST API', function () {
    it('has the run of a job from its submission, in the job\'s experiment', async function () {
      const run = await client.mlflowGet('runs/get', { run_id: jobs.a });
      assert.equal(run.status, 200, run.text);
      assert.equal(run.body['run']['info']['run_id'], jobs.a);
      assert.ok(['SCHEDULED', 'RUNNING', 'FINISHED'].includes(run.body['run']['info']['status']));
      const exp = await client.mlflowGet('experiments/get-by-name', { experiment_name: experiment });
      assert.equal(exp.status, 200, exp.text);
      experimentId = exp.body['experiment']['experiment_id'];
      assert.equal(run.body['run']['info']['experiment_id'], experimentId);
      assert.equal(exp.body['experiment']['name'], experiment);
    });

    it('stores metrics, params and tags logged one by one and in batches', async function () {
      const now = Date.now();
      for (const [name, acc] of [
        [jobs.a, 0.1],
        [jobs.b, 0.5],
        [jobs.c, 0.9],
      ] as const) {
        assert.equal((await client.mlflowPost('runs/log-metric', { run_id: name, key: 'acc', value: acc / 2, timestamp: now, step: 0 })).status, 200);
        assert.equal((await client.mlflowPost('runs/log-metric', { run_id: name, key: 'acc', value: acc, timestamp: now + 1, step: 1 })).status, 200);
      }
      assert.equal((await client.mlflowPost('runs/log-parameter', { run_id: jobs.a, key: 'lr', value: '0.01' })).status, 200);
      assert.equal((await client.mlflowPost('runs/set-tag', { run_id: jobs.a, key: 'stage', value: 'candidate' })).status, 200);
      const batch = await client.mlflowPost('runs/log-batch', {
        run_id: jobs.a,
        metrics: [{ key: 'loss', value: 0.25, timestamp: now, step: 0 }],
        params: [{ key: 'epochs', value: '3' }],
        tags: [{ key: 'owner', value: 'a2' }],
      });
      assert.equal(batch.status, 200, batch.text);
      const run = (await client.mlflowGet('runs/get', { run_id: jobs.a })).body['run'];
      const metrics = Object.fromEntries(run['data']['metrics'].map((m: Json) => [m['key'], m['value']]));
      assert.deepEqual(metrics, { acc: 0.1, loss: 0.25 });
      assert.deepEqual(Object.fromEntries(run['data']['params'].map((p: Json) => [p['key'], p['value']])), { lr: '0.01', epochs: '3' });
      const tags = Object.fromEntries(run['data']['tags'].map((t: Json) => [t['key'], t['value']]));
      assert.equal(tags['stage'], 'candidate');
      assert.equal(tags['owner'], 'a2');
      assert.deepEqual(emulator.inspect.metrics(jobs.c), { acc: 0.9 });
      const history = await client.mlflowGet('metrics/get-history', { run_id: jobs.b, metric_key: 'acc' });
      assert.deepEqual(history.body['metrics'].map((m: Json) => m['value']), [0.25, 0.5]);
    });

    it('searches runs with MLflow filters, ordering and paging', async function () {
      const search = async (body: Json): Promise<Json> => {
        const res = await client.mlflowPost('runs/search', { experiment_ids: [experimentId], ...body });
        assert.equal(res.status, 200, res.text);
        return res.body;
      };
      const ids = (body: Json): string[] => (body['runs'] ?? []).map((r: Json) => r['info']['run_id']);
      assert.deepEqual(ids(await search({ filter: 'metrics.acc > 0.3', order_by: ['metrics.acc DESC'] })), [jobs.c, jobs.b]);
      assert.deepEqual(ids(await search({ filter: "tags.variant = 'b'" })), [jobs.b]);
      assert.deepEqual(ids(await search({ filter: "tags.`variant` IN ('a', 'c') and params.lr = '0.01'" })), [jobs.a]);
      assert.deepEqual(ids(await search({ filter: "attributes.run_name LIKE 'track-%'", order_by: ['metrics.acc ASC'] })), [jobs.a, jobs.b, jobs.c]);
      assert.deepEqual(await search({ filter: "tags.variant = 'z'" }), {}, 'MLflow omits an empty runs list');
      const first = await search({ max_results: 2, order_by: ['metrics.acc DESC'] });
      assert.deepEqual(ids(first), [jobs.c, jobs.b]);
      assert.ok(first['next_page_token']);
      assert.deepEqual(ids(await search({ max_results: 2, order_by: ['metrics.acc DESC'], page_token: first['next_page_token'] })), [jobs.a]);
    });

    it('answers errors the way MLflow does', async function () {
      const unknown = await client.mlflowGet('runs/get', { run_id: 'no-such-run' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body['error_code'], 'RESOURCE_DOES_NOT_EXIST');
      const noRunId = await client.mlflowPost('runs/log-metric', { key: 'acc', value: 1, timestamp: 1 });
      assert.equal(noRunId.status, 400);
      assert.equal(noRunId.body['error_code'], 'INVALID_PARAMETER_VALUE');
      assert.match(noRunId.body['message'], /'run_id'/);
      const notNumber = await client.mlflowPost('runs/log-metric', { run_id: jobs.a, key: 'acc', value: 'high', timestamp: 1 });
      assert.equal(notNumber.status, 400);
      const changedParam = await client.mlflowPost('runs/log-parameter', { run_id: jobs.a, key: 'lr', value: '0.5' });
      assert.equal(changedParam.status, 400);
      assert.match(changedParam.body['message'], /Changing param values is not allowed/);
      const badFilter = await client.mlflowPost('runs/search', { experiment_ids: [experimentId], filter: 'acc is high' });
      assert.equal(badFilter.status, 400);
      assert.equal(badFilter.body['error_code'], 'INVALID_PARAMETER_VALUE');
      const noExperiment = await client.mlflowGet('experiments/get-by-name', { experiment_name: unique('never') });
      assert.equal(noExperiment.status, 404);
      assert.equal(noExperiment.body['error_code'], 'RESOURCE_DOES_NOT_EXIST');
    });

    it('needs a bearer token', async function () {
      const res = await client.request('GET', `${client.mlflowUrl('runs/get')}?run_id=${jobs.a}`, undefined, false);
      assert.equal(res.status, 401);
    });
  });

  describe('run history', function () {
    it('details a run: status, times, target and (once running) its log files', async function () {
      const { job } = await client.waitForJob(jobs.b);
      assert.equal(job['properties']['status'], 'Completed');
      const res = await client.runDetails(jobs.b);
      assert.equal(res.status, 200, res.text);
      const d = res.body;
      assert.equal(d['runId'], jobs.b);
      assert.equal(d['status'], 'Completed');
      assert.equal(d['target'], 'cpu-cluster');
      assert.equal(d['parentRunId'], null);
      assert.equal(d['error'], null);
      assert.ok(Date.parse(d['startTimeUtc']) <= Date.parse(d['endTimeUtc']));
      assert.deepEqual(Object.keys(d['logFiles']), ['user_logs/std_log.txt']);
      const url = new URL(d['logFiles']['user_logs/std_log.txt']);
      assert.equal(url.host, `${emulator.storage.accountName}.blob.core.windows.net`);
      assert.equal(url.searchParams.get('sp'), 'r', 'log URLs carry a read-only SAS');
      assert.match((await client.fetchThroughProxy(url.toString())).text, /tracked/);
    });

    it('answers an unknown run with a 404', async function () {
      const res = await client.runDetails('no-such-run');
      assert.equal(res.status, 404);
      assert.equal(res.body['error']['code'], 'UserError');
      assert.equal(res.body['error']['message'], 'Run no-such-run was not found');
    });
  });
});
