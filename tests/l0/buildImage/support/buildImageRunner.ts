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
import { type BuildImageScenario, CONNECTION_ID, FAKE, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath } from '../../../support/repository';
import { withFakeWorkspaceConnector } from '../../../support/fakeWorkspaceConnector';

const scenario = JSON.parse(process.env[SCENARIO_VARIABLE] ?? '{}') as BuildImageScenario;

// What the agent sets before the task starts (task-lib reads some of it when it loads).
const env = process.env;
env['AGENT_TEMPDIRECTORY'] = scenario.tempDirectory;
env['SYSTEM_DEFAULTWORKINGDIRECTORY'] = scenario.sourcesDirectory;
env['BUILD_SOURCESDIRECTORY'] = scenario.sourcesDirectory;
for (const [name, value] of Object.entries(scenario.variables ?? {})) env[name.replace(/[. ]/g, '_').toUpperCase()] = value;
const id = CONNECTION_ID;
env[`ENDPOINT_URL_${id}`] = 'https://management.azure.com/';
env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: 'ServicePrincipal', parameters: {} });
env[`ENDPOINT_AUTH_SCHEME_${id}`] = 'ServicePrincipal';
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALID`] = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`] = 'l0-build-image-client-secret';
env[`ENDPOINT_AUTH_PARAMETER_${id}_AUTHENTICATIONTYPE`] = 'spnKey';
env[`ENDPOINT_AUTH_PARAMETER_${id}_TENANTID`] = FAKE.tenantId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`] = FAKE.subscriptionId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONNAME`] = 'L0 subscription';
env[`ENDPOINT_DATA_${id}_ENVIRONMENT`] = 'AzureCloud';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run') as typeof import('azure-pipelines-task-lib/mock-run');
const runner = new TaskMockRunner(repositoryPath('tasks/AzureMLBuildImage/dist/index.js'));
for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);

// The real libraries, loaded before the mocks are enabled; the task gets them with their network edge replaced.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('@azureml-mlops/shared') as typeof import('@azureml-mlops/shared');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const storage = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
const recorder = new Recorder(scenario.recordFile);
const fakes = createFakes(scenario, recorder, (status, code, message) => Object.assign(new Error(message), { name: 'RestError', statusCode: status, code }));

runner.registerMock(
  '@azureml-mlops/shared',
  withFakeWorkspaceConnector({
    ...shared,
    createCredential: () => ({ getToken: async () => ({ token: 'fake-access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }),
    openWorkspace: async (options: { connection: unknown; resourceGroup?: string; workspaceName?: string }) => {
      if (options.resourceGroup !== FAKE.resourceGroup || options.workspaceName !== FAKE.workspaceName) {
        throw new shared.InputError('workspace', `the fake workspace is ${FAKE.resourceGroup}/${FAKE.workspaceName}, not ${options.resourceGroup}/${options.workspaceName}`, 'Fix the scenario');
      }
      return fakes.workspace(options.connection);
    },
    openDatastore: fakes.openDatastore,
  }),
);
runner.registerMock('@azure/arm-containerregistry', { ContainerRegistryManagementClient: fakes.ContainerRegistryManagementClient });
runner.registerMock('@azure/storage-blob', { ...storage, BlockBlobClient: fakes.BlockBlobClient });

runner.run();
