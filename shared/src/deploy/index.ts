/**
 * Online endpoints and deployments for the deployment tasks (AzureMLDeployQA@1, AzureMLDeployProd@1):
 *
 *   const endpointSpec = loadEndpointSpec(file, { name, computeType, authMode, overrides, inputNames });   // offline
 *   const deploymentSpec = loadDeploymentSpec(file, { name, endpointName, model, environment, ... });      // offline
 *   const resolved = await resolveDeployment(workspace, deploymentSpec, signal, { endpoint: endpointSpec }); // reads, then code upload
 *   const { endpoint } = await createOrUpdateEndpoint(workspace, endpointSpec, { signal });                 // traffic kept
 *   await createOrUpdateDeployment(workspace, endpoint.name, resolved, { signal });                        // DeploymentFailedError with logs
 *   await setEndpointTraffic(workspace, endpointName, rebalanceTraffic(current, 'green', 10), { signal });
 *   const auth = await scoringCredentials(workspace, endpoint, signal);
 *   const result = await runSmokeTest({ scoringUri, auth, deploymentName: 'green' }, smokeSpec, { signal });
 *
 * Every write is create-or-update: GET, merge, PUT only when something changes, wait for the operation.
 */
export * from './types';
export { inputValue, yamlValue } from './specValue';
export { millisecondsToDuration, secondsToDuration, durationToMilliseconds } from './durations';
export { parseAssetReference, type ParsedAssetReference } from './references';
export { loadEndpointSpec, DEFAULT_ENDPOINT_INPUT_NAMES, ENDPOINT_NAME_PATTERN, type LoadEndpointOptions } from './endpointSpec';
export { loadDeploymentSpec, DEFAULT_DEPLOYMENT_INPUT_NAMES, DEPLOYMENT_NAME_PATTERN, MAX_INSTANCE_COUNT, type LoadDeploymentOptions } from './deploymentSpec';
export { ENDPOINT_API_VERSION, DEPLOYMENT_API_VERSION, type DeployWorkspace, POLL_SCHEDULE_MS, MAX_POLL_DELAY_MS, pollDelay, formatElapsed } from './arm';
export { withoutReadOnly, mergeInto, changedPaths, sameValue } from './merge';
export {
  createOrUpdateEndpoint,
  type CreateOrUpdateEndpointOptions,
  readEndpoint,
  getEndpointTraffic,
  setEndpointTraffic,
  trafficOf,
  type EndpointTraffic,
  rebalanceTraffic,
  formatTraffic,
  sameShares,
  deleteEndpoint,
  kubernetesComputeId,
  checkEndpointCompatible,
} from './endpoints';
export {
  createOrUpdateDeployment,
  type CreateOrUpdateDeploymentOptions,
  DeploymentFailedError,
  readDeployment,
  deleteDeployment,
  type DeleteDeploymentOptions,
  deploymentLabel,
} from './deployments';
export { fetchDeploymentLogs, printDeploymentLogs, lastErrorLine, asLogText } from './logs';
export { resolveDeployment, type ResolveOptions, type ResolveWorkspace, anonymousEnvironmentVersion, ANONYMOUS_ENVIRONMENT_NAME } from './resolve';
export { scoringCredentials, AZURE_ML_SCORING_SCOPE, type ScoringCredentialsWorkspace } from './auth';
export { ONLINE_DEPLOYMENT_INPUTS, readOnlineDeploymentInputs, type OnlineDeploymentInputs, readSmokeTestInputs, displayPath } from './inputs';
export { parseJsonAssertions, evaluateJsonAssertion, valuesAt, type JsonAssertion } from './assertions';
export {
  runSmokeTest,
  judgeAttempt,
  isRetriableStatus,
  connectionFailure,
  smokeTestSummary,
  type SmokeTestSpec,
  type SmokeTestTarget,
  type SmokeTestOptions,
  type SmokeTestResult,
  type AttemptOutcome,
  type AttemptVerdict,
} from './smokeTest';
