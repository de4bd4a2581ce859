/**
 * Every input of AzureMLDeployQA@1, read and validated in one place, offline: the endpoint and deployment specs (az ml
 * YAML and inputs), traffic, smoke test, teardown. A bad input is one InputError naming it, before anything happens on
 * the Azure side.
 */
import {
  type AgentEnvironment,
  type AzureRmConnection,
  type DeploymentSpec,
  type EndpointSpec,
  InputReader,
  ONLINE_DEPLOYMENT_INPUTS,
  readAzureRmConnectionInput,
  readOnlineDeploymentInputs,
  readSmokeTestInputs,
  readWorkspaceInputs,
  type SmokeTestSpec,
  taskLibEnvironment,
  type WorkspaceInputs,
} from '@azureml-mlops/shared';

/** Input names, as task.json declares them (messages and tests use these). */
export const INPUTS = {
  connection: 'azureSubscription',
  resourceGroup: 'resourceGroup',
  workspace: 'workspace',
  ...ONLINE_DEPLOYMENT_INPUTS,
  trafficPercent: 'trafficPercent',
  teardown: 'teardown',
} as const;

/** The deployment name when neither the input nor the YAML gives one. */
export const DEFAULT_DEPLOYMENT_NAME = 'blue';

export type Teardown = 'never' | 'always' | 'onSuccess' | 'onFailure';
const TEARDOWNS: readonly Teardown[] = ['never', 'always', 'onSuccess', 'onFailure'];

export interface DeployQAParameters {
  readonly connection: AzureRmConnection;
  readonly workspace: WorkspaceInputs;
  readonly endpoint: EndpointSpec;
  readonly deployment: DeploymentSpec;
  /** The deployment's share of the live traffic; undefined: the endpoint YAML's traffic, else 100. */
  readonly trafficPercent: number | undefined;
  readonly smokeTest: SmokeTestSpec | undefined;
  readonly teardown: Teardown;
}

export function readParameters(env: AgentEnvironment = taskLibEnvironment): DeployQAParameters {
  const inputs = new InputReader(env);
  const connection = readAzureRmConnectionInput(INPUTS.connection, env);
  const workspace = readWorkspaceInputs(inputs, connection, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace });

  const { endpoint, deployment } = readOnlineDeploymentInputs(inputs, env, { defaultDeploymentName: DEFAULT_DEPLOYMENT_NAME });
  const trafficPercent = inputs.integer(INPUTS.trafficPercent, undefined, { min: 0, max: 100 });
  const smokeTest = readSmokeTestInputs(inputs);
  const teardown = inputs.enumValue(INPUTS.teardown, TEARDOWNS, 'never');
  return { connection, workspace, endpoint, deployment, trafficPercent, smokeTest, teardown };
}
