import assert from 'node:assert/strict';
import { loadPipeline, PipelineDefinitionError, type PipelineRunOptions } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import { Sandbox } from './fixtures';

describe('pipeline runner: compiling the YAML (emulator/src/devops/pipelineModel)', function () {
  let sandbox: Sandbox;

  before(function () {
    sandbox = new Sandbox();
  });

  after(function () {
    sandbox.remove();
  });

  const load = (yaml: string, extra: Partial<PipelineRunOptions> = {}) => loadPipeline(sandbox.options(yaml, extra));

  /** The one error compiling `yaml` gives. */
  function refusal(yaml: string, extra: Partial<PipelineRunOptions> = {}): PipelineDefinitionError {
    try {
      load(yaml, extra);
    } catch (error) {
      assert.ok(error instanceof PipelineDefinitionError, `a PipelineDefinitionError, got ${String(error)}`);
      assert.ok(!/\n\s+at /.test(error.message), 'one line, no stack trace');
      return error;
    }
    assert.fail('the pipeline was accepted');
  }

  const STEPS = `
stages:
- stage: A
  jobs:
  - job: J
    steps:
    - bash: echo hi
`;

  describe('refuses constructs outside the supported set by name, with their line', function () {
    const cases: Array<[string, string, RegExp]> = [
      ['pipeline resources', `trigger: none\nresources:\n  repositories:\n  - repository: other\n${STEPS}`, /azure-pipelines\.yml: `resources` \(line 2\) is not supported by the local pipeline runner/],
      ['extends', `extends:\n  template: base.yml\n`, /`extends` \(line 1\) is not supported by the local pipeline runner/],
      ['a variable group', `variables:\n- name: a\n  value: 1\n- group: secrets\n${STEPS}`, /`group` \(line 4\) is not supported by the local pipeline runner: variable groups live in Azure DevOps/],
      ['conditional insertion', `variables:\n  \${{ if eq(parameters.x, 1) }}:\n    a: 1\n${STEPS}`, /`\$\{\{ if \}\}` \(line 2\) is not supported by the local pipeline runner/],
      ['a pwsh step', `steps:\n- bash: echo 1\n- pwsh: Write-Host hi\n`, /`pwsh` \(line 3\) is not supported by the local pipeline runner: PowerShell is not available/],
      ['a step template', `steps:\n- template: steps.yml\n`, /`template` \(line 2\) is not supported by the local pipeline runner/],
      ['a matrix strategy', `jobs:\n- job: J\n  strategy:\n    matrix:\n      a: {}\n  steps:\n  - bash: echo\n`, /`strategy` \(line 3\) is not supported by the local pipeline runner: matrix and parallel jobs are not run/],
      ['a rolling deployment', `jobs:\n- deployment: D\n  environment: qa\n  strategy:\n    rolling:\n      maxParallel: 2\n`, /`rolling` \(line 5\) is not supported by the local pipeline runner/],
      ['a lifecycle hook other than deploy', `jobs:\n- deployment: D\n  environment: qa\n  strategy:\n    runOnce:\n      preDeploy:\n        steps: []\n      deploy:\n        steps:\n        - bash: echo\n`, /`preDeploy` \(line 6\) is not supported by the local pipeline runner/],
      ['retries of a task', `steps:\n- bash: echo\n  retryCountOnTaskFailure: 2\n`, /`retryCountOnTaskFailure` \(line 3\) is not supported by the local pipeline runner: failed tasks are not retried/],
      ['a container job', `jobs:\n- job: J\n  container: ubuntu:22.04\n  steps:\n  - bash: echo\n`, /`container` \(line 3\) is not supported by the local pipeline runner: jobs run on this machine/],
      ['a checkout of another repository', `steps:\n- checkout: git://other/repo\n`, /`checkout: git:\/\/other\/repo` \(line 2\) is not supported/],
      ['an object parameter', `parameters:\n- name: cfg\n  type: object\n  default: {}\n${STEPS}`, /`type: object` \(line 3\) is not supported by the local pipeline runner: parameter 'cfg'/],
    ];
    for (const [what, yaml, expected] of cases) {
      it(what, function () {
        assert.match(refusal(yaml).message, expected);
      });
    }

    it('keys Azure Pipelines would reject too, naming what is allowed', function () {
      const error = refusal(`stages:\n- stage: A\n  jobz:\n  - job: J\n`);
      assert.match(error.message, /`jobz` \(line 3\) is not a property of a stage \(Azure Pipelines would reject it too\); supported here: stage, displayName, dependsOn/);
      assert.equal(error.line, 3);
    });

    it('YAML anchors and aliases, like Azure Pipelines', function () {
      assert.match(refusal(`variables:\n  a: &v hello\n  b: *v\n${STEPS}`).message, /anchor `&v` \(line 2\)/);
    });

    it('YAML syntax errors and duplicate keys, with the line', function () {
      assert.match(refusal(`stages:\n- stage: A\n  stage: B\n`).message, /not valid \(line 3\)/);
    });
  });

  describe('parameters', function () {
    const PARAMETERS = `
parameters:
- name: environment
  type: string
  default: qa
  values: [qa, prod]
- name: retries
  type: number
  default: 2
- name: deploy
  type: boolean
  default: false
variables:
  target: \${{ parameters.environment }}-\${{ parameters.retries }}
  flag: \${{ parameters.deploy }}
${STEPS}`;

    it('takes the defaults, typed', function () {
      const plan = load(PARAMETERS);
      assert.deepEqual(plan.parameters, { environment: 'qa', retries: 2, deploy: false });
      assert.deepEqual(plan.variables.map((v) => [v.name, v.value]), [['target', 'qa-2'], ['flag', 'False']]);
    });

    it('takes the caller overrides (strings convert to the type)', function () {
      const plan = load(PARAMETERS, { parameters: { environment: 'prod', retries: '5', deploy: 'TRUE' } });
      assert.deepEqual(plan.parameters, { environment: 'prod', retries: 5, deploy: true });
      assert.equal(plan.variables[0]!.value, 'prod-5');
    });

    it('refuses a value outside `values`, of the wrong type, undeclared, or missing', function () {
      assert.match(refusal(PARAMETERS, { parameters: { environment: 'dev' } }).message, /the value 'dev' of parameter 'environment' is not one of its values: qa, prod/);
      assert.match(refusal(PARAMETERS, { parameters: { retries: 'many' } }).message, /'many' given for parameter 'retries' is not a number/);
      assert.match(refusal(PARAMETERS, { parameters: { region: 'x' } }).message, /gives parameter 'region', which the pipeline does not declare \(parameters: environment, retries, deploy\)/);
      assert.match(refusal(`parameters:\n- name: model\n${STEPS}`).message, /a value for the 'model' parameter must be provided/);
      assert.match(refusal(`variables:\n  a: \${{ parameters.nope }}\n${STEPS}`).message, /variable 'a' \(line 2\) cannot be evaluated: the parameter 'nope' is not declared/);
    });
  });

  describe('structure', function () {
    it('stages depend on the previous one by default; dependsOn overrides; jobs are independent by default', function () {
      const plan = load(`
stages:
- stage: A
  jobs:
  - job: J1
    steps: [{ bash: echo }]
  - job: J2
    steps: [{ bash: echo }]
- stage: B
  jobs:
  - job: K
    dependsOn: [J]
    steps: [{ bash: echo }]
  - job: J
    steps: [{ bash: echo }]
- stage: C
  dependsOn: []
  jobs:
  - job: L
    steps: [{ script: echo }]
`);
      assert.deepEqual(plan.stages.map((s) => [s.name, s.dependsOn]), [['A', []], ['B', ['A']], ['C', []]]);
      assert.deepEqual(plan.stages[0]!.jobs.map((j) => j.dependsOn), [[], []]);
      assert.deepEqual(plan.stages[1]!.jobs[0]!.dependsOn, ['J']);
    });

    it('single-job and single-stage pipelines get the implicit __default stage and Job job', function () {
      const plan = load(`steps:\n- bash: echo\n`);
      assert.equal(plan.stages[0]!.name, '__default');
      assert.equal(plan.stages[0]!.jobs[0]!.name, 'Job');
    });

    it('refuses unknown dependencies, cycles, duplicate names and misplaced named values', function () {
      assert.match(refusal(`stages:\n- stage: A\n  dependsOn: Z\n  jobs:\n  - job: J\n    steps: [{ bash: echo }]\n`).message, /stage 'A' \(line 2\) depends on 'Z', which is not a stage of this pipeline \(stages: A\)/);
      assert.match(refusal(`jobs:\n- job: A\n  dependsOn: B\n  steps: [{ bash: echo }]\n- job: B\n  dependsOn: A\n  steps: [{ bash: echo }]\n`).message, /the jobs A -> B -> A depend on each other/);
      assert.match(refusal(`jobs:\n- job: A\n  steps: [{ bash: echo }]\n- job: a\n  steps: [{ bash: echo }]\n`).message, /the job name 'a' \(line 4\) is used twice/);
      assert.match(refusal(`steps:\n- bash: echo\n  name: step\n- bash: echo\n  name: step\n`).message, /the step name 'step' \(line 4\) is used twice/);
      assert.match(
        refusal(`steps:\n- bash: echo\n  condition: eq(dependencies.A.result, 'Succeeded')\n`).message,
        /the condition of the bash step on line 2 \(line 3\) is not valid: Unrecognized value: 'dependencies'/,
      );
      assert.match(refusal(`steps:\n- bash: echo\n  name: my-step\n`).message, /the step name 'my-step' \(line 3\) must start with a letter/);
    });
  });

  describe('tasks', function () {
    it('resolves `task: Name@major` to the built task folder whose major version matches', function () {
      const plan = load(`steps:\n- task: PipelineFixture@2\n  inputs:\n    scenario: report\n`);
      const step = plan.stages[0]!.jobs[0]!.steps[0]!;
      assert.equal(step.kind, 'task');
      if (step.kind === 'task') {
        assert.equal(step.task.reference, 'PipelineFixture@2');
        assert.equal(step.task.version, '2.1.0');
        assert.equal(step.displayName, 'Fixture report', "task.json's instanceNameFormat with the inputs");
      }
    });

    it('refuses another major version, naming the version there is', function () {
      assert.match(
        refusal(`steps:\n- task: PipelineFixture@1\n  inputs:\n    scenario: report\n`).message,
        /`task: PipelineFixture@1` \(line 2\): tasks\/PipelineFixture is PipelineFixture 2\.1\.0: write PipelineFixture@2 \(the major version must match\)/,
      );
    });

    it('refuses a task that is not built, a reference without version, and an input the task does not have', function () {
      assert.match(refusal(`steps:\n- task: AzureMLEvaluate@1\n`).message, /`task: AzureMLEvaluate@1` \(line 2\): there is no task AzureMLEvaluate in tasks \(it holds PipelineFixture; built in: Bash@3, CmdLine@2\); run `npm run build`/);
      assert.match(refusal(`steps:\n- task: PipelineFixture\n`).message, /a task reference is <Name>@<major version>, e\.g\. PipelineFixture@1/);
      assert.match(refusal(`steps:\n- task: PipelineFixture@2\n  inputs:\n    scenario: report\n    mesage: typo\n`).message, /`mesage` \(line 5\) is not an input of PipelineFixture@2 \(its inputs: scenario, message, configFile, connection, names, envs\)/);
    });

    it('resolves a service connection by name (also through a YAML variable) and refuses an unknown one', function () {
      const serviceConnections = { 'my-connection': { id: 'conn-1', env: { ENDPOINT_URL_conn1: 'https://example.test/' } } };
      const plan = load(`variables:\n  connection: my-connection\nsteps:\n- task: PipelineFixture@2\n  inputs:\n    scenario: report\n    azureSubscription: $(connection)\n`, { serviceConnections });
      const step = plan.stages[0]!.jobs[0]!.steps[0]!;
      assert.ok(step.kind === 'task');
      assert.equal(step.inputs['connection'], 'conn-1', 'the input holds the connection id, as the service passes it');
      assert.deepEqual(step.connections, [{ input: 'connection', name: 'my-connection', id: 'conn-1' }]);
      assert.ok(!JSON.stringify(plan).includes('example.test'), "the plan holds no connection environment (it may hold secrets)");
      assert.match(
        refusal(`steps:\n- task: PipelineFixture@2\n  inputs:\n    scenario: report\n    connection: other\n`, { serviceConnections }).message,
        /input connection references service connection 'other', which could not be found/,
      );
    });
  });
});
