import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { logOf, runTrainTask, SAMPLE_JOB, startTrainTask } from '../support/trainTask';
import { cancelJobAsAnotherUser, commandJobProject, jobStatus, lineSeen, pipelineJobProject, SLOW_TRAINING, trackJobProjects } from './waitFixtures';

const FAILING_TRAINING = `import sys
print("Loading data", flush=True)
def fit(alpha):
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
fit(float(sys.argv[1]))
`;

describe('AzureMLTrain (bundled): waiting for the job', function () {
  this.timeout(90_000);
  let emulator: Emulator;
  const track = trackJobProjects(() => emulator);

  before(async () => {
    emulator = await sharedEmulator();
  });

  it('waits for the sample job, showing its status changes, and succeeds once it is Completed', async () => {
    const result = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB } });
    const log = logOf(result);
    assert.equal(result.result, 'Succeeded', log);
    const jobName = result.outputs['JobName']!;
    assert.equal(jobStatus(emulator, jobName), 'Completed');
    assert.equal(result.outputs['JobStatus'], 'Completed');
    const statusLines = result.log.filter((line) => line.startsWith(`Azure ML job '${jobName}': `));
    assert.ok(statusLines.length >= 2, log);
    assert.match(statusLines[statusLines.length - 1]!, / → Completed$/);
    // Each status change once.
    assert.equal(new Set(statusLines).size, statusLines.length, log);
  });

  it("fails the task with the training script's own error text", async () => {
    const project = track(commandJobProject('bb-fail', 'python3 fail.py -1', { 'fail.py': FAILING_TRAINING }));
    const result = await runTrainTask({ emulator, inputs: { jobFile: project.jobFile } });
    assert.equal(result.result, 'Failed', logOf(result));
    assert.equal(jobStatus(emulator, project.jobName), 'Failed');
    assert.equal(result.outputs['JobStatus'], 'Failed');
    const errors = result.errors.join('\n');
    assert.match(errors, new RegExp(`Azure ML job '${project.jobName}' failed`));
    assert.match(errors, /ValueError: alpha must be >= 0, got -1\.0/);
    // The script's output was streamed before it failed.
    assert.ok(result.log.includes('Loading data'), logOf(result));
  });

  it('fails a pipeline job naming the step that failed, with its error', async () => {
    const project = track(
      pipelineJobProject('bb-pipefail', { prep: 'python3 ok.py', train: 'python3 fail.py -2' }, { 'ok.py': 'print("prep ok")\n', 'fail.py': FAILING_TRAINING }),
    );
    const result = await runTrainTask({ emulator, inputs: { jobFile: project.jobFile } });
    assert.equal(result.result, 'Failed', logOf(result));
    const errors = result.errors.join('\n');
    assert.match(errors, /Step 'train' failed: .*/);
    assert.match(errors, /ValueError: alpha must be >= 0, got -2\.0/);
  });

  it('does not report a job cancelled by someone else as a success', async () => {
    const project = track(commandJobProject('bb-other', 'python3 slow.py 60', { 'slow.py': SLOW_TRAINING }));
    const lines: string[] = [];
    const running = startTrainTask({ emulator, inputs: { jobFile: project.jobFile }, onLine: (line) => lines.push(line) });
    await lineSeen(lines, /^epoch 1 of/, running.result);
    await cancelJobAsAnotherUser(emulator, project.jobName);
    const result = await running.result;
    assert.equal(result.result, 'Failed', logOf(result));
    assert.equal(result.outputs['JobStatus'], 'Canceled');
    assert.match(result.errors.join('\n'), new RegExp(`Azure ML job '${project.jobName}' was canceled`));
    assert.deepEqual(result.signalsSent, []);
  });
});
