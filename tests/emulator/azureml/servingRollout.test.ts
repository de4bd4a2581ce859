import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient, processExists, unique } from './support';
import {
  DIABETES_SCORE_PY,
  SAMPLE_REQUEST,
  ScoringClient,
  deploymentBody,
  diabetesAssets,
  endpointBody,
  operationResult,
  registerCode,
  scoringTarget,
  succeeds,
  uploadedDiabetesAssets,
  type ServingAssets,
} from './servingFixture';

/** The diabetes script, telling its version and sleeping when a request asks it to ({"data": ..., "sleep": s}). */
function versioned(version: string, initRaises = false): string {
  return (
    `${DIABETES_SCORE_PY}\n\nimport json as _json, time as _time\n_run = run\n_init = init\n\n` +
    `def init():\n    ${initRaises ? 'raise ImportError("No module named \'sklearn\'")' : '_init()'}\n\n` +
    `def run(raw_data):\n    _time.sleep(_json.loads(raw_data).get("sleep", 0))\n    answer = _run(raw_data)\n    answer["version"] = "${version}"\n    return answer\n`
  );
}

/** Scoring requests sent back to back by `workers` clients until stopped, as a user's traffic during a rollout. */
class RequestLoop {
  readonly answers: Array<{ status: number; deployment: string; version: string | undefined; text: string }> = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(scoring: ScoringClient, target: { scoringUri: string; primaryKey: string }, workers = 4, maxRequests = 2_000) {
    const worker = async (): Promise<void> => {
      while (this.running && this.answers.length < maxRequests) {
        const answer = await scoring.score(target.scoringUri, target.primaryKey);
        let version: string | undefined;
        try {
          version = answer.json<{ version?: string }>().version;
        } catch {
          version = undefined;
        }
        this.answers.push({ status: answer.status, deployment: String(answer.headers['azureml-model-deployment']), version, text: answer.text.slice(0, 200) });
      }
    };
    this.done = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  failures(): string[] {
    return this.answers.filter((a) => a.status !== 200).map((a) => `${a.status} from ${a.deployment}: ${a.text}`);
  }

  /** Requests answered so far; waits until `count` more have been. */
  async flowing(count = 10): Promise<void> {
    const target = this.answers.length + count;
    for (let i = 0; i < 1_000 && this.answers.length < target; i++) await new Promise((r) => setTimeout(r, 5));
  }
}

describe('emulator Azure ML: safe rollout of online deployments while requests flow', function () {
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

  async function liveEndpoint(): Promise<{ ep: string; target: { scoringUri: string; primaryKey: string } }> {
    const ep = unique('rollout-ep');
    endpoints.push(ep);
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody());
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, await registerCode(client, { 'score.py': versioned('blue-1') })));
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 } }));
    return { ep, target: await scoringTarget(client, ep) };
  }

  it('moves traffic 0 -> 10 -> 50 -> 100 % to green and deletes blue without a failed request', async function () {
    const { ep, target } = await liveEndpoint();
    const loop = new RequestLoop(scoring, target);
    try {
      await loop.flowing();
      await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/green`, deploymentBody(assets, await registerCode(client, { 'score.py': versioned('green-1') })));
      const smoke = await scoring.score(target.scoringUri, target.primaryKey, SAMPLE_REQUEST, { 'azureml-model-deployment': 'green' });
      assert.equal(smoke.json()['version'], 'green-1', 'green answers before it takes live traffic');
      for (const green of [10, 50, 100]) {
        await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 100 - green, green } }));
        await loop.flowing();
      }
      const bluePids = emulator.inspect.inferenceServerPids(ep)['blue'] ?? [];
      assert.equal(bluePids.length, 1);
      await succeeds(client, 'DELETE', `onlineEndpoints/${ep}/deployments/blue`);
      assert.ok(bluePids.every((pid) => !processExists(pid)), 'blue\'s inference server stopped with the deployment');
      await loop.flowing();
    } finally {
      await loop.stop();
    }
    assert.deepEqual(loop.failures(), [], 'no request failed');
    const byDeployment = (name: string): number => loop.answers.filter((a) => a.deployment === name).length;
    assert.ok(byDeployment('blue') > 10 && byDeployment('green') > 10, `both served (blue ${byDeployment('blue')}, green ${byDeployment('green')})`);
    assert.ok(loop.answers.every((a) => a.version === `${a.deployment}-1`), 'each answer comes from the deployment that says it answered');
    assert.equal(loop.answers[loop.answers.length - 1]!.deployment, 'green');
  });

  it('lets a request in flight finish when its deployment loses its traffic and is deleted', async function () {
    const { ep, target } = await liveEndpoint();
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/green`, deploymentBody(assets, await registerCode(client, { 'score.py': versioned('green-1') })));
    const slowBody = JSON.stringify({ ...JSON.parse(SAMPLE_REQUEST), sleep: 0.8 });
    let answeredAt = 0;
    const slow = scoring.score(target.scoringUri, target.primaryKey, slowBody).then((answer) => {
      answeredAt = Date.now();
      return answer;
    });
    // The request has reached blue's inference server when its run() is running.
    for (let i = 0; i < 200 && (emulator.inspect.scoringRequests(ep)['blue']?.routed ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await succeeds(client, 'PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 0, green: 100 } }));
    const deletion = await client.arm('DELETE', `onlineEndpoints/${ep}/deployments/blue`);
    assert.equal(deletion.status, 202, deletion.text);
    const status = await operationResult(client, deletion);
    const deletedAt = Date.now();
    const answer = await slow;
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json()['version'], 'blue-1');
    assert.ok(answeredAt <= deletedAt, 'the deletion waited for the request in flight');
    assert.equal(status['status'], 'Succeeded');
    assert.deepEqual(Object.keys(emulator.inspect.inferenceServerPids(ep)), ['green']);
  });

  it('updates a deployment in place (rolling) without a failed request, then answers with the new version', async function () {
    const { ep, target } = await liveEndpoint();
    const before = emulator.inspect.inferenceServerPids(ep)['blue']!;
    const loop = new RequestLoop(scoring, target);
    try {
      await loop.flowing();
      await succeeds(client, 'PUT', `onlineEndpoints/${ep}/deployments/blue`, deploymentBody(assets, await registerCode(client, { 'score.py': versioned('blue-2') }), {}, 2));
      await loop.flowing();
    } finally {
      await loop.stop();
    }
    assert.deepEqual(loop.failures(), []);
    assert.equal(loop.answers[loop.answers.length - 1]!.version, 'blue-2');
    const after = emulator.inspect.inferenceServerPids(ep)['blue']!;
    assert.equal(after.length, 2, 'one inference server per instance');
    assert.ok(before.every((pid) => !after.includes(pid) && !processExists(pid)), 'the previous version\'s server stopped');
  });

  it('keeps the traffic split and every request answered when a new deployment fails to start', async function () {
    const { ep, target } = await liveEndpoint();
    const loop = new RequestLoop(scoring, target);
    try {
      await loop.flowing();
      const started = await client.arm('PUT', `onlineEndpoints/${ep}/deployments/green`, deploymentBody(assets, await registerCode(client, { 'score.py': versioned('green-1', true) })));
      assert.equal((await operationResult(client, started))['status'], 'Failed');
      const moved = await client.arm('PUT', `onlineEndpoints/${ep}`, endpointBody({ traffic: { blue: 90, green: 10 } }));
      assert.equal(moved.status, 400, 'no traffic moves to a Failed deployment');
      await succeeds(client, 'DELETE', `onlineEndpoints/${ep}/deployments/green`);
      await loop.flowing();
    } finally {
      await loop.stop();
    }
    assert.deepEqual(loop.failures(), []);
    assert.deepEqual((emulator.inspect.onlineEndpoint(ep)!['properties'] as { traffic: unknown }).traffic, { blue: 100 });
    assert.ok(loop.answers.every((a) => a.deployment === 'blue'));
  });

  it('stops the inference servers with their endpoint, and with the emulator', async function () {
    const { ep } = await liveEndpoint();
    const pids = Object.values(emulator.inspect.inferenceServerPids(ep)).flat();
    assert.equal(pids.length, 1);
    await succeeds(client, 'DELETE', `onlineEndpoints/${ep}`);
    assert.ok(pids.every((pid) => !processExists(pid)), 'the endpoint\'s servers stopped');

    const own = await startEmulator();
    let ownPids: number[] = [];
    try {
      const ownClient = await AzureMlTestClient.connect(own);
      const ownAssets = await uploadedDiabetesAssets(ownClient, assets.model);
      const ownEp = unique('stopping-ep');
      await succeeds(ownClient, 'PUT', `onlineEndpoints/${ownEp}`, endpointBody());
      await succeeds(ownClient, 'PUT', `onlineEndpoints/${ownEp}/deployments/blue`, deploymentBody(ownAssets, await registerCode(ownClient, { 'score.py': DIABETES_SCORE_PY }), {}, 2));
      ownPids = Object.values(own.inspect.inferenceServerPids(ownEp)).flat();
      assert.equal(ownPids.length, 2);
      assert.ok(ownPids.every(processExists));
    } finally {
      await own.stop();
    }
    assert.ok(ownPids.every((pid) => !processExists(pid)), 'no inference server outlives the emulator');
  });

  it('leaves no inference server behind when the emulator\'s process dies without stopping it', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serving-orphan-'));
    try {
      fs.writeFileSync(path.join(dir, 'score.py'), 'def init():\n    pass\n\ndef run(raw_data):\n    return raw_data\n');
      // A process that starts an inference server as the runtime does, reports its pid, then is killed outright.
      const script = `
        const { InferenceServerProcess, pythonExecutable } = require(${JSON.stringify(require.resolve('@azureml-mlops/emulator/dist/azureml/serving/inferenceServer'))});
        pythonExecutable().then(async (python) => {
          const server = new InferenceServerProcess({ python, cwd: ${JSON.stringify(dir)}, env: { PATH: process.env.PATH, AML_APP_ROOT: ${JSON.stringify(dir)}, AZUREML_ENTRY_SCRIPT: 'score.py' }, onLine: () => undefined });
          await server.ready;
          process.stdout.write(server.pid + '\\n');
        });`;
      const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const pid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
        parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before its server was ready`)));
      });
      assert.ok(processExists(pid));
      parent.kill('SIGKILL');
      for (let i = 0; i < 400 && processExists(pid); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(processExists(pid), false, 'the inference server exited with its parent');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
