import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FakeRecord } from './fakeWorkspace';
import { CONNECTION_ID, FAKE, type RegisterScenario, SCENARIO_VARIABLE } from './scenario';
import { readRecord } from '../../support/jsonRecorder';
import { commandValues, inScenarioFolder, type MockTaskRun, runMockTask } from '../../support/runMockTask';
import { REPOSITORY_ROOT } from '../../../support/repository';
export { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';

export const BASE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName, modelName: 'diabetes-ridge' } as const;

export interface L0Result extends MockTaskRun {
  /** `##vso[artifact.upload]` commands: artifact name, container folder and the file's content (read before cleanup). */
  readonly artifacts: ReadonlyArray<{ readonly name: string; readonly containerFolder: string; readonly path: string; readonly content: string | undefined }>;
  /** `##vso[build.addbuildtag]` values. */
  readonly buildTags: readonly string[];
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<RegisterScenario, 'recordFile' | 'tempDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of registerRunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  return inScenarioFolder('register-l0-', async (files) => {
    const scenario: RegisterScenario = { inputs: BASE_INPUTS, sourcesDirectory: REPOSITORY_ROOT, ...input, ...files };
    const run = await runMockTask({ task: 'AzureMLRegisterModel', runnerScript: path.join(__dirname, 'registerRunner.js'), scenarioVariable: SCENARIO_VARIABLE, scenario });
    return {
      ...run,
      artifacts: artifacts(run.stdout),
      buildTags: commandValues(run.stdout, /^##vso\[build\.addbuildtag\](.*)$/),
      record: readRecord<FakeRecord>(files.recordFile),
    };
  });
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

/** The ARM writes the task made (PUT/POST/DELETE...). */
export function writes(record: FakeRecord): FakeRecord['calls'] {
  return record.calls.filter((call) => call.method !== 'GET');
}
