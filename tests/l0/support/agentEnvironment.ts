/**
 * In a runner script, before azure-pipelines-task-lib loads: the environment the agent gives a task (its folders,
 * pipeline variables, and the AzureRM service connection of the inputs as ENDPOINT_* variables). Every task's L0
 * runner needs the same; task-lib reads some of it when it loads, so prepareMockTask calls these before requiring it.
 */
import { FAKE } from './fakeWorkspaceClient';
import type { MockTaskScenario } from './scenario';

/** The service principal of the fake connection (the tests match its id in error messages). */
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const CLIENT_SECRET = 'l0-client-secret-value';

/** Agent.TempDirectory, System.DefaultWorkingDirectory, Build.SourcesDirectory and the pipeline variables. */
export function setAgentEnvironment(scenario: MockTaskScenario): void {
  const env = process.env;
  env['AGENT_TEMPDIRECTORY'] = scenario.tempDirectory;
  if (scenario.sourcesDirectory !== undefined) {
    env['SYSTEM_DEFAULTWORKINGDIRECTORY'] = scenario.sourcesDirectory;
    env['BUILD_SOURCESDIRECTORY'] = scenario.sourcesDirectory;
  }
  // As the agent names them: `Build.BuildId` -> BUILD_BUILDID.
  for (const [name, value] of Object.entries(scenario.variables ?? {})) env[name.replace(/[. ]/g, '_').toUpperCase()] = value;
}

/**
 * An AzureRM service connection (service principal with a secret) to the fake subscription, as the agent writes it:
 * the id as is, the keys upper-cased. `scopedToWorkspace`: a connection scoped to the fake workspace (Azure ML scope).
 */
export function setAzureRmConnection(id: string, options: { readonly scopedToWorkspace?: boolean } = {}): void {
  const env = process.env;
  env[`ENDPOINT_URL_${id}`] = 'https://management.azure.com/';
  env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ scheme: 'ServicePrincipal', parameters: {} });
  env[`ENDPOINT_AUTH_SCHEME_${id}`] = 'ServicePrincipal';
  env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALID`] = CLIENT_ID;
  env[`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`] = CLIENT_SECRET;
  env[`ENDPOINT_AUTH_PARAMETER_${id}_AUTHENTICATIONTYPE`] = 'spnKey';
  env[`ENDPOINT_AUTH_PARAMETER_${id}_TENANTID`] = FAKE.tenantId;
  env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONID`] = FAKE.subscriptionId;
  env[`ENDPOINT_DATA_${id}_SUBSCRIPTIONNAME`] = 'L0 subscription';
  env[`ENDPOINT_DATA_${id}_ENVIRONMENT`] = 'AzureCloud';
  if (options.scopedToWorkspace) {
    env[`ENDPOINT_DATA_${id}_SCOPELEVEL`] = 'AzureMLWorkspace';
    env[`ENDPOINT_DATA_${id}_RESOURCEGROUPNAME`] = FAKE.resourceGroup;
    env[`ENDPOINT_DATA_${id}_MLWORKSPACENAME`] = FAKE.workspaceName;
  }
}
