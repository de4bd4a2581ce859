import assert from 'node:assert/strict';
import { formatResultTable } from '@azureml-mlops/emulator/dist/devops/pipelineConsole';
import { jobResult, stepResult, type ApprovalRequest, type PipelineEvent, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import { describeRun, printed, Sandbox } from './fixtures';

const PIPELINE = `
stages:
- stage: QA
  jobs:
  - deployment: DeployQA
    displayName: Deploy to QA
    environment: diabetes-qa.endpoint-1
    strategy:
      runOnce:
        deploy:
          steps:
          - task: PipelineFixture@2
            name: deploy
            inputs: { scenario: outputs, message: qa }
          - task: PipelineFixture@2
            name: where
            inputs: { scenario: report, names: 'Environment.Name,Environment.ResourceName,Strategy.Name,deploy.Result' }
  - job: Smoke
    dependsOn: DeployQA
    variables:
      endpoint: $[ dependencies.DeployQA.outputs['DeployQA.deploy.Result'] ]
    steps:
    - bash: echo "smoke test of $(endpoint)"
      name: smoke
- stage: Hotfix
  dependsOn: QA
  condition: eq(variables['Build.Reason'], 'Manual')
  jobs:
  - deployment: DeployHotfix
    environment: hotfix
    strategy:
      runOnce:
        deploy:
          steps:
          - bash: echo hotfix
- stage: Prod
  dependsOn: QA
  variables:
    qaResult: $[ stageDependencies.QA.DeployQA.outputs['DeployQA.deploy.Result'] ]
  jobs:
  - deployment: DeployProd
    environment:
      name: diabetes-prod
    strategy:
      runOnce:
        deploy:
          steps:
          - bash: echo "promoting $(qaResult) to $(Environment.Name)"
            name: promote
- stage: AfterProd
  jobs:
  - job: Announce
    steps:
    - bash: echo announce
- stage: Docs
  dependsOn: QA
  jobs:
  - job: Docs
    steps:
    - bash: echo docs
`;

describe('pipeline runner: deployment jobs and environment approvals', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(function () {
    sandbox = new Sandbox();
  });

  after(function () {
    sandbox.remove();
  });

  describe('with only the QA environment approved', function () {
    let result: PipelineRunResult & { events: PipelineEvent[] };

    before(async function () {
      result = await sandbox.run(PIPELINE, { approveEnvironments: ['DIABETES-QA'] });
    });

    it('runs the approved deployment job with its environment variables, and outputs prefixed by the job name', function () {
      assert.equal(jobResult(result, 'QA', 'DeployQA')?.result, 'Succeeded', describeRun(result));
      const where = printed(stepResult(result, 'QA', 'DeployQA', 'where')?.log ?? []);
      assert.equal(where['variable.Environment.Name'], 'diabetes-qa');
      assert.equal(where['variable.Environment.ResourceName'], 'endpoint-1');
      assert.equal(where['variable.Strategy.Name'], 'runOnce');
      assert.equal(where['variable.deploy.Result'], 'result-qa', 'within the job, outputs are <step>.<var> as usual');
      assert.deepEqual(Object.keys(jobResult(result, 'QA', 'DeployQA')?.outputs ?? {}), ['DeployQA.deploy.Result', 'DeployQA.deploy.Secret', 'DeployQA.deploy.Declared']);
      assert.ok(stepResult(result, 'QA', 'Smoke', 'smoke')?.log.includes('smoke test of result-qa'));
    });

    it('stops at the unapproved environment: the stage and what depends on it wait, independent stages run', function () {
      assert.equal(result.result, 'WaitingForApproval', describeRun(result));
      assert.deepEqual(result.waitingForApproval, { stage: 'Prod', environments: ['diabetes-prod'] });
      const stages = Object.fromEntries(result.stages.map((stage) => [stage.name, stage]));
      assert.deepEqual(stages['QA']?.approvals, [{ environment: 'diabetes-qa', approved: true }]);
      assert.deepEqual(stages['Prod']?.approvals, [{ environment: 'diabetes-prod', approved: false }]);
      assert.equal(stages['Prod']?.result, 'NotStarted');
      assert.equal(jobResult(result, 'Prod', 'DeployProd')?.result, 'NotStarted');
      assert.equal(stepResult(result, 'Prod', 'DeployProd', 'promote')?.result, 'NotStarted', 'nothing of the stage ran');
      assert.equal(stages['AfterProd']?.result, 'NotStarted');
      assert.equal(stages['AfterProd']?.skipReason, 'waits for stage Prod');
      assert.equal(stages['Docs']?.result, 'Succeeded');
    });

    it('says why, and that Azure Pipelines would wait for an approver', function () {
      const warning = result.events.find((event): event is Extract<PipelineEvent, { type: 'message' }> => event.type === 'message' && event.level === 'warning');
      assert.equal(warning?.text, "Stage Prod waits for approval of environment 'diabetes-prod': Azure Pipelines would wait for an approver; the local runner approves only the environments in approveEnvironments.");
      assert.match(formatResultTable(result).join('\n'), /^Result: WaitingForApproval \(stage Prod waits for approval of 'diabetes-prod'\)$/m);
    });

    it('a stage skipped by its condition asks for no approval', function () {
      const hotfix = result.stages.find((stage) => stage.name === 'Hotfix');
      assert.equal(hotfix?.result, 'Skipped');
      assert.deepEqual(hotfix?.approvals, []);
      assert.ok(!result.events.some((event) => event.type === 'approval' && event.environment === 'hotfix'));
    });
  });

  describe('with an approver function that approves everything', function () {
    let result: PipelineRunResult;
    const requests: ApprovalRequest[] = [];

    before(async function () {
      result = await sandbox.run(PIPELINE, {
        approveEnvironments: async (request) => {
          requests.push(request);
          return true;
        },
      });
    });

    it('asks once per environment when its stage starts, and runs the whole pipeline', function () {
      assert.deepEqual(requests, [
        { stage: 'QA', stageDisplayName: 'QA', environment: 'diabetes-qa', jobs: ['DeployQA'] },
        { stage: 'Prod', stageDisplayName: 'Prod', environment: 'diabetes-prod', jobs: ['DeployProd'] },
      ]);
      assert.equal(result.result, 'Succeeded', describeRun(result));
      assert.ok(stepResult(result, 'Prod', 'DeployProd', 'promote')?.log.includes('promoting result-qa to diabetes-prod'));
      assert.equal(result.stages.find((stage) => stage.name === 'AfterProd')?.result, 'Succeeded');
    });
  });
});
