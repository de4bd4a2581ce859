import assert from 'node:assert/strict';

import { CancelledError, TaskError } from '@azureml-mlops/shared';

import { FakeClock, FakeWorkspace, JOB, RecordingLog, rejectionOf, runWait, STUDIO, type FakeJobSpec } from './waitFakes';

function world(spec: FakeJobSpec): { clock: FakeClock; workspace: FakeWorkspace; log: RecordingLog } {
  const clock = new FakeClock();
  return { clock, workspace: new FakeWorkspace(clock, spec), log: new RecordingLog() };
}

/** The abort runTaskMain makes on SIGINT. */
function pipelineCancellation(): AbortController {
  return new AbortController();
}

function abortAsTheAgentDoes(controller: AbortController): void {
  controller.abort(new CancelledError('The task was cancelled (SIGINT).'));
}

const RUNNING_WITH_LOGS: FakeJobSpec = {
  statuses: [[0, 'Running']],
  logs: { 'user_logs/std_log.txt': [[0, 'epoch 1\n'], [2_000, 'epoch 2\n']] },
};

describe('Train wait: pipeline cancellation', () => {
  it('sends the cancel request at once when the pipeline is cancelled during a status read, then rejects with CancelledError', async () => {
    const { clock, workspace, log } = world(RUNNING_WITH_LOGS);
    const controller = pipelineCancellation();
    let callsAtAbort = -1;
    workspace.onGetJob = (count) => {
      if (count === 3) {
        callsAtAbort = workspace.calls.length;
        abortAsTheAgentDoes(controller);
      }
    };
    const error = await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    assert.ok(error instanceof CancelledError);
    assert.equal(error.message, `The pipeline was cancelled, so Azure ML job '${JOB}' was cancelled too.`);
    const after = workspace.callsSince(callsAtAbort);
    assert.equal(after[0], 'POST cancel', `calls after the abort: ${after.join(', ')}`);
    assert.equal(workspace.count('POST cancel'), 1);
  });

  it('does not wait for the current poll interval: a cancellation during the sleep is handled at once', async () => {
    const { clock, workspace, log } = world(RUNNING_WITH_LOGS);
    const controller = pipelineCancellation();
    let callsAtAbort = -1;
    let sleepsAtAbort = -1;
    clock.onSleep = () => {
      if (clock.sleeps.length === 4) {
        // A sleep that would only end when aborted: the abort comes from outside, like a signal.
        clock.blockSleeps = true;
        setTimeout(() => {
          callsAtAbort = workspace.calls.length;
          sleepsAtAbort = clock.sleeps.length;
          abortAsTheAgentDoes(controller);
        }, 5);
      }
    };
    const error = await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    assert.ok(error instanceof CancelledError);
    assert.equal(workspace.callsSince(callsAtAbort)[0], 'POST cancel');
    assert.equal(sleepsAtAbort, 4, 'the cancellation came during the 4th sleep, which never ends by itself');
    assert.ok(log.lines.includes(`The pipeline was cancelled: cancelling Azure ML job '${JOB}'.`));
    assert.ok(log.lines.includes(`Azure ML job '${JOB}' was cancelled because the pipeline was cancelled (status: Canceled). ${STUDIO}`), log.lines.join('\n'));
  });

  it('waits only briefly for Canceled, then says the job is being cancelled', async () => {
    const { clock, workspace, log } = world({ statuses: [[0, 'Running']], canceledAfterMs: 30_000 });
    const controller = pipelineCancellation();
    workspace.onGetJob = (count) => {
      if (count === 2) abortAsTheAgentDoes(controller);
    };
    const error = await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    assert.ok(error instanceof CancelledError);
    const cancelledAt = workspace.callTimes[workspace.calls.indexOf('POST cancel')]!;
    assert.ok(clock.time - cancelledAt <= 2_000, `waited ${clock.time - cancelledAt} ms for Canceled`);
    assert.ok(log.lines.some((l) => l.startsWith(`Azure ML job '${JOB}' is being cancelled because the pipeline was cancelled (status: CancelRequested)`)), log.lines.join('\n'));
  });

  it('cancels the job when the pipeline was cancelled before the wait began, without reading its status first', async () => {
    const { clock, workspace, log } = world(RUNNING_WITH_LOGS);
    const controller = pipelineCancellation();
    abortAsTheAgentDoes(controller);
    const error = await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    assert.ok(error instanceof CancelledError);
    assert.equal(workspace.calls[0], 'POST cancel');
  });

  it('leaves the job running when cancelOnPipelineCancel is false, and says how to find and cancel it', async () => {
    const { clock, workspace, log } = world(RUNNING_WITH_LOGS);
    const controller = pipelineCancellation();
    workspace.onGetJob = (count) => {
      if (count === 2) abortAsTheAgentDoes(controller);
    };
    const error = await rejectionOf(runWait(workspace, clock, log, { cancelOnPipelineCancel: false }, controller.signal));
    assert.ok(error instanceof CancelledError);
    assert.match(error.message, /Azure ML job 'sharp_lemon_42' keeps running \(cancelOnPipelineCancel is false\)/);
    assert.equal(workspace.count('POST cancel'), 0);
    const warning = log.warnings.join('\n');
    assert.ok(warning.includes(STUDIO), warning);
    assert.ok(warning.includes('az ml job cancel --name sharp_lemon_42 --resource-group rg --workspace-name ws'), warning);
  });

  it('says so when the cancel request fails, and still reports the task cancelled', async () => {
    const { clock, workspace, log } = world(RUNNING_WITH_LOGS);
    workspace.cancelError = new TaskError('POST https://management.azure.com/.../cancel failed with HTTP 500 InternalServerError: try again');
    const controller = pipelineCancellation();
    workspace.onGetJob = (count) => {
      if (count === 2) abortAsTheAgentDoes(controller);
    };
    const error = await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    assert.ok(error instanceof CancelledError);
    assert.match(error.message, /cancelling Azure ML job 'sharp_lemon_42' failed: it may still be running/);
    assert.match(log.warnings.join('\n'), /Could not cancel Azure ML job 'sharp_lemon_42': .*HTTP 500.* It may still be running: cancel it at https:\/\/ml\.azure\.com/);
  });

  it('reports a job that finished just before it could be cancelled', async () => {
    const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [1_000, 'Completed']] });
    const controller = pipelineCancellation();
    workspace.onGetJob = (count) => {
      if (count === 1) {
        clock.time = 1_000; // the job completes while this read is in flight
        abortAsTheAgentDoes(controller);
      }
    };
    const error = await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    assert.ok(error instanceof CancelledError);
    assert.match(error.message, /had already finished \(Completed\)/);
  });

  it('prints nothing from a poll still in flight once the cancellation messages are out', async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'Running']],
      logs: { 'user_logs/std_log.txt': [[0, 'before\n'], [600, 'after the cancellation\n']] },
    });
    const controller = pipelineCancellation();
    workspace.onGetJob = (count) => {
      if (count === 2) abortAsTheAgentDoes(controller);
    };
    await rejectionOf(runWait(workspace, clock, log, {}, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(!log.lines.includes('after the cancellation'), log.lines.join('\n'));
    const cancelLine = log.lines.indexOf(`The pipeline was cancelled: cancelling Azure ML job '${JOB}'.`);
    assert.ok(cancelLine > 0);
    assert.deepEqual(log.lines.slice(cancelLine).filter((l) => l === 'before' || l.startsWith('GROUP')), []);
  });
});
