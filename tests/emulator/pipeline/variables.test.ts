import assert from 'node:assert/strict';
import path from 'node:path';
import { consoleReporter } from '@azureml-mlops/emulator/dist/devops/pipelineConsole';
import { jobResult, stepResult, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import { describeRun, printed, Sandbox } from './fixtures';

const PIPELINE = `
name: fixture-$(Build.SourceBranchName)-$(Rev:r)
trigger: none
pr: none
parameters:
- name: modelName
  type: string
  default: diabetes
- name: retries
  type: number
  default: 1
variables:
- name: model
  value: \${{ parameters.modelName }}
- name: modelFile
  value: models/$(model).pkl
- name: overridden
  value: pipeline
- name: retries
  value: \${{ parameters.retries }}
stages:
- stage: CI
  displayName: Train the model
  variables:
    overridden: stage
  jobs:
  - job: Train
    variables:
      overridden: job
    steps:
    - checkout: self
    - task: PipelineFixture@2
      name: produce
      displayName: Produce $(model)
      inputs:
        scenario: outputs
        message: \${{ parameters.modelName }}-$(Build.BuildId)
    - task: PipelineFixture@2
      name: consume
      inputs:
        scenario: report
        message: $(produce.Result)|$(Local)|$(produce.Declared)|$(produce.Secret)
        configFile: $(modelFile)
        names: model,modelFile,overridden,retries,produce.Result,produce.Secret,Local,Db.Password,System.StageName,System.JobName,System.JobId,Build.BuildId,Build.BuildNumber,Build.SourcesDirectory
        envs: PRODUCE_RESULT,PRODUCE_SECRET,LOCAL,FROM_ENV,DB_PASSWORD
      env:
        FROM_ENV: $(produce.Result) and $(overridden)
  - job: Evaluate
    dependsOn: Train
    variables:
      trained: $[ dependencies.Train.outputs['produce.Result'] ]
      trainedSecret: $[ dependencies.Train.outputs['produce.Secret'] ]
      typo: $[ dependencies.Train.outputs['produce.Reslt'] ]
    steps:
    - task: PipelineFixture@2
      name: report
      inputs:
        scenario: report
        names: trained,trainedSecret,typo,System.JobName,System.JobId,Build.BuildId
- stage: Register
  variables:
    fromCI: $[ stageDependencies.CI.Train.outputs['produce.Result'] ]
    viaStage: $[ dependencies.CI.outputs['Train.produce.Result'] ]
  jobs:
  - job: Register
    variables:
      misspelt: $[ stageDependencies.CI.Trian.outputs['produce.Result'] ]
    steps:
    - bash: |
        echo "got $(fromCI) and $(viaStage) in $(System.StageName)"
        echo "##vso[task.setvariable variable=Version;isOutput=true]7"
        echo "##vso[build.updatebuildnumber]diabetes-7"
      name: register
    - script: echo "version $(register.Version) of $MODEL"
      displayName: Show $(register.Version)
`;

describe('pipeline runner: variables, parameters and output variables', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let result: PipelineRunResult;
  const consoleLines: string[] = [];
  let consume: Record<string, unknown>;

  before(async function () {
    sandbox = new Sandbox();
    result = await sandbox.run(PIPELINE, { parameters: { retries: 3 }, secretVariables: { 'Db.Password': 'p@ss-w0rd-secret' }, onEvent: consoleReporter({ write: (line) => consoleLines.push(line) }) });
    consume = printed(stepResult(result, 'CI', 'Train', 'consume')?.log ?? []);
  });

  after(function () {
    sandbox.remove();
  });

  it('runs every stage, job and step', function () {
    assert.equal(result.result, 'Succeeded', describeRun(result));
    assert.deepEqual(result.stages.map((stage) => [stage.name, stage.result]), [['CI', 'Succeeded'], ['Register', 'Succeeded']]);
  });

  it('expands parameters (defaults and overrides), template expressions and macros in YAML variables', function () {
    assert.equal(consume['variable.model'], 'diabetes');
    assert.equal(consume['variable.modelFile'], 'models/diabetes.pkl');
    assert.equal(consume['variable.retries'], '3', 'the caller overrode the parameter');
    assert.equal(consume['input.configFile'], path.join(sandbox.root, 'models/diabetes.pkl'), 'filePath inputs are rooted in the repository');
    assert.equal(stepResult(result, 'CI', 'Train', 'produce')?.displayName, 'Produce diabetes');
  });

  it('job variables override stage variables, which override pipeline variables', function () {
    assert.equal(consume['variable.overridden'], 'job');
    assert.equal(printed(stepResult(result, 'CI', 'Train', 'consume')?.log ?? [])['env.FROM_ENV'], 'result-diabetes-1842 and job', 'step env with macros');
  });

  it('gives each job consistent predefined variables: one Build.BuildId and run name, its own stage/job names and id', function () {
    const report = printed(stepResult(result, 'CI', 'Evaluate', 'report')?.log ?? []);
    assert.equal(consume['variable.System.StageName'], 'CI');
    assert.equal(consume['variable.System.JobName'], 'Train');
    assert.equal(report['variable.System.JobName'], 'Evaluate');
    assert.equal(consume['variable.Build.BuildId'], report['variable.Build.BuildId']);
    assert.notEqual(consume['variable.System.JobId'], report['variable.System.JobId']);
    assert.equal(consume['variable.Build.BuildNumber'], 'fixture-main-1', '`name:` is the run number format');
    assert.equal(result.buildNumber, 'diabetes-7', 'a task renamed the run later (build.updatebuildnumber)');
    assert.equal(consume['variable.Build.SourcesDirectory'], sandbox.root);
    assert.equal(consume['cwd'], sandbox.root);
  });

  it('within a job: outputs are <step>.<var> (macros and env), plain variables keep their name, secrets are secret variables', function () {
    assert.equal(consume['input.message'], 'result-diabetes-1842|local-diabetes-1842|declared-diabetes-1842|***', 'the secret reached the input but is masked in the log');
    assert.equal(consume['variable.produce.Result'], 'result-diabetes-1842');
    assert.equal(consume['variable.produce.Secret'], '***', 'tl.getVariable reads the secret (masked in the log)');
    assert.equal(consume['env.PRODUCE_RESULT'], 'result-diabetes-1842');
    assert.equal(consume['env.PRODUCE_SECRET'], null, 'secrets are not environment variables');
    assert.equal(consume['env.LOCAL'], 'local-diabetes-1842');
    assert.equal(consume['variable.Db.Password'], '***', "the caller's secret variables reach tl.getVariable, masked in the log");
    assert.equal(consume['env.DB_PASSWORD'], null);
    assert.deepEqual(stepResult(result, 'CI', 'Train', 'produce')?.outputs, { Result: 'result-diabetes-1842', Secret: '***', Declared: 'declared-diabetes-1842' });
  });

  it('across jobs: dependencies.<job>.outputs in job variables; an empty reference is explained', function () {
    const report = printed(stepResult(result, 'CI', 'Evaluate', 'report')?.log ?? []);
    assert.equal(report['variable.trained'], 'result-diabetes-1842');
    assert.equal(report['variable.trainedSecret'], '***', 'a mapped secret output stays secret');
    assert.equal(report['variable.typo'], '', 'an unknown output is empty, as in Azure Pipelines');
    const messages = jobResult(result, 'CI', 'Evaluate')?.messages.join('\n') ?? '';
    assert.match(messages, /dependencies\.Train\.outputs\['produce\.Reslt'\] is empty: there is no such output \(outputs: produce\.Result, produce\.Secret, produce\.Declared\)/);
  });

  it('across stages: stageDependencies.<stage>.<job>.outputs and dependencies.<stage>.outputs; a misspelt job is explained', function () {
    const register = stepResult(result, 'Register', 'Register', 'register');
    assert.ok(register?.log.includes('got result-diabetes-1842 and result-diabetes-1842 in Register'), register?.log.join('\n'));
    const show = stepResult(result, 'Register', 'Register', 'Show 7');
    assert.ok(show?.log.includes('version 7 of diabetes'), `YAML variables are environment variables of scripts too: ${show?.log.join('\n')}`);
    assert.ok(
      jobResult(result, 'Register', 'Register')?.messages.includes("stageDependencies.CI.Trian is empty: stage CI has no job 'Trian' (jobs: Train, Evaluate)."),
      jobResult(result, 'Register', 'Register')?.messages.join('\n'),
    );
    assert.deepEqual(jobResult(result, 'CI', 'Train')?.outputs, { 'produce.Result': 'result-diabetes-1842', 'produce.Secret': '***', 'produce.Declared': 'declared-diabetes-1842' });
  });

  it('collects build tags, artifacts and summaries; no secret reaches anything it reports', function () {
    assert.deepEqual(result.buildTags, ['tag-diabetes-1842']);
    assert.deepEqual(result.artifacts.map((artifact) => [artifact.stage, artifact.job, artifact.step, artifact.name]), [['CI', 'Train', 'produce', 'drop-diabetes-1842']]);
    const produce = stepResult(result, 'CI', 'Train', 'produce');
    assert.deepEqual(produce?.summaries, ['## Fixture diabetes-1842\nsecret: ***\n']);
    assert.ok(produce?.log.includes('the secret is ***'));
    assert.ok(!JSON.stringify(result).includes('fixture-secret-'), 'the secret value appears nowhere in the result');
    assert.ok(!JSON.stringify(result).includes('p@ss-w0rd'), "nor does the caller's secret variable");
    assert.ok(!consoleLines.join('\n').includes('fixture-secret-'), 'nor on the console');
  });

  it('renders stage/job/step headers, indented task logs and a final table', function () {
    const text = consoleLines.join('\n');
    assert.match(text, /^Pipeline azure-pipelines\.yml, run fixture-main-1$/m);
    assert.match(text, /^  parameters: modelName=diabetes, retries=3$/m);
    assert.match(text, /^==== Stage CI: Train the model =+$/m);
    assert.match(text, /^---- Job Train \(job\) -+$/m);
    assert.match(text, /^ {2}>> produce: Produce diabetes$/m);
    assert.match(text, /^ {5}\| ##\[section\]Starting: Produce diabetes$/m);
    assert.match(text, /^ {5}\| the secret is \*\*\*$/m);
    assert.match(text, /^ {5}output produce\.Result = result-diabetes-1842$/m);
    assert.match(text, /^CI +Train +produce \(Produce diabetes\) +Succeeded$/m);
    assert.match(text, /^Register +Register +Show 7 +Succeeded$/m);
    assert.match(text, /^Result: Succeeded \(run diabetes-7; build tags: tag-diabetes-1842\)$/m);
  });
});

describe('pipeline runner: service connections', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let result: PipelineRunResult;

  before(async function () {
    sandbox = new Sandbox();
    const connection = (id: string, key: string) => ({
      id,
      env: {
        [`ENDPOINT_URL_${id}`]: `https://${id}.example.test/`,
        [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: { serviceprincipalkey: key }, scheme: 'ServicePrincipal' }),
        [`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`]: key,
      },
    });
    result = await sandbox.run(
      `
variables:
  connectionName: my-connection
steps:
- task: PipelineFixture@2
  name: connected
  inputs:
    scenario: report
    azureSubscription: $(connectionName)
    envs: ENDPOINT_URL_conn1,ENDPOINT_URL_conn2
- task: PipelineFixture@2
  name: unconnected
  inputs:
    scenario: report
    envs: ENDPOINT_URL_conn1
`,
      { serviceConnections: { 'My-Connection': connection('conn1', 'sp-key-value-1'), other: connection('conn2', 'sp-key-value-2') } },
    );
  });

  after(function () {
    sandbox.remove();
  });

  it('gives the task the connection id as the input and the environment of that connection only', function () {
    assert.equal(result.result, 'Succeeded', describeRun(result));
    const connected = printed(stepResult(result, '__default', 'Job', 'connected')?.log ?? []);
    assert.equal(connected['input.connection'], 'conn1', 'names match ignoring case, as in Azure DevOps');
    assert.equal(connected['endpoint.url'], 'https://conn1.example.test/');
    assert.equal(connected['endpoint.key'], '***', 'the key reached the task and is masked in its log');
    assert.equal(connected['env.ENDPOINT_URL_conn2'], null, 'a connection the step does not name is not in its environment');
    assert.equal(printed(stepResult(result, '__default', 'Job', 'unconnected')?.log ?? [])['env.ENDPOINT_URL_conn1'], null);
    assert.ok(!JSON.stringify(result).includes('sp-key-value'));
  });
});
