/**
 * The mock-runner script of the Train L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * variables, an AzureRM service connection), replaces the network edge of the task with fakes, and runs the task's
 * tsc output (tasks/AzureMLTrain/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (an in-memory workspace, see fakeWorkspace.ts) and the task's
 * ./wait module (waitForJob resolves with the scenario's outcome). Everything else is the real code.
 */
import { createFakeWorkspace, Recorder } from './fakeWorkspace';
import { CONNECTION_ID, SCENARIO_VARIABLE, type TrainScenario } from './scenario';
import { prepareMockTask, sharedWithFakeWorkspace } from '../../support/taskMockRunner';

const { scenario, runner, shared, azureRequestError } = prepareMockTask<TrainScenario>('AzureMLTrain', SCENARIO_VARIABLE, CONNECTION_ID);
const recorder = new Recorder(scenario.recordFile);

const computes = scenario.computes ?? ['cpu-cluster', 'gpu-cluster'];
runner.registerMock(
  '@azureml-mlops/shared',
  sharedWithFakeWorkspace(shared, (connection) => createFakeWorkspace({ connection, computes, resources: scenario.resources ?? {} }, recorder, azureRequestError)),
);

runner.registerMock('./wait', {
  waitForJob: async (_workspace: unknown, jobName: string, options: unknown) => {
    recorder.record.waits.push({ jobName, options });
    recorder.save();
    const outcome = scenario.outcome ?? { status: 'Completed' };
    return {
      status: outcome.status,
      succeeded: outcome.status === 'Completed',
      timedOut: outcome.timedOut ?? false,
      ...(outcome.failureMessage ? { failureMessage: outcome.failureMessage } : {}),
      startedAt: new Date('2025-01-01T10:00:00Z'),
      endedAt: new Date('2025-01-01T10:03:25Z'),
    };
  },
  collectJobResults: async () => scenario.results ?? { metrics: {}, steps: {}, outputs: {} },
});

runner.run();
