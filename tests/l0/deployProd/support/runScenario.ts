import * as path from 'node:path';

import { CONNECTION_ID, FAKE, type FakeRecord, type ProdScenario, SCENARIO_VARIABLE } from './scenario';
import { readRecord } from '../../support/jsonRecorder';
import { inScenarioFolder, type MockTaskRun, runMockTask } from '../../support/runMockTask';
import { REPOSITORY_ROOT } from '../../../support/repository';

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

export interface L0Result extends MockTaskRun {
  readonly record: FakeRecord;
}

export type ScenarioInput = Partial<Omit<ProdScenario, 'recordFile' | 'tempDirectory' | 'sourcesDirectory'>>;

/** Runs the task's tsc output under MockTestRunner with the fakes of prodRunner.ts. */
export async function runScenario(input: ScenarioInput): Promise<L0Result> {
  return inScenarioFolder('prod-l0-', async (files) => {
    const scenario: ProdScenario = {
      inputs: BASE_INPUTS,
      models: { 'diabetes:1': {}, 'diabetes:2': {} },
      environments: ['scoring:1'],
      ...input,
      ...files,
      sourcesDirectory: REPOSITORY_ROOT,
    };
    const run = await runMockTask({ task: 'AzureMLDeployProd', runnerScript: path.join(__dirname, 'prodRunner.js'), scenarioVariable: SCENARIO_VARIABLE, scenario });
    // No record: the task stopped before it opened the workspace (nothing was called).
    const record = readRecord<FakeRecord>(files.recordFile, () => ({ calls: [], endpoint: scenario.endpoint, models: { ...(scenario.models ?? {}) }, smokeTests: [] }));
    return { ...run, record };
  });
}

/** The writes the task made (everything but GET and the read-only POSTs). */
export function writes(record: FakeRecord): string[] {
  return record.calls.filter((c) => c.method !== 'GET' && !/\/(listKeys|getLogs)$/.test(c.path)).map((c) => `${c.method} ${c.path}`);
}
