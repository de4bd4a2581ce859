import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTask, startTask, type AgentTaskResult } from '@azureml-mlops/emulator/dist/devops/agent';
import { writeFixtureTask } from './fixtureTask';

/** Values the fixture printed as `label=<json>` lines. */
function printed(result: AgentTaskResult): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const line of result.rawStdout.split('\n')) {
    const match = /^([\w.]+)=(.*)$/.exec(line);
    if (match && match[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2] === 'undefined' ? undefined : JSON.parse(match[2]);
  }
  return values;
}

describe('local agent (emulator/src/devops/agent)', function () {
  let root: string;
  let taskDir: string;
  let workFolder: string;

  before(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-test-'));
    taskDir = writeFixtureTask(path.join(root, 'task'));
    workFolder = path.join(root, 'work');
  });

  after(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  describe('what the task receives', function () {
    let result: AgentTaskResult;
    let values: Record<string, unknown>;

    before(async function () {
      process.env['LEAKY_PARENT_VARIABLE'] = 'must not reach the task';
      try {
        result = await runTask({
          taskDir,
          workingDirectory: workFolder,
          inputs: { scenario: 'environment', azureConnection: 'conn1', configFile: 'config/settings.yml', message: 'build $(Build.BuildId) of $(Custom.Setting)' },
          variables: { 'Custom.Setting': 'tuned' },
          secretVariables: { 'Db.Password': 'p@ss-w0rd-secret' },
          env: { EXTRA: 'from the caller', ENDPOINT_AUTH_PARAMETER_CONN1_SERVICEPRINCIPALKEY: 'sp-key-secret', ENDPOINT_AUTH_PARAMETER_CONN1_TENANTID: 'tenant-not-secret' },
        });
      } finally {
        delete process.env['LEAKY_PARENT_VARIABLE'];
      }
      values = printed(result);
    });

    it('runs the Node20_1 target in the sources folder and succeeds', function () {
      assert.equal(result.result, 'Succeeded', result.log.join('\n'));
      assert.equal(result.exitCode, 0);
      assert.equal(values['handler'], 'Node20_1');
      assert.equal(values['cwd'], path.join(workFolder, '1', 's'));
    });

    it('applies task.json defaults (trimmed), aliases and macro expansion to inputs', function () {
      assert.equal(values['input.greeting'], 'hello');
      assert.equal(values['input.flag'], 'true');
      assert.equal(values['input.connection'], 'conn1');
      assert.equal(values['input.message'], 'build 1842 of tuned');
    });

    it('roots filePath inputs in the sources folder, and an empty one is the folder itself', function () {
      assert.equal(values['input.configFile'], path.join(workFolder, '1', 's', 'config', 'settings.yml'));
      assert.equal(values['filePathSupplied.configFile'], true);
    });

    it('passes pipeline variables, defaults and overrides, as the agent does', function () {
      assert.equal(values['variable.Build.BuildId'], '1842');
      assert.equal(values['variable.Build.SourcesDirectory'], path.join(workFolder, '1', 's'));
      assert.equal(values['variable.Agent.TempDirectory'], path.join(workFolder, '_temp'));
      assert.equal(values['variable.System.TeamProject'], 'MLOps');
      assert.equal(values['variable.Custom.Setting'], 'tuned');
      assert.ok(fs.existsSync(path.join(workFolder, '_temp')));
    });

    it('gives secret variables through the task library only, never as plain environment', function () {
      assert.equal(values['variable.Db.Password'], 'p@ss-w0rd-secret');
      assert.equal(values['env.DB_PASSWORD'], undefined);
      assert.equal(values['env.SECRET_DB_PASSWORD'], undefined, 'task-lib removes SECRET_ variables once read');
    });

    it('adds the caller environment and nothing else of its own', function () {
      assert.equal(values['env.EXTRA'], 'from the caller');
      assert.equal(values['env.LEAKY_PARENT_VARIABLE'], undefined);
      assert.equal(values['endpoint.key'], 'sp-key-secret');
    });

    it('masks endpoint secrets but not the parameters the agent knows are public', function () {
      const log = result.log.join('\n');
      assert.ok(result.rawStdout.includes('sp-key-secret'), 'the fixture printed the key');
      assert.ok(!log.includes('sp-key-secret'));
      assert.ok(result.secrets.includes('sp-key-secret'));
      assert.ok(!result.secrets.includes('tenant-not-secret'));
    });

    it('starts the log with the step name and task header', function () {
      assert.equal(result.log[0], '##[section]Starting: Fixture environment');
      assert.ok(result.log.includes('Version      : 1.2.3'));
      assert.equal(result.log[result.log.length - 1], '##[section]Finishing: Fixture environment');
    });
  });

  describe('logging commands', function () {
    let result: AgentTaskResult;
    const secret = 'Sup3r-Secret-Value';
    const streamed: string[] = [];

    before(async function () {
      result = await runTask({
        taskDir,
        workingDirectory: workFolder,
        inputs: { scenario: 'commands', message: secret },
        onLine: (line) => streamed.push(line),
      });
    });

    it('reads output variables, secret or not, and declared outputs set without isOutput', function () {
      assert.equal(result.outputs['JobName'], 'job-42');
      assert.equal(result.outputs['Token'], `tok-${secret}`);
      assert.equal(result.outputs['Declared'], 'set without isOutput');
      assert.equal(result.variables['Plain'], 'a;b]c%d\nline two', 'escaped value comes back intact');
      assert.ok(!('Plain' in result.outputs));
    });

    it('masks registered secrets in the log but keeps the raw output', function () {
      assert.ok(result.rawStdout.includes(`the secret is ${secret}`));
      assert.ok(result.log.includes('the secret is *** (masked by the agent)'), result.log.join('\n'));
      assert.ok(!result.log.join('\n').includes(secret));
      assert.ok(result.secrets.includes(secret));
      assert.ok(result.secrets.includes(`tok-${secret}`));
    });

    it('collects issues and formatted error lines, in order, masked', function () {
      // setResult(SucceededWithIssues, message) also logs the message as a warning issue.
      assert.deepEqual(result.warnings, ['low disk space', 'Unrecognized logging command: task.bogus', 'done with ***']);
      assert.deepEqual(result.errors, ['first problem', 'printed error line']);
      assert.ok(result.log.includes('##[warning]low disk space'));
      assert.ok(result.log.includes('##[group]Details'));
      assert.ok(result.log.includes('##[endgroup]'));
      assert.ok(!result.log.some((line) => line.includes('##vso[')), 'commands are not shown');
    });

    it('reads attachments, summaries, build tags and artifacts', function () {
      assert.deepEqual(result.attachments, [
        { type: 'azureml.report', name: 'report.md', path: '/tmp/report.md' },
        { type: 'Distributedtask.Core.Summary', name: 'summary.md', path: '/tmp/summary.md' },
      ]);
      assert.deepEqual(result.buildTags, ['model-v3']);
      assert.deepEqual(result.artifacts, [{ name: 'model', path: '/tmp/model' }]);
    });

    it('reports the task result and its message, masked', function () {
      assert.equal(result.result, 'SucceededWithIssues');
      assert.equal(result.resultMessage, 'done with ***');
    });

    it('streams every log line as it shows it', function () {
      assert.deepEqual(streamed, result.log);
    });
  });

  it('runs the Node24 target when asked', async function () {
    const result = await runTask({ taskDir, workingDirectory: workFolder, handler: 'Node24', inputs: { scenario: 'environment' } });
    assert.equal(printed(result)['handler'], 'Node24');
    assert.equal(result.handler, 'Node24');
  });

  it('passes an empty filePath input as the sources folder, which the task library reads as "not supplied"', async function () {
    const result = await runTask({ taskDir, workingDirectory: workFolder, inputs: { scenario: 'environment' } });
    const values = printed(result);
    assert.equal(values['input.configFile'], path.join(workFolder, '1', 's'));
    assert.equal(values['filePathSupplied.configFile'], false);
  });

  it('fails a task that exits non-zero without a result', async function () {
    const result = await runTask({ taskDir, workingDirectory: workFolder, inputs: { scenario: 'exit' } });
    assert.equal(result.exitCode, 3);
    assert.equal(result.result, 'Failed');
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0] ?? '', /^Exit code 3 returned from process/);
  });

  it('keeps the worst of several results', async function () {
    const result = await runTask({ taskDir, workingDirectory: workFolder, inputs: { scenario: 'fail-then-succeed' } });
    assert.equal(result.result, 'Failed');
    assert.equal(result.resultMessage, 'fine after all');
  });

  it('refuses an input the task does not define', function () {
    assert.throws(() => startTask({ taskDir, workingDirectory: workFolder, inputs: { scenario: 'x', sceanrio: 'typo' } }), /has no input "sceanrio"/);
  });

  it('stops at SIGINT when the task exits on it', async function () {
    const running = startTask({
      taskDir,
      workingDirectory: workFolder,
      inputs: { scenario: 'graceful' },
      onLine: (line) => {
        if (line === 'ready') running.cancel();
      },
    });
    const result = await running.result;
    assert.deepEqual(result.signalsSent, ['SIGINT']);
    assert.ok(result.log.includes('received SIGINT, cleaning up'));
    assert.equal(result.result, 'Cancelled');
  });

  it('escalates cancellation to SIGTERM then SIGKILL when the task ignores SIGINT', async function () {
    this.timeout(30_000); // the agent's own delays: 7.5 s + 2.5 s
    const running = startTask({
      taskDir,
      workingDirectory: workFolder,
      inputs: { scenario: 'stubborn' },
      onLine: (line) => {
        if (line === 'ready') running.cancel();
      },
    });
    const result = await running.result;
    assert.deepEqual(result.signalsSent, ['SIGINT', 'SIGTERM', 'SIGKILL']);
    const received = result.log.filter((line) => line.startsWith('received '));
    assert.deepEqual(received, ['received SIGINT', 'received SIGTERM'], 'the task saw SIGINT first, then SIGTERM');
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(result.result, 'Cancelled');
  });
});
