/**
 * AzureMLDeployQA@1: create or update a QA online endpoint and a deployment, move the traffic, smoke-test it, tear it
 * down when asked.
 *
 * Order matters for "bad input leaves nothing half-done": the YAML and inputs were checked offline (parameters.ts);
 * then everything the deployment refers to is checked with reads only (endpoint kind, model, environment, code,
 * traffic plan). Only then is the code uploaded and are the endpoint, the deployment and the traffic written, each
 * only when it differs from what is there (a re-run with the same inputs sends nothing).
 */
import {
  type AzureHttpOptions,
  createOrUpdateDeployment,
  createOrUpdateEndpoint,
  deleteDeployment,
  deleteEndpoint,
  DeploymentFailedError,
  describeError,
  group,
  info,
  isTaskError,
  listOnlineDeployments,
  type OnlineEndpointResource,
  printDeploymentLogs,
  readEndpoint,
  resolveDeployment,
  runSmokeTest,
  sameShares,
  scoringCredentials,
  setEndpointTraffic,
  type SmokeTestResult,
  TaskError,
  trafficOf,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';
import type { HttpClient } from '@azure/core-rest-pipeline';

import { type DeployQAParameters, INPUTS, type Teardown } from './parameters';
import { type DeploymentReport, publishDeploymentSummary, setDeploymentOutputs } from './report';
import { planTraffic } from './traffic';

/** The clients run() needs, created by index.ts from the service connection (tests inject fakes). */
export interface DeployQAClients {
  /** Opens the workspace (reads it: a wrong resource group or workspace name fails here). */
  connectWorkspace(signal: AbortSignal): Promise<WorkspaceClient>;
  /** For the smoke test's requests (user agent, agent proxy). */
  readonly httpOptions?: AzureHttpOptions;
  readonly httpClient?: HttpClient;
}

type MutableReport = { -readonly [K in keyof DeploymentReport]: DeploymentReport[K] };

export async function run(params: DeployQAParameters, clients: DeployQAClients, signal: AbortSignal): Promise<void> {
  const { endpoint: endpointSpec, deployment: deploymentSpec } = params;
  const endpointName = endpointSpec.name;
  const deploymentName = deploymentSpec.name;
  describeSpecs(params);

  const workspace = await clients.connectWorkspace(signal);
  info(`Azure ML workspace: ${workspace.workspaceName} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId}).`);

  // Reads only, up to resolveDeployment's uploads: a wrong reference or traffic share fails before anything is written.
  const before = await readEndpoint(workspace, endpointName, signal);
  const existingDeployments = before ? (await listOnlineDeployments(workspace, endpointName, signal)).flatMap((d) => (d.name ? [d.name] : [])) : [];
  planTraffic({ ...trafficInput(params, existingDeployments), current: before ? trafficOf(before).traffic : {} });
  const resolved = await group('Checking the model, environment and scoring code', () =>
    resolveDeployment(workspace, deploymentSpec, signal, { endpoint: endpointSpec, inputNames: { environment: INPUTS.environment, codePath: INPUTS.codePath, scoringScript: INPUTS.scoringScript, computeType: INPUTS.computeType } }),
  );

  const report: MutableReport = {
    endpointName,
    deploymentName,
    changed: false,
    computeType: endpointSpec.computeType,
    actions: [],
    ...(resolved.model ? { model: resolved.model.name && resolved.model.version ? `${resolved.model.name}:${resolved.model.version}` : resolved.model.id } : {}),
    ...(resolved.environmentId ? { environment: assetLabel(resolved.environmentId) } : {}),
  };
  const actions: string[] = [];
  let written = false;
  let succeeded = false;
  try {
    // A creation that fails half-way leaves an endpoint (provisioning Failed) behind: teardown must see it too.
    written = before === undefined;
    const endpointResult = await group(`Online endpoint '${endpointName}'`, () => createOrUpdateEndpoint(workspace, endpointSpec, { signal }));
    written = true;
    actions.push(endpointResult.created ? 'endpoint created' : endpointResult.changed ? 'endpoint updated' : 'endpoint unchanged');
    report.authMode = endpointResult.endpoint.properties?.authMode;

    let deploymentResult;
    try {
      deploymentResult = await group(`Deployment '${deploymentName}'`, () => createOrUpdateDeployment(workspace, endpointName, resolved, { signal, printLogsOnFailure: false }));
    } catch (error) {
      // Printed outside the deployment's group, each log in a group of its own, right before the error.
      if (error instanceof DeploymentFailedError) printDeploymentLogs(error.logs);
      throw error;
    }
    actions.push(deploymentResult.created ? 'deployment created' : deploymentResult.changed ? 'deployment updated' : 'deployment unchanged');

    const endpoint = await group('Traffic', () => applyTraffic(workspace, params, existingDeployments, signal, actions));
    report.changed = endpointResult.changed || deploymentResult.changed || actions.includes('traffic changed');
    report.traffic = trafficOf(endpoint).traffic;
    report.scoringUri = endpoint.properties?.scoringUri ?? undefined;
    report.swaggerUri = endpoint.properties?.swaggerUri ?? undefined;
    setDeploymentOutputs(report);
    info(`Scoring URI: ${report.scoringUri ?? '(none reported)'}`);

    if (params.smokeTest) {
      report.smokeTest = await group(`Smoke test of deployment '${deploymentName}'`, () => smokeTest(workspace, endpoint, params, clients, signal));
      if (!report.smokeTest.passed) throw new TaskError(smokeTestFailure(report.smokeTest, deploymentName));
    } else {
      info(`No smoke test ('${INPUTS.smokeTestRequestFile}' is empty).`);
    }
    succeeded = true;
    info(`Deployment '${deploymentName}' of endpoint '${endpointName}' is ready: ${actions.join(', ')}.`);
  } catch (error) {
    report.failure = isTaskError(error) ? error.message : describeError(error);
    throw error;
  } finally {
    report.actions = actions;
    if (written && shouldTearDown(params.teardown, succeeded)) {
      if (signal.aborted) info('Teardown skipped: the task was cancelled.');
      else report.teardown = await tearDown(workspace, endpointName, deploymentName, signal);
    }
    publishDeploymentSummary(report);
  }
}

function trafficInput(params: DeployQAParameters, existingDeployments: readonly string[]) {
  return {
    deploymentName: params.deployment.name,
    existingDeployments,
    trafficPercent: params.trafficPercent,
    yamlTraffic: params.endpoint.traffic,
    endpointFile: params.endpoint.file,
  };
}

/** Moves the live traffic as planned (mirrored traffic is left as it is); returns the endpoint as it ends up. */
async function applyTraffic(workspace: WorkspaceClient, params: DeployQAParameters, existingDeployments: readonly string[], signal: AbortSignal, actions: string[]): Promise<OnlineEndpointResource> {
  const name = params.endpoint.name;
  const endpoint = await readEndpoint(workspace, name, signal);
  if (!endpoint) throw new TaskError(`The online endpoint '${name}' disappeared while the task was deploying to it.`);
  const current = trafficOf(endpoint).traffic;
  const desired = planTraffic({ ...trafficInput(params, existingDeployments), current });
  if (sameShares(current, desired)) {
    info(`Traffic unchanged: ${describeShares(current)}.`);
    return endpoint;
  }
  const updated = await setEndpointTraffic(workspace, name, desired, { signal });
  actions.push('traffic changed');
  return updated;
}

async function smokeTest(workspace: WorkspaceClient, endpoint: OnlineEndpointResource, params: DeployQAParameters, clients: DeployQAClients, signal: AbortSignal): Promise<SmokeTestResult> {
  const scoringUri = endpoint.properties?.scoringUri;
  if (!scoringUri) throw new TaskError(`The online endpoint '${params.endpoint.name}' reports no scoring URI, so it cannot be smoke-tested.`);
  const auth = await scoringCredentials(workspace, endpoint, signal);
  return runSmokeTest({ scoringUri, auth, deploymentName: params.deployment.name }, params.smokeTest!, {
    signal,
    label: `deployment '${params.deployment.name}'`,
    ...(clients.httpOptions ? { httpOptions: clients.httpOptions } : {}),
    ...(clients.httpClient ? { httpClient: clients.httpClient } : {}),
  });
}

export function smokeTestFailure(result: SmokeTestResult, deploymentName: string): string {
  const reasons = result.failures.join('; ');
  const response = result.responseExcerpt ? ` Response${result.status !== undefined ? ` (HTTP ${result.status})` : ''}: ${result.responseExcerpt.slice(0, 500)}` : '';
  return `The smoke test of deployment '${deploymentName}' failed: ${reasons}.${response}`;
}

export function shouldTearDown(teardown: Teardown, succeeded: boolean): boolean {
  return teardown === 'always' || (teardown === 'onSuccess' && succeeded) || (teardown === 'onFailure' && !succeeded);
}

/** Deletes the deployment (its traffic goes to the others first), then the endpoint when no deployment is left. */
async function tearDown(workspace: WorkspaceClient, endpointName: string, deploymentName: string, signal: AbortSignal): Promise<string> {
  return group('Teardown', async () => {
    try {
      if (!(await readEndpoint(workspace, endpointName, signal))) {
        info(`The endpoint '${endpointName}' does not exist: nothing to tear down.`);
        return 'nothing to delete (no endpoint)';
      }
      await deleteDeployment(workspace, endpointName, deploymentName, signal, { removeTraffic: true });
      const left = await listOnlineDeployments(workspace, endpointName, signal);
      if (left.length > 0) {
        const names = left.flatMap((d) => (d.name ? [d.name] : []));
        info(`The endpoint '${endpointName}' keeps its other deployments (${names.join(', ')}).`);
        return `deployment deleted; endpoint kept (deployments ${names.join(', ')})`;
      }
      await deleteEndpoint(workspace, endpointName, signal);
      return 'deployment and endpoint deleted';
    } catch (error) {
      if (signal.aborted) throw error;
      // A teardown problem must not hide the result of the deployment and its test.
      const message = isTaskError(error) ? error.message : describeError(error);
      warning(`Teardown failed: ${message}`);
      return `failed: ${message}`;
    }
  });
}

function describeSpecs(params: DeployQAParameters): void {
  const { endpoint, deployment } = params;
  info(`Endpoint: ${endpoint.name} (${endpoint.computeType}${endpoint.file ? `, from ${endpoint.file}` : ''}).`);
  for (const o of endpoint.appliedOverrides) info(`  override (line ${o.line} of ${INPUTS.endpointOverrides}): ${o.path}`);
  info(`Deployment: ${deployment.name}${deployment.file ? ` (from ${deployment.file})` : ''}.`);
  for (const o of deployment.appliedOverrides) info(`  override (line ${o.line} of ${INPUTS.deploymentOverrides}): ${o.path}`);
}

function describeShares(traffic: Readonly<Record<string, number>>): string {
  const entries = Object.entries(traffic);
  return entries.length === 0 ? 'no deployment takes traffic' : entries.map(([n, p]) => `${n}=${p}%`).join(', ');
}

function assetLabel(id: string): string {
  const match = /\/(?:environments)\/([^/]+)\/versions\/([^/]+)$/i.exec(id);
  return match ? `${match[1]}:${match[2]}` : id;
}
