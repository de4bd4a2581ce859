import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { logOf, startTrainTask } from '../support/trainTask';
import { commandJobProject, jobStatus, lineSeen, SLOW_TRAINING, timeUntil, trackJobProjects, type JobProject } from './waitFixtures';

/** How soon after SIGINT the job must be Canceled (the issue: "the job cancel request is sent within 3 seconds"). */
const CANCEL_BOUND_MS = 3_000;

describe('AzureMLTrain (bundled): pipeline cancellation', function () {
  this.timeout(90_000);
  let emulator: Emulator;
  const track = trackJobProjects(() => emulator);

  before(async () => {
    emulator = await sharedEmulator();
  });

  function slowJob(prefix: string): JobProject {
    return track(commandJobProject(prefix, 'python3 slow.py 60', { 'slow.py': SLOW_TRAINING }));
  }

  it('cancels the job when the pipeline is cancelled (SIGINT), and exits before the agent sends SIGTERM', async () => {
    const project = slowJob('bb-cancel');
    const lines: string[] = [];
    const running = startTrainTask({ emulator, inputs: { jobFile: project.jobFile }, onLine: (line) => lines.push(line) });
    // The script's output in the log: the task is waiting and the job is running.
    await lineSeen(lines, /^epoch 2 of/, running.result);
    assert.equal(jobStatus(emulator, project.jobName), 'Running');

    running.cancel();
    const canceledAfterMs = await timeUntil(() => jobStatus(emulator, project.jobName) === 'Canceled', 15_000, `job ${project.jobName} Canceled`);
    const result = await running.result;

    assert.ok(canceledAfterMs <= CANCEL_BOUND_MS, `Canceled observed ${canceledAfterMs} ms after SIGINT (bound ${CANCEL_BOUND_MS} ms)`);
    assert.notEqual(result.result, 'Succeeded');
    assert.equal(result.result, 'Cancelled', logOf(result));
    assert.deepEqual(result.signalsSent, ['SIGINT'], 'the task exited before the SIGTERM that follows 7.5 s later');
    assert.match(result.resultMessage ?? '', new RegExp(`Azure ML job '${project.jobName}' was cancelled too`));
    const log = logOf(result);
    assert.ok(log.includes(`The pipeline was cancelled: cancelling Azure ML job '${project.jobName}'.`), log);
    assert.match(log, new RegExp(`Azure ML job '${project.jobName}' was cancelled because the pipeline was cancelled \\(status: Canceled\\)\\. https://ml\\.azure\\.com/runs/${project.jobName}`));
  });

  it('leaves the job running when cancelOnPipelineCancel is false, and says how to find it', async () => {
    const project = slowJob('bb-keep');
    const lines: string[] = [];
    const running = startTrainTask({
      emulator,
      inputs: { jobFile: project.jobFile, cancelOnPipelineCancel: 'false' },
      onLine: (line) => lines.push(line),
    });
    await lineSeen(lines, /^epoch 2 of/, running.result);

    running.cancel();
    const result = await running.result;
    assert.equal(result.result, 'Cancelled', logOf(result));
    assert.deepEqual(result.signalsSent, ['SIGINT']);
    // The task has exited; the job goes on (its script keeps printing epochs for a minute).
    assert.equal(jobStatus(emulator, project.jobName), 'Running');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(jobStatus(emulator, project.jobName), 'Running');
    const warnings = result.warnings.join('\n');
    assert.match(warnings, new RegExp(`Azure ML job '${project.jobName}' keeps running, because cancelOnPipelineCancel is false`));
    assert.match(warnings, new RegExp(`az ml job cancel --name ${project.jobName} --resource-group ${emulator.resourceGroup} --workspace-name ${emulator.workspaceName}`));
    assert.match(warnings, /https:\/\/ml\.azure\.com\/runs\//);
  });
});
