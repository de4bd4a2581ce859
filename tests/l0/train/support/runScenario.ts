import * as path from 'node:path';

import type { FakeRecord } from './fakeWorkspace';
import { CONNECTION_ID, FAKE, SCENARIO_VARIABLE, type TrainScenario } from './scenario';
import { inScenarioFolder, type MockTaskRun, runMockTask } from '../../support/runMockTask';
import { readRecord } from '../../support/jsonRecorder';
import { REPOSITORY_ROOT } from '../../../support/repository';
export { repositoryPath, REPOSITORY_ROOT } from '../../../support/repository';

export const SAMPLE_JOB = 'samples/diabetes/train-job.yml';
export const DEFAULT_INPUTS = {
  azureSubscription: CONNECTION_ID,
  resourceGroup: FAKE.resourceGroup,
  workspace: FAKE.workspaceName,
  jobFile: SAMPLE_JOB,
} as const;

export interface L0Result extends MockTaskRun {
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<TrainScenario, 'recordFile' | 'tempDirectory' | 'sourcesDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of trainRunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  return inScenarioFolder('train-l0-', async (files) => {
    const scenario: TrainScenario = { inputs: DEFAULT_INPUTS, ...input, ...files, sourcesDirectory: REPOSITORY_ROOT };
    const run = await runMockTask({ task: 'AzureMLTrain', runnerScript: path.join(__dirname, 'trainRunner.js'), scenarioVariable: SCENARIO_VARIABLE, scenario });
    return { ...run, record: readRecord<FakeRecord>(files.recordFile) };
  });
}

/** The ARM writes the task made (PUT/POST/DELETE...). */
export function writes(record: FakeRecord): FakeRecord['calls'] {
  return record.calls.filter((call) => call.method !== 'GET');
}
