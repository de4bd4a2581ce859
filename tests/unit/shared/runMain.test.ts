import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const fixture = path.join(__dirname, 'fixtures', 'runMainFixture.js');

interface Run {
  code: number | null;
  stdout: string;
}

/** Runs the fixture as the agent would run a task; `onReady` gets the child once it printed 'ready'. */
function runFixture(mode: string, env: Record<string, string> = {}, onReady?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-main-'));
  const taskJson = path.join(temp, 'task.json');
  fs.writeFileSync(taskJson, JSON.stringify({ name: 'FixtureTask', version: { Major: 1, Minor: 2, Patch: 3 }, messages: {} }));
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, AGENT_TEMPDIRECTORY: temp, FIXTURE_MODE: mode, FIXTURE_TASK_JSON: taskJson, ...env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let readySent = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!readySent && onReady && /^ready$/m.test(stdout)) {
        readySent = true;
        onReady(child);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      fs.rmSync(temp, { recursive: true, force: true });
      resolve({ code, stdout });
    });
  });
}

const errorLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('##vso[task.issue type=error'));
const completeLine = (stdout: string) => stdout.split('\n').find((line) => line.startsWith('##vso[task.complete'));

describe('shared/pipeline/main runTaskMain (child process)', function () {
  this.timeout(30_000);
  // Every scenario is its own task process; they run at once and each test checks one outcome.
  const runs = new Map<string, Run>();
  before(async () => {
    const scenarios: Array<[string, Promise<Run>]> = [
      ['success', runFixture('success')],
      ['taskError', runFixture('taskError', { SYSTEM_DEBUG: 'true' })],
      ['inputError', runFixture('inputError')],
      ['unexpected', runFixture('unexpected')],
      ['unexpectedDebug', runFixture('unexpected', { SYSTEM_DEBUG: 'true' })],
      ['cancel', runFixture('cancel', {}, (child) => child.kill('SIGINT'))],
      ['cancelQuietly', runFixture('cancelQuietly', {}, (child) => child.kill('SIGTERM'))],
      ['hangGrace', runFixture('hang', { FIXTURE_GRACE_MS: '300' }, (child) => child.kill('SIGINT'))],
      [
        'hangSecondSignal',
        runFixture('hang', {}, (child) => {
          child.kill('SIGINT');
          setTimeout(() => child.kill('SIGTERM'), 200);
        }),
      ],
    ];
    for (const [name, promise] of scenarios) runs.set(name, await promise);
  });
  const result = (name: string): Run => runs.get(name)!;

  it('exits after success even with open handles, without setting a result', () => {
    const run = result('success');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /did the work/);
    assert.equal(completeLine(run.stdout), undefined);
  });

  it('reports a TaskError as one error line and Failed, with no stack even in debug', () => {
    const run = result('taskError');
    assert.equal(run.code, 1);
    assert.deepEqual(errorLines(run.stdout), ['##vso[task.issue type=error;source=TaskInternal;]The job failed: see its logs.']);
    assert.equal(completeLine(run.stdout), '##vso[task.complete result=Failed;]The job failed: see its logs.');
    assert.doesNotMatch(run.stdout, /at .*\(.*\.js:\d+:\d+\)/);
  });

  it('reports an InputError with the input name, problem and fix', () => {
    const run = result('inputError');
    assert.deepEqual(errorLines(run.stdout), [
      "##vso[task.issue type=error;source=TaskInternal;]Input 'timeoutMinutes': 'abc' is not a whole number. Use a whole number.",
    ]);
    assert.match(completeLine(run.stdout) ?? '', /^##vso\[task\.complete result=Failed;\]/);
  });

  it('reports an unexpected error without a stack unless System.Debug is true', () => {
    const quiet = result('unexpected');
    assert.deepEqual(errorLines(quiet.stdout), ['##vso[task.issue type=error;source=TaskInternal;]undefined is not a function']);
    assert.doesNotMatch(quiet.stdout, /runMainFixture\.js:\d+/);

    const debug = result('unexpectedDebug');
    assert.equal(errorLines(debug.stdout).length, 1);
    assert.match(debug.stdout, /##vso\[task\.debug\]\s+at .*runMainFixture\.js:\d+/);
  });

  it('aborts the signal on SIGINT and reports Cancelled with the task message', () => {
    const run = result('cancel');
    assert.match(run.stdout, /Received SIGINT: cancelling/);
    assert.match(run.stdout, /cancelling the Azure ML job/);
    assert.equal(completeLine(run.stdout), "##vso[task.complete result=Cancelled;]Cancelled: the Azure ML job 'job-1' was cancelled too.");
    assert.equal(errorLines(run.stdout).length, 0);
  });

  it('never reports success for a cancelled run, even when main returns normally', () => {
    const run = result('cancelQuietly');
    assert.match(completeLine(run.stdout) ?? '', /^##vso\[task\.complete result=Cancelled;\]/);
    assert.notEqual(run.code, 0);
  });

  it('exits Cancelled when main ignores cancellation past the grace period', () => {
    const run = result('hangGrace');
    assert.match(completeLine(run.stdout) ?? '', /^##vso\[task\.complete result=Cancelled;\].*did not finish winding down/);
    assert.notEqual(run.code, null, 'exited by itself, not killed');
  });

  it('exits at once on the second signal', () => {
    assert.equal(completeLine(result('hangSecondSignal').stdout), '##vso[task.complete result=Cancelled;]The task was cancelled (SIGTERM).');
  });
});
