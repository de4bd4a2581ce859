import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import type { FakeRecord } from './fakeWorkspace';
import { CONNECTION_ID, type DeployQAScenario, FAKE, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';

export const BASE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName, smokeTestRetryDelaySeconds: '0' } as const;

export interface L0Result {
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  readonly stdout: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly summaries: readonly string[];
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<DeployQAScenario, 'recordFile' | 'tempDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of deployQARunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'deployqa-l0-'));
  try {
    const scenario: DeployQAScenario = {
      inputs: BASE_INPUTS,
      sourcesDirectory: REPOSITORY_ROOT,
      ...input,
      recordFile: path.join(folder, 'record.json'),
      tempDirectory: path.join(folder, 'temp'),
    };
    fs.mkdirSync(scenario.tempDirectory);
    process.env[SCENARIO_VARIABLE] = JSON.stringify(scenario);
    const runner = new MockTestRunner(path.join(__dirname, 'deployQARunner.js'), repositoryPath('tasks/AzureMLDeployQA/task.json'));
    runner.nodePath = process.execPath; // else MockTestRunner downloads Node
    try {
      await runner.runAsync();
    } finally {
      delete process.env[SCENARIO_VARIABLE];
    }
    return {
      succeeded: runner.succeeded,
      errors: runner.errorIssues,
      stdout: runner.stdout,
      outputs: outputVariables(runner.stdout),
      summaries: summaries(runner.stdout),
      record: JSON.parse(fs.readFileSync(scenario.recordFile, 'utf8')) as FakeRecord,
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
  return stdout
    .split(/\r?\n/)
    .flatMap((line) => {
      const match = /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/.exec(line);
      return match ? [match[1]!] : [];
    })
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, 'utf8'));
}

/** ARM writes (anything but GET and operation polls). */
export function writes(record: FakeRecord): FakeRecord['calls'] {
  return record.calls.filter((call) => call.method !== 'GET');
}
