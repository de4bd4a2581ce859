import assert from 'node:assert/strict';
import { formatResultTable } from '@azureml-mlops/emulator/dist/devops/pipelineConsole';
import { jobResult, stepResult, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import { describeRun, printed, Sandbox } from './fixtures';

const PIPELINE = `
variables:
  runOptional: 'false'
stages:
- stage: Build
  jobs:
  - job: Fails
    steps:
    - task: PipelineFixture@2
      name: first
      inputs: { scenario: outputs, message: a }
    - task: PipelineFixture@2
      name: broken
      inputs: { scenario: fail, message: boom }
    - task: PipelineFixture@2
      name: afterFailure
      inputs: { scenario: report }
    - task: PipelineFixture@2
      name: onFailure
      condition: failed()
      inputs: { scenario: report, names: Agent.JobStatus }
    - bash: echo cleanup
      name: cleanup
      condition: always()
  - job: Tolerant
    steps:
    - task: PipelineFixture@2
      name: soft
      continueOnError: true
      inputs: { scenario: fail, message: soft }
    - task: PipelineFixture@2
      name: next
      inputs: { scenario: report, names: Agent.JobStatus }
    - bash: echo disabled
      name: disabled
      enabled: false
    - bash: echo optional
      name: optional
      condition: and(succeeded(), eq(variables.runOptional, 'true'))
  - job: Dependent
    dependsOn: Fails
    steps:
    - bash: echo should not run
      name: never
  - job: Rescue
    dependsOn: Fails
    condition: failed()
    steps:
    - bash: echo rescue
      name: rescue
  - job: Inspect
    dependsOn: [Fails, Tolerant]
    condition: always()
    variables:
      failsResult: $[ dependencies.Fails.result ]
      tolerantResult: $[ dependencies.Tolerant.result ]
    steps:
    - bash: echo "Fails=$(failsResult) Tolerant=$(tolerantResult)"
      name: show
- stage: Next
  jobs:
  - job: Never
    steps:
    - bash: echo never
- stage: Always
  dependsOn: Build
  condition: always()
  jobs:
  - job: Runs
    steps:
    - bash: echo runs
      name: runs
- stage: OnFailure
  dependsOn: Build
  condition: and(failed(), eq(dependencies.Build.outputs['Fails.first.Result'], 'result-a'))
  jobs:
  - job: Alert
    steps:
    - bash: echo alert
      name: alert
`;

describe('pipeline runner: conditions and failure propagation', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let result: PipelineRunResult;

  before(async function () {
    sandbox = new Sandbox();
    result = await sandbox.run(PIPELINE);
  });

  after(function () {
    sandbox.remove();
  });

  const step = (stage: string, job: string, name: string) => {
    const found = stepResult(result, stage, job, name);
    assert.ok(found, `step ${stage}.${job}.${name}\n${describeRun(result)}`);
    return found;
  };

  it('a failed step fails its job; later steps are skipped by the default condition; failed() and always() steps run', function () {
    assert.equal(jobResult(result, 'Build', 'Fails')?.result, 'Failed', describeRun(result));
    assert.equal(step('Build', 'Fails', 'first').result, 'Succeeded');
    assert.equal(step('Build', 'Fails', 'broken').result, 'Failed');
    assert.ok(step('Build', 'Fails', 'broken').errors.includes('fixture failure: boom'));
    assert.equal(step('Build', 'Fails', 'afterFailure').result, 'Skipped');
    assert.equal(step('Build', 'Fails', 'afterFailure').skipReason, 'condition succeeded() (the default) was false: the job status is Failed');
    assert.equal(step('Build', 'Fails', 'onFailure').result, 'Succeeded');
    assert.equal(printed(step('Build', 'Fails', 'onFailure').log)['variable.Agent.JobStatus'], 'Failed');
    assert.equal(step('Build', 'Fails', 'cleanup').result, 'Succeeded');
  });

  it('continueOnError turns a failure into SucceededWithIssues and the job goes on; enabled: false and false conditions skip', function () {
    assert.equal(step('Build', 'Tolerant', 'soft').result, 'SucceededWithIssues');
    assert.equal(step('Build', 'Tolerant', 'next').result, 'Succeeded');
    assert.equal(printed(step('Build', 'Tolerant', 'next').log)['variable.Agent.JobStatus'], 'SucceededWithIssues');
    assert.equal(step('Build', 'Tolerant', 'disabled').result, 'Skipped');
    assert.equal(step('Build', 'Tolerant', 'disabled').skipReason, 'enabled: false');
    assert.equal(step('Build', 'Tolerant', 'optional').result, 'Skipped');
    assert.equal(step('Build', 'Tolerant', 'optional').skipReason, "condition and(succeeded(), eq(variables.runOptional, 'true')) (line 39) was false");
    assert.equal(jobResult(result, 'Build', 'Tolerant')?.result, 'SucceededWithIssues');
  });

  it('jobs: a dependent of a failed job is skipped; failed() and always() jobs run and see dependencies.<job>.result', function () {
    const dependent = jobResult(result, 'Build', 'Dependent');
    assert.equal(dependent?.result, 'Skipped');
    assert.equal(dependent?.skipReason, 'condition succeeded() (the default) was false: Fails Failed');
    assert.equal(dependent?.steps[0]?.result, 'Skipped');
    assert.equal(jobResult(result, 'Build', 'Rescue')?.result, 'Succeeded');
    assert.ok(step('Build', 'Inspect', 'show').log.includes('Fails=Failed Tolerant=SucceededWithIssues'), step('Build', 'Inspect', 'show').log.join('\n'));
  });

  it('stages: the next stage is skipped, always() and failed() stages run, and stage conditions read dependencies.<stage>.outputs', function () {
    const stages = Object.fromEntries(result.stages.map((stage) => [stage.name, stage]));
    assert.equal(stages['Build']?.result, 'Failed');
    assert.equal(stages['Next']?.result, 'Skipped');
    assert.equal(stages['Next']?.skipReason, 'condition succeeded() (the default) was false: Build Failed');
    assert.equal(stages['Next']?.jobs[0]?.result, 'Skipped');
    assert.equal(stages['Always']?.result, 'Succeeded');
    assert.equal(stages['OnFailure']?.result, 'Succeeded');
    assert.equal(step('OnFailure', 'Alert', 'alert').result, 'Succeeded');
    assert.equal(result.result, 'Failed');
  });

  it('the final table names every step with its result and why it was skipped or failed', function () {
    const table = formatResultTable(result).join('\n');
    assert.match(table, /^Build +Fails +broken \(Fixture fail\) +Failed +fixture failure: boom$/m);
    assert.match(table, /^Build +Fails +afterFailure \(Fixture report\) +Skipped +condition succeeded\(\) \(the default\) was false: the job status is Failed$/m);
    assert.match(table, /^Build +Dependent +Skipped +condition succeeded\(\) \(the default\) was false: Fails Failed$/m);
    assert.match(table, /^Next +Never +Skipped +its stage was skipped: condition succeeded\(\) \(the default\) was false: Build Failed$/m);
    assert.match(table, /^Result: Failed/m);
  });
});
