/**
 * AzureMLTrain L0: the task's tsc output under azure-pipelines-task-lib's MockTestRunner, offline. The workspace
 * (ARM + datastore) and the wait are faked (support/trainRunner.ts); inputs, YAML planning, preflight checks, uploads,
 * submission, outputs and the summary are the real code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { type L0Result, DEFAULT_INPUTS, REPOSITORY_ROOT, runScenario, SAMPLE_JOB, writes } from './support/runScenario';
import { CONNECTION_ID, FAKE } from './support/scenario';

const LINEAGE_VARIABLES = {
  'Build.BuildId': '777',
  'Build.SourceVersion': '0123456789abcdef0123456789abcdef01234567',
  'Build.SourceBranch': 'refs/heads/main',
  'Build.Repository.Uri': 'https://someone@dev.azure.com/org/project/_git/models',
  'System.CollectionUri': 'https://dev.azure.com/org/',
  'System.TeamProject': 'project',
} as const;

function jobPut(result: L0Result): { path: string; body: { properties: Record<string, unknown> } } | undefined {
  const call = writes(result.record).find((c) => /^jobs\/[^/]+$/.test(c.path) && c.method === 'PUT');
  return call as { path: string; body: { properties: Record<string, unknown> } } | undefined;
}

/** 1-based line of the first line of a repository file matching `pattern`. */
function lineOf(file: string, pattern: RegExp): number {
  const index = fs.readFileSync(path.join(REPOSITORY_ROOT, file), 'utf8').split(/\r?\n/).findIndex((text) => pattern.test(text));
  assert.ok(index >= 0, `${file} has no line matching ${pattern}`);
  return index + 1;
}

function assertFailedWithOneError(result: L0Result, pattern: RegExp): void {
  assert.equal(result.succeeded, false, 'the task should fail');
  assert.equal(result.errors.length, 1, `one error expected, got: ${JSON.stringify(result.errors)}`);
  assert.match(result.errors[0]!, pattern);
  assert.doesNotMatch(`${result.stdout}\n${result.stderr}`, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
}

describe('AzureMLTrain L0 (mock runner, tsc output)', function () {
  this.timeout(60_000);

  describe('a command job that completes', function () {
    let result: L0Result;

    before(async function () {
      result = await runScenario({
        inputs: { ...DEFAULT_INPUTS, timeoutMinutes: '30', streamLogs: 'false', tags: 'team=vision\nstage=ci' },
        variables: LINEAGE_VARIABLES,
        results: { metrics: { mse: 3353.8, r2: 0.4528, 'val.loss@1': 0.25 }, outputs: { model: 'azureml://datastores/workspaceblobstore/paths/azureml/x/model/' } },
      });
    });

    it('succeeds and sets JobName, StudioUrl and the final JobStatus', function () {
      assert.equal(result.succeeded, true, result.stdout);
      assert.match(result.outputs['JobName'] ?? '', /^diabetes-ridge_[a-z0-9]{10}$/);
      assert.equal(result.outputs['JobStatus'], 'Completed');
      assert.match(result.outputs['StudioUrl'] ?? '', new RegExp(`^https://ml\\.azure\\.com/runs/${result.outputs['JobName']}\\?`));
    });

    it('sets Metrics and Outputs as JSON and one variable per metric and output, names sanitised', function () {
      assert.deepEqual(JSON.parse(result.outputs['Metrics']!), { mse: 3353.8, r2: 0.4528, 'val.loss@1': 0.25 });
      assert.equal(result.outputs['Metric_mse'], '3353.8');
      assert.equal(result.outputs['Metric_r2'], '0.4528');
      assert.equal(result.outputs['Metric_val_loss_1'], '0.25');
      assert.equal(result.outputs['Output_model'], 'azureml://datastores/workspaceblobstore/paths/azureml/x/model/');
      assert.deepEqual(Object.keys(JSON.parse(result.outputs['Outputs']!)), ['model']);
    });

    it('uploads the data and the code, registers code and environment, then PUTs the job with tags and lineage', function () {
      const paths = writes(result.record).map((c) => `${c.method} ${c.path.replace(/\/[0-9a-f-]{36}\//, '/<id>/')}`);
      assert.deepEqual(paths.slice(0, 2), ['PUT codes/<id>/versions/1', `PUT environments/CliV2AnonymousEnvironment/versions/${paths[1]!.split('/').pop()}`]);
      assert.match(paths[2]!, /^PUT jobs\/diabetes-ridge_/);
      assert.ok(result.record.blobs.some((b) => /^LocalUpload\/[0-9a-f]{64}\/src\/train\.py$/.test(b)), result.record.blobs.join('\n'));
      assert.ok(result.record.blobs.some((b) => /^LocalUpload\/[0-9a-f]{64}\/diabetes\.csv$/.test(b)));
      const job = jobPut(result)!.body.properties;
      const tags = job['tags'] as Record<string, string>;
      assert.equal(tags['team'], 'vision');
      assert.equal(tags['model'], 'diabetes-ridge', 'the YAML tags stay');
      assert.equal(tags['azure-pipelines.build-id'], '777');
      assert.equal(tags['azure-pipelines.source-version'], LINEAGE_VARIABLES['Build.SourceVersion']);
      assert.equal(tags['azure-pipelines.repository-uri'], 'https://dev.azure.com/org/project/_git/models', 'user info removed');
      assert.equal(tags['azure-pipelines.build-url'], 'https://dev.azure.com/org/project/_build/results?buildId=777');
      assert.match(String(job['codeId']), /\/codes\/[0-9a-f-]{36}\/versions\/1$/);
      const diabetes = (job['inputs'] as Record<string, { uri: string }>)['diabetes']!;
      assert.match(diabetes.uri, /^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[0-9a-f]{64}\/diabetes\.csv$/);
    });

    it('checks the compute before creating anything', function () {
      const firstWrite = result.record.calls.findIndex((c) => c.method !== 'GET');
      const computeRead = result.record.calls.findIndex((c) => c.method === 'GET' && c.path === 'computes/cpu-cluster');
      assert.ok(computeRead >= 0 && computeRead < firstWrite);
    });

    it('passes the wait inputs to waitForJob', function () {
      assert.deepEqual(result.record.waits, [
        { jobName: result.outputs['JobName'], options: { timeoutMinutes: 30, streamLogs: false, cancelOnPipelineCancel: true } },
      ]);
    });

    it('publishes a summary with the job, status, duration, metrics and the studio link', function () {
      assert.equal(result.summaries.length, 1);
      const summary = result.summaries[0]!;
      assert.match(summary, /\| Status \| Completed \|/);
      assert.match(summary, /\| Duration \| 3 min 25 s \|/);
      assert.match(summary, /\| mse \| 3353\.8 \|/);
      assert.match(summary, /\[Open the job in Azure ML studio\]\(https:\/\/ml\.azure\.com\/runs\//);
    });
  });

  describe('jobFile and jobName', function () {
    it('refuses both at once, before any Azure call', async function () {
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, jobName: 'existing-job' } });
      assertFailedWithOneError(result, /^Input 'jobName': both 'jobFile' and 'jobName' are set/);
      assert.deepEqual(result.record.calls, []);
    });

    it('needs one of them; an empty jobFile (the agent passes the sources folder) counts as not set', async function () {
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, jobFile: REPOSITORY_ROOT } });
      assertFailedWithOneError(result, /^Input 'jobFile': a value is required\. Set 'jobFile' to the job YAML to submit .* or 'jobName' to re-attach/);
      assert.deepEqual(result.record.calls, []);
    });

    it('re-attaches to the job named by jobName (the jobFile left empty) and waits for it', async function () {
      const result = await runScenario({
        inputs: { ...DEFAULT_INPUTS, jobFile: REPOSITORY_ROOT, jobName: 'nightly-train-42' },
        resources: { 'jobs/nightly-train-42': { name: 'nightly-train-42', properties: { jobType: 'Command', status: 'Running', experimentName: 'nightly' } } },
        results: { metrics: { accuracy: 0.91 }, outputs: {} },
      });
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(writes(result.record), [], 'nothing submitted');
      assert.equal(result.outputs['JobName'], 'nightly-train-42');
      assert.equal(result.outputs['Metric_accuracy'], '0.91');
      assert.equal(result.record.waits[0]?.jobName, 'nightly-train-42');
      assert.match(result.stdout, /Re-attached to the Azure ML job 'nightly-train-42' \(status Running\)/);
    });

    it('fails clearly when the jobName job does not exist', async function () {
      const result = await runScenario({ inputs: { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName, jobName: 'no-such-job' } });
      assertFailedWithOneError(result, /^Input 'jobName': the job 'no-such-job' was not found in the Azure ML workspace 'ws-l0'/);
      assert.equal(result.record.waits.length, 0);
    });

    it('refuses submission inputs (overrides) together with jobName', async function () {
      const result = await runScenario({ inputs: { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName, jobName: 'a-job', overrides: 'inputs.alpha=1' } });
      assertFailedWithOneError(result, /^Input 'overrides': applies only when submitting a job from 'jobFile'/);
    });
  });

  describe('how the job ends decides the result', function () {
    it('a failed job fails the task with the service error text, and its outputs are still set', async function () {
      const result = await runScenario({ outcome: { status: 'Failed', failureMessage: "Execution failed. User process 'python' exited with code 2. Error: --alpha must be >= 0" } });
      assertFailedWithOneError(result, /^The Azure ML job 'diabetes-ridge_[a-z0-9]+' failed: Execution failed\. User process 'python' exited with code 2\. Error: --alpha must be >= 0\. Logs and details: https:\/\/ml\.azure\.com\/runs\//);
      assert.equal(result.outputs['JobStatus'], 'Failed');
      assert.ok(result.outputs['JobName']);
      assert.match(result.summaries[0] ?? '', /\| Status \| Failed \|/);
    });

    it('a canceled job is never a success', async function () {
      const result = await runScenario({ outcome: { status: 'Canceled' } });
      assertFailedWithOneError(result, /was canceled; a canceled job is not a success/);
      assert.equal(result.outputs['JobStatus'], 'Canceled');
    });

    it('any other terminal status fails too', async function () {
      const result = await runScenario({ outcome: { status: 'NotResponding', failureMessage: 'The compute stopped answering' } });
      assertFailedWithOneError(result, /ended with status NotResponding: The compute stopped answering; only Completed is a success/);
    });

    it('a job cancelled by the timeout fails the task and names timeoutMinutes', async function () {
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, timeoutMinutes: '5' }, outcome: { status: 'Canceled', timedOut: true } });
      assertFailedWithOneError(result, /did not finish within 5 minutes \(timeoutMinutes\): the task cancelled it \(status Canceled\)/);
    });

    it('with wait false, ends after submission with the submission status', async function () {
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, wait: 'false' } });
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.record.waits.length, 0);
      assert.equal(result.outputs['JobStatus'], 'NotStarted');
      assert.equal(result.outputs['Metrics'], undefined);
      assert.match(result.summaries[0] ?? '', /NotStarted \(the task did not wait for it to finish\)/);
    });
  });

  describe('checks before anything is created', function () {
    it('an unknown compute: one error with the YAML line and the computes that exist; nothing uploaded or created', async function () {
      const result = await runScenario({ computes: ['gpu-cluster', 'big-cpu'] });
      const line = lineOf(SAMPLE_JOB, /^compute:/);
      assertFailedWithOneError(
        result,
        new RegExp(`^Input 'jobFile': samples/diabetes/train-job\\.yml: compute \\(line ${line}\\) names the compute 'cpu-cluster', which does not exist in the Azure ML workspace 'ws-l0'\\. Computes in the workspace: big-cpu, gpu-cluster\\.`),
      );
      assert.deepEqual(writes(result.record), []);
      assert.deepEqual(result.record.blobs, []);
    });

    it('a compute set by an override is reported at the override line', async function () {
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, overrides: '# the big one\ncompute=azureml:huge-cluster' } });
      assertFailedWithOneError(result, /^Input 'overrides': line 2: compute names the compute 'huge-cluster', which does not exist/);
    });

    it('overrides change the submitted job', async function () {
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, overrides: 'inputs.alpha=0.9\ncompute=azureml:gpu-cluster', experimentName: 'exp-from-input', displayName: 'Nightly' } });
      assert.equal(result.succeeded, true, result.stdout);
      const job = jobPut(result)!.body.properties;
      assert.deepEqual((job['inputs'] as Record<string, unknown>)['alpha'], { jobInputType: 'literal', value: '0.9' });
      assert.match(String(job['computeId']), /\/computes\/gpu-cluster$/);
      assert.equal(job['experimentName'], 'exp-from-input');
      assert.equal(job['displayName'], 'Nightly');
      assert.match(result.outputs['JobName'] ?? '', /^exp-from-input_/);
    });
  });

  describe('environments', function () {
    let folder: string;
    let yaml: (environment: string) => string;

    before(function () {
      folder = fs.mkdtempSync(path.join(os.tmpdir(), 'train-l0-env-'));
      fs.cpSync(path.join(REPOSITORY_ROOT, 'samples/diabetes'), folder, { recursive: true });
      const sample = fs.readFileSync(path.join(folder, 'train-job.yml'), 'utf8');
      yaml = (environment) => {
        const file = path.join(folder, `job-${Math.random().toString(36).slice(2)}.yml`);
        fs.writeFileSync(file, sample.replace(/^environment:\n(?: {2}.*\n)+/m, environment));
        return file;
      };
    });

    after(function () {
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('resolves @latest to the latest registered version', async function () {
      const jobFile = yaml('environment: azureml:diabetes-env@latest\n');
      const result = await runScenario({ inputs: { ...DEFAULT_INPUTS, jobFile }, resources: { 'environments/diabetes-env': { name: 'diabetes-env', properties: { latestVersion: '3' } } } });
      assert.equal(result.succeeded, true, result.stdout);
      assert.match(String(jobPut(result)!.body.properties['environmentId']), /\/environments\/diabetes-env\/versions\/3$/);
    });

    it('reuses a named inline environment registered with the same definition; another definition is an error', async function () {
      const image = 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest';
      const jobFile = yaml(`environment:\n  name: diabetes-train\n  version: "2"\n  image: ${image}\n`);
      const same = await runScenario({ inputs: { ...DEFAULT_INPUTS, jobFile }, resources: { 'environments/diabetes-train/versions/2': { name: '2', properties: { image } } } });
      assert.equal(same.succeeded, true, same.stdout);
      assert.ok(!writes(same.record).some((call) => call.path.startsWith('environments/')), 'not registered again');

      const other = await runScenario({ inputs: { ...DEFAULT_INPUTS, jobFile }, resources: { 'environments/diabetes-train/versions/2': { name: '2', properties: { image: 'python:3.11' } } } });
      assertFailedWithOneError(
        other,
        /^Input 'jobFile': .*: environment \(line \d+\) defines the environment 'diabetes-train' version '2', which is already registered in the workspace with another definition \(image python:3\.11\)/,
      );
      assert.deepEqual(writes(other.record), []);
      assert.deepEqual(other.record.blobs, []);
    });
  });

  describe('a YAML that names the job', function () {
    const yamlName = 'diabetes-fixed-name-1';

    it('submits it under that name with its definition hash, and a re-run with the same definition attaches to it', async function () {
      const first = await runScenario({ inputs: { ...DEFAULT_INPUTS, overrides: `name=${yamlName}` } });
      assert.equal(first.succeeded, true, first.stdout);
      const put = jobPut(first)!;
      assert.equal(put.path, `jobs/${yamlName}`);
      const properties = put.body.properties['properties'] as Record<string, string>;
      assert.match(properties['azureml-mlops.definition-hash'] ?? '', /^[0-9a-f]{64}$/);

      const existing = { name: yamlName, properties: { ...put.body.properties, status: 'Completed' } };
      const again = await runScenario({ inputs: { ...DEFAULT_INPUTS, overrides: `name=${yamlName}` }, resources: { [`jobs/${yamlName}`]: existing } });
      assert.equal(again.succeeded, true, again.stdout);
      assert.deepEqual(writes(again.record), [], 'nothing registered or submitted again');
      assert.match(again.stdout, /already exists with the same definition \(status Completed\): attaching to it/);
      assert.equal(again.outputs['JobName'], yamlName);

      const changed = await runScenario({ inputs: { ...DEFAULT_INPUTS, overrides: `name=${yamlName}\ninputs.alpha=0.1` }, resources: { [`jobs/${yamlName}`]: existing } });
      assertFailedWithOneError(changed, new RegExp(`^Input 'overrides': line 1: name is '${yamlName}', but the Azure ML workspace 'ws-l0' already has a job with that name \\(status Completed\\) and another definition`));
      assert.deepEqual(writes(changed.record), []);
      assert.deepEqual(changed.record.blobs, []);
    });
  });

  describe('workspace from the connection', function () {
    it('uses the workspace of a connection scoped to it when resourceGroup and workspace are empty', async function () {
      const result = await runScenario({ connectionScope: 'workspace', inputs: { azureSubscription: CONNECTION_ID, jobFile: SAMPLE_JOB, wait: 'false' } });
      assert.equal(result.succeeded, true, result.stdout);
      assert.ok(jobPut(result));
    });

    it('refuses another workspace than the one the connection is scoped to', async function () {
      const result = await runScenario({ connectionScope: 'workspace', inputs: { ...DEFAULT_INPUTS, workspace: 'other-ws' } });
      assertFailedWithOneError(result, /^Input 'workspace': is 'other-ws', but the service connection 'l0-conn' is scoped to the Azure ML workspace 'ws-l0'/);
    });

    it('needs resourceGroup with a subscription-scoped connection', async function () {
      const result = await runScenario({ inputs: { azureSubscription: CONNECTION_ID, workspace: FAKE.workspaceName, jobFile: SAMPLE_JOB } });
      assertFailedWithOneError(result, /^Input 'resourceGroup': a value is required\. Set 'resourceGroup', or use a service connection scoped to the Azure ML workspace/);
    });
  });
});
