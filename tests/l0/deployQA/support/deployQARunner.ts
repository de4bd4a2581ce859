/**
 * The mock-runner script of the DeployQA L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * an AzureRM service connection), replaces the network edge of the task with fakes, and runs the task's tsc output
 * (tasks/AzureMLDeployQA/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (an in-memory workspace, see fakeWorkspace.ts) and the HTTP client of
 * the smoke test (runSmokeTest is the real one, given the fake client). Everything else is the real code.
 */
import { createFakeWorkspace, Recorder } from './fakeWorkspace';
import { CONNECTION_ID, type DeployQAScenario, SCENARIO_VARIABLE } from './scenario';
import { prepareMockTask, sharedWithFakeWorkspace } from '../../support/taskMockRunner';

const { scenario, runner, shared, azureRequestError } = prepareMockTask<DeployQAScenario>('AzureMLDeployQA', SCENARIO_VARIABLE, CONNECTION_ID);
const recorder = new Recorder(scenario.recordFile);
let fake: ReturnType<typeof createFakeWorkspace> | undefined;

runner.registerMock(
  '@azureml-mlops/shared',
  sharedWithFakeWorkspace(
    shared,
    (connection) => {
      fake = createFakeWorkspace(scenario, connection, recorder, azureRequestError);
      return fake.workspace;
    },
    {
      runSmokeTest: (target: Parameters<typeof shared.runSmokeTest>[0], spec: Parameters<typeof shared.runSmokeTest>[1], options: Parameters<typeof shared.runSmokeTest>[2]) =>
        shared.runSmokeTest(target, spec, { ...options, httpClient: fake!.scoringClient }),
    },
  ),
);

runner.run();
