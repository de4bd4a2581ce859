import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import { CONNECTION_ID, type EvaluateScenario, FAKE, type RecordedCall, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath } from '../../../support/repository';

export const WORKSPACE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName } as const;

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
  /** Every call the fake workspace answered; `OPEN` first when the task opened the workspace. */
  readonly calls: readonly RecordedCall[];
}

export type ScenarioInput = Omit<EvaluateScenario, 'recordFile' | 'tempDirectory'>;

/** Runs the task's tsc output under MockTestRunner with the fakes of evaluateRunner.ts. */
export async function runScenario(input: ScenarioInput): Promise<L0Result> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'evaluate-l0-'));
  try {
    const scenario: EvaluateScenario = { ...input, recordFile: path.join(folder, 'record.json'), tempDirectory: path.join(folder, 'temp') };
    fs.mkdirSync(scenario.tempDirectory);
    process.env[SCENARIO_VARIABLE] = JSON.stringify(scenario);
    const runner = new MockTestRunner(path.join(__dirname, 'evaluateRunner.js'), repositoryPath('tasks/AzureMLEvaluate/task.json'));
    runner.nodePath = process.execPath; // else MockTestRunner downloads Node
    try {
      await runner.runAsync();
    } finally {
      delete process.env[SCENARIO_VARIABLE];
    }
    const calls = fs.existsSync(scenario.recordFile) ? (JSON.parse(fs.readFileSync(scenario.recordFile, 'utf8')) as RecordedCall[]) : [];
    return {
      succeeded: runner.succeeded,
      errors: runner.errorIssues,
      warnings: runner.warningIssues,
      stdout: runner.stdout,
      stderr: runner.stderr,
      outputs: outputVariables(runner.stdout),
      summaries: summaries(runner.stdout),
      calls,
    };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
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

function summaries(stdout: string): string[] {
  const found: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/.exec(line);
    if (match && fs.existsSync(match[1]!)) found.push(fs.readFileSync(match[1]!, 'utf8'));
  }
  return found;
}
