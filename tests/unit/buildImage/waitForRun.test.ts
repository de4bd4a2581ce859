/**
 * AzureMLBuildImage waiting for an ACR run, on a virtual clock: the log streamed as it grows (lines split across reads,
 * a log not readable yet), status reads that fail now and then, the pipeline cancelled, the task's own deadline.
 */
import assert from 'node:assert/strict';

import { CancelledError, TaskError } from '@azureml-mlops/shared';

import type * as AcrModule from '../../../tasks/AzureMLBuildImage/src/registry/acrClient';
import type * as WaitModule from '../../../tasks/AzureMLBuildImage/src/registry/waitForRun';
import { taskModule } from './support';

const { waitForBuildRun, MAX_CONSECUTIVE_POLL_FAILURES } = taskModule<typeof WaitModule>('registry/waitForRun');

interface Step {
  readonly status: string;
  /** Log text appended when this status is first read. */
  readonly log?: string;
}

/** A registry whose run walks through `steps` (one per status read) and whose log grows with them. */
function fakeRegistry(steps: Step[], options: { failReads?: number[]; linkFailures?: number } = {}) {
  let reads = 0;
  let log = '';
  let linkFailures = options.linkFailures ?? 0;
  const calls: string[] = [];
  const registry: AcrModule.RegistryOperations = {
    registry: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/reg', name: 'reg', subscriptionId: 's', resourceGroup: 'rg', loginServer: 'reg.azurecr.io' },
    getSourceUploadUrl: async () => assert.fail('not used'),
    scheduleBuild: async () => assert.fail('not used'),
    importTags: async () => assert.fail('not used'),
    async getRun(runId) {
      calls.push('getRun');
      reads += 1;
      if (options.failReads?.includes(reads)) throw new Error(`connection reset (read ${reads})`);
      const step = steps[Math.min(reads - 1, steps.length - 1)]!;
      if (step.log && !log.includes(step.log)) log += step.log;
      const done = step.status === 'Succeeded';
      return { runId, status: step.status, outputImages: done ? [{ repository: 'repo', tag: 'v1', digest: `sha256:${'c'.repeat(64)}` }] : [] };
    },
    async getLogLink() {
      calls.push('getLogLink');
      if (linkFailures > 0) {
        linkFailures -= 1;
        throw new Error('the log is not there yet');
      }
      return 'https://acct.blob.core.windows.net/logs/ca1/rawtext.log?sig=secret';
    },
    async cancelRun() {
      calls.push('cancelRun');
      steps.push({ status: 'Canceled' });
      reads = steps.length - 1;
    },
  };
  const readLog = async (_url: string, from: number) => {
    const bytes = Buffer.from(log, 'utf8');
    const data = bytes.subarray(from);
    return { data, nextByte: from + data.length };
  };
  return { registry, readLog, calls };
}

function virtualClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number, signal: AbortSignal) => {
      signal.throwIfAborted();
      now += ms;
    },
  };
}

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    output: {
      info: (line: string) => lines.push(line),
      warning: (message: string) => lines.push(`WARNING ${message}`),
      debug: (message: string) => lines.push(`DEBUG ${message}`),
      startGroup: (title: string) => {
        lines.push(`GROUP ${title}`);
        return () => lines.push('ENDGROUP');
      },
    },
  };
}

const OPTIONS = { timeoutMinutes: 60, streamLogs: true, cancelOnPipelineCancel: true };
const QUEUED = { runId: 'ca1', status: 'Queued', outputImages: [] };

describe('AzureMLBuildImage waiting for an ACR run', function () {
  it('streams the log as it grows (a line split between reads printed once whole) and reports each status', async function () {
    const { registry, readLog } = fakeRegistry([
      { status: 'Queued' },
      { status: 'Running', log: 'Step 1/2 : FROM python\nStep 2/2 : COPY a' },
      { status: 'Running', log: ' /a\n' },
      { status: 'Succeeded', log: 'Run ID: ca1 was successful after 2s' },
    ]);
    const { lines, output } = recorder();
    const outcome = await waitForBuildRun(registry, QUEUED, OPTIONS, new AbortController().signal, { readLog, clock: virtualClock(), output });
    assert.equal(outcome.succeeded, true);
    assert.equal(outcome.run.outputImages[0]?.digest, `sha256:${'c'.repeat(64)}`);
    assert.deepEqual(lines.slice(1), [
      'ACR run ca1: Queued',
      'ACR run ca1: Queued → Running',
      'GROUP Build log (ACR run ca1)',
      'Step 1/2 : FROM python',
      'Step 2/2 : COPY a /a',
      'Run ID: ca1 was successful after 2s',
      'ENDGROUP',
      'ACR run ca1: Running → Succeeded',
    ]);
  });

  it('goes on when the log cannot be read yet (one warning), and when a status read fails now and then', async function () {
    const { registry, readLog } = fakeRegistry([{ status: 'Running', log: 'line 1\n' }, { status: 'Running' }, { status: 'Failed', log: 'COPY failed: stat x: file does not exist\n' }], {
      failReads: [2, 3],
      linkFailures: 2,
    });
    const { lines, output } = recorder();
    const outcome = await waitForBuildRun(registry, QUEUED, OPTIONS, new AbortController().signal, { readLog, clock: virtualClock(), output });
    assert.equal(outcome.succeeded, false);
    assert.equal(outcome.failureLine, 'COPY failed: stat x: file does not exist');
    assert.equal(lines.filter((l) => l.startsWith('WARNING Could not read the build log')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => l.startsWith('WARNING Could not read the status of ACR run ca1')).length, 2);
    assert.ok(lines.includes('line 1'));
  });

  it(`gives up after ${MAX_CONSECUTIVE_POLL_FAILURES} status reads failing in a row, saying how to follow the run`, async function () {
    const { registry, readLog } = fakeRegistry([{ status: 'Running' }], { failReads: [1, 2, 3, 4, 5, 6] });
    await assert.rejects(
      waitForBuildRun(registry, QUEUED, OPTIONS, new AbortController().signal, { readLog, clock: virtualClock(), output: recorder().output }),
      (error: unknown) => error instanceof TaskError && /^Lost track of ACR run ca1: its status could not be read 5 times in a row\. .*az acr task logs --registry reg --run-id ca1$/.test(error.message),
    );
  });

  it('the pipeline cancelled: sends the cancel request at once, sees the run Canceled, and rejects with CancelledError', async function () {
    const { registry, readLog, calls } = fakeRegistry([{ status: 'Running', log: 'Step 1/9 : FROM python\n' }]);
    const controller = new AbortController();
    const clock = virtualClock();
    const { lines, output } = recorder();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      controller.abort(new CancelledError('SIGINT'));
      return sleep(ms, signal);
    };
    await assert.rejects(waitForBuildRun(registry, QUEUED, OPTIONS, controller.signal, { readLog, clock, output }), (error: unknown) => error instanceof CancelledError && /ACR run ca1 was cancelled too/.test(error.message));
    assert.ok(calls.includes('cancelRun'));
    assert.ok(lines.includes('ACR run ca1 was cancelled because the pipeline was cancelled (status: Canceled).'), lines.join('\n'));
  });

  it('past its own deadline (the run\'s timeout plus time to be queued) the task cancels the run', async function () {
    const { registry, readLog, calls } = fakeRegistry([{ status: 'Queued' }]);
    const outcome = await waitForBuildRun(registry, QUEUED, { ...OPTIONS, timeoutMinutes: 5 }, new AbortController().signal, { readLog, clock: virtualClock(), output: recorder().output });
    assert.equal(outcome.timedOut, true);
    assert.equal(outcome.run.status, 'Canceled');
    assert.ok(calls.includes('cancelRun'));
  });
});
