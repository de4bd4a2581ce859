import assert from 'node:assert/strict';
import { jobResult, stepResult, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import { describeRun, Sandbox } from './fixtures';

/**
 * Timeouts run on a shortened minute (option minuteMs), long enough for the fixture task to be up and handling
 * SIGINT when the agent sends it.
 */
const MINUTE_MS = 1500;

describe('pipeline runner: timeouts and cancellation', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(function () {
    sandbox = new Sandbox();
  });

  after(function () {
    sandbox.remove();
  });

  describe('a job running longer than its timeoutInMinutes', function () {
    let result: PipelineRunResult;

    before(async function () {
      result = await sandbox.run(
        `
stages:
- stage: Long
  jobs:
  - job: Slow
    timeoutInMinutes: 1
    steps:
    - task: PipelineFixture@2
      name: wait
      inputs: { scenario: wait }
    - bash: echo after
      name: after
    - bash: echo "cleanup with job status $(Agent.JobStatus)"
      name: cleanup
      condition: always()
  - job: Other
    steps:
    - bash: echo independent
      name: independent
- stage: Later
  jobs:
  - job: Never
    steps:
    - bash: echo never
`,
        { minuteMs: MINUTE_MS },
      );
    });

    it('cancels the running task as the agent does (SIGINT first, so the task can clean up)', function () {
      const wait = stepResult(result, 'Long', 'Slow', 'wait');
      assert.equal(wait?.result, 'Canceled', describeRun(result));
      assert.ok(wait?.log.includes('received SIGINT, cleaning up'), wait?.log.join('\n'));
    });

    it('ends the job Canceled with the agent message; later steps skip unless always()', function () {
      const slow = jobResult(result, 'Long', 'Slow');
      assert.equal(slow?.result, 'Canceled');
      assert.equal(slow?.timedOut, true);
      assert.ok(slow?.messages.includes('The job running on agent Local Agent ran longer than the maximum time of 1 minutes.'), slow?.messages.join('\n'));
      assert.equal(stepResult(result, 'Long', 'Slow', 'after')?.result, 'Skipped');
      const cleanup = stepResult(result, 'Long', 'Slow', 'cleanup');
      assert.equal(cleanup?.result, 'Succeeded');
      assert.ok(cleanup?.log.includes('cleanup with job status Canceled'), cleanup?.log.join('\n'));
    });

    it('other jobs are not affected; the stage is Canceled and the next stage skipped', function () {
      assert.equal(jobResult(result, 'Long', 'Other')?.result, 'Succeeded');
      assert.equal(result.stages[0]?.result, 'Canceled');
      assert.equal(result.stages[1]?.result, 'Skipped');
      assert.equal(result.result, 'Canceled');
    });
  });

  describe('a step running longer than its timeoutInMinutes', function () {
    let result: PipelineRunResult;

    before(async function () {
      result = await sandbox.run(
        `
steps:
- task: PipelineFixture@2
  name: slowStep
  timeoutInMinutes: 1
  continueOnError: true
  inputs: { scenario: wait }
- bash: echo next
  name: next
`,
        { minuteMs: MINUTE_MS },
      );
    });

    it('fails the step with "The task has timed out." (here SucceededWithIssues through continueOnError) and the job goes on', function () {
      const slow = stepResult(result, '__default', 'Job', 'slowStep');
      assert.equal(slow?.result, 'SucceededWithIssues', describeRun(result));
      assert.equal(slow?.timedOut, true);
      assert.ok(slow?.errors.includes('The task has timed out.'));
      assert.ok(slow?.log.includes('received SIGINT, cleaning up'));
      assert.equal(stepResult(result, '__default', 'Job', 'next')?.result, 'Succeeded');
      assert.equal(result.result, 'SucceededWithIssues');
    });
  });

  describe('cancelling the run', function () {
    let result: PipelineRunResult;

    before(async function () {
      const running = sandbox.start(
        `
stages:
- stage: A
  jobs:
  - job: J
    steps:
    - task: PipelineFixture@2
      name: wait
      inputs: { scenario: wait }
    - bash: echo skipped
      name: next
    - bash: echo "always with job status $(Agent.JobStatus)"
      name: finally
      condition: always()
- stage: B
  jobs:
  - job: K
    steps:
    - bash: echo b
- stage: C
  dependsOn: A
  condition: canceled()
  jobs:
  - job: L
    condition: canceled()
    steps:
    - bash: echo c
      name: report
  - job: M
    steps:
    - bash: echo m
`,
        {
          onEvent: (event) => {
            if (event.type === 'log' && event.line === 'ready') running.cancel();
          },
        },
      );
      result = await running.result;
    });

    it('cancels the running task; then conditions decide (canceled(), always()), as in Azure Pipelines', function () {
      assert.equal(stepResult(result, 'A', 'J', 'wait')?.result, 'Canceled', describeRun(result));
      assert.ok(stepResult(result, 'A', 'J', 'wait')?.log.includes('received SIGINT, cleaning up'));
      assert.equal(stepResult(result, 'A', 'J', 'next')?.result, 'Skipped');
      assert.ok(stepResult(result, 'A', 'J', 'finally')?.log.includes('always with job status Canceled'));
      assert.deepEqual(result.stages.map((stage) => [stage.name, stage.result]), [['A', 'Canceled'], ['B', 'Skipped'], ['C', 'Succeeded']]);
      assert.equal(jobResult(result, 'C', 'L')?.result, 'Succeeded');
      const defaultCondition = jobResult(result, 'C', 'M');
      assert.equal(defaultCondition?.result, 'Skipped', 'in a canceled run, succeeded() is false even in a stage that runs');
      assert.equal(defaultCondition?.skipReason, 'condition succeeded() (the default) was false: the run was canceled');
      assert.equal(result.result, 'Canceled');
    });
  });
});
