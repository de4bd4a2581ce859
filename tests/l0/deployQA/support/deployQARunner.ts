/**
 * The mock-runner script of the DeployQA L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * an AzureRM service connection), replaces the network edge of the task with fakes, and runs the task's tsc output
 * (tasks/AzureMLDeployQA/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (an in-memory workspace, see fakeWorkspace.ts) and the HTTP client of
 * the smoke test (runSmokeTest is the real one, given the fake client). Everything else is the real code.
 */
import { createFakeWorkspace, Recorder } from './fakeWorkspace';
import { CONNECTION_ID, type DeployQAScenario, FAKE, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath } from '../../../support/repository';
import { withFakeWorkspaceConnector } from '../../../support/fakeWorkspaceConnector';

const scenario = JSON.parse(process.env[SCENARIO_VARIABLE] ?? '{}') as DeployQAScenario;

const env = process.env;
env['AGENT_TEMPDIRECTORY'] = scenario.tempDirectory;
env['SYSTEM_DEFAULTWORKINGDIRECTORY'] = scenario.sourcesDirectory;
env['BUILD_SOURCESDIRECTORY'] = scenario.sourcesDirectory;
const id = CONNECTION_ID;
env[`ENDPOINT_URL_${id}`] = 'https://management.azure.com/';
env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: 'ServicePrincipal', parameters: {} });
env[`ENDPOINT_AUTH_SCHEME_${id}`] = 'ServicePrincipal';
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALID`] = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`] = 'l0-deployqa-client-secret';
env[`ENDPOINT_AUTH_PARAMETER_${id}_AUTHENTICATIONTYPE`] = 'spnKey';
env[`ENDPOINT_AUTH_PARAMETER_${id}_TENANTID`] = FAKE.tenantId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`] = FAKE.subscriptionId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONNAME`] = 'L0 subscription';
env[`ENDPOINT_DATA_${id}_ENVIRONMENT`] = 'AzureCloud';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run') as typeof import('azure-pipelines-task-lib/mock-run');
const runner = new TaskMockRunner(repositoryPath('tasks/AzureMLDeployQA/dist/index.js'));
for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('@azureml-mlops/shared') as typeof import('@azureml-mlops/shared');
const recorder = new Recorder(scenario.recordFile);
let fake: ReturnType<typeof createFakeWorkspace> | undefined;

runner.registerMock(
  '@azureml-mlops/shared',
  withFakeWorkspaceConnector({
    ...shared,
    createCredential: () => ({ getToken: async () => ({ token: 'fake-access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }),
    openWorkspace: async (options: { connection: unknown; resourceGroup?: string; workspaceName?: string }) => {
      if (options.resourceGroup !== FAKE.resourceGroup || options.workspaceName !== FAKE.workspaceName) {
        throw new shared.InputError('workspace', `the fake workspace is ${FAKE.resourceGroup}/${FAKE.workspaceName}`, 'Fix the scenario');
      }
      fake = createFakeWorkspace(scenario, options.connection, recorder, (method, url, status, code, message) => new shared.AzureRequestError(method, url, status, code, message));
      return fake.workspace;
    },
    runSmokeTest: (target: Parameters<typeof shared.runSmokeTest>[0], spec: Parameters<typeof shared.runSmokeTest>[1], options: Parameters<typeof shared.runSmokeTest>[2]) =>
      shared.runSmokeTest(target, spec, { ...options, httpClient: fake!.scoringClient }),
  }),
);

runner.run();
