/**
 * AzureMLRegisterModel L0: the task's tsc output under azure-pipelines-task-lib's MockTestRunner, offline. The workspace
 * (ARM, MLflow, datastore) is faked (support/fakeWorkspace.ts); inputs, checks, lineage, idempotency, version
 * assignment, uploads, model.json, the artifact, the build tag and the summary are the real code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { BASE_INPUTS, type L0Result, runScenario, type ScenarioInput, writes } from './support/runScenario';
import { FAKE, type FakeResource, WORKSPACE_ARM_PATH } from './support/scenario';
import { inPool } from '../../support/inPool';

const JOB = 'diabetes-ridge_k3j9x0q2ab';
const OTHER_JOB = 'diabetes-ridge_zz99yy88xx';
const DATA_ARM_ID = `${WORKSPACE_ARM_PATH}/data/diabetes/versions/3`;
const SAS_QUERY = 'sv=2023-01-03&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D';

const LINEAGE_VARIABLES = {
  'Build.BuildId': '777',
  'Build.BuildNumber': '20250101.3',
  'Build.SourceVersion': '0123456789abcdef0123456789abcdef01234567',
  'Build.SourceBranch': 'refs/heads/main',
  'Build.Repository.Uri': 'https://someone@dev.azure.com/org/project/_git/models',
  'Build.Repository.Name': 'models',
  'System.CollectionUri': 'https://dev.azure.com/org/',
  'System.TeamProject': 'project',
} as const;

function completedJob(name: string, status = 'Completed'): FakeResource {
  return {
    name,
    properties: {
      jobType: 'Command',
      status,
      experimentName: 'diabetes-ridge',
      inputs: {
        diabetes: { jobInputType: 'uri_file', uri: `azureml:${DATA_ARM_ID}` },
        holdout: { jobInputType: 'uri_file', uri: `https://data.blob.core.windows.net/sets/holdout.csv?${SAS_QUERY}` },
        alpha: { jobInputType: 'literal', value: '0.5' },
      },
      outputs: {
        model: { jobOutputType: 'uri_folder', uri: `azureml://datastores/workspaceblobstore/paths/azureml/${name}/model/` },
        scores: { jobOutputType: 'uri_folder', uri: `azureml://datastores/workspaceblobstore/paths/azureml/${name}/scores/` },
        default: { jobOutputType: 'uri_folder', uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${name}` },
      },
    },
  };
}

/** A workspace with two completed jobs whose `model` output holds model.json, and their metrics. */
function world(extra: ScenarioInput = {}): ScenarioInput {
  return {
    resources: { [`jobs/${JOB}`]: completedJob(JOB), [`jobs/${OTHER_JOB}`]: completedJob(OTHER_JOB), ...(extra.resources ?? {}) },
    blobs: [`azureml/${JOB}/model/model.json`, `azureml/${OTHER_JOB}/model/model.json`, `azureml/${JOB}/model/mlflow/MLmodel`, ...(extra.blobs ?? [])],
    metrics: { [JOB]: { mse: 3353.8, r2: 0.4528 }, [OTHER_JOB]: { mse: 3001.2, r2: 0.51 } },
    variables: LINEAGE_VARIABLES,
    ...Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'resources' && key !== 'blobs')),
  };
}

interface PutBody {
  properties: { modelType: string; modelUri: string; jobName?: string; description?: string; tags: Record<string, string>; properties: Record<string, string> };
}

function modelPuts(result: L0Result): Array<{ path: string; status: number; body: PutBody }> {
  return writes(result.record).filter((c) => c.method === 'PUT') as unknown as Array<{ path: string; status: number; body: PutBody }>;
}

/** The version as the first run left it in the workspace, to seed the next run. */
function registered(result: L0Result, version: string): Record<string, FakeResource> {
  const put = modelPuts(result).find((c) => c.path.endsWith(`/versions/${version}`) && c.status < 300);
  assert.ok(put, `no successful PUT of version ${version}`);
  return { [put.path]: { name: version, properties: put.body.properties as unknown as Record<string, unknown>, systemData: { createdAt: '2025-01-01T00:00:00.000Z' } } };
}

function assertFailedWithOneError(result: L0Result, pattern: RegExp): void {
  assert.equal(result.succeeded, false, 'the task should fail');
  assert.equal(result.errors.length, 1, `one error expected, got: ${JSON.stringify(result.errors)}`);
  assert.match(result.errors[0]!, pattern);
  assert.doesNotMatch(`${result.stdout}\n${result.stderr}`, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
}

function assertNothingDone(result: L0Result): void {
  assert.deepEqual(writes(result.record), [], 'no ARM write');
  assert.deepEqual(result.record.uploads, [], 'nothing uploaded');
  assert.deepEqual(result.artifacts, [], 'no artifact');
  assert.deepEqual(result.buildTags, [], 'no build tag');
  assert.equal(result.outputs['ModelVersion'], undefined, 'no output');
}

describe('AzureMLRegisterModel L0 (mock runner, tsc output)', function () {
  this.timeout(60_000);

  describe("a completed job's output, registered for the first time", function () {
    let result: L0Result;
    let body: PutBody['properties'];

    before(async function () {
      result = await runScenario(world({ inputs: { ...BASE_INPUTS, jobName: JOB, tags: 'team=vision', properties: 'approved-by=ml-lead', description: 'Ridge regression' } }));
      body = modelPuts(result)[0]?.body.properties as PutBody['properties'];
    });

    it('succeeds and registers version 1 of the model, from the job output URI, with the job name', function () {
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(modelPuts(result).map((c) => `${c.path} ${c.status}`), ['models/diabetes-ridge/versions/1 201']);
      assert.equal(body.modelType, 'custom_model');
      assert.equal(body.modelUri, `azureml://jobs/${JOB}/outputs/model/paths/`);
      assert.equal(body.jobName, JOB);
      assert.equal(body.description, 'Ridge regression');
      assert.match(result.stdout, new RegExp(`Registered the model 'diabetes-ridge' version 1 \\(custom_model\\) from azureml://jobs/${JOB}/outputs/model/paths/`));
    });

    it('reads the job, the output files and the versions before it writes anything', function () {
      const firstWrite = result.record.calls.findIndex((c) => c.method !== 'GET');
      const reads = result.record.calls.slice(0, firstWrite).map((c) => `${c.method} ${c.path}`);
      assert.deepEqual(reads.slice(0, 1), [`GET jobs/${JOB}`]);
      assert.ok(reads.includes('GET models/diabetes-ridge'), reads.join('\n'));
    });

    it('records the lineage as immutable properties: source, job, experiment, data assets, metrics, build, commit', function () {
      const p = body.properties;
      assert.equal(p['azureml-mlops.source'], `azureml://jobs/${JOB}/outputs/model/paths/`);
      assert.equal(p['azureml-mlops.source-kind'], 'job-output');
      assert.equal(p['azureml-mlops.job-name'], JOB);
      assert.equal(p['azureml-mlops.job-output'], 'model');
      assert.equal(p['azureml-mlops.experiment'], 'diabetes-ridge');
      assert.equal(p['azureml-mlops.input.diabetes'], 'azureml:diabetes:3', 'the data asset and its version');
      assert.equal(p['azureml-mlops.input.holdout'], 'https://data.blob.core.windows.net/sets/holdout.csv', 'a URI without its query (SAS)');
      assert.equal(p['azureml-mlops.input.alpha'], undefined, 'literal inputs are parameters, not data');
      assert.equal(p['azureml-mlops.metric.mse'], '3353.8');
      assert.equal(p['azureml-mlops.metric.r2'], '0.4528');
      assert.match(p['azureml-mlops.registered-by'] ?? '', /^AzureMLRegisterModel@1\.\d+\.\d+$/);
      assert.equal(p['azure-pipelines.build-id'], '777');
      assert.equal(p['azure-pipelines.build-url'], 'https://dev.azure.com/org/project/_build/results?buildId=777');
      assert.equal(p['azure-pipelines.source-version'], LINEAGE_VARIABLES['Build.SourceVersion']);
      assert.equal(p['azure-pipelines.repository-uri'], 'https://dev.azure.com/org/project/_git/models', 'user info removed');
      assert.equal(p['approved-by'], 'ml-lead', 'user properties kept');
      assert.doesNotMatch(JSON.stringify(body), /sig=|c2VjcmV0/, 'no SAS anywhere');
    });

    it('tags the version with the build, the commit and the job, besides the tags input', function () {
      assert.equal(body.tags['team'], 'vision');
      assert.equal(body.tags['azure-pipelines.build-id'], '777');
      assert.equal(body.tags['azure-pipelines.source-version'], LINEAGE_VARIABLES['Build.SourceVersion']);
      assert.equal(body.tags['azureml-mlops.job-name'], JOB);
      assert.equal(body.tags['azureml-mlops.metric.mse'], undefined, 'metrics are properties only');
    });

    it('sets the outputs', function () {
      assert.equal(result.outputs['ModelName'], 'diabetes-ridge');
      assert.equal(result.outputs['ModelVersion'], '1');
      assert.equal(result.outputs['ModelId'], `${WORKSPACE_ARM_PATH}/models/diabetes-ridge/versions/1`);
      assert.equal(result.outputs['ModelUri'], `azureml://jobs/${JOB}/outputs/model/paths/`);
      assert.equal(result.outputs['ModelReference'], 'azureml:diabetes-ridge:1');
      assert.equal(result.outputs['AlreadyRegistered'], 'false');
      assert.match(result.outputs['ModelJsonPath'] ?? '', /azureml-register-model-[0-9a-f]+[\\/]model\.json$/);
    });

    it('uploads model.json as the pipeline artifact "model", with what a later stage needs to deploy this version', function () {
      assert.equal(result.artifacts.length, 1);
      const artifact = result.artifacts[0]!;
      assert.equal(artifact.name, 'model');
      assert.equal(artifact.containerFolder, 'model');
      assert.equal(artifact.path, result.outputs['ModelJsonPath']);
      const manifest = JSON.parse(artifact.content ?? '{}');
      assert.equal(manifest.schemaVersion, 1);
      assert.equal(manifest.name, 'diabetes-ridge');
      assert.equal(manifest.version, '1');
      assert.equal(manifest.id, result.outputs['ModelId']);
      assert.equal(manifest.reference, 'azureml:diabetes-ridge:1');
      assert.equal(manifest.type, 'custom_model');
      assert.equal(manifest.uri, `azureml://jobs/${JOB}/outputs/model/paths/`);
      assert.equal(manifest.alreadyRegistered, false);
      assert.deepEqual(manifest.workspace, {
        subscriptionId: FAKE.subscriptionId,
        resourceGroup: FAKE.resourceGroup,
        name: FAKE.workspaceName,
        id: WORKSPACE_ARM_PATH,
        location: 'westeurope',
        tenantId: FAKE.tenantId,
      });
      assert.deepEqual(manifest.job, { name: JOB, experiment: 'diabetes-ridge', output: 'model' });
      assert.deepEqual(manifest.lineage.metrics, { mse: 3353.8, r2: 0.4528 });
      assert.deepEqual(manifest.lineage.dataInputs, { diabetes: 'azureml:diabetes:3', holdout: 'https://data.blob.core.windows.net/sets/holdout.csv' });
      assert.equal(manifest.lineage.properties['azure-pipelines.build-id'], '777');
      assert.match(manifest.studioUrl, /^https:\/\/ml\.azure\.com\/model\/diabetes-ridge:1\/details\?wsid=/);
    });

    it('tags the build model:<name>:<version>', function () {
      assert.deepEqual(result.buildTags, ['model:diabetes-ridge:1']);
    });

    it('publishes a summary with the version, source, data, metrics, lineage and studio links', function () {
      assert.equal(result.summaries.length, 1);
      const summary = result.summaries[0]!;
      assert.match(summary, /^### Azure ML model diabetes-ridge:1$/m);
      assert.match(summary, /\| Registered \| by this run \|/);
      assert.match(summary, /\| diabetes \| azureml:diabetes:3 \|/);
      assert.match(summary, /\| mse \| 3353\.8 \|/);
      assert.match(summary, /\| azure-pipelines\.build-id \| 777 \|/);
      assert.match(summary, /\[Open the model in Azure ML studio\]\(https:\/\/ml\.azure\.com\/model\/diabetes-ridge:1\/details\?wsid=/);
      assert.match(summary, /\[Open the job in Azure ML studio\]\(https:\/\/ml\.azure\.com\/runs\/diabetes-ridge_k3j9x0q2ab\?/);
    });
  });

  describe('idempotency and version numbers', function () {
    let first: L0Result;
    const runs = new Map<string, L0Result>();

    before(async function () {
      first = await runScenario(world({ inputs: { ...BASE_INPUTS, jobName: JOB } }));
      assert.equal(first.succeeded, true, first.stdout);
      // Each case starts from the workspace the first run left (seeded), and they run side by side.
      const scenarios: Record<string, ScenarioInput> = {
        sameJobAgain: world({ inputs: { ...BASE_INPUTS, jobName: JOB }, resources: registered(first, '1') }),
        sameJobAsMlflow: world({ inputs: { ...BASE_INPUTS, jobName: JOB, modelPath: 'mlflow', modelType: 'mlflow_model' }, resources: registered(first, '1') }),
        otherJob: world({ inputs: { ...BASE_INPUTS, jobName: OTHER_JOB }, resources: registered(first, '1') }),
        versionRace: world({ inputs: { ...BASE_INPUTS, jobName: JOB }, conflictingPuts: 2 }),
        explicitNewVersion: world({ inputs: { ...BASE_INPUTS, jobName: JOB, version: '2024.06.1' } }),
        explicitSameModel: world({ inputs: { ...BASE_INPUTS, jobName: JOB, version: '1' }, resources: registered(first, '1') }),
        explicitOtherModel: world({ inputs: { ...BASE_INPUTS, jobName: OTHER_JOB, version: '1' }, resources: registered(first, '1') }),
      };
      const outcomes = await inPool(Object.values(scenarios).map((scenario) => () => runScenario(scenario)));
      Object.keys(scenarios).forEach((key, index) => runs.set(key, outcomes[index]!));
    });

    it('the same job again: returns version 1, registers nothing, still sets outputs, artifact and build tag', function () {
      const again = runs.get('sameJobAgain')!;
      assert.equal(again.succeeded, true, again.stdout);
      assert.deepEqual(writes(again.record), [], 'no PUT');
      assert.equal(again.outputs['ModelVersion'], '1');
      assert.equal(again.outputs['AlreadyRegistered'], 'true');
      assert.match(again.stdout, /The model 'diabetes-ridge' is already registered as version 1 from azureml:\/\/jobs\/.+: nothing registered/);
      assert.deepEqual(again.buildTags, ['model:diabetes-ridge:1']);
      assert.equal(JSON.parse(again.artifacts[0]?.content ?? '{}').alreadyRegistered, true);
      const list = again.record.calls.find((c) => c.path === 'models/diabetes-ridge/versions');
      assert.match(decodeURIComponent(list?.query ?? ''), new RegExp(`properties=azureml-mlops\\.job-name=${JOB}`), 'the service filters on the job');
    });

    it('the same job as another model type: a new version (the type is part of what is registered)', function () {
      const result = runs.get('sameJobAsMlflow')!;
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.outputs['ModelVersion'], '2');
      assert.equal(modelPuts(result)[0]?.body.properties.modelUri, `azureml://jobs/${JOB}/outputs/model/paths/mlflow`);
    });

    it('another job: version 2', function () {
      const result = runs.get('otherJob')!;
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(modelPuts(result).map((c) => c.path), ['models/diabetes-ridge/versions/2']);
      assert.equal(result.outputs['AlreadyRegistered'], 'false');
      assert.deepEqual(result.buildTags, ['model:diabetes-ridge:2']);
    });

    it('a version number taken by another registration at the same moment (409): the next number', function () {
      const result = runs.get('versionRace')!;
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(modelPuts(result).map((c) => `${c.path} ${c.status}`), [
        'models/diabetes-ridge/versions/1 409',
        'models/diabetes-ridge/versions/2 409',
        'models/diabetes-ridge/versions/3 201',
      ]);
      assert.equal(result.outputs['ModelVersion'], '3');
    });

    it('an explicit version that does not exist: registered under it', function () {
      const result = runs.get('explicitNewVersion')!;
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(modelPuts(result).map((c) => c.path), ['models/diabetes-ridge/versions/2024.06.1']);
      assert.equal(result.outputs['ModelReference'], 'azureml:diabetes-ridge:2024.06.1');
    });

    it('an explicit version that holds the same model: returned, nothing registered', function () {
      const result = runs.get('explicitSameModel')!;
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(writes(result.record), []);
      assert.equal(result.outputs['AlreadyRegistered'], 'true');
    });

    it('an explicit version that holds another model: one error naming version, nothing registered', function () {
      const result = runs.get('explicitOtherModel')!;
      assertFailedWithOneError(
        result,
        new RegExp(`^Input 'version': version 1 of the model 'diabetes-ridge' already exists and holds another model \\(azureml://jobs/${JOB}/outputs/model/paths/, custom_model, registered by https://dev\\.azure\\.com/org/project/_build/results\\?buildId=777\\), not azureml://jobs/${OTHER_JOB}/outputs/model/paths/ \\(custom_model\\); a registered version never changes\\. Leave 'version' empty`),
      );
      assertNothingDone(result);
    });
  });

  describe('local files', function () {
    let folder: string;
    let first: L0Result;

    before(async function () {
      folder = fs.mkdtempSync(path.join(os.tmpdir(), 'register-l0-local-'));
      fs.mkdirSync(path.join(folder, 'model'));
      fs.writeFileSync(path.join(folder, 'model', 'weights.json'), '{"w":[1,2,3]}\n');
      fs.writeFileSync(path.join(folder, 'model', 'notes.tmp'), 'scratch\n');
      fs.writeFileSync(path.join(folder, 'model', '.amlignore'), '*.tmp\n');
      first = await runScenario(world({ inputs: { ...BASE_INPUTS, localPath: 'model' }, sourcesDirectory: folder }));
    });

    after(function () {
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('uploads the folder by content hash (ignore files apply) and registers it from the datastore', function () {
      assert.equal(first.succeeded, true, first.stdout);
      const uploaded = first.record.uploads.filter((b) => !b.includes('.azureml-mlops-upload-complete'));
      assert.deepEqual(uploaded.map((b) => b.replace(/[0-9a-f]{64}/, '<hash>')).sort(), ['LocalUpload/<hash>/model/.amlignore', 'LocalUpload/<hash>/model/weights.json']);
      const hash = /LocalUpload\/([0-9a-f]{64})\//.exec(uploaded[0]!)![1]!;
      const body = modelPuts(first)[0]!.body.properties;
      assert.equal(body.modelUri, `azureml://subscriptions/${FAKE.subscriptionId}/resourcegroups/${FAKE.resourceGroup}/workspaces/${FAKE.workspaceName}/datastores/workspaceblobstore/paths/LocalUpload/${hash}/model`);
      assert.equal(body.jobName, undefined);
      assert.equal(body.properties['azureml-mlops.content-hash'], hash);
      assert.equal(body.properties['azureml-mlops.source'], 'model');
      assert.equal(body.properties['azureml-mlops.source-kind'], 'local-files');
      assert.equal(body.properties['azure-pipelines.build-id'], '777');
      assert.equal(first.outputs['ModelVersion'], '1');
    });

    it('the same content again: the registered version, nothing uploaded or registered', async function () {
      const again = await runScenario(world({ inputs: { ...BASE_INPUTS, localPath: 'model' }, sourcesDirectory: folder, resources: registered(first, '1') }));
      assert.equal(again.succeeded, true, again.stdout);
      assert.deepEqual(writes(again.record), []);
      assert.deepEqual(again.record.uploads, []);
      assert.equal(again.outputs['ModelVersion'], '1');
      assert.equal(again.outputs['AlreadyRegistered'], 'true');
    });

    it('mlflow_model needs an MLmodel file: one error naming modelType, nothing uploaded', async function () {
      const result = await runScenario(world({ inputs: { ...BASE_INPUTS, localPath: 'model', modelType: 'mlflow_model' }, sourcesDirectory: folder }));
      assertFailedWithOneError(result, /^Input 'modelType': is mlflow_model, but the folder 'model' has no MLmodel file at its root\. Point 'localPath' at the folder mlflow\.save_model wrote/);
      assertNothingDone(result);
    });
  });

  describe('checks against the workspace: one error, nothing registered', function () {
    const cases: Array<{ name: string; scenario: ScenarioInput; error: RegExp }> = [
      { name: 'an unknown job', scenario: world({ inputs: { ...BASE_INPUTS, jobName: 'no-such-job' } }), error: /^Input 'jobName': the job 'no-such-job' was not found in the Azure ML workspace 'ws-l0' \(resource group rg-l0\)/ },
      {
        name: 'a job still running',
        scenario: world({ inputs: { ...BASE_INPUTS, jobName: 'running-job' }, resources: { 'jobs/running-job': completedJob('running-job', 'Running') } }),
        error: /^Input 'jobName': the job 'running-job' has status Running; only the outputs of a Completed job can be registered\. Wait for the job to finish first/,
      },
      {
        name: 'a failed job',
        scenario: world({ inputs: { ...BASE_INPUTS, jobName: 'failed-job' }, resources: { 'jobs/failed-job': completedJob('failed-job', 'Failed') } }),
        error: /^Input 'jobName': the job 'failed-job' has status Failed; .*Register the output of a job that completed/,
      },
      { name: 'an unknown output', scenario: world({ inputs: { ...BASE_INPUTS, jobName: JOB, outputName: 'modle' } }), error: /^Input 'outputName': the job '.+' has no output 'modle'\. Its outputs: model, scores\./ },
      { name: 'a path missing in the output', scenario: world({ inputs: { ...BASE_INPUTS, jobName: JOB, modelPath: 'model.pkl' } }), error: /^Input 'modelPath': 'model\.pkl' does not exist in the output 'model' of the job '.+' \(azureml:\/\/datastores\/workspaceblobstore\/paths\/azureml\/.+\/model\)/ },
      { name: 'an empty output', scenario: world({ inputs: { ...BASE_INPUTS, jobName: JOB, outputName: 'scores' } }), error: /^Input 'outputName': the output 'scores' of the job '.+' is empty: the job wrote no file to azureml:\/\/datastores\/workspaceblobstore\/paths\/azureml\/.+\/scores/ },
      { name: 'an mlflow_model without MLmodel', scenario: world({ inputs: { ...BASE_INPUTS, jobName: JOB, modelType: 'mlflow_model' } }), error: /^Input 'modelType': is mlflow_model, but the output 'model' of the job '.+' has no MLmodel file at its root/ },
      { name: 'a metric the job did not log', scenario: world({ inputs: { ...BASE_INPUTS, jobName: JOB, metrics: 'r2\naccuracy' } }), error: /^Input 'metrics': the job '.+' logged no metric 'accuracy'\. It logged: mse, r2\.$/ },
      {
        name: 'a job output URI naming an unknown job',
        scenario: world({ inputs: { ...BASE_INPUTS, modelPath: 'azureml://jobs/gone-job/outputs/model/paths/model.pkl' } }),
        error: /^Input 'modelPath': the job 'gone-job' was not found/,
      },
    ];
    const results = new Map<string, L0Result>();
    before(async function () {
      const outcomes = await inPool(cases.map((c) => () => runScenario(c.scenario)));
      cases.forEach((c, index) => results.set(c.name, outcomes[index]!));
    });
    for (const badCase of cases) {
      it(badCase.name, function () {
        const result = results.get(badCase.name)!;
        assertFailedWithOneError(result, badCase.error);
        assertNothingDone(result);
      });
    }
  });

  // Every input rule is unit-tested (tests/unit/register/parameters.test.ts); these show the whole task's behaviour.
  describe('inputs refused before any Azure call', function () {
    const cases: Array<{ name: string; inputs: Record<string, string>; error: RegExp }> = [
      { name: 'no source', inputs: { ...BASE_INPUTS }, error: /^Input 'jobName': a value is required: no model source is set\. Set 'jobName' to the job whose output holds the model/ },
      { name: 'a local path that does not exist', inputs: { ...BASE_INPUTS, localPath: 'models/nope' }, error: /^Input 'localPath': 'models\/nope' does not exist/ },
      { name: 'an unknown model type', inputs: { ...BASE_INPUTS, jobName: JOB, modelType: 'onnx_model' }, error: /^Input 'modelType': 'onnx_model' is not an allowed value\. Use one of: custom_model, mlflow_model, triton_model\.$/ },
      { name: 'tags not key=value', inputs: { ...BASE_INPUTS, jobName: JOB, tags: 'team=vision\nnightly' }, error: /^Input 'tags': line 2 \('nightly'\) is not in key=value form/ },
    ];
    const results = new Map<string, L0Result>();
    before(async function () {
      const outcomes = await inPool(cases.map((c) => () => runScenario(world({ inputs: c.inputs }))));
      cases.forEach((c, index) => results.set(c.name, outcomes[index]!));
    });
    for (const badCase of cases) {
      it(badCase.name, function () {
        const result = results.get(badCase.name)!;
        assertFailedWithOneError(result, badCase.error);
        assert.deepEqual(result.record.calls, [], 'no Azure call');
        assertNothingDone(result);
      });
    }
  });

  describe('where things are not possible or not checkable', function () {
    it('in a classic release: registers, but neither uploads an artifact nor tags a build, and says why', async function () {
      const result = await runScenario(world({ inputs: { ...BASE_INPUTS, jobName: JOB }, variables: { ...LINEAGE_VARIABLES, 'System.HostType': 'release', 'Release.ReleaseId': '12' } }));
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.outputs['ModelVersion'], '1');
      assert.deepEqual(result.artifacts, []);
      assert.deepEqual(result.buildTags, []);
      assert.match(result.stdout, /model\.json is not uploaded as a pipeline artifact: pipeline artifacts can only be uploaded by a build or YAML pipeline, not in a release job\. It is at .*model\.json\./);
      assert.equal(modelPuts(result)[0]?.body.properties.properties['azure-pipelines.release-id'], '12');
    });

    it('output files that cannot be listed (no storage role): a warning, and the model is registered', async function () {
      const result = await runScenario(world({ inputs: { ...BASE_INPUTS, jobName: JOB }, datastoreForbidden: true }));
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.warnings.length, 1, result.warnings.join('\n'));
      assert.match(result.warnings[0]!, /The files of the output 'model' could not be listed \(.*HTTP 403.*\): registering without checking them/);
      assert.equal(result.outputs['ModelVersion'], '1');
    });

    it("the job's artifacts folder ('artifacts'), named in a job output URI", async function () {
      const result = await runScenario(world({ inputs: { ...BASE_INPUTS, modelPath: `azureml://jobs/${JOB}/outputs/artifacts/paths/outputs/mlflow-model/`, modelType: 'mlflow_model' } }));
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(modelPuts(result)[0]?.body.properties.modelUri, `azureml://jobs/${JOB}/outputs/artifacts/paths/outputs/mlflow-model`);
      assert.equal(modelPuts(result)[0]?.body.properties.jobName, JOB);
    });
  });
});
