/**
 * The mock-runner script of the Train L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * variables, an AzureRM service connection), replaces the network edge of the task with fakes, and runs the task's
 * tsc output (tasks/AzureMLTrain/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (an in-memory workspace, see fakeWorkspace.ts) and the task's
 * ./wait module (waitForJob resolves with the scenario's outcome). Everything else is the real code.
 */

import { createFakeWorkspace, Recorder } from './fakeWorkspace';
import { CONNECTION_ID, FAKE, SCENARIO_VARIABLE, type TrainScenario } from './scenario';
import { repositoryPath } from '../../../support/repository';
import { withFakeWorkspaceConnector } from '../../../support/fakeWorkspaceConnector';

const scenario = JSON.parse(process.env[SCENARIO_VARIABLE] ?? '{}') as TrainScenario;

// What the agent sets before the task starts (task-lib reads some of it when it loads).
const env = process.env;
env['AGENT_TEMPDIRECTORY'] = scenario.tempDirectory;
env['SYSTEM_DEFAULTWORKINGDIRECTORY'] = scenario.sourcesDirectory;
env['BUILD_SOURCESDIRECTORY'] = scenario.sourcesDirectory;
for (const [name, value] of Object.entries(scenario.variables ?? {})) env[name.replace(/[. ]/g, '_').toUpperCase()] = value;
const id = CONNECTION_ID; // as the agent writes it: the id as is, the key upper-cased
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
const runner = new TaskMockRunner(repositoryPath('tasks/AzureMLTrain/dist/index.js'));
for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);

// The real library, loaded before the mocks are enabled; the task gets it with its network edge replaced.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('@azureml-mlops/shared') as typeof import('@azureml-mlops/shared');
const recorder = new Recorder(scenario.recordFile);

runner.registerMock(
  '@azureml-mlops/shared',
  withFakeWorkspaceConnector({
    ...shared,
    createCredential: () => ({ getToken: async () => ({ token: 'fake-access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }),
    openWorkspace: async (options: { connection: { tenantId: string }; resourceGroup?: string; workspaceName?: string }) => {
      if (options.resourceGroup !== FAKE.resourceGroup || options.workspaceName !== FAKE.workspaceName) {
        throw new shared.InputError('workspace', `the fake workspace is ${FAKE.resourceGroup}/${FAKE.workspaceName}, not ${options.resourceGroup}/${options.workspaceName}`, 'Fix the scenario');
      }
      return createFakeWorkspace(
        {
          ...FAKE,
          connection: options.connection,
          computes: scenario.computes ?? ['cpu-cluster', 'gpu-cluster'],
          resources: scenario.resources ?? {},
          recordFile: scenario.recordFile,
        },
        recorder,
        (method, url, status, code, message) => new shared.AzureRequestError(method, url, status, code, message),
      );
    },
  }),
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
