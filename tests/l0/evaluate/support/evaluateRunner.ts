/**
 * The mock-runner script of the Evaluate L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * an AzureRM service connection), replaces shared's openWorkspace/createCredential with the fake workspace of
 * fakeWorkspace.ts, and runs the task's tsc output (tasks/AzureMLEvaluate/dist/index.js). Everything else is real.
 */
import * as fs from 'node:fs';

import { createFakeWorkspace } from './fakeWorkspace';
import { CONNECTION_ID, type EvaluateScenario, FAKE, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath } from '../../../support/repository';
import { withFakeWorkspaceConnector } from '../../../support/fakeWorkspaceConnector';

const scenario = JSON.parse(process.env[SCENARIO_VARIABLE] ?? '{}') as EvaluateScenario;

const env = process.env;
env['AGENT_TEMPDIRECTORY'] = scenario.tempDirectory;
const id = CONNECTION_ID;
env[`ENDPOINT_URL_${id}`] = 'https://management.azure.com/';
env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: 'ServicePrincipal', parameters: {} });
env[`ENDPOINT_AUTH_SCHEME_${id}`] = 'ServicePrincipal';
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALID`] = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`] = 'l0-client-secret-value';
env[`ENDPOINT_AUTH_PARAMETER_${id}_AUTHENTICATIONTYPE`] = 'spnKey';
env[`ENDPOINT_AUTH_PARAMETER_${id}_TENANTID`] = FAKE.tenantId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`] = FAKE.subscriptionId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONNAME`] = 'L0 subscription';
env[`ENDPOINT_DATA_${id}_ENVIRONMENT`] = 'AzureCloud';
if (scenario.connectionScope === 'workspace') {
  env[`ENDPOINT_DATA_${id}_SCOPELEVEL`] = 'AzureMLWorkspace';
  env[`ENDPOINT_DATA_${id}_RESOURCEGROUPNAME`] = FAKE.resourceGroup;
  env[`ENDPOINT_DATA_${id}_MLWORKSPACENAME`] = FAKE.workspaceName;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run') as typeof import('azure-pipelines-task-lib/mock-run');
const runner = new TaskMockRunner(repositoryPath('tasks/AzureMLEvaluate/dist/index.js'));
for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);

// The real library, loaded before the mocks are enabled; the task gets it with its network edge replaced.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('@azureml-mlops/shared') as typeof import('@azureml-mlops/shared');
fs.writeFileSync(scenario.recordFile, '[]');

runner.registerMock(
  '@azureml-mlops/shared',
  withFakeWorkspaceConnector({
    ...shared,
    createCredential: () => ({ getToken: async () => ({ token: 'fake-access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }),
    openWorkspace: async (options: { connection: unknown; resourceGroup?: string; workspaceName?: string }) => {
      if (options.resourceGroup !== FAKE.resourceGroup || options.workspaceName !== FAKE.workspaceName) {
        throw new shared.InputError('workspace', `the fake workspace is ${FAKE.resourceGroup}/${FAKE.workspaceName}, not ${options.resourceGroup}/${options.workspaceName}`, 'Fix the scenario');
      }
      return createFakeWorkspace(scenario, options.connection, (method, url, status, code, message) => new shared.AzureRequestError(method, url, status, code, message));
    },
  }),
);

runner.run();
