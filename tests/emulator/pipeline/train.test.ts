/**
 * The pipeline runner with the REAL bundled AzureMLTrain (build/extension/tasks/AzureMLTrain, made by `npm run build`)
 * against the shared emulator: a two-stage pipeline trains the diabetes sample in CI with a workload identity
 * service connection, and the next stage maps the JobName output with stageDependencies.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Emulator } from '@azureml-mlops/emulator';
import { jobResult, runPipeline, stepResult, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import { sharedEmulator } from '../../support/emulatorFixture';
import { repositoryPath, TRAIN_TASK_DIR } from '../../blackbox/support/trainTask';
import { describeRun } from './fixtures';

const CONNECTION = 'azureml-pipeline-test';

const PIPELINE = `
trigger: none
parameters:
- name: resourceGroup
  type: string
- name: workspace
  type: string
stages:
- stage: CI
  displayName: Train
  jobs:
  - job: Train
    steps:
    - checkout: self
    - task: AzureMLTrain@1
      name: train
      displayName: Train the diabetes model
      inputs:
        azureSubscription: ${CONNECTION}
        resourceGroup: \${{ parameters.resourceGroup }}
        workspace: \${{ parameters.workspace }}
        jobFile: samples/diabetes/train-job.yml
        tags: |
          pipeline=local-runner
          stage=$(System.StageName)
- stage: Evaluate
  jobs:
  - job: Report
    variables:
      trainedJob: $[ stageDependencies.CI.Train.outputs['train.JobName'] ]
      trainedStatus: $[ stageDependencies.CI.Train.outputs['train.JobStatus'] ]
    steps:
    - bash: |
        echo "job $(trainedJob) is $(trainedStatus)"
        echo "##vso[task.setvariable variable=Seen;isOutput=true]$(trainedJob)"
      name: report
`;

describe('pipeline runner: the real AzureMLTrain task in a two-stage pipeline', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let result: PipelineRunResult;
  let connectionEnv: Record<string, string>;

  before(async function () {
    assert.ok(fs.existsSync(path.join(TRAIN_TASK_DIR, 'index.js')), `${TRAIN_TASK_DIR} is not built: run npm run build`);
    emulator = await sharedEmulator();
    connectionEnv = emulator.connectionEnv(CONNECTION, 'workloadIdentity');
    result = await runPipeline({
      pipelineFile: 'tests/emulator/pipeline/train-pipeline.yml',
      pipelineText: PIPELINE,
      repositoryRoot: path.dirname(repositoryPath('samples')),
      tasksDirectory: path.dirname(TRAIN_TASK_DIR),
      parameters: { resourceGroup: emulator.resourceGroup, workspace: emulator.workspaceName },
      serviceConnections: { [CONNECTION]: { id: CONNECTION, env: connectionEnv } },
    });
  });

  it('trains in CI: the task ran as the agent runs it and the job completed in the workspace', function () {
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const train = stepResult(result, 'CI', 'Train', 'train');
    assert.equal(train?.result, 'Succeeded');
    const jobName = train?.outputs['JobName'] ?? '';
    assert.notEqual(jobName, '');
    assert.equal(train?.outputs['JobStatus'], 'Completed');
    const job = emulator.inspect.job(jobName) as { properties: { tags: Record<string, string> } } | undefined;
    assert.ok(job, 'the job exists in the emulated workspace');
    assert.equal(job.properties.tags['pipeline'], 'local-runner');
    assert.equal(job.properties.tags['stage'], 'CI', 'macros in inputs expanded with the job variables');
    assert.ok(train?.log.includes('##[section]Starting: Train the diabetes model'));
  });

  it('passes JobName to the next stage through stageDependencies', function () {
    const jobName = stepResult(result, 'CI', 'Train', 'train')?.outputs['JobName'];
    const report = stepResult(result, 'Evaluate', 'Report', 'report');
    assert.ok(report?.log.includes(`job ${jobName} is Completed`), report?.log.join('\n'));
    assert.deepEqual(jobResult(result, 'Evaluate', 'Report')?.outputs, { 'report.Seen': jobName });
  });

  it('never shows the connection secrets', function () {
    const secrets = Object.entries(connectionEnv)
      .filter(([name]) => /^ENDPOINT_AUTH_PARAMETER_.*_(ACCESSTOKEN|SERVICEPRINCIPALKEY)$/i.test(name))
      .map(([, value]) => value);
    assert.ok(secrets.length > 0, 'the connection has a secret to look for');
    const reported = JSON.stringify(result);
    for (const secret of secrets) assert.ok(!reported.includes(secret), 'a secret of the connection appears in the result');
  });
});
