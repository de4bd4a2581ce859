import assert from 'node:assert/strict';

import { CancelledError, TaskError } from '@azureml-mlops/shared';

import { FakeClock, FakeWorkspace, JOB, RecordingLog, rejectionOf, runWait, STUDIO, wait, waitInternal } from './waitFakes';
import type * as ScheduleModule from '../../../tasks/AzureMLTrain/src/wait/pollSchedule';

const { PollSchedule, POLL_SCHEDULE } = waitInternal<typeof ScheduleModule>('pollSchedule');

function world(spec: ConstructorParameters<typeof FakeWorkspace>[1]): { clock: FakeClock; workspace: FakeWorkspace; log: RecordingLog } {
  const clock = new FakeClock();
  return { clock, workspace: new FakeWorkspace(clock, spec), log: new RecordingLog() };
}

describe('Train wait: polling', () => {
  describe('poll schedule', () => {
    it('starts at 0.5 s, grows 1.5 times per poll, never beyond half the time since the last change, capped at 15 s', () => {
      const schedule = new PollSchedule(0);
      let now = 0;
      const intervals: number[] = [];
      for (let i = 0; i < 20; i++) {
        const interval = schedule.next(now);
        intervals.push(interval);
        now += interval;
      }
      assert.equal(intervals[0], POLL_SCHEDULE.initialMs);
      assert.deepEqual(intervals.slice(0, 6), [500, 500, 500, 750, 1125, 1688]);
      for (let i = 1; i < intervals.length; i++) {
        assert.ok(intervals[i]! <= Math.ceil(intervals[i - 1]! * 1.5), `interval ${i} grew more than 1.5x: ${intervals.join(', ')}`);
        assert.ok(intervals[i]! >= intervals[i - 1]!, `interval ${i} shrank without a change: ${intervals.join(', ')}`);
      }
      assert.equal(Math.max(...intervals), POLL_SCHEDULE.maxMs);
      assert.equal(intervals[intervals.length - 1], 15_000);
    });

    it('starts over at 0.5 s after a change, and stays at or under 5 s while log lines arrive', () => {
      const schedule = new PollSchedule(0);
      let now = 0;
      for (let i = 0; i < 15; i++) now += schedule.next(now);
      assert.equal(schedule.next(now), 15_000);
      assert.equal(schedule.next(now, true), 5_000);
      schedule.changed(now);
      assert.equal(schedule.next(now), 500);
    });
  });

  it('notices a 3 s job finishing within 1.5 times its duration', async () => {
    const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [3_000, 'Completed']] });
    const outcome = await runWait(workspace, clock, log, { streamLogs: false });
    assert.equal(outcome.status, 'Completed');
    assert.ok(clock.time >= 3_000 && clock.time <= 4_500, `noticed at ${clock.time} ms`);
  });

  it('backs off while nothing changes and polls fast again after a status change', async () => {
    const { clock, workspace, log } = world({ statuses: [[0, 'Queued'], [120_000, 'Running'], [135_000, 'Completed']] });
    await runWait(workspace, clock, log, { streamLogs: false });
    // Without log streaming the wait reads only the status (and the run details at the end): sleep i follows read i.
    const reads = workspace.callTimes.filter((_, i) => workspace.calls[i] === 'GET job');
    const firstRunning = reads.findIndex((t) => t >= 120_000);
    const queuedSleeps = clock.sleeps.slice(0, firstRunning);
    assert.equal(Math.max(...queuedSleeps), 15_000, 'backed off to the cap while Queued');
    assert.equal(clock.sleeps[firstRunning], 500, 'fast again once Running');
    assert.ok(clock.time <= 135_000 + 7_500, `completion noticed at ${clock.time} ms`);
    // 2 minutes of Queued cost a handful of reads, not 240 half-second polls.
    assert.ok(firstRunning < 25, `${firstRunning} polls while Queued`);
  });

  it('logs each status change once, as one line, in order', async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'NotStarted'], [1_000, 'Queued'], [2_000, 'Preparing'], [5_000, 'Running'], [9_000, 'Finalizing'], [14_000, 'Completed']],
    });
    await runWait(workspace, clock, log, { streamLogs: false });
    const statusLines = log.lines.filter((l) => l.startsWith(`Azure ML job '${JOB}':`));
    assert.deepEqual(statusLines, [
      `Azure ML job '${JOB}': NotStarted`,
      `Azure ML job '${JOB}': NotStarted → Queued`,
      `Azure ML job '${JOB}': Queued → Preparing`,
      `Azure ML job '${JOB}': Preparing → Running`,
      `Azure ML job '${JOB}': Running → Finalizing`,
      `Azure ML job '${JOB}': Finalizing → Completed`,
    ]);
    assert.ok(workspace.count('GET job') > statusLines.length, 'several polls per status');
  });

  it('succeeds only with Completed, with the run times', async () => {
    const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [1_000, 'Completed']] });
    const outcome = await runWait(workspace, clock, log);
    assert.deepEqual(
      { status: outcome.status, succeeded: outcome.succeeded, timedOut: outcome.timedOut, failureMessage: outcome.failureMessage },
      { status: 'Completed', succeeded: true, timedOut: false, failureMessage: undefined },
    );
    assert.equal(outcome.startedAt?.toISOString(), '2024-01-01T00:00:00.000Z');
    assert.equal(outcome.endedAt?.toISOString(), '2024-01-01T00:05:00.000Z');
  });

  for (const status of ['Failed', 'Canceled', 'NotResponding', 'Paused']) {
    it(`ends the wait on ${status}, which is not a success`, async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [2_000, status]] });
      const outcome = await runWait(workspace, clock, log, { streamLogs: false });
      assert.equal(outcome.status, status);
      assert.equal(outcome.succeeded, false);
      assert.equal(outcome.timedOut, false);
      assert.equal(workspace.count('POST cancel'), 0);
    });
  }

  it("gives the service's own error text of a failed job", async () => {
    const error =
      "Execution failed. User process 'python' exited with status code 1. Please check log file 'user_logs/std_log.txt' for error details. " +
      'Error: Traceback (most recent call last):\n  File "train.py", line 3, in <module>\nValueError: alpha must be positive';
    const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [2_000, 'Failed']], error });
    const outcome = await runWait(workspace, clock, log);
    assert.equal(outcome.failureMessage, error);
  });

  describe('transient status read failures', () => {
    it('tolerates a few failed polls in a row with a warning each, and goes on', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [10_000, 'Completed']] });
      workspace.getJobErrors = [undefined, new Error('read ECONNRESET'), new Error('read ECONNRESET'), new Error('HTTP 503 ServiceUnavailable')];
      const outcome = await runWait(workspace, clock, log, { streamLogs: false });
      assert.equal(outcome.status, 'Completed');
      const warnings = log.warnings;
      assert.equal(warnings.length, 3);
      assert.match(warnings[0]!, /Could not read the status of Azure ML job 'sharp_lemon_42' \(1 of 5 failures in a row allowed\): read ECONNRESET/);
      assert.match(warnings[2]!, /\(3 of 5 .*HTTP 503/);
    });

    it('counts only failures in a row', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [30_000, 'Completed']] });
      const e = (): Error => new Error('socket hang up');
      workspace.getJobErrors = [e(), e(), e(), e(), undefined, e(), e(), e(), e()];
      const outcome = await runWait(workspace, clock, log, { streamLogs: false });
      assert.equal(outcome.status, 'Completed');
      assert.equal(log.warnings.length, 8);
    });

    it('fails clearly after 5 failed polls in a row, naming the job and where to find it', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running']] });
      workspace.getJobErrors = [undefined, ...Array.from({ length: 5 }, () => new Error('getaddrinfo ENOTFOUND management.azure.com'))];
      const error = await rejectionOf(runWait(workspace, clock, log, { streamLogs: false }));
      assert.ok(error instanceof TaskError && !(error instanceof CancelledError));
      assert.match(error.message, /^Lost track of Azure ML job 'sharp_lemon_42': its status could not be read 5 times in a row\. Last error: getaddrinfo ENOTFOUND/);
      assert.ok(error.message.includes(STUDIO), error.message);
      assert.equal(workspace.count('GET job'), 6);
      assert.equal(workspace.count('POST cancel'), 0);
    });
  });

  describe('timeoutMinutes', () => {
    it('cancels the job when the timeout is reached and reports timedOut', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running']], canceledAfterMs: 3_000 });
      const outcome = await runWait(workspace, clock, log, { timeoutMinutes: 2, streamLogs: false });
      assert.equal(workspace.count('POST cancel'), 1);
      const cancelTime = workspace.callTimes[workspace.calls.indexOf('POST cancel')]!;
      assert.equal(cancelTime, 120_000, 'cancelled exactly at the deadline, not a poll interval later');
      assert.deepEqual({ status: outcome.status, succeeded: outcome.succeeded, timedOut: outcome.timedOut }, { status: 'Canceled', succeeded: false, timedOut: true });
      assert.ok(log.lines.some((l) => l.includes("has not finished within timeoutMinutes (2 minutes): cancelling it")), log.lines.join('\n'));
    });

    it('reports timedOut with the status seen when the job has not stopped yet', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running']], canceledAfterMs: 10 * 60_000 });
      const outcome = await runWait(workspace, clock, log, { timeoutMinutes: 1, streamLogs: false });
      assert.deepEqual({ status: outcome.status, timedOut: outcome.timedOut, succeeded: outcome.succeeded }, { status: 'CancelRequested', timedOut: true, succeeded: false });
      assert.ok(log.warnings.some((w) => w.includes('CancelRequested') && w.includes(STUDIO)));
    });

    it('does not time out a job that finishes in time', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [50_000, 'Completed']] });
      const outcome = await runWait(workspace, clock, log, { timeoutMinutes: 1, streamLogs: false });
      assert.deepEqual({ status: outcome.status, timedOut: outcome.timedOut }, { status: 'Completed', timedOut: false });
      assert.equal(workspace.count('POST cancel'), 0);
    });

    it('fails naming timeoutMinutes when the cancel request itself fails', async () => {
      const { clock, workspace, log } = world({ statuses: [[0, 'Running']] });
      workspace.cancelError = new Error('POST .../cancel failed with HTTP 403 AuthorizationFailed: no permission');
      const error = await rejectionOf(runWait(workspace, clock, log, { timeoutMinutes: 1, streamLogs: false }));
      assert.ok(error instanceof TaskError);
      assert.match(error.message, /did not finish within timeoutMinutes \(1 minute\), and cancelling it failed: .*AuthorizationFailed/);
      assert.match(error.message, /az ml job cancel --name sharp_lemon_42 --resource-group rg --workspace-name ws/);
    });
  });

  it('is exported with the documented interface', () => {
    assert.equal(typeof wait.waitForJob, 'function');
    assert.equal(typeof wait.collectJobResults, 'function');
    assert.deepEqual(['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused', 'Running', 'CancelRequested', 'Queued'].map(wait.isTerminalStatus), [
      true, true, true, true, true, false, false, false,
    ]);
  });
});
