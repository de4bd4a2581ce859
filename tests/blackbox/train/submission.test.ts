/**
 * AzureMLTrain black-box: what a submission does on the Azure side. The bundled task, run by the local agent against
 * the shared emulator, trains the diabetes sample (and a two-step pipeline over it) for real.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { copySample, datastoreSnapshot, logOf, repositoryPath, runTrainTask, SAMPLE_JOB, type TrainTaskResult } from '../support/trainTask';

const PIPELINE_JOB = repositoryPath('tests/blackbox/train/fixtures/diabetes-pipeline.yml');

interface JobView {
  readonly properties: {
    readonly status: string;
    readonly jobType: string;
    readonly experimentName: string;
    readonly displayName: string;
    readonly tags: Record<string, string>;
    readonly properties: Record<string, string>;
    readonly inputs: Record<string, { readonly value?: string; readonly uri?: string }>;
    readonly jobs?: Record<string, unknown>;
  };
}

function jobOf(emulator: Emulator, result: TrainTaskResult): JobView {
  const name = result.outputs['JobName'];
  assert.ok(name, `no JobName output\n${logOf(result)}`);
  const job = emulator.inspect.job(name) as JobView | undefined;
  assert.ok(job, `the emulator has no job ${name}`);
  return job;
}

function assertSucceeded(result: TrainTaskResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
}

describe('AzureMLTrain black-box: submission', function () {
  this.timeout(120_000);
  let emulator: Emulator;
  let scratch: string;

  before(async function () {
    emulator = await sharedEmulator();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'train-submission-'));
  });

  after(function () {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe('the diabetes sample, with lineage variables, tags and overrides', function () {
    const variables = {
      'Build.BuildId': '9150',
      'Build.BuildNumber': '20250101.3',
      'Build.DefinitionName': 'diabetes-ci',
      'Build.SourceVersion': 'c0ffee0123456789c0ffee0123456789c0ffee01',
      'Build.SourceBranch': 'refs/heads/release/1.2',
      'Build.Repository.Name': 'diabetes-models',
      'Build.Repository.Uri': 'https://builder@dev.azure.com/mlops-org/MLOps/_git/diabetes-models',
      'System.StageName': 'Train',
      'System.JobDisplayName': 'Train the model',
    };
    let plain: TrainTaskResult;
    let overridden: TrainTaskResult;

    before(async function () {
      [plain, overridden] = await Promise.all([
        runTrainTask({ emulator, variables, inputs: { jobFile: SAMPLE_JOB, tags: 'owner=data-science\nmodel=overridden-by-input' } }),
        runTrainTask({
          emulator,
          inputs: { jobFile: SAMPLE_JOB, overrides: 'inputs.alpha=0.9\ndisplay_name=Diabetes alpha 0.9', experimentName: 'diabetes-tuning' },
        }),
      ]);
    });

    it('sets the metrics the training run computed as outputs (mse, r2)', function () {
      assertSucceeded(plain);
      const metrics = emulator.inspect.metrics(plain.outputs['JobName']!);
      assert.ok(metrics['mse']! > 0 && metrics['r2']! > 0 && metrics['r2']! < 1, JSON.stringify(metrics));
      assert.equal(Number(plain.outputs['Metric_mse']), metrics['mse']);
      assert.equal(Number(plain.outputs['Metric_r2']), metrics['r2']);
      assert.deepEqual(JSON.parse(plain.outputs['Metrics']!), { mse: metrics['mse'], r2: metrics['r2'] });
      assert.match(logOf(plain), /Ridge regression, alpha=0\.5: mse=\d+\.\d+ r2=0\.\d+/);
    });

    it('tags the job with the pipeline lineage, next to the YAML and input tags', function () {
      const tags = jobOf(emulator, plain).properties.tags;
      assert.equal(tags['azure-pipelines.build-id'], '9150');
      assert.equal(tags['azure-pipelines.build-number'], '20250101.3');
      assert.equal(tags['azure-pipelines.pipeline-name'], 'diabetes-ci');
      assert.equal(tags['azure-pipelines.source-version'], variables['Build.SourceVersion']);
      assert.equal(tags['azure-pipelines.source-branch'], 'refs/heads/release/1.2');
      assert.equal(tags['azure-pipelines.repository-name'], 'diabetes-models');
      assert.equal(tags['azure-pipelines.repository-uri'], 'https://dev.azure.com/mlops-org/MLOps/_git/diabetes-models');
      assert.equal(tags['azure-pipelines.stage'], 'Train');
      assert.equal(tags['azure-pipelines.job'], 'Train the model');
      assert.match(tags['azure-pipelines.build-url'] ?? '', /_build\/results\?buildId=9150$/);
      assert.equal(tags['owner'], 'data-science');
      assert.equal(tags['model'], 'overridden-by-input', 'the tags input wins over the YAML');
    });

    it('overrides change the job: the training run sees the new alpha', function () {
      assertSucceeded(overridden);
      const job = jobOf(emulator, overridden).properties;
      assert.equal(job.inputs['alpha']?.value, '0.9');
      assert.equal(job.displayName, 'Diabetes alpha 0.9');
      assert.equal(job.experimentName, 'diabetes-tuning');
      assert.match(logOf(overridden), /Ridge regression, alpha=0\.9:/);
      assert.notEqual(overridden.outputs['Metric_mse'], plain.outputs['Metric_mse']);
    });
  });

  describe('uploads by content', function () {
    it('uploads changed code once; a second run with unchanged code and data uploads nothing', async function () {
      // A copy with a file of its own: content no earlier test uploaded.
      const jobFile = copySample(path.join(scratch, 'upload-once'));
      fs.writeFileSync(path.join(path.dirname(jobFile), 'src', 'version.txt'), `uploads-${Date.now()}-${process.pid}\n`);

      const before = await datastoreSnapshot(emulator, 'LocalUpload/');
      const first = await runTrainTask({ emulator, inputs: { jobFile } });
      assertSucceeded(first);
      const afterFirst = await datastoreSnapshot(emulator, 'LocalUpload/');
      const added = afterFirst.filter((blob) => !before.includes(blob)).map((blob) => blob.split('@')[0]);
      assert.ok(added.some((name) => /^LocalUpload\/[0-9a-f]{64}\/src\/version\.txt$/.test(name!)), added.join('\n'));

      const second = await runTrainTask({ emulator, inputs: { jobFile } });
      assertSucceeded(second);
      assert.deepEqual(await datastoreSnapshot(emulator, 'LocalUpload/'), afterFirst, 'the second run uploaded nothing');
      assert.match(logOf(second), /^code: src is unchanged \(3 files, [^)]*\), already uploaded to workspaceblobstore\/LocalUpload\/[0-9a-f]{64}\/src: nothing uploaded\.$/m);
      assert.match(logOf(second), /^inputs\.diabetes: diabetes\.csv is unchanged/m);
      assert.notEqual(second.outputs['JobName'], first.outputs['JobName'], 'still a new job');
    });
  });

  describe('a two-step pipeline job', function () {
    let result: TrainTaskResult;

    before(async function () {
      result = await runTrainTask({ emulator, inputs: { jobFile: PIPELINE_JOB } });
    });

    it('completes, each step having run', function () {
      assertSucceeded(result);
      const job = jobOf(emulator, result).properties;
      assert.equal(job.jobType, 'Pipeline');
      assert.deepEqual(Object.keys(job.jobs ?? {}).sort(), ['check', 'train']);
      assert.match(logOf(result), /\[check\] checked model with keys \['alpha', 'features', 'intercept', 'means', 'stds', 'weights'\]/);
    });

    it("reports the train step's metrics and the pipeline's output", function () {
      assert.ok(Number(result.outputs['Metric_train_mse']) > 0, JSON.stringify(result.outputs));
      assert.ok(Number(result.outputs['Metric_train_r2']) > 0);
      assert.match(result.outputs['Output_model'] ?? '', /^azureml:\/\/datastores\/workspaceblobstore\/paths\/azureml\/.+\/model_dir\/$/);
    });
  });

  describe('a YAML that names the job', function () {
    it('a re-run with the same definition attaches to the job instead of submitting it again', async function () {
      const name = `diabetes-named-${Date.now()}-${process.pid}`;
      const first = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: `name=${name}` } });
      assertSucceeded(first);
      assert.equal(first.outputs['JobName'], name);
      const jobsBefore = emulator.inspect.jobNames().length;

      const again = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB, overrides: `name=${name}` } });
      assertSucceeded(again);
      assert.equal(again.outputs['JobName'], name);
      assert.equal(again.outputs['JobStatus'], 'Completed');
      assert.equal(again.outputs['Metric_mse'], first.outputs['Metric_mse']);
      assert.match(logOf(again), /already exists with the same definition \(status Completed\): attaching to it/);
      assert.equal(emulator.inspect.jobNames().length, jobsBefore, 'no job submitted');
    });
  });

  describe('secrets', function () {
    it('no secret reaches the raw output, outputs or summary, even with System.Debug, with any scheme', async function () {
      const start = emulator.traffic.length;
      const schemes = ['servicePrincipalSecret', 'servicePrincipalCertificate', 'workloadIdentity', 'managedIdentity'] as const;
      const results = await Promise.all(
        schemes.map((scheme) => runTrainTask({ emulator, scheme, connectionId: `secrets-${scheme}`, variables: { 'System.Debug': 'true' }, inputs: { jobFile: SAMPLE_JOB } })),
      );
      const traffic = emulator.traffic.slice(start);
      for (const result of results) assertSucceeded(result);

      const issued: string[] = [];
      for (const exchange of traffic) {
        const body = exchange.responseBody as { access_token?: string; oidcToken?: string } | undefined;
        if (body?.access_token) issued.push(body.access_token);
        if (body?.oidcToken) issued.push(body.oidcToken);
      }
      assert.ok(issued.length >= schemes.length, 'tokens were issued');
      const keyBlock = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/.exec(emulator.principals.servicePrincipalCertificate.pem)?.[1] ?? '';
      const privateKeyLines = keyBlock.split(/\r?\n/).filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));
      assert.ok(privateKeyLines.length > 5, 'the private key lines were found');
      const secrets: Array<[string, string]> = [
        ['client secret', emulator.principals.servicePrincipalSecret.clientSecret],
        ['storage account key', emulator.storage.accountKey],
        ['System.AccessToken', emulator.devops.accessToken],
        ['managed identity header', emulator.connectionEnv('secrets-managedIdentity', 'managedIdentity')['IDENTITY_HEADER'] ?? ''],
        ...privateKeyLines.map((line): [string, string] => ['certificate private key line', line]),
        ...issued.flatMap((token): Array<[string, string]> => [
          ['issued token', token],
          ['issued token signature', token.split('.')[2] ?? token],
        ]),
      ];
      for (const result of results) {
        // `##vso[task.setsecret]` is how a secret is registered with the agent, which never shows it.
        const printed = `${result.rawStdout}\n${result.rawStderr}`
          .split(/\r?\n/)
          .filter((line) => !line.startsWith('##vso[task.setsecret]'))
          .join('\n');
        const published = `${JSON.stringify(result.outputs)}\n${result.summaries.join('\n')}`;
        for (const [what, secret] of secrets) {
          assert.ok(secret.length >= 8, `${what} is known`);
          assert.ok(!printed.includes(secret), `the ${what} was printed`);
          assert.ok(!published.includes(secret), `the ${what} is in an output or the summary`);
        }
        assert.doesNotMatch(printed, /[?&]sig=/i, 'a SAS signature was printed');
        assert.match(result.rawStdout, /##vso\[task\.debug\]/, 'debug output was on');
      }
    });
  });

  describe('throttling and unavailability', function () {
    it('429 (with Retry-After) and 503 answers on the job and datastore routes do not fail the task', async function () {
      const jobFile = copySample(path.join(scratch, 'faults'));
      fs.writeFileSync(path.join(path.dirname(jobFile), 'src', 'version.txt'), `faults-${Date.now()}\n`);
      const start = emulator.traffic.length;
      const faults = [
        { method: 'PUT', path: /\/jobs\/[^/]+$/, status: 429, retryAfterSeconds: 1 },
        { method: 'GET', path: /\/jobs\/[^/]+$/, status: 503 },
        { method: 'GET', path: /\/datastores$/, status: 503 },
        { method: 'POST', path: /\/datastores\/[^/]+\/listSecrets$/, status: 429, retryAfterSeconds: 1 },
      ];
      for (const fault of faults) {
        emulator.faults.add({ method: fault.method, path: fault.path, fault: { type: 'status', status: fault.status, ...(fault.retryAfterSeconds ? { retryAfterSeconds: fault.retryAfterSeconds } : {}) }, times: 1 });
      }
      let result: TrainTaskResult;
      try {
        result = await runTrainTask({ emulator, inputs: { jobFile } });
      } finally {
        emulator.faults.clear();
      }
      assertSucceeded(result);
      assert.equal(result.outputs['JobStatus'], 'Completed');
      const traffic = emulator.traffic.slice(start);
      for (const fault of faults) {
        const hit = traffic.some((e) => e.method === fault.method && fault.path.test(new URL(e.url).pathname) && e.status === fault.status);
        assert.ok(hit, `the ${fault.status} on ${fault.method} ${fault.path} was served`);
      }
      const retriedPut = traffic.filter((e) => e.method === 'PUT' && /\/jobs\/[^/]+$/.test(new URL(e.url).pathname)).map((e) => e.status);
      assert.deepEqual(retriedPut, [429, 201], 'the job PUT was retried after Retry-After and created once');
    });
  });
});
