/**
 * In a mocha test: one run of a task's tsc output under MockTestRunner (which spawns the task's runner script), and
 * what a user would see of it, read from its stdout as the agent reads it: the result, issues, output variables and
 * run summaries. Every task's L0 tests run their scenarios this way; each adds what its fakes recorded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import type { MockTaskScenario } from './scenario';
import { repositoryPath } from '../../support/repository';

export interface MockTaskRun {
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** Output variables the task set (isOutput=true). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Markdown of the run summary sections the task attached. */
  readonly summaries: readonly string[];
}

/** The files of one scenario's run, in a folder of its own. */
export interface ScenarioFiles {
  /** Where the fakes write what the task did (not created). */
  readonly recordFile: string;
  /** Agent.TempDirectory (created, empty). */
  readonly tempDirectory: string;
}

/** Runs `body` with a new folder for one scenario's files, and removes the folder after (read what you need inside). */
export async function inScenarioFolder<T>(prefix: string, body: (files: ScenarioFiles) => Promise<T>): Promise<T> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    const files = { recordFile: path.join(folder, 'record.json'), tempDirectory: path.join(folder, 'temp') };
    fs.mkdirSync(files.tempDirectory);
    return await body(files);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

export interface MockTaskRunOptions {
  /** The task's folder under tasks/ (its task.json). */
  readonly task: string;
  /** The compiled runner script MockTestRunner spawns. */
  readonly runnerScript: string;
  /** The environment variable the runner script reads the scenario from. */
  readonly scenarioVariable: string;
  readonly scenario: MockTaskScenario;
}

/** Runs the task under MockTestRunner with `scenario`; summaries are read at once (they are in its temp folder). */
export async function runMockTask(options: MockTaskRunOptions): Promise<MockTaskRun> {
  process.env[options.scenarioVariable] = JSON.stringify(options.scenario);
  const runner = new MockTestRunner(options.runnerScript, repositoryPath(`tasks/${options.task}/task.json`));
  runner.nodePath = process.execPath; // else MockTestRunner downloads Node
  try {
    await runner.runAsync();
  } finally {
    delete process.env[options.scenarioVariable];
  }
  return {
    succeeded: runner.succeeded,
    errors: runner.errorIssues,
    warnings: runner.warningIssues,
    stdout: runner.stdout,
    stderr: runner.stderr,
    outputs: outputVariables(runner.stdout),
    summaries: commandValues(runner.stdout, /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/)
      .filter((file) => fs.existsSync(file))
      .map((file) => fs.readFileSync(file, 'utf8')),
  };
}

/** The first group of `pattern` in each line of `stdout` it matches (e.g. the value of a logging command). */
export function commandValues(stdout: string, pattern: RegExp): string[] {
  return stdout.split(/\r?\n/).flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [match[1]!] : [];
  });
}

function outputVariables(stdout: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^##vso\[task\.setvariable variable=([^;\]]+);([^\]]*)\](.*)$/.exec(line);
    if (match && /(^|;)isOutput=true(;|$)/i.test(match[2]!)) outputs[match[1]!] = unescapeData(match[3]!);
  }
  return outputs;
}

/** The agent's reading of a logging command's data (task-lib escapes \r, \n, ], ; and %). */
function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%5D/g, ']').replace(/%3B/g, ';').replace(/%AZP25/g, '%');
}
