/**
 * The mock-runner script of the Evaluate L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * an AzureRM service connection), replaces shared's openWorkspace/createCredential with the fake workspace of
 * fakeWorkspace.ts, and runs the task's tsc output (tasks/AzureMLEvaluate/dist/index.js). Everything else is real.
 */
import * as fs from 'node:fs';

import { createFakeWorkspace } from './fakeWorkspace';
import { CONNECTION_ID, type EvaluateScenario, SCENARIO_VARIABLE } from './scenario';
import { prepareMockTask, sharedWithFakeWorkspace } from '../../support/taskMockRunner';

const { scenario, runner, shared, azureRequestError } = prepareMockTask<EvaluateScenario>('AzureMLEvaluate', SCENARIO_VARIABLE, CONNECTION_ID);
fs.writeFileSync(scenario.recordFile, '[]');

runner.registerMock('@azureml-mlops/shared', sharedWithFakeWorkspace(shared, (connection) => createFakeWorkspace(scenario, connection, azureRequestError)));

runner.run();
