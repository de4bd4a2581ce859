import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import { CONNECTION_ID, FAKE, type FakeRecord, type ProdScenario, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';

/** The diabetes sample, with waits the fake does not need turned off. */
export const BASE_INPUTS = {
  azureSubscription: CONNECTION_ID,
  resourceGroup: FAKE.resourceGroup,
  workspace: FAKE.workspaceName,
  endpointName: 'diabetes-prod',
  endpointFile: 'samples/diabetes/deploy/endpoint.yml',
  deploymentFile: 'samples/diabetes/deploy/deployment.yml',
  environment: 'azureml:scoring:1',
  smokeTestRequestFile: 'samples/diabetes/score/sample-request.json',
  stepWaitSeconds: '0',
  mirrorDurationSeconds: '0',
} as const;

export interface L0Result {
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly stdout: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly summaries: readonly string[];
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<ProdScenario, 'recordFile' | 'tempDirectory' | 'sourcesDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of prodRunner.ts. */
export async function runScenario(input: ScenarioInput): Promise<L0Result> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'prod-l0-'));
  try {
    const scenario: ProdScenario = {
      inputs: BASE_INPUTS,
      models: { 'diabetes:1': {}, 'diabetes:2': {} },
      environments: ['scoring:1'],
      ...input,
      recordFile: path.join(folder, 'record.json'),
      tempDirectory: path.join(folder, 'temp'),
      sourcesDirectory: REPOSITORY_ROOT,
    };
    fs.mkdirSync(scenario.tempDirectory);
    process.env[SCENARIO_VARIABLE] = JSON.stringify(scenario);
    const runner = new MockTestRunner(path.join(__dirname, 'prodRunner.js'), repositoryPath('tasks/AzureMLDeployProd/task.json'));
    runner.nodePath = process.execPath; // else MockTestRunner downloads Node
    try {
      await runner.runAsync();
    } finally {
      delete process.env[SCENARIO_VARIABLE];
    }
    // No record: the task stopped before it opened the workspace (nothing was called).
    const record: FakeRecord = fs.existsSync(scenario.recordFile)
      ? (JSON.parse(fs.readFileSync(scenario.recordFile, 'utf8')) as FakeRecord)
      : { calls: [], endpoint: scenario.endpoint, models: { ...(scenario.models ?? {}) }, smokeTests: [] };
    return {
      succeeded: runner.succeeded,
      errors: runner.errorIssues,
      warnings: runner.warningIssues,
      stdout: runner.stdout,
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
  return stdout
    .split(/\r?\n/)
    .flatMap((line) => {
      const match = /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/.exec(line);
      return match ? [match[1]!] : [];
    })
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, 'utf8'));
}

/** The writes the task made (everything but GET and the read-only POSTs). */
export function writes(record: FakeRecord): string[] {
  return record.calls.filter((c) => c.method !== 'GET' && !/\/(listKeys|getLogs)$/.test(c.path)).map((c) => `${c.method} ${c.path}`);
}
