import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { logOf, runTrainTask, SAMPLE_JOB } from '../support/trainTask';
import { commandJobProject, jobStatus, pipelineJobProject, SLOW_TRAINING, trackJobProjects } from './waitFixtures';

const RANK_SCRIPT = `import os
print(f"hello from rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']}", flush=True)
`;

describe('AzureMLTrain (bundled): live job logs', function () {
  this.timeout(90_000);
  let emulator: Emulator;
  const track = trackJobProjects(() => emulator);

  before(async () => {
    emulator = await sharedEmulator();
  });

  it("shows the sample's training output in a collapsible group", async () => {
    const result = await runTrainTask({ emulator, inputs: { jobFile: SAMPLE_JOB } });
    const log = result.log;
    assert.equal(result.result, 'Succeeded', logOf(result));
    const group = log.findIndex((line) => line.startsWith("##[group]Logs of Azure ML job '"));
    const ridge = log.findIndex((line) => /^Ridge regression, alpha=0\.5: mse=\d+\.\d+ r2=0\.\d+$/.test(line));
    const end = log.findIndex((line, i) => i > group && line === '##[endgroup]');
    assert.ok(group >= 0 && group < ridge && ridge < end, logOf(result));
    assert.equal(log.filter((line) => line.startsWith('Ridge regression, alpha=')).length, 1, 'each line once');
  });

  it("prints the script's lines while the job is still running, and its last line once it ends", async () => {
    const project = track(commandJobProject('bb-live', 'python3 slow.py 3', { 'slow.py': SLOW_TRAINING }));
    const statusWhenPrinted = new Map<string, string | undefined>();
    const result = await runTrainTask({
      emulator,
      inputs: { jobFile: project.jobFile },
      onLine: (line) => {
        if (/^epoch \d+ of 6$/.test(line)) statusWhenPrinted.set(line, jobStatus(emulator, project.jobName));
      },
    });
    assert.equal(result.result, 'Succeeded', logOf(result));
    const epochs = result.log.filter((line) => /^epoch \d+ of 6$/.test(line));
    assert.deepEqual(epochs, ['epoch 1 of 6', 'epoch 2 of 6', 'epoch 3 of 6', 'epoch 4 of 6', 'epoch 5 of 6', 'epoch 6 of 6']);
    assert.equal(statusWhenPrinted.get('epoch 1 of 6'), 'Running', 'the first epoch was in the task log while the job ran');
    // Written without a newline just before the script exits: printed by the read after the job ended.
    assert.ok(result.log.includes('training done'), logOf(result));
  });

  it('streams both ranks of a distributed job, each line prefixed with its rank', async () => {
    const project = track(
      commandJobProject('bb-ranks', 'python3 rank.py', { 'rank.py': RANK_SCRIPT }, 'distribution:\n  type: pytorch\n  process_count_per_instance: 2\nresources:\n  instance_count: 1'),
    );
    const result = await runTrainTask({ emulator, inputs: { jobFile: project.jobFile } });
    assert.equal(result.result, 'Succeeded', logOf(result));
    assert.ok(result.log.includes('[rank 0] hello from rank 0 of 2'), logOf(result));
    assert.ok(result.log.includes('[rank 1] hello from rank 1 of 2'), logOf(result));
  });

  it("prefixes each pipeline step's lines with the step's name", async () => {
    const project = track(
      pipelineJobProject('bb-steps', { prep: 'python3 prep.py', train: 'python3 train.py' }, {
        'prep.py': 'print("splitting 442 rows", flush=True)\n',
        'train.py': 'print("Ridge regression, alpha=0.5", flush=True)\n',
      }),
    );
    const result = await runTrainTask({ emulator, inputs: { jobFile: project.jobFile } });
    assert.equal(result.result, 'Succeeded', logOf(result));
    assert.ok(result.log.includes('[prep] splitting 442 rows'), logOf(result));
    assert.ok(result.log.includes('[train] Ridge regression, alpha=0.5'), logOf(result));
    assert.ok(result.log.some((line) => /^Step 'train': .*Completed$/.test(line)), logOf(result));
  });

  it('prints no job output when streamLogs is false', async () => {
    const project = track(commandJobProject('bb-quiet', 'python3 slow.py 1', { 'slow.py': SLOW_TRAINING }));
    const result = await runTrainTask({ emulator, inputs: { jobFile: project.jobFile, streamLogs: 'false' } });
    assert.equal(result.result, 'Succeeded', logOf(result));
    assert.ok(!result.log.some((line) => line.startsWith('epoch ')), logOf(result));
    assert.ok(!result.log.some((line) => line.startsWith("##[group]Logs of Azure ML job")), logOf(result));
  });
});
