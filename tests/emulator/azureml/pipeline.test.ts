import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emulator } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, unique, writeFolder, type Json } from './support';

const PREP_PY = `
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int)
parser.add_argument("--out")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "rows.txt"), "w") as f:
    f.write("\\n".join(f"row {i} from step prep" for i in range(args.rows)))
print(f"prepared {args.rows} rows", flush=True)
`;

const TRAIN_STEP_PY = `
import argparse, json, os, ssl, time, urllib.request
parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--alpha", type=float)
parser.add_argument("--note")
parser.add_argument("--model")
args = parser.parse_args()
rows = open(os.path.join(args.data, "rows.txt")).read().splitlines()
print(f"got {len(rows)} rows, first: {rows[0]}; note={args.note}", flush=True)
request = urllib.request.Request(
    os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-metric",
    data=json.dumps({"run_id": os.environ["MLFLOW_RUN_ID"], "key": "score", "value": args.alpha * len(rows),
                     "timestamp": int(time.time() * 1000), "step": 0}).encode(),
    headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]},
    method="POST")
urllib.request.urlopen(request, context=ssl.create_default_context()).read()
os.makedirs(args.model, exist_ok=True)
with open(os.path.join(args.model, "model.json"), "w") as f:
    json.dump({"alpha": args.alpha, "rows": len(rows)}, f)
`;

const BROKEN_PY = `
raise RuntimeError("the source table is empty")
`;

const SLOW_PY = `
import time
print("step started", flush=True)
time.sleep(60)
`;

describe('emulator Azure ML: pipeline jobs', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let client: AzureMlTestClient;
  let tmp: string;
  let components: { prep: string; train: string; broken: string };
  /** For steps given inline (command, code and environment on the step) rather than as a component. */
  let inline: { codeId: string; environmentId: string };

  /** Registers a command component the way the SDK registers an inline one: anonymous, version = a GUID. */
  async function anonymousComponent(spec: Json): Promise<string> {
    const res = await client.arm('PUT', `components/azureml_anonymous/versions/${randomUUID()}`, { properties: { isAnonymous: true, componentSpec: spec } });
    assert.equal(res.status, 201, res.text);
    return String(res.body['id']);
  }

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-pipeline-test-'));
    const env = await client.arm('PUT', `environments/${unique('pipeline-env')}/versions/1`, { properties: { image: 'python:3.11-slim' } });
    assert.equal(env.status, 201, env.text);
    const src = writeFolder(path.join(tmp, 'src'), { 'prep.py': PREP_PY, 'train_step.py': TRAIN_STEP_PY, 'broken.py': BROKEN_PY, 'slow.py': SLOW_PY });
    const codeUri = await client.uploadFolder(src, `${unique('LocalUpload/a2-pipeline')}/src`);
    const code = await client.arm('PUT', `codes/${unique('pipeline-code')}/versions/1`, { properties: { codeUri, isAnonymous: true } });
    assert.equal(code.status, 201, code.text);
    const common = { type: 'command', version: '1', code: `azureml:${code.body['id']}`, environment: `azureml:${env.body['id']}` };
    components = {
      prep: await anonymousComponent({
        ...common,
        name: 'prep',
        command: 'python3 prep.py --rows ${{inputs.rows}} --out ${{outputs.prepared}}',
        inputs: { rows: { type: 'integer', default: 3 } },
        outputs: { prepared: { type: 'uri_folder' } },
      }),
      train: await anonymousComponent({
        ...common,
        name: 'train',
        command: 'python3 train_step.py --data ${{inputs.data}} --alpha ${{inputs.alpha}} $[[--note ${{inputs.note}}]] --model ${{outputs.model}}',
        inputs: { data: { type: 'uri_folder' }, alpha: { type: 'number' }, note: { type: 'string', optional: true } },
        outputs: { model: { type: 'uri_folder' } },
      }),
      broken: await anonymousComponent({ ...common, name: 'broken', command: 'python3 broken.py', outputs: { prepared: { type: 'uri_folder' } } }),
    };
    inline = { codeId: String(code.body['id']), environmentId: String(env.body['id']) };
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A two-step pipeline as the SDK sends it: step 2 consumes step 1's output and a pipeline input. */
  function twoStepPipeline(first: string): Json {
    return {
      properties: {
        jobType: 'Pipeline',
        displayName: 'prep and train',
        experimentName: 'emulator-pipelines',
        settings: { default_compute: `/${client.workspacePath}/computes/cpu-cluster` },
        inputs: { alpha: { jobInputType: 'literal', value: '0.25' } },
        outputs: { trained: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
        jobs: {
          prep: { name: 'prep', type: 'command', _source: 'YAML.COMPONENT', componentId: first, inputs: {}, outputs: {} },
          train: {
            name: 'train',
            type: 'command',
            _source: 'YAML.COMPONENT',
            componentId: components.train,
            inputs: {
              data: { jobInputType: 'literal', value: '${{parent.jobs.prep.outputs.prepared}}' },
              alpha: { jobInputType: 'literal', value: '${{parent.inputs.alpha}}' },
            },
            outputs: { model: { value: '${{parent.outputs.trained}}', type: 'literal' } },
          },
        },
      },
    };
  }

  async function children(pipelineName: string): Promise<Json[]> {
    const res = await client.mlflowPost('runs/search', { experiment_ids: [], filter: `tags.mlflow.parentRunId = '${pipelineName}'` });
    assert.equal(res.status, 200, res.text);
    return res.body['runs'] ?? [];
  }

  async function logOf(runId: string, logPath: string): Promise<string> {
    const details = await client.runDetails(runId);
    const url = details.body['logFiles']?.[logPath];
    assert.ok(url, `run ${runId} has no log ${logPath}`);
    return (await client.fetchThroughProxy(url)).text;
  }

  describe('two steps, the second consuming the first one\'s output', function () {
    const name = unique('pipeline-ok');
    let final: Json;
    let runs: Json[];

    before(async function () {
      const res = await client.arm('PUT', `jobs/${name}`, twoStepPipeline(components.prep));
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body['properties']['jobType'], 'Pipeline');
      ({ job: final } = await client.waitForJob(name));
      runs = await children(name);
    });

    it('completes, with one child run per step tagged with the pipeline', function () {
      assert.equal(final['properties']['status'], 'Completed');
      assert.deepEqual(runs.map((r) => r['info']['run_name']).sort(), ['prep', 'train']);
      for (const run of runs) {
        assert.equal(run['info']['status'], 'FINISHED');
        assert.notEqual(run['info']['run_id'], name);
        const tags = Object.fromEntries(run['data']['tags'].map((t: Json) => [t['key'], t['value']]));
        assert.equal(tags['mlflow.parentRunId'], name);
        assert.equal(tags['mlflow.runName'], run['info']['run_name']);
      }
    });

    it('feeds step 1\'s output and the pipeline input to step 2 (its optional input left out)', async function () {
      const train = runs.find((r) => r['info']['run_name'] === 'train')!;
      const log = await logOf(train['info']['run_id'], 'user_logs/std_log.txt');
      assert.match(log, /got 3 rows, first: row 0 from step prep; note=None/);
      const metric = train['data']['metrics'].find((m: Json) => m['key'] === 'score');
      assert.equal(metric['value'], 0.75);
      const details = await client.runDetails(train['info']['run_id']);
      assert.equal(details.body['parentRunId'], name);
      assert.equal(details.body['status'], 'Completed');
    });

    it('records the pipeline output bound to step 2\'s output, uploaded to the datastore', async function () {
      const train = runs.find((r) => r['info']['run_name'] === 'train')!;
      const uri = final['properties']['outputs']['trained']['uri'];
      assert.equal(uri, `azureml://datastores/workspaceblobstore/paths/azureml/${train['info']['run_id']}/model/`);
      assert.deepEqual(JSON.parse((await client.readBlob(`azureml/${train['info']['run_id']}/model/model.json`))!), { alpha: 0.25, rows: 3 });
    });

    it('shows each step as a child job and keeps an execution log on the pipeline run', async function () {
      for (const run of runs) {
        const child = await client.job(run['info']['run_id']);
        assert.equal(child['properties']['displayName'], run['info']['run_name']);
        assert.equal(child['properties']['status'], 'Completed');
      }
      const log = await logOf(name, 'logs/azureml/executionlogs.txt');
      assert.match(log, /Step 'prep' \(run [0-9a-f-]+\) finished with status Completed/);
      assert.match(log, /Step 'train' \(run [0-9a-f-]+\) finished with status Completed/);
    });
  });

  it('fails the pipeline when a step fails, naming the step, and does not run the steps after it', async function () {
    const name = unique('pipeline-broken');
    const res = await client.arm('PUT', `jobs/${name}`, twoStepPipeline(components.broken));
    assert.equal(res.status, 201, res.text);
    const { job } = await client.waitForJob(name);
    assert.equal(job['properties']['status'], 'Failed');
    const details = await client.runDetails(name);
    assert.match(details.body['error']['error']['message'], /Pipeline has failed child jobs\. Failed nodes: \/prep\./);
    const runs = await children(name);
    const status = Object.fromEntries(runs.map((r) => [r['info']['run_name'], r['info']['status']]));
    assert.deepEqual(status, { prep: 'FAILED', train: 'KILLED' });
    const prep = runs.find((r) => r['info']['run_name'] === 'prep')!;
    const prepDetails = await client.runDetails(prep['info']['run_id']);
    assert.match(prepDetails.body['error']['error']['message'], /RuntimeError: the source table is empty/);
  });

  it('cancels the running steps when the pipeline is cancelled (a step given inline)', async function () {
    const name = unique('pipeline-cancel');
    const res = await client.arm('PUT', `jobs/${name}`, {
      properties: {
        jobType: 'Pipeline',
        computeId: 'azureml:cpu-cluster',
        jobs: { wait: { type: 'command', command: 'python3 slow.py', ...inline } },
      },
    });
    assert.equal(res.status, 201, res.text);
    let step: Json | undefined;
    for (let i = 0; i < 400 && !step; i++) {
      step = (await children(name)).find((r) => r['info']['status'] === 'RUNNING');
      if (!step) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(step, 'the step started');
    const cancel = await client.arm('POST', `jobs/${name}/cancel`);
    assert.equal(cancel.status, 202, cancel.text);
    const { job } = await client.waitForJob(name);
    assert.equal(job['properties']['status'], 'Canceled');
    assert.equal((await client.job(step['info']['run_id']))['properties']['status'], 'Canceled');
  });
});
