import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MockTestRunner } from 'azure-pipelines-task-lib/mock-test';

import type { FakeRecord } from './fakeWorkspace';
import { CONNECTION_ID, FAKE, type RegisterScenario, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';
export { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';

export const BASE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName, modelName: 'diabetes-ridge' } as const;

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
  /** `##vso[artifact.upload]` commands: artifact name, container folder and the file's content (read before cleanup). */
  readonly artifacts: ReadonlyArray<{ readonly name: string; readonly containerFolder: string; readonly path: string; readonly content: string | undefined }>;
  /** `##vso[build.addbuildtag]` values. */
  readonly buildTags: readonly string[];
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<RegisterScenario, 'recordFile' | 'tempDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of registerRunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'register-l0-'));
  try {
    const scenario: RegisterScenario = {
      inputs: BASE_INPUTS,
      sourcesDirectory: REPOSITORY_ROOT,
      ...input,
      recordFile: path.join(folder, 'record.json'),
      tempDirectory: path.join(folder, 'temp'),
    };
    fs.mkdirSync(scenario.tempDirectory);
    process.env[SCENARIO_VARIABLE] = JSON.stringify(scenario);
    const runner = new MockTestRunner(path.join(__dirname, 'registerRunner.js'), repositoryPath('tasks/AzureMLRegisterModel/task.json'));
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
      artifacts: artifacts(runner.stdout),
      buildTags: commandValues(runner.stdout, /^##vso\[build\.addbuildtag\](.*)$/),
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
  return commandValues(stdout, /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;[^\]]*\](.*)$/)
    .filter((file) => fs.existsSync(file))
    .map((file) => fs.readFileSync(file, 'utf8'));
}

function artifacts(stdout: string): L0Result['artifacts'] {
  const found: Array<L0Result['artifacts'][number]> = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^##vso\[artifact\.upload ([^\]]*)\](.*)$/.exec(line);
    if (!match) continue;
    const properties = Object.fromEntries(match[1]!.split(';').filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    const file = match[2]!;
    found.push({ name: properties['artifactname'] ?? '', containerFolder: properties['containerfolder'] ?? '', path: file, content: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined });
  }
  return found;
}

function commandValues(stdout: string, pattern: RegExp): string[] {
  return stdout.split(/\r?\n/).flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [match[1]!] : [];
  });
}

/** The ARM writes the task made (PUT/POST/DELETE...). */
export function writes(record: FakeRecord): FakeRecord['calls'] {
  return record.calls.filter((call) => call.method !== 'GET');
}
