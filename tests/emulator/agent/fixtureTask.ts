import fs from 'node:fs';
import path from 'node:path';

/**
 * A tiny real task for the local agent's tests: task.json plus a script that uses azure-pipelines-task-lib from the
 * root node_modules and does what its `scenario` input says.
 */
export const FIXTURE_TASK_ID = '0f4b7c9e-2a51-4d8e-9b36-c1e2d3f4a5b6';

const TASK_LIB = require.resolve('azure-pipelines-task-lib/task');

const TASK_JSON = {
  id: FIXTURE_TASK_ID,
  name: 'AgentFixture',
  friendlyName: 'Agent fixture',
  description: 'Exercises the local agent',
  author: 'tests',
  helpMarkDown: 'Test fixture',
  category: 'Utility',
  version: { Major: 1, Minor: 2, Patch: 3 },
  minimumAgentVersion: '3.232.1',
  instanceNameFormat: 'Fixture $(scenario)',
  inputs: [
    { name: 'scenario', type: 'string', label: 'Scenario', required: true },
    { name: 'connection', aliases: ['azureConnection'], type: 'connectedService:AzureRM', label: 'Connection', required: false },
    { name: 'greeting', type: 'string', label: 'Greeting', defaultValue: '  hello  ', required: false },
    { name: 'flag', type: 'boolean', label: 'Flag', defaultValue: 'true', required: false },
    { name: 'configFile', type: 'filePath', label: 'Config', required: false },
    { name: 'message', type: 'string', label: 'Message', required: false },
  ],
  outputVariables: [{ name: 'Declared' }],
  execution: {
    Node20_1: { target: 'index.js', argumentFormat: '' },
    Node24: { target: 'node24.js', argumentFormat: '' },
  },
};

const SCRIPT = `
const tl = require(${JSON.stringify(TASK_LIB)});
const scenario = tl.getInput('scenario', true);
const print = (label, value) => console.log(label + '=' + JSON.stringify(value));

if (scenario === 'environment') {
  print('handler', process.env.FIXTURE_HANDLER || 'Node20_1');
  print('cwd', process.cwd());
  for (const name of ['greeting', 'flag', 'configFile', 'connection', 'message']) print('input.' + name, tl.getInput(name));
  print('filePathSupplied.configFile', tl.filePathSupplied('configFile'));
  for (const name of ['Build.BuildId', 'Build.SourcesDirectory', 'System.TeamProject', 'Agent.TempDirectory', 'Custom.Setting', 'Db.Password'])
    print('variable.' + name, tl.getVariable(name));
  print('env.DB_PASSWORD', process.env.DB_PASSWORD);
  print('env.SECRET_DB_PASSWORD', process.env.SECRET_DB_PASSWORD);
  print('env.LEAKY_PARENT_VARIABLE', process.env.LEAKY_PARENT_VARIABLE);
  print('env.EXTRA', process.env.EXTRA);
  print('endpoint.key', tl.getEndpointAuthorizationParameter('conn1', 'serviceprincipalkey', true));
} else if (scenario === 'commands') {
  const secret = tl.getInput('message', true);
  tl.setSecret(secret);
  console.log('the secret is ' + secret + ' (masked by the agent)');
  tl.setVariable('JobName', 'job-42', false, true);
  tl.setVariable('Token', 'tok-' + secret, true, true);
  tl.setVariable('Declared', 'set without isOutput');
  tl.setVariable('Plain', 'a;b]c%d\\nline two');
  tl.warning('low disk space');
  tl.error('first problem');
  console.log('##[error]printed error line');
  console.log('##[group]Details');
  console.log('inside the group');
  console.log('##[endgroup]');
  tl.addAttachment('azureml.report', 'report.md', '/tmp/report.md');
  tl.uploadSummary('/tmp/summary.md');
  tl.addBuildTag('model-v3');
  tl.uploadArtifact('models', '/tmp/model', 'model');
  console.log('##vso[task.bogus]x');
  tl.setResult(tl.TaskResult.SucceededWithIssues, 'done with ' + secret);
} else if (scenario === 'exit') {
  console.log('about to exit');
  process.exit(3);
} else if (scenario === 'fail-then-succeed') {
  tl.setResult(tl.TaskResult.Failed, 'broken');
  tl.setResult(tl.TaskResult.Succeeded, 'fine after all');
} else if (scenario === 'stubborn') {
  // Ignores SIGINT and SIGTERM: the agent must escalate to SIGKILL.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => console.log('received ' + signal));
  console.log('ready');
  setInterval(() => {}, 1000);
} else if (scenario === 'graceful') {
  process.on('SIGINT', () => {
    console.log('received SIGINT, cleaning up');
    tl.setResult(tl.TaskResult.Failed, 'cancelled by the user');
    process.exit(1);
  });
  console.log('ready');
  setInterval(() => {}, 1000);
}
`;

/** Writes the fixture task into `dir` and returns `dir`. */
export function writeFixtureTask(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'task.json'), JSON.stringify(TASK_JSON, null, 2));
  fs.writeFileSync(path.join(dir, 'index.js'), SCRIPT);
  fs.writeFileSync(path.join(dir, 'node24.js'), `process.env.FIXTURE_HANDLER = 'Node24';\nrequire('./index.js');\n`);
  return dir;
}
