/**
 * AzureMLBuildImage L0: the task's tsc output under azure-pipelines-task-lib's MockTestRunner, offline. The workspace,
 * its datastores, the ACR management client and the context upload are faked (support/fakeAzure.ts); inputs, the
 * registry choice, the context, the Dockerfile, idempotency, waiting, environment registration, outputs and the summary
 * are the real code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { BASE_INPUTS, type L0Result, runScenario, type ScenarioInput, writes } from './support/runScenario';
import { DIGEST, FAKE, FAKE_REGISTRY, type FakeResource, registryId, SAS_SIGNATURE, WORKSPACE_ARM_PATH } from './support/scenario';

const MODEL_URI = 'azureml://subscriptions/s/resourcegroups/rg-l0/workspaces/ws-l0/datastores/workspaceblobstore/paths/azureml/job-1/model/';
const GENERATED = {
  ...BASE_INPUTS,
  repository: 'diabetes-scoring',
  scoringCode: 'samples/diabetes/score',
  condaFile: 'samples/diabetes/environment/score-conda.yml',
  model: 'azureml:diabetes-ridge:3',
};
const WORLD: ScenarioInput = {
  resources: { 'models/diabetes-ridge/versions/3': { properties: { modelType: 'custom_model', modelUri: MODEL_URI } } },
  blobs: { 'workspaceblobstore/azureml/job-1/model/model.json': '{"weights":[1]}', 'workspaceblobstore/azureml/job-1/model/sub/extra.txt': 'x', 'workspaceblobstore/azureml/job-10/model/other.json': 'not this model' },
  variables: { 'Build.BuildId': '42', 'Build.SourceVersion': 'abc123' },
};

function scenario(inputs: Record<string, string>, extra: ScenarioInput = {}): ScenarioInput {
  return { ...WORLD, ...extra, inputs, resources: { ...WORLD.resources, ...(extra.resources ?? {}) } };
}

function assertFailedWithOneError(result: L0Result, pattern: RegExp): void {
  assert.equal(result.succeeded, false, 'the task should fail');
  assert.equal(result.errors.length, 1, `one error expected, got: ${JSON.stringify(result.errors)}`);
  assert.match(result.errors[0]!, pattern);
}

function envPuts(result: L0Result) {
  return result.record.arm.filter((c) => c.method === 'PUT') as Array<{ path: string; status: number; body: { properties: Record<string, any> } }>;
}

/** A stack frame line: errors must reach the user as one message, never as a stack trace. */
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
/** The image the fake registry builds, by digest. */
const IMAGE = `${FAKE_REGISTRY.name}.azurecr.io/diabetes-scoring@${DIGEST}`;

describe('AzureMLBuildImage L0', function () {
  this.timeout(60_000);

  describe('a generated Dockerfile with the model inside', function () {
    let result: L0Result;

    before(async function () {
      result = await runScenario(scenario({ ...GENERATED, includeModel: 'true', platform: 'linux/arm64', buildArguments: 'PIP_EXTRA=1', timeoutMinutes: '30' }));
    });

    it('succeeds', function () {
      assert.equal(result.succeeded, true, result.stdout);
    });

    it("uploads a context with the Dockerfile, the conda file, the scoring code and the model's files (only that model's)", function () {
      const [upload] = result.record.uploads;
      assert.equal(upload?.url, 'https://acrl0.blob.core.windows.net/sources/source/ctx.tar.gz');
      assert.deepEqual(upload!.entries, ['Dockerfile', 'azureml-environment-setup/conda_env.yml', 'model/model.json', 'model/sub/extra.txt', 'score/sample-request.json', 'score/score.py']);
      assert.match(upload!.dockerfile ?? '', /^COPY model\/ \/var\/azureml-app\/azureml-models\/diabetes-ridge\/3\/$/m);
      assert.match(upload!.files['azureml-environment-setup/conda_env.yml'] ?? '', /azureml-inference-server-http/);
    });

    it('schedules a quick build of it: tags, platform, arguments, timeout in seconds', function () {
      const schedule = result.record.acr.find((c) => c.operation === 'registries.beginScheduleRun');
      assert.deepEqual(schedule?.body, {
        type: 'DockerBuildRequest',
        imageNames: ['diabetes-scoring:diabetes-ridge-3', 'diabetes-scoring:build-42'],
        isPushEnabled: true,
        noCache: false,
        dockerFilePath: 'Dockerfile',
        sourceLocation: 'source/ctx.tar.gz',
        platform: { os: 'Linux', architecture: 'arm64' },
        arguments: [{ name: 'PIP_EXTRA', value: '1', isSecret: false }],
        timeout: 1800,
        isArchiveEnabled: false,
      });
      assert.equal(schedule!.registry, FAKE_REGISTRY.name);
    });

    it('registers the environment version pointing at the image by digest, with routes, lineage and the build identity', function () {
      const [put] = envPuts(result);
      assert.equal(put?.path, 'environments/diabetes-scoring/versions/1');
      const properties = put!.body.properties;
      assert.equal(properties['image'], `${FAKE_REGISTRY.name}.azurecr.io/diabetes-scoring@${DIGEST}`);
      assert.equal(properties['osType'], 'Linux');
      assert.deepEqual(properties['inferenceConfig'], {
        livenessRoute: { path: '/swagger.json', port: 5001 },
        readinessRoute: { path: '/swagger.json', port: 5001 },
        scoringRoute: { path: '/score', port: 5001 },
      });
      assert.equal(properties['properties']['azureml-mlops.image-digest'], DIGEST);
      assert.equal(properties['properties']['azureml-mlops.acr-run-id'], 'ca1');
      assert.equal(properties['properties']['azureml-mlops.registry-id'], registryId(FAKE_REGISTRY));
      assert.equal(properties['properties']['azureml-mlops.model'], 'diabetes-ridge:3');
      assert.equal(properties['properties']['azureml-mlops.model-included'], 'true');
      assert.equal(properties['properties']['azureml-mlops.platform'], 'linux/arm64');
      assert.match(properties['properties']['azureml-mlops.build-hash'], /^[0-9a-f]{64}$/);
      assert.equal(properties['properties']['azure-pipelines.source-version'], 'abc123');
      assert.equal(properties['tags']['azure-pipelines.build-id'], '42');
    });

    it('sets the outputs', function () {
      assert.deepEqual(result.outputs, {
        ImageName: `${FAKE_REGISTRY.name}.azurecr.io/diabetes-scoring@${DIGEST}`,
        ImageDigest: DIGEST,
        ImageTags: 'diabetes-ridge-3,build-42',
        RegistryLoginServer: `${FAKE_REGISTRY.name}.azurecr.io`,
        EnvironmentId: `${WORKSPACE_ARM_PATH}/environments/diabetes-scoring/versions/1`,
        EnvironmentName: 'diabetes-scoring',
        EnvironmentVersion: '1',
        EnvironmentReference: 'azureml:diabetes-scoring:1',
        RunId: 'ca1',
        AlreadyBuilt: 'false',
      });
    });

    it('names the task that wrote the Dockerfile by its major version only (a new release must not change the build identity)', function () {
      assert.match(result.record.uploads[0]?.dockerfile ?? '', /^# Written by AzureMLBuildImage@1: an Azure ML scoring image/);
    });

    it('never writes the SAS URLs in clear (registered as secrets, left out of messages and the summary)', function () {
      const clear = result.stdout.split(/\r?\n/).filter((line) => line.includes(SAS_SIGNATURE) && !line.startsWith('##vso[task.setsecret]'));
      assert.deepEqual(clear, []);
      assert.ok(result.stdout.includes(`##vso[task.setsecret]`), 'the SAS URLs are registered');
      assert.doesNotMatch(result.summaries.join('\n'), new RegExp(SAS_SIGNATURE));
    });
  });

  it('a registry named by the input is looked up in the subscription when it is not in the workspace group', async function () {
    const other = { subscriptionId: FAKE.subscriptionId, resourceGroup: 'rg-shared', name: 'sharedregistry' };
    const result = await runScenario(scenario({ ...GENERATED, containerRegistry: 'sharedregistry.azurecr.io' }, { registries: [FAKE_REGISTRY, other] }));
    assert.equal(result.succeeded, true, result.stdout);
    assert.deepEqual(
      result.record.acr.slice(0, 2).map((c) => c.operation),
      ['registries.get', 'registries.list'],
    );
    assert.equal(result.record.acr.find((c) => c.operation === 'registries.beginScheduleRun')?.registry, 'sharedregistry');
    assert.equal(result.outputs['RegistryLoginServer'], 'sharedregistry.azurecr.io');
  });

  it('a registry given by ARM id in another subscription is reached with a client of that subscription', async function () {
    const other = { subscriptionId: '99999999-0000-0000-0000-000000000000', resourceGroup: 'rg-x', name: 'otherregistry' };
    const result = await runScenario(scenario({ ...GENERATED, containerRegistry: registryId(other) }, { registries: [FAKE_REGISTRY, other] }));
    assert.equal(result.succeeded, true, result.stdout);
    assert.ok(result.record.acr.every((c) => c.subscriptionId === other.subscriptionId), JSON.stringify(result.record.acr));
  });

  it("a workspace without a registry, and no registry input: one error naming 'containerRegistry', nothing done", async function () {
    const result = await runScenario(scenario(GENERATED, { workspaceRegistry: null }));
    assertFailedWithOneError(result, /^Input 'containerRegistry': is empty, and the Azure ML workspace 'ws-l0' has no container registry yet/);
    assert.deepEqual(writes(result.record), []);
  });

  it("a failed build: the error quotes the build log's line, the log's end is shown when not streamed, nothing registered", async function () {
    const result = await runScenario(
      scenario({ ...GENERATED, streamLogs: 'false' }, {
        run: {
          statuses: ['Queued', 'Running', 'Failed'],
          log: ['Step 1/3 : FROM base', "The command '/bin/sh -c conda env create' returned a non-zero code: 1", 'Run ID: ca1 failed after 9s. Error: failed during run, err: exit status 1'],
        },
      }),
    );
    assertFailedWithOneError(result, /^The image build failed: ACR run ca1 ended Failed: The command '\/bin\/sh -c conda env create' returned a non-zero code: 1\. Build log: az acr task logs --registry crl0workspace --run-id ca1$/);
    assert.match(result.stdout, /##\[section\]End of the build log \(ACR run ca1\)/);
    assert.deepEqual(envPuts(result), []);
    assert.equal(result.outputs['ImageName'], undefined);
  });

  it('the same build recorded by an environment version: the tags are pointed at that image (import), nothing built or registered', async function () {
    const first = await runScenario(scenario(GENERATED));
    assert.equal(first.succeeded, true, first.stdout);
    const [put] = envPuts(first);
    const recorded = { [put!.path]: { properties: put!.body.properties, systemData: { createdAt: '2025-01-01T00:00:00Z' } } };
    const again = await runScenario(scenario(GENERATED, { resources: recorded, variables: { 'Build.BuildId': '43' } }));
    assert.equal(again.succeeded, true, again.stdout);
    assert.deepEqual(writes(again.record), ['registries.beginImportImageAndWait']);
    assert.deepEqual(again.record.acr.find((c) => c.operation === 'registries.beginImportImageAndWait')?.body, {
      source: { resourceId: registryId(FAKE_REGISTRY), sourceImage: `diabetes-scoring@${DIGEST}` },
      targetTags: ['diabetes-scoring:diabetes-ridge-3', 'diabetes-scoring:build-43'],
      mode: 'Force',
    });
    assert.equal(again.outputs['AlreadyBuilt'], 'true');
    assert.equal(again.outputs['EnvironmentVersion'], '1');
    assert.equal(again.outputs['RunId'], 'ca1');
    assert.equal(again.outputs['ImageTags'], 'diabetes-ridge-3,build-43', "only this run's tags (build-42 points at the image too)");

    const deleted = await runScenario(scenario(GENERATED, { resources: recorded, importFails: true }));
    assert.equal(deleted.succeeded, true, deleted.stdout);
    assert.match(deleted.warnings.join('\n'), /could not be tagged, so it is built again/);
    assert.ok(writes(deleted.record).includes('registries.beginScheduleRun'));
    assert.equal(deleted.outputs['EnvironmentVersion'], '1', 'the rebuilt image (same digest) is the one version 1 points at');
  });

  it('an environment version number taken meanwhile by another image: the next number is used', async function () {
    const result = await runScenario(scenario(GENERATED, { conflictingPuts: 1 }));
    assert.equal(result.succeeded, true, result.stdout);
    assert.deepEqual(envPuts(result).map((p) => `${p.path} ${p.status}`), ['environments/diabetes-scoring/versions/1 409', 'environments/diabetes-scoring/versions/2 201']);
    assert.equal(result.outputs['EnvironmentVersion'], '2');
  });

  it('an explicit environment version holding another build is refused before anything is uploaded', async function () {
    const result = await runScenario(
      scenario({ ...GENERATED, environmentVersion: '7' }, { resources: { 'environments/diabetes-scoring/versions/7': { properties: { image: 'x.azurecr.io/y@sha256:1', properties: { 'azureml-mlops.build-hash': 'other' } } } } }),
    );
    assertFailedWithOneError(
      result,
      /^Input 'environmentVersion': version 7 of the environment 'diabetes-scoring' already exists and points at x\.azurecr\.io\/y@sha256:1, not at an image of this build in crl0workspace\.azurecr\.io\/diabetes-scoring \(build identity [0-9a-f]{12}\); an environment version never changes\./,
    );
    assert.deepEqual(writes(result.record), []);
  });

  it('a model whose files the task cannot download (not on a datastore): one error, nothing done', async function () {
    const result = await runScenario(
      scenario({ ...GENERATED, includeModel: 'true' }, { resources: { 'models/diabetes-ridge/versions/3': { properties: { modelUri: 'https://other.blob.core.windows.net/c/model.pkl' } } } }),
    );
    assertFailedWithOneError(result, /^The files of the model diabetes-ridge:3 are at 'https:\/\/other\.blob\.core\.windows\.net\/c\/model\.pkl', which the task cannot download/);
    assert.deepEqual(writes(result.record), []);
  });
  describe('a context built before (environment version 1 recorded it)', function () {
    /** Environment version 1 as the first run registered it. */
    let recorded: Record<string, FakeResource>;
    let recordedProperties: Record<string, any>;
    const NEXT_BUILD = { ...WORLD.variables, 'Build.BuildId': '43' };

    before(async function () {
      const first = await runScenario(scenario(GENERATED));
      assert.equal(first.succeeded, true, first.stdout);
      const [put] = envPuts(first);
      recordedProperties = put!.body.properties;
      recorded = { [put!.path]: { properties: recordedProperties, systemData: { createdAt: '2025-01-01T00:00:00Z' } } };
    });

    it("noCache: ACR builds it again without cache (no reuse), the log says why, and version 1 (same image, same settings) is kept", async function () {
      const result = await runScenario(scenario({ ...GENERATED, noCache: 'true' }, { resources: recorded, variables: NEXT_BUILD }));
      assert.equal(result.succeeded, true, result.stdout);
      // No import of the earlier image; no new version (the fake's build has the same digest, and the settings are the same).
      assert.deepEqual(writes(result.record), ['registries.getBuildSourceUploadUrl', 'registries.beginScheduleRun', 'upload https://acrl0.blob.core.windows.net/sources/source/ctx.tar.gz']);
      const schedule = result.record.acr.find((c) => c.operation === 'registries.beginScheduleRun')?.body as { noCache: boolean; imageNames: string[] };
      assert.equal(schedule.noCache, true);
      assert.deepEqual(schedule.imageNames, ['diabetes-scoring:diabetes-ridge-3', 'diabetes-scoring:build-43']);
      assert.match(result.stdout, /'noCache' is true: building the image again without cache, although ACR run ca1 built the same context \(environment version 1\)\./);
      assert.equal(result.outputs['AlreadyBuilt'], 'false');
      assert.equal(result.outputs['EnvironmentVersion'], '1');
    });

    it('other routes and description for the same image: a new version, auto-numbered, and the log says why', async function () {
      const result = await runScenario(scenario({ ...GENERATED, livenessRoute: '/health', description: 'Diabetes scoring' }, { resources: recorded, variables: NEXT_BUILD }));
      assert.equal(result.succeeded, true, result.stdout);
      assert.ok(!writes(result.record).includes('registries.beginScheduleRun'), 'the image is reused');
      const [put] = envPuts(result);
      assert.equal(put?.path, 'environments/diabetes-scoring/versions/2');
      assert.equal(put!.body.properties['image'], IMAGE);
      assert.equal(put!.body.properties['description'], 'Diabetes scoring');
      assert.deepEqual(put!.body.properties['inferenceConfig']['livenessRoute'], { path: '/health', port: 5001 });
      assert.match(
        result.stdout,
        /Environment version 1 points at \S+, but with other settings \(livenessRoute '\/swagger\.json' \(this run: '\/health'\), description 'Scoring image diabetes-scoring built with ACR Tasks from [^']+' \(this run: 'Diabetes scoring'\)\): registering a new version/,
      );
      assert.equal(result.outputs['EnvironmentVersion'], '2');

      // Back to version 1's settings: version 1 is reused again, although version 2 recorded the build last.
      const version2 = { [put!.path]: { properties: put!.body.properties, systemData: { createdAt: '2025-01-02T00:00:00Z' } } };
      const back = await runScenario(scenario(GENERATED, { resources: { ...recorded, ...version2 }, variables: NEXT_BUILD }));
      assert.equal(back.succeeded, true, back.stdout);
      assert.deepEqual(envPuts(back), []);
      assert.equal(back.outputs['EnvironmentVersion'], '1');
    });

    it('an explicit environmentVersion holding this build and settings: its image gets the tags, nothing built or registered', async function () {
      const result = await runScenario(scenario({ ...GENERATED, environmentVersion: '1' }, { resources: recorded, variables: NEXT_BUILD }));
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(writes(result.record), ['registries.beginImportImageAndWait']);
      assert.equal(result.outputs['EnvironmentVersion'], '1');
      assert.equal(result.outputs['AlreadyBuilt'], 'true');
    });

    it("an explicit environmentVersion whose image cannot be tagged (deleted): one error, nothing built (a rebuild could not go in that version)", async function () {
      const result = await runScenario(scenario({ ...GENERATED, environmentVersion: '1' }, { resources: recorded, importFails: true }));
      assertFailedWithOneError(
        result,
        /^Version 1 of the environment 'diabetes-scoring' \('environmentVersion'\) holds the image built earlier from the same context \(diabetes-scoring@sha256:d{64}\), but that image could not be tagged: .*The source image was not found\. An environment version never changes/,
      );
      assert.deepEqual(writes(result.record), ['registries.beginImportImageAndWait']);
    });

    it('an explicit environmentVersion holding this build in another registry: refused before anything is uploaded or built', async function () {
      const elsewhere = {
        ...recordedProperties,
        image: `otherregistry.azurecr.io/diabetes-scoring@${DIGEST}`,
        properties: { ...recordedProperties['properties'], 'azureml-mlops.image-repository': 'otherregistry.azurecr.io/diabetes-scoring' },
      };
      const result = await runScenario(scenario({ ...GENERATED, environmentVersion: '7' }, { resources: { 'environments/diabetes-scoring/versions/7': { properties: elsewhere } } }));
      assertFailedWithOneError(
        result,
        /^Input 'environmentVersion': version 7 of the environment 'diabetes-scoring' already exists and points at otherregistry\.azurecr\.io\/diabetes-scoring@sha256:d{64}, not at an image of this build in crl0workspace\.azurecr\.io\/diabetes-scoring \(build identity [0-9a-f]{12}\); an environment version never changes\. Leave 'environmentVersion' empty/,
      );
      assert.deepEqual(writes(result.record), []);
    });

    it('an explicit environmentVersion holding this build with other settings: refused before anything is done', async function () {
      const result = await runScenario(scenario({ ...GENERATED, environmentVersion: '1', scoringRoute: '/predict' }, { resources: recorded }));
      assertFailedWithOneError(
        result,
        /^Input 'environmentVersion': version 1 of the environment 'diabetes-scoring' already exists with other settings: scoringRoute '\/score' \(this run: '\/predict'\); an environment version never changes\./,
      );
      assert.deepEqual(writes(result.record), []);
    });

    it('an explicit environmentVersion that exists, with noCache: refused before anything is done (a new build has a new digest)', async function () {
      const result = await runScenario(scenario({ ...GENERATED, environmentVersion: '1', noCache: 'true' }, { resources: recorded }));
      assertFailedWithOneError(result, /^Input 'environmentVersion': version 1 of the environment 'diabetes-scoring' already exists and 'noCache' is true: the image would be built again, with a new digest; .* or set 'noCache' to false/);
      assert.deepEqual(writes(result.record), []);
    });

    it('the identity may not import images: the warning names the permission, and the image is built again', async function () {
      const result = await runScenario(scenario(GENERATED, { resources: recorded, variables: NEXT_BUILD, denied: ['registries.beginImportImageAndWait'] }));
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.warnings.length, 1, result.warnings.join('\n'));
      assert.match(
        result.warnings[0]!,
        /could not be tagged, so it is built again: The service connection 'l0-build-image-conn' \(client id [-a-f]+\) may not import images \(to tag an image built before\) into the container registry 'crl0workspace' \(HTTP 403 AuthorizationFailed\): its identity lacks Microsoft\.ContainerRegistry\/registries\/importImage\/action\. Give it the Container Registry Data Importer and Data Reader \(or Contributor\) role on the registry/,
      );
      assert.ok(writes(result.record).includes('registries.beginScheduleRun'));
    });
  });

  describe('the service connection may not use ACR Tasks on the registry', function () {
    const denied = (operation: string): Promise<L0Result> => runScenario(scenario(GENERATED, { denied: [operation] }));
    const TASKS_ROLE = /Give it the Container Registry Tasks Contributor \(or Contributor\) role on the registry \(a new role assignment takes a few minutes to apply\)\./;

    it("no reading the registry: one error naming the registry and the role, before anything is prepared", async function () {
      const result = await denied('registries.get');
      assertFailedWithOneError(
        result,
        /^The service connection 'l0-build-image-conn' may not read the container registry '\/subscriptions\/.+\/registries\/crl0workspace' \(HTTP 403 AuthorizationFailed\)\. Give its identity the Container Registry Tasks Contributor role \(or Contributor\) on the registry/,
      );
      assert.deepEqual(writes(result.record), []);
    });

    it('no upload location: one error naming the action and the role; nothing uploaded, built or registered', async function () {
      const result = await denied('registries.getBuildSourceUploadUrl');
      assertFailedWithOneError(
        result,
        /^The service connection 'l0-build-image-conn' \(client id [-a-f]+\) may not get an upload location for the build context from the container registry 'crl0workspace' \(HTTP 403 AuthorizationFailed\): its identity lacks Microsoft\.ContainerRegistry\/registries\/listBuildSourceUploadUrl\/action\./,
      );
      assert.match(result.errors[0]!, TASKS_ROLE);
      assert.deepEqual(result.record.uploads, []);
      assert.deepEqual(envPuts(result), []);
      assert.doesNotMatch(result.stdout, STACK_FRAME);
    });

    it('no scheduling: one error naming scheduleRun/action and the role; nothing registered', async function () {
      const result = await denied('registries.beginScheduleRun');
      assertFailedWithOneError(result, /may not schedule builds \(ACR Tasks runs\) in the container registry 'crl0workspace' \(HTTP 403 AuthorizationFailed\): its identity lacks Microsoft\.ContainerRegistry\/registries\/scheduleRun\/action\./);
      assert.match(result.errors[0]!, TASKS_ROLE);
      assert.deepEqual(envPuts(result), []);
      assert.doesNotMatch(result.stdout, STACK_FRAME);
    });

    it('no reading runs: one error naming runs/read at the first status read (not 5 retries), and the run it scheduled is cancelled', async function () {
      const result = await denied('runs.get');
      assertFailedWithOneError(result, /may not read the status of runs of the container registry 'crl0workspace' \(HTTP 403 AuthorizationFailed\): its identity lacks Microsoft\.ContainerRegistry\/registries\/runs\/read\. .* ACR run ca1 was cancelled\.$/);
      const operations = result.record.acr.map((c) => c.operation);
      assert.deepEqual(operations.slice(operations.indexOf('registries.beginScheduleRun') + 1, operations.indexOf('runs.beginCancel') + 1), ['runs.get', 'runs.beginCancel']);
      assert.deepEqual(result.warnings, []);
      assert.deepEqual(envPuts(result), []);
    });

    it('no reading run logs: the build goes on without its log, after one warning naming the action', async function () {
      const result = await denied('runs.getLogSasUrl');
      assert.equal(result.succeeded, true, result.stdout);
      assert.equal(result.warnings.length, 1, result.warnings.join('\n'));
      assert.match(result.warnings[0]!, /may not read the build logs of the container registry 'crl0workspace' \(HTTP 403 AuthorizationFailed\): its identity lacks Microsoft\.ContainerRegistry\/registries\/runs\/listLogSasUrl\/action\. .*The build goes on without its log here/);
      assert.equal(result.record.acr.filter((c) => c.operation === 'runs.getLogSasUrl').length, 1, 'not asked again');
      assert.equal(result.outputs['EnvironmentVersion'], '1');
    });
  });

  it("scoringCode '.': the repository root is the scoring code (not taken for \"not set\")", async function () {
    const sources = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-root-'));
    try {
      fs.writeFileSync(path.join(sources, 'score.py'), 'def init():\n    pass\n\ndef run(data):\n    return data\n');
      fs.writeFileSync(path.join(sources, 'conda.yml'), 'dependencies:\n  - pip:\n    - azureml-inference-server-http\n');
      const result = await runScenario({ ...WORLD, sourcesDirectory: sources, inputs: { ...BASE_INPUTS, repository: 'root-scoring', scoringCode: '.', condaFile: 'conda.yml' } });
      assert.equal(result.succeeded, true, result.stdout);
      assert.deepEqual(result.record.uploads[0]?.entries, ['Dockerfile', 'azureml-environment-setup/conda_env.yml', 'score/conda.yml', 'score/score.py']);
      assert.match(result.stdout, /Scoring code: 2 files of \. \(\.amlignore\/\.gitignore applied\), entry script score\.py\./);
    } finally {
      fs.rmSync(sources, { recursive: true, force: true });
    }
  });
});
