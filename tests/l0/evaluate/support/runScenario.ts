import * as path from 'node:path';

import { CONNECTION_ID, type EvaluateScenario, FAKE, type RecordedCall, SCENARIO_VARIABLE } from './scenario';
import { readRecord } from '../../support/jsonRecorder';
import { inScenarioFolder, type MockTaskRun, runMockTask } from '../../support/runMockTask';

export const WORKSPACE_INPUTS = { azureSubscription: CONNECTION_ID, resourceGroup: FAKE.resourceGroup, workspace: FAKE.workspaceName } as const;

export interface L0Result extends MockTaskRun {
  /** Every call the fake workspace answered; `OPEN` first when the task opened the workspace. */
  readonly calls: readonly RecordedCall[];
}

export type ScenarioInput = Omit<EvaluateScenario, 'recordFile' | 'tempDirectory'>;

/** Runs the task's tsc output under MockTestRunner with the fakes of evaluateRunner.ts. */
export async function runScenario(input: ScenarioInput): Promise<L0Result> {
  return inScenarioFolder('evaluate-l0-', async (files) => {
    const scenario: EvaluateScenario = { ...input, ...files };
    const run = await runMockTask({ task: 'AzureMLEvaluate', runnerScript: path.join(__dirname, 'evaluateRunner.js'), scenarioVariable: SCENARIO_VARIABLE, scenario });
    return { ...run, calls: readRecord<RecordedCall[]>(files.recordFile, () => []) };
  });
}
