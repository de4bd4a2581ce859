/**
 * The mock-runner script of the DeployProd L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * variables, an AzureRM service connection), replaces the network edge of the task with fakes and runs the task's tsc
 * output (tasks/AzureMLDeployProd/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (the in-memory workspace of fakeWorkspace.ts) and runSmokeTest (the
 * scoring requests: a result per label, from the scenario). Everything else is the real code: inputs, the plan, the
 * rollout state machine, the shared deployment library (create-or-update, traffic, record, logs, tags), the summary.
 */
import * as fs from 'node:fs';

import { createFakeWorkspace } from './fakeWorkspace';
import { CONNECTION_ID, FAKE, type ProdScenario, SCENARIO_VARIABLE } from './scenario';
import { repositoryPath } from '../../../support/repository';
import { withFakeWorkspaceConnector } from '../../../support/fakeWorkspaceConnector';

const scenario = JSON.parse(process.env[SCENARIO_VARIABLE] ?? '{}') as ProdScenario;

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
env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`] = 'l0-prod-client-secret';
env[`ENDPOINT_AUTH_PARAMETER_${id}_AUTHENTICATIONTYPE`] = 'spnKey';
env[`ENDPOINT_AUTH_PARAMETER_${id}_TENANTID`] = FAKE.tenantId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`] = FAKE.subscriptionId;
env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONNAME`] = 'L0 subscription';
env[`ENDPOINT_DATA_${id}_ENVIRONMENT`] = 'AzureCloud';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run') as typeof import('azure-pipelines-task-lib/mock-run');
const runner = new TaskMockRunner(repositoryPath('tasks/AzureMLDeployProd/dist/index.js'));
for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);

// The real library, loaded before the mocks are enabled; the task gets it with its network edge replaced.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('@azureml-mlops/shared') as typeof import('@azureml-mlops/shared');
let fake: ReturnType<typeof createFakeWorkspace> | undefined;

runner.registerMock(
  '@azureml-mlops/shared',
  withFakeWorkspaceConnector({
    ...shared,
    createCredential: () => ({ getToken: async () => ({ token: 'fake-access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }),
    openWorkspace: async (options: { connection: unknown; resourceGroup?: string; workspaceName?: string }) => {
      if (options.resourceGroup !== FAKE.resourceGroup || options.workspaceName !== FAKE.workspaceName) {
        throw new shared.InputError('workspace', `the fake workspace is ${FAKE.resourceGroup}/${FAKE.workspaceName}, not ${options.resourceGroup}/${options.workspaceName}`, 'Fix the scenario');
      }
      fake = createFakeWorkspace(scenario, options.connection, (method, url, status, code, message) => new shared.AzureRequestError(method, url, status, code, message));
      return fake.workspace;
    },
    runSmokeTest: async (target: { deploymentName?: string }, spec: { requestFile: string }, options: { label?: string }) => {
      const label = options.label ?? 'the endpoint';
      fs.readFileSync(spec.requestFile);
      const passed = !(scenario.smokeFailures ?? []).some((pattern) => new RegExp(pattern).test(label));
      fake!.record.smokeTests.push({ label, deployment: target.deploymentName, passed });
      fake!.save();
      return passed
        ? { passed, attempts: 1, status: 200, latencyMs: 5, failures: [], responseExcerpt: '{"predictions": [1, 2, 3]}', servedBy: target.deploymentName, label }
        : { passed, attempts: 1, status: 424, latencyMs: 5, failures: ['HTTP 424, expected 200'], responseExcerpt: '{"message": "An unexpected error occurred in scoring script."}', servedBy: target.deploymentName, label };
    },
  }),
);

runner.run();
