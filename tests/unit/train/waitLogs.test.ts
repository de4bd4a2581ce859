import assert from 'node:assert/strict';

import { LogLineReader, neutralizeAgentCommands } from '@azureml-mlops/shared';

import { FakeClock, FakeWorkspace, JOB, RecordingLog, runWait, waitInternal, type FakeJobSpec } from './waitFakes';
import type * as LogFilesModule from '../../../tasks/AzureMLTrain/src/wait/logFiles';

const { selectStreamedLogs } = waitInternal<typeof LogFilesModule>('logFiles');

function world(spec: FakeJobSpec): { clock: FakeClock; workspace: FakeWorkspace; log: RecordingLog } {
  const clock = new FakeClock();
  return { clock, workspace: new FakeWorkspace(clock, spec), log: new RecordingLog() };
}

describe('Train wait: live logs', () => {
  describe('which log files', () => {
    it('streams every process of the common runtime, rank 0 first, with the rank when there are several', () => {
      const files = selectStreamedLogs([
        'azureml-logs/20_image_build_log.txt',
        'user_logs/std_log_process_10.txt',
        'user_logs/std_log_process_2.txt',
        'system_logs/cs_capability/cs-capability.log',
        'user_logs/std_log_process_0.txt',
        'logs/azureml/executionlogs.txt',
      ]);
      assert.deepEqual(files, [
        { path: 'user_logs/std_log_process_0.txt', process: 'rank 0' },
        { path: 'user_logs/std_log_process_2.txt', process: 'rank 2' },
        { path: 'user_logs/std_log_process_10.txt', process: 'rank 10' },
      ]);
      assert.deepEqual(selectStreamedLogs(['user_logs/std_log.txt', 'azureml-logs/70_driver_log.txt']), [{ path: 'user_logs/std_log.txt' }]);
    });

    it("falls back to the older runtime's driver logs, and leaves system logs out", () => {
      assert.deepEqual(selectStreamedLogs(['azureml-logs/55_azureml-execution-tvmps.txt', 'azureml-logs/70_driver_log_1.txt', 'azureml-logs/70_driver_log_0.txt']), [
        { path: 'azureml-logs/70_driver_log_0.txt', process: 'rank 0' },
        { path: 'azureml-logs/70_driver_log_1.txt', process: 'rank 1' },
      ]);
      assert.deepEqual(selectStreamedLogs(['azureml-logs/70_driver_log.txt']), [{ path: 'azureml-logs/70_driver_log.txt' }]);
      assert.deepEqual(selectStreamedLogs(['logs/azureml/executionlogs.txt', 'azureml-logs/65_job_prep-tvmps.txt']), []);
    });
  });

  describe('lines', () => {
    it('keeps a partial line (and a split UTF-8 character) until its newline', () => {
      const reader = new LogLineReader();
      const euro = Buffer.from('€', 'utf8');
      assert.deepEqual(reader.push(Buffer.concat([Buffer.from('first\nprice: 5'), euro.subarray(0, 1)])), ['first']);
      assert.deepEqual(reader.push(Buffer.concat([euro.subarray(1), Buffer.from('\r\nlast')])), ['price: 5€']);
      assert.deepEqual(reader.end(), ['last']);
      assert.deepEqual(reader.end(), []);
    });

    it('shows what a terminal shows of progress bars redrawn with carriage returns', () => {
      const reader = new LogLineReader();
      assert.deepEqual(reader.push(Buffer.from('epoch 1:  10%\repoch 1:  50%\repoch 1: 100%\n')), ['epoch 1: 100%']);
    });

    it('keeps the job from issuing agent logging commands or formatting', () => {
      assert.equal(neutralizeAgentCommands('##vso[task.setvariable variable=x]1'), '##vso [task.setvariable variable=x]1');
      assert.equal(neutralizeAgentCommands('prefix ##VSO[task.complete result=Failed]'), 'prefix ##VSO [task.complete result=Failed]');
      assert.equal(neutralizeAgentCommands('##[error]looks like an error'), '## [error]looks like an error');
      assert.equal(neutralizeAgentCommands('a # normal ## line [x]'), 'a # normal ## line [x]');
    });
  });

  it('prints new lines as they appear, completes partial lines, and reads the rest once the job is done', async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'Running'], [6_000, 'Completed']],
      logs: {
        'user_logs/std_log.txt': [
          [1_000, 'Loaded 442 rows\nRidge regression, al'],
          [3_000, 'pha=0.5: mse=3000.12 r2=0.4512\n'],
          // Written just before the job ended: only the read after the terminal status sees it.
          [6_000, 'Model written to outputs/model.json\nno newline at the end'],
        ],
      },
    });
    const outcome = await runWait(workspace, clock, log);
    assert.equal(outcome.status, 'Completed');
    assert.deepEqual(log.output, [
      'Loaded 442 rows',
      'Ridge regression, alpha=0.5: mse=3000.12 r2=0.4512',
      'Model written to outputs/model.json',
      'no newline at the end',
    ]);
    // Each read starts where the previous one ended: the log is downloaded once.
    const offsets = workspace.calls.filter((c) => c.startsWith('read ')).map((c) => Number(c.split('@')[1]));
    assert.deepEqual([...new Set(offsets)], [0, 36, 67]);
    // Lines appeared while the job ran, not only at the end.
    const firstLinePoll = workspace.calls.findIndex((c) => c.startsWith('read ') && c.endsWith('@0'));
    assert.ok(workspace.callTimes[firstLinePoll]! < 6_000);
  });

  it('puts the output in a collapsible group between status lines', async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'Queued'], [1_000, 'Running'], [5_000, 'Finalizing'], [9_000, 'Completed']],
      logs: { 'user_logs/std_log.txt': [[1_000, 'hello\n'], [2_000, 'world\n']] },
    });
    await runWait(workspace, clock, log);
    const lines = log.lines.filter((l) => !l.startsWith('Waiting for'));
    assert.deepEqual(lines, [
      `Azure ML job '${JOB}': Queued`,
      `Azure ML job '${JOB}': Queued → Running`,
      `GROUP Logs of Azure ML job '${JOB}'`,
      'hello',
      'world',
      'ENDGROUP',
      `Azure ML job '${JOB}': Running → Finalizing`,
      `Azure ML job '${JOB}': Finalizing → Completed`,
    ]);
  });

  it('streams every rank of a distributed job, each line prefixed with its rank', async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'Running'], [4_000, 'Completed']],
      logs: {
        'user_logs/std_log_process_0.txt': [[1_000, 'rank=0 world=2\n'], [3_000, 'rank 0 done\n']],
        'user_logs/std_log_process_1.txt': [[1_500, 'rank=1 world=2\n'], [3_500, 'Traceback: only rank 1 failed\n']],
      },
    });
    await runWait(workspace, clock, log);
    assert.deepEqual(log.output.slice().sort(), ['[rank 0] rank 0 done', '[rank 0] rank=0 world=2', '[rank 1] Traceback: only rank 1 failed', '[rank 1] rank=1 world=2']);
  });

  it("neutralizes agent commands printed by the job's script", async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'Running'], [2_000, 'Completed']],
      logs: { 'user_logs/std_log.txt': [[500, '##vso[task.setvariable variable=Deploy]yes\n##[endgroup]\n']] },
    });
    await runWait(workspace, clock, log);
    assert.deepEqual(log.output, ['##vso [task.setvariable variable=Deploy]yes', '## [endgroup]']);
  });

  it('prefixes the lines of each pipeline step with its name, finding steps as they start', async () => {
    const { clock, workspace, log } = world({
      jobType: 'Pipeline',
      statuses: [[0, 'Running'], [10_000, 'Completed']],
      steps: {
        'child-prep': {
          stepName: 'prep',
          appearsAt: 1_000,
          statuses: [[1_000, 'Running'], [4_000, 'Completed']],
          logs: { 'user_logs/std_log.txt': [[1_500, 'splitting data\n'], [3_500, 'wrote 442 rows\n']] },
        },
        'child-train': {
          stepName: 'train',
          appearsAt: 5_000,
          statuses: [[5_000, 'Running'], [9_000, 'Completed']],
          logs: {
            'user_logs/std_log_process_0.txt': [[5_500, 'Ridge regression, alpha=0.5\n']],
            'user_logs/std_log_process_1.txt': [[5_500, 'worker ready\n']],
          },
        },
      },
    });
    const outcome = await runWait(workspace, clock, log);
    assert.equal(outcome.status, 'Completed');
    assert.deepEqual(log.output, ['[prep] splitting data', '[prep] wrote 442 rows', '[train] [rank 0] Ridge regression, alpha=0.5', '[train] [rank 1] worker ready']);
    const stepLines = log.lines.filter((l) => l.startsWith('Step '));
    assert.deepEqual(stepLines, ["Step 'prep': Running", "Step 'prep': Running → Completed", "Step 'train': Running", "Step 'train': Running → Completed"]);
    // The train step was found by a later search, after it appeared.
    const firstTrainRead = workspace.calls.findIndex((c) => c === 'details child-train');
    assert.ok(workspace.callTimes[firstTrainRead]! >= 5_000);
    // A finished step is not read again.
    const prepReadsAfterDone = workspace.calls.filter((c, i) => c === 'details child-prep' && workspace.callTimes[i]! > 5_000);
    assert.deepEqual(prepReadsAfterDone, []);
  });

  it("fails a pipeline with its failed step's own error, naming the step", async () => {
    const { clock, workspace, log } = world({
      jobType: 'Pipeline',
      statuses: [[0, 'Running'], [6_000, 'Failed']],
      error: 'Pipeline has failed child jobs. Failed nodes: /train.',
      steps: {
        'child-prep': { stepName: 'prep', statuses: [[0, 'Running'], [2_000, 'Completed']] },
        'child-train': {
          stepName: 'train',
          statuses: [[2_000, 'Running'], [5_000, 'Failed']],
          error: "Execution failed. User process 'python' exited with status code 1. Error: ValueError: alpha must be >= 0",
        },
      },
    });
    const outcome = await runWait(workspace, clock, log);
    assert.equal(outcome.status, 'Failed');
    assert.equal(outcome.failureMessage, "Step 'train' failed: Execution failed. User process 'python' exited with status code 1. Error: ValueError: alpha must be >= 0");
    assert.ok(log.lines.includes("Step 'train': Running → Failed"));
  });

  it('names the failed step without streaming logs too', async () => {
    const { clock, workspace, log } = world({
      jobType: 'Pipeline',
      statuses: [[0, 'Running'], [3_000, 'Failed']],
      steps: { 'child-train': { stepName: 'train', statuses: [[0, 'Running'], [2_000, 'Failed']], error: 'Error: boom' } },
    });
    const outcome = await runWait(workspace, clock, log, { streamLogs: false });
    assert.equal(outcome.failureMessage, "Step 'train' failed: Error: boom");
  });

  it('reads no logs when streamLogs is false', async () => {
    const { clock, workspace, log } = world({ statuses: [[0, 'Running'], [5_000, 'Completed']], logs: { 'user_logs/std_log.txt': [[500, 'hidden\n']] } });
    await runWait(workspace, clock, log, { streamLogs: false });
    assert.deepEqual(log.output, []);
    assert.equal(workspace.calls.filter((c) => c.startsWith('read ')).length, 0);
  });

  it('warns once when a log cannot be read and keeps streaming the others', async () => {
    const { clock, workspace, log } = world({
      statuses: [[0, 'Running'], [5_000, 'Completed']],
      logs: { 'user_logs/std_log_process_0.txt': [[500, 'a\n'], [2_000, 'b\n']], 'user_logs/std_log_process_1.txt': [[500, 'c\n']] },
    });
    workspace.failingLogs.add('user_logs/std_log_process_1.txt');
    const outcome = await runWait(workspace, clock, log);
    assert.equal(outcome.status, 'Completed');
    assert.deepEqual(log.output, ['[rank 0] a', '[rank 0] b']);
    assert.equal(log.warnings.length, 1);
    assert.match(log.warnings[0]!, /Could not read user_logs\/std_log_process_1\.txt of job 'sharp_lemon_42': GET user_logs\/std_log_process_1\.txt failed with HTTP 503\. Log streaming goes on/);
    assert.ok(!log.lines.join('\n').includes('sig='), 'no SAS URL printed');
  });
});
