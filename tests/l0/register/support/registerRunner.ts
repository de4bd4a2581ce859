/**
 * The mock-runner script of the Register L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * variables, an AzureRM service connection), replaces the network edge of the task with fakes, and runs the task's
 * tsc output (tasks/AzureMLRegisterModel/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (an in-memory workspace, see fakeWorkspace.ts) and openDatastore.
 * Everything else (inputs, checks, lineage, idempotency, model.json, artifact, build tag, summary) is the real code.
 */
import { createFakeWorkspace, Recorder } from './fakeWorkspace';
import { CONNECTION_ID, type RegisterScenario, SCENARIO_VARIABLE } from './scenario';
import { prepareMockTask, sharedWithFakeWorkspace } from '../../support/taskMockRunner';

const { scenario, runner, shared, azureRequestError } = prepareMockTask<RegisterScenario>('AzureMLRegisterModel', SCENARIO_VARIABLE, CONNECTION_ID);
const recorder = new Recorder(scenario.recordFile);
let fake: ReturnType<typeof createFakeWorkspace> | undefined;

runner.registerMock(
  '@azureml-mlops/shared',
  sharedWithFakeWorkspace(
    shared,
    (connection) => {
      fake = createFakeWorkspace(scenario, connection, recorder, azureRequestError, (message) => new shared.TaskError(message));
      return fake.workspace;
    },
    {
      openDatastore: (...args: [unknown, string, string, string | undefined]) => {
        if (!fake) throw new Error('openDatastore before openWorkspace');
        return fake.openDatastore(...args);
      },
    },
  ),
);

runner.run();
