/**
 * AzureMLBuildImage registry operations over the ACR management SDK (a fake client with the SDK's shape and abort
 * behaviour): a refusal (401/403) becomes one message naming the action and the role; a scheduleRun request in flight
 * when the pipeline is cancelled still gets its answer, so that the run it queued can be cancelled.
 */
import assert from 'node:assert/strict';

import { RestError } from '@azure/core-rest-pipeline';
import { CancelledError, TaskError } from '@azureml-mlops/shared';

import type * as AcrModule from '../../../tasks/AzureMLBuildImage/src/registry/acrClient';
import type * as PermissionsModule from '../../../tasks/AzureMLBuildImage/src/registry/permissions';
import type * as WaitModule from '../../../tasks/AzureMLBuildImage/src/registry/waitForRun';
import { taskModule } from './support';

const { registryOperations, SCHEDULE_ANSWER_GRACE_MS } = taskModule<typeof AcrModule>('registry/acrClient');
const { RegistryPermissionError } = taskModule<typeof PermissionsModule>('registry/permissions');
const { waitForBuildRun } = taskModule<typeof WaitModule>('registry/waitForRun');

const REGISTRY: AcrModule.RegistryInfo = {
  id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/reg',
  name: 'reg',
  subscriptionId: 's',
  resourceGroup: 'rg',
  loginServer: 'reg.azurecr.io',
};
const CONNECTION = { id: 'conn-1', clientId: 'client-1' };
const SPEC: AcrModule.DockerBuildSpec = {
  imageNames: ['repo:v1'],
  dockerFilePath: 'Dockerfile',
  sourceLocation: 'source/ctx.tar.gz',
  platform: { os: 'Linux', architecture: 'amd64' },
  arguments: [],
  timeoutSeconds: 3600,
  noCache: false,
};

function refused(status: number): RestError {
  return new RestError("The client 'client-1' with object id 'x' does not have authorization to perform action '...' over scope '...'.", {
    statusCode: status,
    code: status === 403 ? 'AuthorizationFailed' : 'InvalidAuthenticationToken',
  });
}

/** Rejects as the SDK does when its abort signal fires. */
function abortable<T>(signal: AbortSignal | undefined, answer: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    answer.then(resolve, reject);
  });
}

interface FakeSdkOptions {
  /** The operation that fails, and how. */
  readonly failing?: { readonly operation: string; readonly error: Error };
  /** When scheduleRun answers (default: at once). */
  readonly scheduleAnswer?: Promise<void>;
}

/** The part of ContainerRegistryManagementClient the operations use; records calls and the signals they got. */
function fakeSdk(options: FakeSdkOptions = {}) {
  const calls: string[] = [];
  const signals: Record<string, AbortSignal | undefined> = {};
  let status = 'Queued';
  const call = async <T>(operation: string, signal: AbortSignal | undefined, answer: () => T, after: Promise<void> = Promise.resolve()): Promise<T> => {
    calls.push(operation);
    signals[operation] = signal;
    if (options.failing?.operation === operation) throw options.failing.error;
    return abortable(signal, after.then(answer));
  };
  const run = () => ({ runId: 'ca7', status, outputImages: [] });
  const client = {
    registries: {
      getBuildSourceUploadUrl: (_rg: string, _name: string, o?: { abortSignal?: AbortSignal }) =>
        call('getBuildSourceUploadUrl', o?.abortSignal, () => ({ uploadUrl: 'https://acct.blob.core.windows.net/c/ctx.tar.gz?sig=secret', relativePath: 'source/ctx.tar.gz' })),
      beginScheduleRun: (_rg: string, _name: string, _request: unknown, o?: { abortSignal?: AbortSignal }) =>
        call('beginScheduleRun', o?.abortSignal, () => ({ getResult: run, pollUntilDone: async () => run() }), options.scheduleAnswer),
      beginImportImageAndWait: (_rg: string, _name: string, _parameters: unknown, o?: { abortSignal?: AbortSignal }) => call('beginImportImageAndWait', o?.abortSignal, () => undefined),
    },
    runs: {
      get: (_rg: string, _name: string, _runId: string, o?: { abortSignal?: AbortSignal }) => call('runs.get', o?.abortSignal, run),
      getLogSasUrl: (_rg: string, _name: string, runId: string, o?: { abortSignal?: AbortSignal }) =>
        call('runs.getLogSasUrl', o?.abortSignal, () => ({ logLink: `https://acct.blob.core.windows.net/logs/${runId}/rawtext.log?sig=secret` })),
      beginCancel: (_rg: string, _name: string, _runId: string, o?: { abortSignal?: AbortSignal }) =>
        call('runs.beginCancel', o?.abortSignal, () => {
          status = 'Canceled';
          return {};
        }),
    },
  };
  return { client: client as unknown as AcrModule.AcrSdkClient, calls, signals };
}

const idle = new AbortController().signal;

describe('AzureMLBuildImage registry operations', function () {
  describe('a refusal (401/403) names the action the identity lacks and the role that grants it', function () {
    const cases: Array<{ operation: string; call: (ops: AcrModule.RegistryOperations) => Promise<unknown>; message: RegExp }> = [
      {
        operation: 'getBuildSourceUploadUrl',
        call: (ops) => ops.getSourceUploadUrl(idle),
        message: /may not get an upload location for the build context from the container registry 'reg' \(HTTP 403 AuthorizationFailed\): its identity lacks Microsoft\.ContainerRegistry\/registries\/listBuildSourceUploadUrl\/action\. Give it the Container Registry Tasks Contributor \(or Contributor\) role/,
      },
      {
        operation: 'beginScheduleRun',
        call: (ops) => ops.scheduleBuild(SPEC, idle),
        message: /may not schedule builds \(ACR Tasks runs\) in the container registry 'reg' .*lacks Microsoft\.ContainerRegistry\/registries\/scheduleRun\/action\. Give it the Container Registry Tasks Contributor/,
      },
      { operation: 'runs.get', call: (ops) => ops.getRun('ca7', idle), message: /may not read the status of runs of the container registry 'reg' .*lacks Microsoft\.ContainerRegistry\/registries\/runs\/read\. Give it the Container Registry Tasks Contributor/ },
      {
        operation: 'runs.getLogSasUrl',
        call: (ops) => ops.getLogLink('ca7', idle),
        message: /may not read the build logs of the container registry 'reg' .*lacks Microsoft\.ContainerRegistry\/registries\/runs\/listLogSasUrl\/action\. Give it the Container Registry Tasks Contributor/,
      },
      { operation: 'runs.beginCancel', call: (ops) => ops.cancelRun('ca7', idle), message: /may not cancel runs of the container registry 'reg' .*lacks Microsoft\.ContainerRegistry\/registries\/runs\/cancel\/action\. Give it the Container Registry Tasks Contributor/ },
      {
        operation: 'beginImportImageAndWait',
        call: (ops) => ops.importTags(`repo@sha256:${'a'.repeat(64)}`, ['repo:v2'], idle),
        message: /may not import images \(to tag an image built before\) into the container registry 'reg' .*lacks Microsoft\.ContainerRegistry\/registries\/importImage\/action\. Give it the Container Registry Data Importer and Data Reader \(or Contributor\) role/,
      },
    ];
    for (const { operation, call, message } of cases) {
      it(operation, async function () {
        const { client } = fakeSdk({ failing: { operation, error: refused(403) } });
        await assert.rejects(call(registryOperations(client, REGISTRY, CONNECTION)), (error: unknown) => {
          assert.ok(error instanceof RegistryPermissionError && error instanceof TaskError, String(error));
          assert.match(error.message, /^The service connection 'conn-1' \(client id client-1\) may not /);
          assert.match(error.message, message);
          assert.doesNotMatch(error.message, /does not have authorization/, "the SDK's text is replaced, not quoted");
          return true;
        });
      });
    }

    it('401 too; other failures (404, 500) are left as they are', async function () {
      const unauthorized = fakeSdk({ failing: { operation: 'runs.get', error: refused(401) } });
      await assert.rejects(registryOperations(unauthorized.client, REGISTRY, CONNECTION).getRun('ca7', idle), (error: unknown) => error instanceof RegistryPermissionError && /\(HTTP 401 InvalidAuthenticationToken\)/.test(error.message));
      for (const statusCode of [404, 500]) {
        const original = new RestError('nope', { statusCode });
        const { client } = fakeSdk({ failing: { operation: 'runs.get', error: original } });
        await assert.rejects(registryOperations(client, REGISTRY, CONNECTION).getRun('ca7', idle), (error: unknown) => error === original);
      }
    });
  });

  describe('the pipeline cancelled while scheduleRun is in flight', function () {
    it('ACR answers soon after: the run is returned, and the wait cancels it at once', async function () {
      let answer!: () => void;
      const { client, calls, signals } = fakeSdk({ scheduleAnswer: new Promise<void>((resolve) => (answer = resolve)) });
      const ops = registryOperations(client, REGISTRY, CONNECTION);
      const controller = new AbortController();
      const scheduling = ops.scheduleBuild(SPEC, controller.signal);
      await new Promise((resolve) => setImmediate(resolve));
      controller.abort(new CancelledError('SIGINT'));
      answer();
      const started = await scheduling;
      assert.equal(started.runId, 'ca7');
      assert.equal(signals['beginScheduleRun']?.aborted, false, 'the request was not cut off when the pipeline was cancelled');

      const readLog = async (_url: string, from: number) => ({ data: Buffer.alloc(0), nextByte: from });
      const clock = { now: () => 0, sleep: async () => undefined };
      const output = { info: () => undefined, warning: () => undefined, debug: () => undefined, startGroup: () => () => undefined };
      await assert.rejects(
        waitForBuildRun(ops, started, { timeoutMinutes: 60, streamLogs: true, cancelOnPipelineCancel: true }, controller.signal, { readLog, clock, output }),
        (error: unknown) => error instanceof CancelledError && /ACR run ca7 was cancelled too/.test(error.message),
      );
      assert.deepEqual(calls, ['beginScheduleRun', 'runs.beginCancel', 'runs.get']);
    });

    it(`no answer within ${SCHEDULE_ANSWER_GRACE_MS} ms: the request is given up (rejects)`, async function () {
      this.timeout(SCHEDULE_ANSWER_GRACE_MS + 5_000);
      const { client, signals } = fakeSdk({ scheduleAnswer: new Promise<void>(() => undefined) });
      const controller = new AbortController();
      const scheduling = registryOperations(client, REGISTRY, CONNECTION).scheduleBuild(SPEC, controller.signal);
      controller.abort(new CancelledError('SIGINT'));
      await assert.rejects(scheduling, (error: unknown) => error instanceof Error && error.name === 'AbortError');
      assert.equal(signals['beginScheduleRun']?.aborted, true);
    });

    it('cancelled before the request is sent: nothing is scheduled', async function () {
      const { client, calls } = fakeSdk();
      const controller = new AbortController();
      controller.abort(new CancelledError('SIGINT'));
      await assert.rejects(registryOperations(client, REGISTRY, CONNECTION).scheduleBuild(SPEC, controller.signal), CancelledError);
      assert.deepEqual(calls, []);
    });
  });
});
