import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import type { FakeRecord } from './fakeWorkspace';
import { CONNECTION_ID, FAKE, SCENARIO_VARIABLE, type TrainScenario } from './scenario';
import { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';
export { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';

export const SAMPLE_JOB = 'samples/diabetes/train-job.yml';
export const DEFAULT_INPUTS = {
  azureSubscription: CONNECTION_ID,
  resourceGroup: FAKE.resourceGroup,
  workspace: FAKE.workspaceName,
  jobFile: SAMPLE_JOB,
} as const;

export interface L0Result {
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  /** Output variables the task set (isOutput=true). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Markdown of the run summary sections the task attached. */
  readonly summaries: readonly string[];
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<TrainScenario, 'recordFile' | 'tempDirectory' | 'sourcesDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of trainRunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'train-l0-'));
  try {
    const scenario: TrainScenario = {
      inputs: DEFAULT_INPUTS,
      ...input,
      recordFile: path.join(folder, 'record.json'),
      tempDirectory: path.join(folder, 'temp'),
      sourcesDirectory: REPOSITORY_ROOT,
    };
    fs.mkdirSync(scenario.tempDirectory);
    process.env[SCENARIO_VARIABLE] = JSON.stringify(scenario);
    const runner = new MockTestRunner(path.join(__dirname, 'trainRunner.js'), repositoryPath('tasks/AzureMLTrain/task.json'));
    runner.nodePath = process.execPath; // else MockTestRunner downloads Node
    try {
      await runner.runAsync();
    } finally {
      delete process.env[SCENARIO_VARIABLE];
    }
    const record = JSON.parse(fs.readFileSync(scenario.recordFile, 'utf8')) as FakeRecord;
    return {
      succeeded: runner.succeeded,
      errors: runner.errorIssues,
      warnings: runner.warningIssues,
      stdout: runner.stdout,
      stderr: runner.stderr,
      outputs: outputVariables(runner.stdout),
      summaries: summaries(runner.stdout),
      record,
    };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

function outputVariables(stdout: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^##vso\[task\.setvariable variable=([^;\]]+);([^\]]*)\](.*)$/.exec(line);
    if (match && /(^|;)isOutput=true(;|$)/i.test(match[2]!)) outputs[match[1]!] = match[3]!;
  }
  return outputs;
}

function summaries(stdout: string): string[] {
  const found: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/.exec(line);
    if (match && fs.existsSync(match[1]!)) found.push(fs.readFileSync(match[1]!, 'utf8'));
  }
  return found;
}

/** The ARM writes the task made (PUT/POST/DELETE...). */
export function writes(record: FakeRecord): FakeRecord['calls'] {
  return record.calls.filter((call) => call.method !== 'GET');
}
