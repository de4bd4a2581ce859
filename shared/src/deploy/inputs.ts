/**
 * The inputs AzureMLDeployQA@1 and AzureMLDeployProd@1 share (same names, same az ml YAML, same smoke test), read the
 * same way, so that a pipeline promotes to production exactly what it tested in QA with the same step inputs.
 */
import * as path from 'node:path';

import type { AgentEnvironment } from '../pipeline/agentEnvironment';
import { InputError } from '../pipeline/errors';
import type { InputReader } from '../pipeline/inputs';
import { parseJsonAssertions } from './assertions';
import { DEFAULT_DEPLOYMENT_INPUT_NAMES, loadDeploymentSpec, type LoadDeploymentOptions, MAX_INSTANCE_COUNT } from './deploymentSpec';
import { DEFAULT_ENDPOINT_INPUT_NAMES, loadEndpointSpec, type LoadEndpointOptions } from './endpointSpec';
import type { SmokeTestSpec } from './smokeTest';
import type { ComputeType, DeploymentSpec, EndpointSpec } from './types';

/** Input names of the endpoint, the deployment and the smoke test, as both tasks' task.json declare them. */
export const ONLINE_DEPLOYMENT_INPUTS = {
  endpointFile: DEFAULT_ENDPOINT_INPUT_NAMES.file,
  endpointName: DEFAULT_ENDPOINT_INPUT_NAMES.name,
  computeType: DEFAULT_ENDPOINT_INPUT_NAMES.computeType,
  kubernetesCompute: DEFAULT_ENDPOINT_INPUT_NAMES.kubernetesCompute,
  authMode: DEFAULT_ENDPOINT_INPUT_NAMES.authMode,
  endpointOverrides: DEFAULT_ENDPOINT_INPUT_NAMES.overrides,
  deploymentFile: DEFAULT_DEPLOYMENT_INPUT_NAMES.file,
  deploymentName: DEFAULT_DEPLOYMENT_INPUT_NAMES.name,
  model: DEFAULT_DEPLOYMENT_INPUT_NAMES.model,
  environment: DEFAULT_DEPLOYMENT_INPUT_NAMES.environment,
  codePath: DEFAULT_DEPLOYMENT_INPUT_NAMES.codePath,
  scoringScript: DEFAULT_DEPLOYMENT_INPUT_NAMES.scoringScript,
  instanceType: DEFAULT_DEPLOYMENT_INPUT_NAMES.instanceType,
  instanceCount: DEFAULT_DEPLOYMENT_INPUT_NAMES.instanceCount,
  deploymentOverrides: DEFAULT_DEPLOYMENT_INPUT_NAMES.overrides,
  smokeTestRequestFile: 'smokeTestRequestFile',
  smokeTestExpectedStatus: 'smokeTestExpectedStatus',
  smokeTestAssertions: 'smokeTestAssertions',
  smokeTestLatencyBudgetMs: 'smokeTestLatencyBudgetMs',
  smokeTestAttempts: 'smokeTestAttempts',
  smokeTestRetryDelaySeconds: 'smokeTestRetryDelaySeconds',
  smokeTestTimeoutSeconds: 'smokeTestTimeoutSeconds',
} as const;

const INPUTS = ONLINE_DEPLOYMENT_INPUTS;

export interface OnlineDeploymentInputs {
  readonly endpoint: EndpointSpec;
  readonly deployment: DeploymentSpec;
}

/**
 * The endpoint and the deployment, from the YAML files and the inputs that win over them. The endpoint's name comes
 * from its input, else its YAML, else the deployment YAML's endpoint_name; both must name the same endpoint and be
 * of the same kind (managed or Kubernetes).
 */
export function readOnlineDeploymentInputs(inputs: InputReader, env: AgentEnvironment, options: { readonly defaultDeploymentName: string }): OnlineDeploymentInputs {
  const endpointFile = inputs.path(INPUTS.endpointFile, { kind: 'file' });
  const deploymentFile = inputs.path(INPUTS.deploymentFile, { kind: 'file' });
  const endpointNameInput = inputs.optionalString(INPUTS.endpointName);
  const computeTypeInput = inputs.enumValue(INPUTS.computeType, ['auto', 'Managed', 'Kubernetes'] as const, 'auto');
  const computeType: ComputeType | undefined = computeTypeInput === 'auto' ? undefined : computeTypeInput;
  const authModeInput = inputs.enumValue(INPUTS.authMode, ['auto', 'key', 'aml_token', 'aad_token'] as const, 'auto');
  const endpointOptions: LoadEndpointOptions = {
    computeType,
    // Hidden (and ignored) for a Managed endpoint: a value left in it would otherwise contradict computeType.
    ...(computeType === 'Managed' ? {} : { kubernetesCompute: inputs.optionalString(INPUTS.kubernetesCompute) }),
    authMode: authModeInput === 'auto' ? undefined : authModeInput,
    overrides: inputs.optionalString(INPUTS.endpointOverrides),
  };
  const endpointFromFile =
    endpointFile !== undefined ? loadEndpointSpec(endpointFile, { ...endpointOptions, name: endpointNameInput, displayName: displayPath(endpointFile, env) }) : undefined;
  const deploymentOptions: LoadDeploymentOptions = {
    name: inputs.optionalString(INPUTS.deploymentName),
    endpointName: endpointNameInput,
    model: inputs.optionalString(INPUTS.model),
    environment: inputs.optionalString(INPUTS.environment),
    codePath: inputs.path(INPUTS.codePath, { kind: 'folder' }),
    scoringScript: inputs.optionalString(INPUTS.scoringScript),
    instanceType: inputs.optionalString(INPUTS.instanceType),
    instanceCount: inputs.integer(INPUTS.instanceCount, undefined, { min: 1, max: MAX_INSTANCE_COUNT }),
    overrides: inputs.optionalString(INPUTS.deploymentOverrides),
    computeType,
    defaultComputeType: endpointFromFile?.computeType,
    defaultEndpointName: endpointFromFile?.name,
    defaultName: options.defaultDeploymentName,
    displayName: deploymentFile !== undefined ? displayPath(deploymentFile, env) : undefined,
  };
  const deployment = loadDeploymentSpec(deploymentFile, deploymentOptions);

  const endpoint = endpointFromFile ?? loadEndpointSpec(undefined, { ...endpointOptions, name: endpointNameInput ?? deployment.endpointName, computeType: computeType ?? deployment.computeType });
  if (deployment.endpointName.toLowerCase() !== endpoint.name.toLowerCase()) {
    throw new InputError(
      INPUTS.deploymentFile,
      `${deployment.file ?? 'the deployment YAML'} names the endpoint '${deployment.endpointName}' (endpoint_name), but the endpoint is '${endpoint.name}' (${endpoint.file ?? INPUTS.endpointName})`,
      `Make them the same, or set '${INPUTS.endpointName}' to choose the endpoint for both`,
    );
  }
  if (deployment.computeType !== endpoint.computeType) {
    throw new InputError(
      deploymentFile !== undefined ? INPUTS.deploymentFile : INPUTS.computeType,
      `the deployment is ${deployment.computeType} but the endpoint '${endpoint.name}' is ${endpoint.computeType}`,
      'A deployment is of the kind of its endpoint: make both managed (type: managed), or both Kubernetes',
    );
  }
  return { endpoint, deployment };
}

/**
 * The smoke test inputs. Without a request file: undefined, unless `required` says why one is needed (then one
 * InputError); checks set without a request are refused, since they would silently test nothing.
 */
export function readSmokeTestInputs(inputs: InputReader, options: { readonly required?: string } = {}): SmokeTestSpec | undefined {
  const requestFile = inputs.path(INPUTS.smokeTestRequestFile, { kind: 'file' });
  const assertions = parseJsonAssertions(inputs.optionalString(INPUTS.smokeTestAssertions), INPUTS.smokeTestAssertions);
  const latencyBudgetMs = inputs.integer(INPUTS.smokeTestLatencyBudgetMs, undefined, { min: 1, max: 600_000 });
  const expectedStatus = inputs.integer(INPUTS.smokeTestExpectedStatus, 200, { min: 100, max: 599 });
  const attempts = inputs.integer(INPUTS.smokeTestAttempts, 5, { min: 1, max: 50 });
  const retryDelaySeconds = inputs.integer(INPUTS.smokeTestRetryDelaySeconds, 10, { min: 0, max: 600 });
  const timeoutSeconds = inputs.integer(INPUTS.smokeTestTimeoutSeconds, 60, { min: 1, max: 600 });
  if (requestFile === undefined) {
    if (options.required !== undefined) {
      throw new InputError(INPUTS.smokeTestRequestFile, `a value is required: ${options.required}`, 'Set it to a sample scoring request, e.g. samples/diabetes/score/sample-request.json');
    }
    for (const [input, set] of [[INPUTS.smokeTestAssertions, assertions.length > 0], [INPUTS.smokeTestLatencyBudgetMs, latencyBudgetMs !== undefined]] as const) {
      if (set) throw new InputError(input, `is set, but there is no request to check ('${INPUTS.smokeTestRequestFile}' is empty)`, `Set '${INPUTS.smokeTestRequestFile}' to the request to send, or remove '${input}'`);
    }
    return undefined;
  }
  return {
    requestFile,
    expectedStatus,
    assertions,
    ...(latencyBudgetMs !== undefined ? { latencyBudgetMs } : {}),
    attempts,
    retryDelayMs: retryDelaySeconds * 1000,
    timeoutMs: timeoutSeconds * 1000,
  };
}

/** `deploy/endpoint.yml` for a file inside the sources folder (how messages name it); the absolute path otherwise. */
export function displayPath(file: string, env: AgentEnvironment): string {
  const root = env.getVariable('System.DefaultWorkingDirectory') ?? env.getVariable('Build.SourcesDirectory');
  if (!root) return file;
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}
