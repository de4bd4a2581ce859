import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FakeRecord } from './fakeAzure';
import { type BuildImageScenario, CONNECTION_ID, FAKE, SCENARIO_VARIABLE } from './scenario';
import { readRecord } from '../../support/jsonRecorder';
import { inScenarioFolder, type MockTaskRun, runMockTask } from '../../support/runMockTask';
import { REPOSITORY_ROOT } from '../../../support/repository';

export const BASE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName } as const;

export interface L0Result extends MockTaskRun {
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<BuildImageScenario, 'recordFile' | 'tempDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of buildImageRunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  return inScenarioFolder('build-image-l0-', async (files) => {
    const scenario: BuildImageScenario = { inputs: BASE_INPUTS, sourcesDirectory: REPOSITORY_ROOT, ...input, ...files };
    const run = await runMockTask({ task: 'AzureMLBuildImage', runnerScript: path.join(__dirname, 'buildImageRunner.js'), scenarioVariable: SCENARIO_VARIABLE, scenario });
    const record = readRecord<FakeRecord>(files.recordFile);
    const leftovers = fs.readdirSync(files.tempDirectory).filter((name) => name.startsWith('azureml-build-image-'));
    if (leftovers.length > 0) throw new Error(`the task left its work folder behind: ${leftovers.join(', ')}`);
    return { ...run, record };
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
