import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import type { FakeRecord } from './fakeAzure';
import { type BuildImageScenario, CONNECTION_ID, FAKE, SCENARIO_VARIABLE } from './scenario';
import { REPOSITORY_ROOT, repositoryPath } from '../../../support/repository';

export const BASE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName } as const;

export interface L0Result {
  readonly succeeded: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly stdout: string;
  /** Output variables the task set (isOutput=true). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Markdown of the run summary sections the task attached. */
  readonly summaries: readonly string[];
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<BuildImageScenario, 'recordFile' | 'tempDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of buildImageRunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-l0-'));
  try {
    const scenario: BuildImageScenario = {
      inputs: BASE_INPUTS,
      sourcesDirectory: REPOSITORY_ROOT,
      ...input,
      recordFile: path.join(folder, 'record.json'),
      tempDirectory: path.join(folder, 'temp'),
    };
    fs.mkdirSync(scenario.tempDirectory);
    process.env[SCENARIO_VARIABLE] = JSON.stringify(scenario);
    const runner = new MockTestRunner(path.join(__dirname, 'buildImageRunner.js'), repositoryPath('tasks/AzureMLBuildImage/task.json'));
    runner.nodePath = process.execPath; // else MockTestRunner downloads Node
    try {
      await runner.runAsync();
    } finally {
      delete process.env[SCENARIO_VARIABLE];
    }
    const record = JSON.parse(fs.readFileSync(scenario.recordFile, 'utf8')) as FakeRecord;
    const leftovers = fs.readdirSync(scenario.tempDirectory).filter((name) => name.startsWith('azureml-build-image-'));
    if (leftovers.length > 0) throw new Error(`the task left its work folder behind: ${leftovers.join(', ')}`);
    return {
      succeeded: runner.succeeded,
      errors: runner.errorIssues,
      warnings: runner.warningIssues,
      stdout: runner.stdout,
      outputs: outputVariables(runner.stdout),
      summaries: commandValues(runner.stdout, /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/)
        .filter((file) => fs.existsSync(file))
        .map((file) => fs.readFileSync(file, 'utf8')),
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

function commandValues(stdout: string, pattern: RegExp): string[] {
  return stdout.split(/\r?\n/).flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [match[1]!] : [];
  });
}

/** The operations on the Azure side that create or change something. */
export function writes(record: FakeRecord): string[] {
  return [
    ...record.arm.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`),
    ...record.acr.filter((c) => /getBuildSourceUploadUrl|beginScheduleRun|beginImportImage|beginCancel/.test(c.operation)).map((c) => c.operation),
    ...record.uploads.map((u) => `upload ${u.url}`),
  ];
}

export { REPOSITORY_ROOT };
