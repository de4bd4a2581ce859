import * as path from 'node:path';

import type { FakeRecord } from './fakeWorkspace';
import { CONNECTION_ID, type DeployQAScenario, FAKE, SCENARIO_VARIABLE } from './scenario';
import { readRecord } from '../../support/jsonRecorder';
import { inScenarioFolder, type MockTaskRun, runMockTask } from '../../support/runMockTask';
import { REPOSITORY_ROOT } from '../../../support/repository';

export const BASE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName, smokeTestRetryDelaySeconds: '0' } as const;

export interface L0Result extends MockTaskRun {
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<DeployQAScenario, 'recordFile' | 'tempDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of deployQARunner.ts. */
export async function runScenario(input: ScenarioInput = {}): Promise<L0Result> {
  return inScenarioFolder('deployqa-l0-', async (files) => {
    const scenario: DeployQAScenario = { inputs: BASE_INPUTS, sourcesDirectory: REPOSITORY_ROOT, ...input, ...files };
    const run = await runMockTask({ task: 'AzureMLDeployQA', runnerScript: path.join(__dirname, 'deployQARunner.js'), scenarioVariable: SCENARIO_VARIABLE, scenario });
    return { ...run, record: readRecord<FakeRecord>(files.recordFile) };
  });
}

/** ARM writes (anything but GET and operation polls). */
export function writes(record: FakeRecord): FakeRecord['calls'] {
  return record.calls.filter((call) => call.method !== 'GET');
}
