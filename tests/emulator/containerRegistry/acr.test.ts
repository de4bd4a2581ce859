/**
 * The emulated Azure Container Registry: the workspace's registry and ACR Tasks quick builds, through
 * @azure/arm-containerregistry 11 (the client the product uses) and raw requests for what the SDK would not send.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { isRestError } from '@azure/core-rest-pipeline';
import type { ContainerRegistryManagementClient } from '@azure/arm-containerregistry';
import type { Emulator } from '@azureml-mlops/emulator';
import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import { armAccessToken, emulatorRequest, workspacePath } from '../../support/emulatorHttp';
import { ArmContractValidator, specificationAvailable } from '../../contract/armContract';
import { acrClient, contextArchive, getThroughProxy, putBlob, quickBuild, uniqueRepository, waitForRun } from './support';

const DOCKERFILE = ['FROM python:3.11-slim', 'WORKDIR /app', 'COPY requirements.txt .', 'RUN pip install -r requirements.txt', 'COPY app/ /app/', 'CMD ["python", "app/main.py"]', ''].join('\n');
const CONTEXT = { Dockerfile: DOCKERFILE, 'requirements.txt': 'flask\n', 'app/main.py': 'print("hi")\n' };

async function expectRestError(promise: Promise<unknown>, status: number, code?: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isRestError(error), String(error));
    assert.equal(error.statusCode, status, error.message);
    if (code) assert.equal(error.code, code, error.message);
    return error.message;
  }
  assert.fail(`expected HTTP ${status}`);
}

describe('emulator Azure Container Registry (ARM): the registry and ACR Tasks quick builds', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let sdk: ContainerRegistryManagementClient;
  let registry: string;

  before(async function () {
    emulator = await sharedEmulator();
    sdk = await acrClient(emulator);
    registry = emulator.inspect.containerRegistry().name;
  });

  describe('the registry', function () {
    it("is the one the workspace names in containerRegistry, with login server <name>.azurecr.io", async function () {
      const workspace = await emulatorRequest(emulator, 'GET', `/${workspacePath(emulator)}?api-version=2022-10-01`, { bearer: await armAccessToken(emulator) });
      const id = workspace.json<{ properties: { containerRegistry: string } }>().properties.containerRegistry;
      assert.equal(id, emulator.inspect.containerRegistry().id);
      const read = await sdk.registries.get(emulator.resourceGroup, registry);
      assert.equal(read.id, id);
      assert.equal(read.loginServer, `${registry}.azurecr.io`);
      assert.equal(read.provisioningState, 'Succeeded');
      const listed = [];
      for await (const r of sdk.registries.listByResourceGroup(emulator.resourceGroup)) listed.push(r.name);
      assert.deepEqual(listed, [registry]);
    });

    it('answers 404 ResourceNotFound for another registry, ResourceGroupNotFound for another group', async function () {
      const message = await expectRestError(sdk.registries.get(emulator.resourceGroup, 'someotherregistry'), 404, 'ResourceNotFound');
      assert.match(message, /Microsoft\.ContainerRegistry\/registries\/someotherregistry/);
      await expectRestError(sdk.registries.get('no-such-group', registry), 404, 'ResourceGroupNotFound');
    });

    it('refuses an api-version it does not serve, naming the ones it does', async function () {
      const answer = await emulatorRequest(emulator, 'GET', `/subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registry}?api-version=2019-05-01`, {
        bearer: await armAccessToken(emulator),
      });
      assert.equal(answer.status, 400);
      assert.equal(answer.json<{ error: { code: string } }>().error.code, 'NoRegisteredProviderFound');
      assert.match(answer.text, /2025-11-01/);
    });
  });

  describe('a quick build of a good context', function () {
    const repository = uniqueRepository('acr-ok');
    let runId: string;
    let digest: string;
    let seen: string[];
    let log: string;

    before(async function () {
      const queued = await quickBuild(emulator, sdk, { ...CONTEXT, '.dockerignore': 'secrets/\n', 'secrets/key.txt': 'x' }, { imageNames: [`${repository}:v1`, `${repository}:build-7`] });
      assert.equal(queued.status, 'Queued');
      runId = queued.runId!;
      const done = await waitForRun(emulator, sdk, runId);
      seen = done.seen;
      assert.equal(done.run.status, 'Succeeded', JSON.stringify(done.run));
      digest = done.run.outputImages![0]!.digest!;
      const link = await sdk.runs.getLogSasUrl(emulator.resourceGroup, registry, runId);
      const read = await getThroughProxy(emulator, link.logLink!);
      assert.equal(read.status, 200);
      log = read.text;
    });

    it('goes Queued, Running, Succeeded and reports each image with one sha256 digest', async function () {
      assert.deepEqual(seen.filter((s) => s !== 'Queued').slice(0, 1), ['Running']);
      const run = await sdk.runs.get(emulator.resourceGroup, registry, runId);
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(
        run.outputImages!.map((i) => `${i.registry}/${i.repository}:${i.tag}@${i.digest}`),
        [`${registry}.azurecr.io/${repository}:v1@${digest}`, `${registry}.azurecr.io/${repository}:build-7@${digest}`],
      );
      assert.ok(run.startTime && run.finishTime && run.finishTime >= run.startTime);
    });

    it("writes a log that says plainly that no image is built locally, and lists the Dockerfile's steps", function () {
      assert.match(log, /no image is built locally/);
      assert.match(log, /Step 1\/6 : FROM python:3\.11-slim/);
      assert.match(log, /Step 3\/6 : COPY requirements\.txt \./);
      assert.match(log, /Step 6\/6 : CMD \["python", "app\/main\.py"\]/);
      assert.match(log, new RegExp(`Successfully pushed image: ${registry}\\.azurecr\\.io/${repository}:v1`));
      assert.match(log, new RegExp(`Run ID: ${runId} was successful`));
    });

    it('records the image in the catalog under every tag (what az acr repository show-tags would list)', function () {
      const images = emulator.inspect.containerImages(repository);
      assert.deepEqual(images.map((i) => ({ digest: i.digest, tags: [...i.tags], runId: i.runId })), [{ digest, tags: ['build-7', 'v1'], runId }]);
    });

    it('gives the same context the same digest, and another context another one', async function () {
      const again = await waitForRun(emulator, sdk, (await quickBuild(emulator, sdk, { ...CONTEXT, '.dockerignore': 'secrets/\n', 'secrets/key.txt': 'x' }, { imageNames: [`${repository}:v1`] })).runId!);
      assert.equal(again.run.outputImages![0]!.digest, digest);
      const changed = await waitForRun(emulator, sdk, (await quickBuild(emulator, sdk, { ...CONTEXT, 'app/main.py': 'print("changed")\n' }, { imageNames: [`${repository}:v2`] })).runId!);
      assert.notEqual(changed.run.outputImages![0]!.digest, digest);
      const archive = gunzipSync(await contextArchive(CONTEXT));
      assert.notEqual(changed.run.outputImages![0]!.digest, `sha256:${createHash('sha256').update(archive).digest('hex')}`, 'the digest covers the request too, not only the bytes');
    });

    it('lists runs newest first, filtered on OutputImageManifests as az acr task list-runs --image does', async function () {
      const runs = [];
      for await (const run of sdk.runs.list(emulator.resourceGroup, registry, { filter: `OutputImageManifests eq '${repository}:build-7' and Status eq 'Succeeded'` })) runs.push(run.runId);
      assert.deepEqual(runs, [runId]);
    });

    it('adds a tag to the image by importing it into its own registry (Force), and refuses to move a tag with NoForce', async function () {
      const id = emulator.inspect.containerRegistry().id;
      await sdk.registries.beginImportImageAndWait(emulator.resourceGroup, registry, { source: { resourceId: id, sourceImage: `${repository}@${digest}` }, targetTags: [`${repository}:prod`], mode: 'Force' }, { updateIntervalInMs: 50 });
      const tagged = emulator.inspect.containerImages(repository).find((i) => i.digest === digest);
      assert.ok(tagged?.tags.includes('prod'), JSON.stringify(tagged));
      const other = emulator.inspect.containerImages(repository).find((i) => i.digest !== digest)!;
      await expectRestError(
        sdk.registries.beginImportImageAndWait(emulator.resourceGroup, registry, { source: { resourceId: id, sourceImage: `${repository}@${other.digest}` }, targetTags: [`${repository}:prod`], mode: 'NoForce' }),
        409,
        'Conflict',
      );
      await expectRestError(
        sdk.registries.beginImportImageAndWait(emulator.resourceGroup, registry, { source: { resourceId: id, sourceImage: `${repository}:no-such-tag` }, targetTags: [`${repository}:x`] }),
        404,
      );
    });
  });

  describe('a quick build that cannot succeed fails with Docker\'s own words in the log', function () {
    async function failedLog(files: Record<string, string>, dockerFilePath?: string): Promise<{ status: string; message: string | undefined; log: string }> {
      const queued = await quickBuild(emulator, sdk, files, { imageNames: [`${uniqueRepository('acr-bad')}:v1`], ...(dockerFilePath ? { dockerFilePath } : {}) });
      const { run } = await waitForRun(emulator, sdk, queued.runId!);
      return { status: run.status!, message: run.runErrorMessage, log: await emulator.inspect.containerRegistryRunLog(queued.runId!) };
    }

    it('a COPY source missing from the context', async function () {
      const { status, message, log } = await failedLog({ Dockerfile: DOCKERFILE, 'requirements.txt': 'flask\n' });
      assert.equal(status, 'Failed');
      assert.equal(message, 'failed during run, err: exit status 1');
      assert.match(log, /Step 5\/6 : COPY app\/ \/app\//);
      assert.match(log, /COPY failed: file not found in build context or excluded by \.dockerignore: stat app: file does not exist/);
      assert.doesNotMatch(log, /Step 6\/6/);
    });

    it('a COPY source that .dockerignore excludes', async function () {
      const { status, log } = await failedLog({ ...CONTEXT, '.dockerignore': '*.txt\n' });
      assert.equal(status, 'Failed');
      assert.match(log, /COPY failed: file not found in build context or excluded by \.dockerignore: stat requirements\.txt/);
    });

    it('an unknown instruction, or a build instruction before FROM', async function () {
      const unknown = await failedLog({ ...CONTEXT, Dockerfile: `${DOCKERFILE}FOOBAR x\n` });
      assert.equal(unknown.status, 'Failed');
      assert.match(unknown.log, /dockerfile parse error line 7: unknown instruction: FOOBAR/);
      assert.doesNotMatch(unknown.log, /Step 1\//, 'parse errors stop the build before its first step');
      const noFrom = await failedLog({ ...CONTEXT, Dockerfile: 'ARG V=1\nRUN echo $V\nFROM python\n' });
      assert.match(noFrom.log, /dockerfile parse error line 2: no build stage in current context/);
    });

    it('no Dockerfile at dockerFilePath', async function () {
      const { status, log } = await failedLog(CONTEXT, 'docker/Dockerfile');
      assert.equal(status, 'Failed');
      assert.match(log, /unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat \/workspace\/docker\/Dockerfile: no such file or directory/);
    });

    it('accepts what Docker accepts: --from stages, ADD of a URL, JSON form, build arguments, wildcards', async function () {
      const dockerfile = [
        'ARG BASE=python:3.11',
        'FROM ${BASE} AS build',
        'ARG APP=app',
        'COPY ["${APP}/main.py", "/src/main.py"]',
        'COPY *.txt /src/',
        'ADD https://example.com/x.tar.gz /opt/',
        'FROM python:3.11-slim',
        'COPY --from=build /src /src',
        'ENTRYPOINT ["python", "/src/main.py"]',
        '',
      ].join('\n');
      const queued = await quickBuild(emulator, sdk, { ...CONTEXT, Dockerfile: dockerfile }, { imageNames: [`${uniqueRepository('acr-forms')}:v1`], arguments: [{ name: 'APP', value: 'app' }] });
      const { run } = await waitForRun(emulator, sdk, queued.runId!);
      assert.equal(run.status, 'Succeeded', await emulator.inspect.containerRegistryRunLog(queued.runId!));
    });
  });

  describe('requests ACR refuses before queuing anything (400)', function () {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['no dockerFilePath', { dockerFilePath: '' }, /dockerFilePath/],
      ['an upper-case repository', { imageNames: ['Bad/Name:v1'] }, /not a valid image name/],
      ['a timeout beyond 8 hours', { timeout: 30_000 }, /timeout/],
      ['another run type', { type: 'EncodedTaskRunRequest' }, /only quick builds/],
      ['push without image names', { imageNames: [] }, /imageNames/],
    ];
    for (const [title, change, message] of cases) {
      it(title, async function () {
        const before = emulator.inspect.containerRegistryRuns().length;
        const body = { type: 'DockerBuildRequest', imageNames: ['ok:v1'], isPushEnabled: true, dockerFilePath: 'Dockerfile', sourceLocation: 'source/x.tar.gz', platform: { os: 'Linux' }, ...change };
        const answer = await emulatorRequest(emulator, 'POST', `/subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registry}/scheduleRun?api-version=2019-06-01-preview`, {
          bearer: await armAccessToken(emulator),
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(answer.status, 400, answer.text);
        assert.match(answer.json<{ error: { message: string } }>().error.message, message);
        assert.equal(emulator.inspect.containerRegistryRuns().length, before, 'no run queued');
      });
    }

    it('a source that was never uploaded: the run fails while downloading it', async function () {
      const poller = await sdk.registries.beginScheduleRun(emulator.resourceGroup, registry, {
        type: 'DockerBuildRequest',
        imageNames: ['never:v1'],
        dockerFilePath: 'Dockerfile',
        sourceLocation: 'source/202401010000/never-uploaded.tar.gz',
        platform: { os: 'Linux' },
      });
      const { run } = await waitForRun(emulator, sdk, poller.getResult()!.runId!);
      assert.equal(run.status, 'Failed');
      assert.match(await emulator.inspect.containerRegistryRunLog(run.runId!), /failed to download the source code/);
    });
  });

  // In a describe of its own: mocha runs a suite's own tests before its nested suites, and this one reads their traffic.
  describe('and the contract test', function () {
  it('leaves Microsoft.ContainerRegistry exchanges out (not the Azure ML specification)', async function () {
    if (!specificationAvailable()) this.skip();
    const validator = await ArmContractValidator.create();
    const acr = emulator.traffic.filter((e) => /\/providers\/Microsoft\.ContainerRegistry\//i.test(new URL(e.url).pathname));
    assert.ok(acr.length > 5, 'this file sent ACR traffic');
    for (const exchange of acr) {
      const verdict = await validator.check(exchange);
      if (verdict.validated) assert.deepEqual(verdict.violations, [], `${exchange.method} ${exchange.url}`);
      else assert.match(verdict.reason, /^api-version '[^']+' is not the specification's$/);
    }
  });
  });
});

describe('emulator Azure Container Registry: cancelling a run', function () {
  this.timeout(60_000);

  it('cancels a running build: status Canceled, the log says so, nothing pushed', async function () {
    const slow = await dedicatedEmulator('acr-slow-builds', { jobStepDelayMs: 1000 });
    const sdk = await acrClient(slow);
    const registry = slow.inspect.containerRegistry().name;
    const repository = uniqueRepository('acr-cancel');
    const queued = await quickBuild(slow, sdk, CONTEXT, { imageNames: [`${repository}:v1`] });
    for (let i = 0; i < 100 && (await sdk.runs.get(slow.resourceGroup, registry, queued.runId!)).status !== 'Running'; i++) await new Promise((r) => setTimeout(r, 100));
    await sdk.runs.beginCancelAndWait(slow.resourceGroup, registry, queued.runId!);
    const run = await sdk.runs.get(slow.resourceGroup, registry, queued.runId!);
    assert.equal(run.status, 'Canceled');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await sdk.runs.get(slow.resourceGroup, registry, queued.runId!)).status, 'Canceled', 'it stays Canceled');
    assert.match(await slow.inspect.containerRegistryRunLog(queued.runId!), new RegExp(`Run ID: ${queued.runId} was canceled`));
    assert.deepEqual(slow.inspect.containerImages(repository), []);
  });

  it('the upload URL is a write-only-to-that-blob SAS of a production-style storage host', async function () {
    const emulator = await sharedEmulator();
    const sdk = await acrClient(emulator);
    const upload = await sdk.registries.getBuildSourceUploadUrl(emulator.resourceGroup, emulator.inspect.containerRegistry().name);
    const url = new URL(upload.uploadUrl!);
    assert.equal(url.host, `${emulator.storage.accountName}.blob.core.windows.net`);
    assert.ok(url.pathname.endsWith(upload.relativePath!), url.pathname);
    assert.match(upload.relativePath!, /^source\/\d{12}\/[0-9a-f-]{36}\.tar\.gz$/);
    assert.equal(url.searchParams.get('sp'), 'cw');
    assert.equal(await putBlob(emulator, upload.uploadUrl!, Buffer.from('bytes')), 201);
    const other = new URL(upload.uploadUrl!);
    other.pathname = other.pathname.replace(/[^/]+$/, 'someone-else.tar.gz');
    assert.equal(await putBlob(emulator, other.href, Buffer.from('bytes')), 403, 'the SAS is for that blob only');
  });
});
