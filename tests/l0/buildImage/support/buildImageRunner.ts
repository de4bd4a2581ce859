/**
 * The mock-runner script of the BuildImage L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * variables, an AzureRM service connection), replaces the network edge of the task with fakes, and runs the task's
 * tsc output (tasks/AzureMLBuildImage/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential/openDatastore, the ACR management client (@azure/arm-containerregistry)
 * and the blob upload (@azure/storage-blob's BlockBlobClient); see fakeAzure.ts. Everything else (inputs, registry
 * choice, context, archive, Dockerfile, idempotency, waiting, log streaming, environment registration, outputs,
 * summary) is the real code.
 */
import { createFakes, Recorder } from './fakeAzure';
import { type BuildImageScenario, CONNECTION_ID, SCENARIO_VARIABLE } from './scenario';
import { prepareMockTask, sharedWithFakeWorkspace } from '../../support/taskMockRunner';

const { scenario, runner, shared } = prepareMockTask<BuildImageScenario>('AzureMLBuildImage', SCENARIO_VARIABLE, CONNECTION_ID);

// The real blob library, loaded before the mocks are enabled; the task gets it with its upload faked.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storage = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
const recorder = new Recorder(scenario.recordFile);
const fakes = createFakes(scenario, recorder, (status, code, message) => Object.assign(new Error(message), { name: 'RestError', statusCode: status, code }));

runner.registerMock('@azureml-mlops/shared', sharedWithFakeWorkspace(shared, fakes.workspace, { openDatastore: fakes.openDatastore }));
runner.registerMock('@azure/arm-containerregistry', { ContainerRegistryManagementClient: fakes.ContainerRegistryManagementClient });
runner.registerMock('@azure/storage-blob', { ...storage, BlockBlobClient: fakes.BlockBlobClient });

runner.run();
