/**
 * In a runner script (what MockTestRunner spawns): what every task's runner does around its own fakes. It reads the
 * scenario, sets up the agent's environment and service connection, makes the TaskMockRunner of the task's tsc output
 * with the scenario's inputs, and builds the mock of '@azureml-mlops/shared' (a fake credential; openWorkspace and
 * workspaceConnector giving the task's fake workspace, refusing any other). The fakes themselves stay in the task's folder.
 */
import type { TaskMockRunner } from 'azure-pipelines-task-lib/mock-run';

import { setAgentEnvironment, setAzureRmConnection } from './agentEnvironment';
import { FAKE } from './fakeWorkspaceClient';
import { type MockTaskScenario, readScenario } from './scenario';
import { repositoryPath } from '../../support/repository';
import { withFakeWorkspaceConnector } from './fakeWorkspaceConnector';

type Shared = typeof import('@azureml-mlops/shared');
type AzureRequestError = InstanceType<Shared['AzureRequestError']>;

export interface PreparedMockTask<S extends MockTaskScenario> {
  readonly scenario: S;
  /** Runs tasks/<task>/dist/index.js with the scenario's inputs once its mocks are registered. */
  readonly runner: TaskMockRunner;
  /** The real shared library, loaded before the mocks are enabled: the mocks are built on it. */
  readonly shared: Shared;
  /** How shared reports an ARM call that failed: what the fake workspaces throw. */
  readonly azureRequestError: (method: string, url: string, status: number, code: string, message: string) => AzureRequestError;
}

/**
 * Reads the scenario from `scenarioVariable`, sets the agent's environment and the AzureRM connection `connectionId`,
 * then loads azure-pipelines-task-lib (after: it reads that environment when it loads) and shared.
 */
export function prepareMockTask<S extends MockTaskScenario>(task: string, scenarioVariable: string, connectionId: string): PreparedMockTask<S> {
  const scenario = readScenario<S>(scenarioVariable);
  setAgentEnvironment(scenario);
  setAzureRmConnection(connectionId, { scopedToWorkspace: scenario.connectionScope === 'workspace' });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TaskMockRunner } = require('azure-pipelines-task-lib/mock-run') as typeof import('azure-pipelines-task-lib/mock-run');
  const runner = new TaskMockRunner(repositoryPath(`tasks/${task}/dist/index.js`));
  for (const [name, value] of Object.entries(scenario.inputs)) runner.setInput(name, value);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shared = require('@azureml-mlops/shared') as Shared;
  const azureRequestError = (method: string, url: string, status: number, code: string, message: string): AzureRequestError => new shared.AzureRequestError(method, url, status, code, message);
  return { scenario, runner, shared, azureRequestError };
}

/**
 * The mock of '@azureml-mlops/shared': the real library, but createCredential gives a fake token, and openWorkspace
 * (and the workspaceConnector going through it) gives what `openFakeWorkspace` makes of the connection, for the fake
 * workspace only (another one is an input error naming it). `overrides` replace more of shared (e.g. runSmokeTest).
 */
export function sharedWithFakeWorkspace(shared: Shared, openFakeWorkspace: (connection: unknown) => unknown, overrides: Readonly<Record<string, unknown>> = {}) {
  return withFakeWorkspaceConnector({
    ...shared,
    createCredential: () => ({ getToken: async () => ({ token: 'fake-access-token', expiresOnTimestamp: Date.now() + 3_600_000 }) }),
    openWorkspace: async (options: { connection: unknown; resourceGroup?: string; workspaceName?: string }) => {
      if (options.resourceGroup !== FAKE.resourceGroup || options.workspaceName !== FAKE.workspaceName) {
        throw new shared.InputError('workspace', `the fake workspace is ${FAKE.resourceGroup}/${FAKE.workspaceName}, not ${options.resourceGroup}/${options.workspaceName}`, 'Fix the scenario');
      }
      return openFakeWorkspace(options.connection);
    },
    ...overrides,
  });
}
