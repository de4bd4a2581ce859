import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Emulator } from '@azureml-mlops/emulator';
import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, processExists, unique, writeFolder, type HttpResult, type Json } from './support';

/** Logs metrics through the MLflow REST API with what the job gets in its environment (stdlib only). */
const TRAIN_PY = `
import json, os, ssl, sys, time, urllib.request

def mlflow(op, body):
    request = urllib.request.Request(
        os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/" + op,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]},
        method="POST",
    )
    with urllib.request.urlopen(request, context=ssl.create_default_context()) as response:
        response.read()

data_path, alpha, model_dir = sys.argv[1], float(sys.argv[2]), sys.argv[3]
rows = open(data_path).read().splitlines()
print(f"read {len(rows)} rows from {os.path.basename(data_path)}", flush=True)
run_id = os.environ["MLFLOW_RUN_ID"]
now = int(time.time() * 1000)
for step in range(3):
    mlflow("runs/log-metric", {"run_id": run_id, "key": "loss", "value": 1.0 / (step + 1), "timestamp": now + step, "step": step})
mlflow("runs/log-batch", {"run_id": run_id, "metrics": [{"key": "rows", "value": len(rows), "timestamp": now, "step": 0}],
                          "params": [{"key": "alpha", "value": str(alpha)}]})
os.makedirs(model_dir, exist_ok=True)
with open(os.path.join(model_dir, "model.txt"), "w") as f:
    f.write(f"alpha={alpha}\\n")
os.makedirs("outputs", exist_ok=True)
with open("outputs/summary.txt", "w") as f:
    f.write("trained")
print(f"greeting={os.environ.get('GREETING')}", flush=True)
print(f"extra files: {sorted(os.listdir(os.environ['AZURE_ML_INPUT_extra']))}", flush=True)
print("training finished", file=sys.stderr)
`;

const FAIL_PY = `
print("checking the parameters", flush=True)
raise ValueError("alpha must be positive, got -1")
`;

/** Starts a grandchild and sleeps: cancelling must end both. */
const SLOW_PY = `
import os, subprocess, time
child = subprocess.Popen(["sleep", "60"])
print(f"pids {os.getpid()} {child.pid}", flush=True)
time.sleep(60)
`;

const RANK_PY = `
import os
print(f"rank={os.environ['RANK']} world={os.environ['WORLD_SIZE']} local={os.environ['LOCAL_RANK']} master={os.environ['MASTER_ADDR']}", flush=True)
`;

describe('emulator Azure ML: command jobs', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let client: AzureMlTestClient;
  let tmp: string;
  let environmentId: string;
  let codeId: string;
  let dataUri: string;

  const tag = unique('a2tag');
  const names = { ok: unique('train-ok'), fails: unique('train-fails'), slow: unique('slow'), dist: unique('dist'), timeout: unique('timeout') };
  /** PUT answers of the jobs, all submitted up front so that they run concurrently. */
  const submissions: Record<string, HttpResult> = {};
  let okBody: Json;

  before(async function () {
    emulator = await sharedEmulator();
    client = await AzureMlTestClient.connect(emulator);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-jobs-test-'));
    ({ environmentId, codeId } = await registerScripts(client, tmp));
    await client.uploadText('data/a2-jobs/rows.csv', 'a,b\n1,2\n3,4\n');
    dataUri = 'azureml://datastores/workspaceblobstore/paths/data/a2-jobs/rows.csv';
    // A registered data asset over a folder, given by its production-style URL.
    await client.uploadText('data/a2-jobs/folder/part-0.csv', 'x\n');
    await client.uploadText('data/a2-jobs/folder/part-1.csv', 'y\n');
    const folderUrl = `https://${emulator.storage.accountName}.blob.core.windows.net/${emulator.storage.defaultContainer}/data/a2-jobs/folder/`;
    const dataAsset = unique('parts');
    const asset = await client.arm('PUT', `data/${dataAsset}/versions/1`, { properties: { dataType: 'uri_folder', dataUri: folderUrl } });
    assert.equal(asset.status, 201, asset.text);
    okBody = commandJob('python3 train.py ${{inputs.data}} ${{inputs.alpha}} ${{outputs.model}}', {
      displayName: 'Train ok',
      tags: { [tag]: 'mlops' },
      environmentVariables: { GREETING: 'hello from the job' },
      inputs: {
        data: { jobInputType: 'uri_file', uri: dataUri },
        alpha: { jobInputType: 'literal', value: '0.5' },
        extra: { jobInputType: 'uri_folder', uri: `azureml:${dataAsset}:1`, mode: 'ReadOnlyMount' },
      },
      outputs: { model: { jobOutputType: 'uri_folder', mode: 'ReadWriteMount' } },
    });
    const bodies: Record<string, Json> = {
      [names.ok]: okBody,
      [names.fails]: commandJob('python3 fail.py'),
      [names.slow]: commandJob('python3 slow.py'),
      [names.dist]: commandJob('python3 rank.py', { distribution: { distributionType: 'PyTorch', processCountPerInstance: 2 }, resources: { instanceCount: 1 } }),
      [names.timeout]: commandJob('sleep 30', { limits: { jobLimitsType: 'Command', timeout: 'PT1S' } }),
    };
    for (const [name, body] of Object.entries(bodies)) {
      submissions[name] = await client.arm('PUT', `jobs/${name}`, body);
      assert.equal(submissions[name]!.status, 201, submissions[name]!.text);
    }
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function commandJob(command: string, extra: Json = {}): Json {
    return { properties: { jobType: 'Command', command, codeId, environmentId, computeId: 'cpu-cluster', experimentName: 'emulator-tests', ...extra } };
  }

  async function logOf(jobName: string, logPath: string): Promise<string> {
    const details = await client.runDetails(jobName);
    const url = details.body['logFiles']?.[logPath];
    assert.ok(url, `run ${jobName} has no log file ${logPath}: ${JSON.stringify(Object.keys(details.body['logFiles'] ?? {}))}`);
    const log = await client.fetchThroughProxy(url);
    assert.equal(log.status, 200);
    return log.text;
  }

  describe('a job that succeeds', function () {
    const name = names.ok;
    let submitted: Json;
    let final: Json;
    let seen: string[];

    before(async function () {
      submitted = submissions[name]!.body;
      const again = await client.arm('PUT', `jobs/${name}`, okBody);
      assert.equal(again.status, 200, 'an identical re-PUT answers 200 with the existing job');
      ({ job: final, seen } = await client.waitForJob(name));
    });

    it('answers the PUT with the job resource as the service does', function () {
      assert.equal(submitted['id'], `/${client.workspacePath}/jobs/${name}`);
      assert.equal(submitted['type'], 'Microsoft.MachineLearningServices/workspaces/jobs');
      const p = submitted['properties'];
      assert.equal(p['status'], 'NotStarted');
      assert.equal(p['experimentName'], 'emulator-tests');
      assert.equal(p['computeId'], `/${client.workspacePath}/computes/cpu-cluster`);
      assert.equal(
        p['services']['Studio']['endpoint'],
        `https://ml.azure.com/runs/${name}?wsid=/subscriptions/${emulator.subscriptionId}/resourcegroups/${emulator.resourceGroup}/workspaces/${emulator.workspaceName}&tid=${emulator.tenantId}`,
      );
      assert.match(p['services']['Tracking']['endpoint'], /^azureml:\/\/westeurope\.api\.azureml\.ms\/mlflow\/v1\.0\/subscriptions\//);
      assert.ok(submitted['systemData']['createdAt']);
    });

    it('goes through the service statuses in order and completes', function () {
      const order = ['NotStarted', 'Queued', 'Preparing', 'Running', 'Finalizing', 'Completed'];
      const positions = seen.map((s) => order.indexOf(s));
      assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `statuses out of order: ${seen.join(' -> ')}`);
      assert.equal(final['properties']['status'], 'Completed');
      assert.deepEqual(emulator.inspect.job(name), final, 'inspect.job gives the resource GET answers');
      assert.ok(emulator.inspect.jobNames().includes(name));
    });

    it('records the metrics the script logged through MLflow (inspect and runs/get)', async function () {
      assert.deepEqual(emulator.inspect.metrics(name), { loss: 1 / 3, rows: 3 });
      const run = await client.mlflowGet('runs/get', { run_id: name });
      assert.equal(run.status, 200, run.text);
      assert.equal(run.body['run']['info']['status'], 'FINISHED');
      assert.equal(run.body['run']['info']['run_name'], 'Train ok');
      assert.deepEqual(run.body['run']['data']['params'], [{ key: 'alpha', value: '0.5' }]);
      const tags = Object.fromEntries(run.body['run']['data']['tags'].map((t: Json) => [t['key'], t['value']]));
      assert.equal(tags[tag], 'mlops');
      const history = await client.mlflowGet('metrics/get-history', { run_id: name, metric_key: 'loss' });
      assert.deepEqual(
        history.body['metrics'].map((m: Json) => [m['step'], m['value']]),
        [
          [0, 1],
          [1, 0.5],
          [2, 1 / 3],
        ],
      );
    });

    it('writes stdout and stderr of the script to user_logs/std_log.txt', async function () {
      const log = await logOf(name, 'user_logs/std_log.txt');
      assert.match(log, /read 3 rows from rows\.csv/);
      assert.match(log, /greeting=hello from the job/);
      assert.match(log, /extra files: \['part-0\.csv', 'part-1\.csv'\]/);
      assert.match(log, /training finished/);
    });

    it('uploads the output to the default datastore and records its URI on the job', async function () {
      const uri = final['properties']['outputs']['model']['uri'];
      assert.equal(uri, `azureml://datastores/workspaceblobstore/paths/azureml/${name}/model/`);
      assert.equal(await client.readBlob(`azureml/${name}/model/model.txt`), 'alpha=0.5\n');
      assert.equal(
        final['properties']['outputs']['default']['uri'],
        `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${name}`,
      );
      const artifactStore = (await client.arm('GET', 'datastores/workspaceartifactstore')).body;
      assert.equal(await client.readBlob(`ExperimentRun/dcid.${name}/outputs/summary.txt`, artifactStore['properties']['containerName']), 'trained');
    });

    it('takes its own GET answer back (minus read-only fields) as an update of its tags', async function () {
      const { status: _status, parameters: _parameters, ...properties } = final['properties'];
      const res = await client.arm('PUT', `jobs/${name}`, { properties: { ...properties, tags: { ...properties['tags'], reviewed: 'yes' } } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body['properties']['tags']['reviewed'], 'yes');
      assert.equal(res.body['properties']['status'], 'Completed');
      const run = await client.mlflowGet('runs/get', { run_id: name });
      assert.ok(run.body['run']['data']['tags'].some((t: Json) => t['key'] === 'reviewed' && t['value'] === 'yes'), 'job tags are run tags');
    });

    it('tells a changed definition under an existing name apart from a re-PUT (409)', async function () {
      const changed = await client.arm('PUT', `jobs/${name}`, commandJob('python3 train.py other'));
      assert.equal(changed.status, 409, changed.text);
      assert.equal(changed.body['error']['code'], 'UserError');
    });

    it('answers a cancel of the finished job with a 400', async function () {
      const res = await client.arm('POST', `jobs/${name}/cancel`);
      assert.equal(res.status, 400, res.text);
      assert.match(res.body['error']['message'], /already finished with status Completed/);
    });
  });

  describe('a job whose script fails', function () {
    const name = names.fails;
    let final: Json;

    before(async function () {
      ({ job: final } = await client.waitForJob(name));
    });

    it('ends Failed with the exception in the run error', async function () {
      assert.equal(final['properties']['status'], 'Failed');
      const details = await client.runDetails(name);
      assert.equal(details.body['status'], 'Failed');
      const message: string = details.body['error']['error']['message'];
      assert.equal(details.body['error']['error']['code'], 'UserError');
      assert.match(message, /User process 'python3' exited with status code 1/);
      assert.match(message, /user_logs\/std_log\.txt/);
      assert.match(message, /ValueError: alpha must be positive, got -1/);
      const run = await client.mlflowGet('runs/get', { run_id: name });
      assert.equal(run.body['run']['info']['status'], 'FAILED');
    });

    it('still keeps the log of what the script printed', async function () {
      const log = await logOf(name, 'user_logs/std_log.txt');
      assert.match(log, /checking the parameters/);
      assert.match(log, /Traceback \(most recent call last\)/);
    });
  });

  describe('cancelling a running job', function () {
    const name = names.slow;
    let cancel: { status: number; headers: Record<string, unknown> };
    let pids: number[];
    let final: Json;
    let operationStatus: Json;

    before(async function () {
      await client.waitForJob(name, (s) => s === 'Running');
      // The log streams while the job runs: wait for the line with the process ids.
      pids = [];
      for (let i = 0; i < 400 && pids.length === 0; i++) {
        const details = await client.runDetails(name);
        const url = details.body['logFiles']?.['user_logs/std_log.txt'];
        const match = url ? /pids (\d+) (\d+)/.exec((await client.fetchThroughProxy(url)).text) : null;
        if (match) pids = [Number(match[1]), Number(match[2])];
        else await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(pids.length, 2, 'the running script printed its process ids to the streamed log');
      assert.ok(pids.every(processExists));
      const res2 = await client.arm('POST', `jobs/${name}/cancel`);
      cancel = { status: res2.status, headers: res2.headers };
      const statusUrl = String(res2.headers['azure-asyncoperation']);
      for (let i = 0; i < 400; i++) {
        operationStatus = (await client.request('GET', statusUrl)).body;
        if (operationStatus['status'] !== 'InProgress') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      final = await client.job(name);
    });

    it('answers 202 with Location and Azure-AsyncOperation (no Retry-After unless configured)', function () {
      assert.equal(cancel.status, 202);
      const base = `${emulator.url}subscriptions/${emulator.subscriptionId}/providers/Microsoft.MachineLearningServices/locations/westeurope/`;
      assert.ok(String(cancel.headers['location']).startsWith(`${base}mfeOperationResults/`), String(cancel.headers['location']));
      assert.ok(String(cancel.headers['azure-asyncoperation']).startsWith(`${base}mfeOperationsStatus/`));
      assert.equal(cancel.headers['retry-after'], undefined);
    });

    it('completes the operation once the job is Canceled', async function () {
      assert.equal(operationStatus['status'], 'Succeeded');
      assert.equal(final['properties']['status'], 'Canceled');
      const result = await client.request('GET', String(cancel.headers['location']));
      assert.equal(result.status, 200);
      const run = await client.mlflowGet('runs/get', { run_id: name });
      assert.equal(run.body['run']['info']['status'], 'KILLED');
    });

    it('kills the whole process tree', function () {
      for (const pid of pids) assert.equal(processExists(pid), false, `process ${pid} still runs after the cancel`);
    });
  });

  it('runs a distributed job as one process per rank, each with its own log', async function () {
    const name = names.dist;
    const { job } = await client.waitForJob(name);
    assert.equal(job['properties']['status'], 'Completed');
    const details = await client.runDetails(name);
    assert.deepEqual(Object.keys(details.body['logFiles']).sort(), ['user_logs/std_log_process_0.txt', 'user_logs/std_log_process_1.txt']);
    assert.match(await logOf(name, 'user_logs/std_log_process_0.txt'), /rank=0 world=2 local=0 master=127\.0\.0\.1/);
    assert.match(await logOf(name, 'user_logs/std_log_process_1.txt'), /rank=1 world=2 local=1/);
  });

  it('stops a job that exceeds limits.timeout and fails it', async function () {
    const name = names.timeout;
    const { job } = await client.waitForJob(name);
    assert.equal(job['properties']['status'], 'Failed');
    const details = await client.runDetails(name);
    assert.match(details.body['error']['error']['message'], /limits\.timeout of PT1S/);
  });

  describe('validation at submission (an emulator of its own: these requests are invalid on purpose)', function () {
    let invalid: AzureMlTestClient;
    let env: string;
    let code: string;

    before(async function () {
      invalid = await AzureMlTestClient.connect(await dedicatedEmulator('azureml-invalid-requests'));
      ({ environmentId: env, codeId: code } = await registerScripts(invalid, tmp));
    });

    function job(command: string, extra: Json = {}): Json {
      return { properties: { jobType: 'Command', command, codeId: code, environmentId: env, computeId: 'cpu-cluster', ...extra } };
    }

    it('refuses an unknown compute with a 400 naming it', async function () {
      const res = await invalid.arm('PUT', 'jobs/bad-compute', job('echo hi', { computeId: 'azureml:no-such-cluster' }));
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body['error']['code'], 'UserError');
      assert.match(res.body['error']['message'], /Compute 'no-such-cluster' was not found/);
      assert.equal(invalid.emulator.inspect.job('bad-compute'), undefined, 'nothing is created');
    });

    it('refuses a missing environment version with a 404 naming it', async function () {
      const res = await invalid.arm('PUT', 'jobs/bad-env', job('echo hi', { environmentId: env.replace(/versions\/1$/, 'versions/7') }));
      assert.equal(res.status, 404, res.text);
      assert.equal(res.body['error']['code'], 'UserError');
      assert.match(res.body['error']['message'], /environment python-[0-9a-f]+:7 was not found/);
    });

    it('refuses a missing code version and a missing data asset input', async function () {
      const noCode = await invalid.arm('PUT', 'jobs/bad-code', job('echo hi', { codeId: code.replace(/versions\/1$/, 'versions/9') }));
      assert.equal(noCode.status, 404, noCode.text);
      assert.match(noCode.body['error']['message'], /code scripts-[0-9a-f]+:9 was not found/);
      const noData = await invalid.arm('PUT', 'jobs/bad-data', job('cat ${{inputs.d}}', { inputs: { d: { jobInputType: 'uri_file', uri: 'azureml:nothing:1' } } }));
      assert.equal(noData.status, 404, noData.text);
      assert.match(noData.body['error']['message'], /data nothing:1 was not found/);
    });

    it('refuses bodies that are not a valid job, naming what is wrong', async function () {
      const cases: Array<[unknown, RegExp]> = [
        [{ name: 'no properties' }, /'properties' object/],
        [{ properties: { jobType: 'Command', environmentId: env, computeId: 'cpu-cluster' } }, /command is required/],
        [{ properties: { jobType: 'Command', command: 'echo', computeId: 'cpu-cluster' } }, /environmentId is required/],
        [{ properties: { jobType: 'Spark', command: 'echo' } }, /jobType must be 'Command' or 'Pipeline'/],
        [job('echo ${{inputs.missing}}'), /no input named 'missing'/],
        [job('echo', { inputs: { a: { jobInputType: 'literal' } } }), /inputs\.a\.value is required/],
        [job('echo', { inputs: { a: { jobInputType: 'parquet', uri: 'x' } } }), /jobInputType must be one of/],
        [job('echo', { limits: { jobLimitsType: 'Command', timeout: 'ten minutes' } }), /ISO 8601 duration/],
        [job('echo', { distribution: { distributionType: 'Ray' } }), /distributionType must be PyTorch, Mpi or TensorFlow/],
      ];
      for (const [body, message] of cases) {
        const res = await invalid.arm('PUT', 'jobs/bad-body', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.status} ${res.text}`);
        assert.match(res.body['error']['message'], message);
      }
      const notJson = await invalid.arm('PUT', 'jobs/bad-body', 'this is not json');
      assert.equal(notJson.status, 400);
      assert.equal(invalid.emulator.inspect.job('bad-body'), undefined);
    });

    it('answers an unknown job with a 404', async function () {
      const res = await invalid.arm('GET', 'jobs/never-submitted');
      assert.equal(res.status, 404);
      assert.equal(res.body['error']['code'], 'UserError');
      assert.equal(res.body['error']['message'], 'Job never-submitted not found.');
    });
  });

  // Runs after the describes above (mocha runs a suite's own tests first), so their jobs exist.
  describe('listing', function () {
    it('lists top-level jobs with jobType and tag filters', async function () {
      const names: string[] = [];
      for (let url: string | undefined = 'jobs'; url; ) {
        const res = await client.arm('GET', url);
        assert.equal(res.status, 200, res.text);
        names.push(...res.body['value'].map((j: Json) => j['name']));
        url = res.body['nextLink'] ? `/${String(res.body['nextLink']).slice(emulator.url.length)}` : undefined;
      }
      assert.ok(names.some((n) => n.startsWith('train-ok-')) && names.some((n) => n.startsWith('train-fails-')), names.join(','));
      const tagged = await client.arm('GET', `jobs?tag=${tag}`);
      assert.equal(tagged.body['value'].length, 1);
      assert.match(tagged.body['value'][0]['name'], /^train-ok-/);
      const commands = await client.arm('GET', 'jobs?jobType=Command');
      assert.ok(commands.body['value'].every((j: Json) => j['properties']['jobType'] === 'Command'));
    });
  });
});

/** The environment and code version (the test scripts) the jobs run with. */
async function registerScripts(client: AzureMlTestClient, tmp: string): Promise<{ environmentId: string; codeId: string }> {
  const env = await client.arm('PUT', `environments/${unique('python')}/versions/1`, { properties: { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' } });
  assert.equal(env.status, 201, env.text);
  const src = writeFolder(path.join(tmp, 'src'), { 'train.py': TRAIN_PY, 'fail.py': FAIL_PY, 'slow.py': SLOW_PY, 'rank.py': RANK_PY });
  const prefix = unique('LocalUpload/a2');
  const codeUri = await client.uploadFolder(src, `${prefix}/src`);
  const code = await client.arm('PUT', `codes/${unique('scripts')}/versions/1`, { properties: { codeUri } });
  assert.equal(code.status, 201, code.text);
  return { environmentId: String(env.body['id']), codeId: String(code.body['id']) };
}
