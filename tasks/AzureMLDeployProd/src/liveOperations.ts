/**
 * RolloutOperations on a real endpoint, through the shared deployment library (create-or-update with LRO waits,
 * traffic with mirrorTraffic in API 2023-04-01, logs, scoring credentials, the smoke test runner).
 */
import {
  AzureRequestError,
  createOrUpdateDeployment,
  createOrUpdateEndpoint,
  deleteDeployment,
  deleteEndpoint,
  DEPLOYMENT_API_VERSION,
  DeploymentFailedError,
  describeError,
  ENDPOINT_API_VERSION,
  type EndpointSpec,
  fetchDeploymentLogs,
  getEndpointTraffic,
  onlineDeploymentPath,
  onlineEndpointPath,
  printDeploymentLogs,
  readDeployment,
  readEndpoint,
  type ResolvedDeployment,
  runSmokeTest,
  type ScoringAuth,
  scoringCredentials,
  setEndpointTraffic,
  type SmokeTestResult,
  type SmokeTestSpec,
  TaskError,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { isBusy } from './rollout/plan';
import type { RolloutOperations, RolloutResource, SmokeOutcome } from './rollout/operations';
import { hasRecordTags, type RolloutRecord, tagsWithoutRecord, tagsWithRecord } from './rollout/record';
import type { TrafficState } from './rollout/traffic';
import { sleep } from './rollout/engine';
import { watchDeployment } from './rollout/watch';

export interface LiveOperationsContext {
  readonly workspace: WorkspaceClient;
  readonly endpointName: string;
  /** The endpoint to create on a first deployment. */
  readonly endpointSpec: EndpointSpec | undefined;
  /** The new deployment, resolved, under its final name (deploy and canary). */
  readonly candidate: ResolvedDeployment | undefined;
  /** The new deployment's name (also for promote and reject). */
  readonly candidateName: string;
  readonly smokeTest: SmokeTestSpec | undefined;
}

/** Lines of the inference server log read per watch poll. */
const WATCH_LOG_TAIL = 500;

export class LiveOperations implements RolloutOperations {
  /** Every smoke test's full result, for the summary table. */
  readonly smokeResults: SmokeTestResult[] = [];
  private scoring: { uri: string; auth: ScoringAuth } | undefined;

  constructor(private readonly context: LiveOperationsContext) {}

  async waitForIdle(signal: AbortSignal, deployment?: string): Promise<void> {
    const { workspace, endpointName } = this.context;
    for (let attempt = 0; ; attempt++) {
      const endpoint = await readEndpoint(workspace, endpointName, signal);
      const busy = isBusy(endpoint?.properties?.provisioningState) || (endpoint !== undefined && deployment !== undefined && isBusy((await readDeployment(workspace, endpointName, deployment, signal))?.properties?.provisioningState));
      if (!busy) return;
      await sleep(Math.min(250 * 2 ** attempt, 3_000), signal);
    }
  }

  async readTraffic(signal: AbortSignal): Promise<TrafficState> {
    const found = await getEndpointTraffic(this.context.workspace, this.context.endpointName, signal);
    return { traffic: found.traffic, mirror: found.mirrorTraffic };
  }

  async setTraffic(state: TrafficState, signal: AbortSignal): Promise<void> {
    await setEndpointTraffic(this.context.workspace, this.context.endpointName, state.traffic, { mirrorTraffic: state.mirror, signal });
  }

  async createEndpoint(signal: AbortSignal): Promise<void> {
    if (!this.context.endpointSpec) throw new Error('createEndpoint needs the endpoint spec');
    await createOrUpdateEndpoint(this.context.workspace, this.context.endpointSpec, { signal });
  }

  async deleteEndpoint(signal: AbortSignal): Promise<void> {
    await deleteEndpoint(this.context.workspace, this.context.endpointName, signal);
  }

  async deployCandidate(signal: AbortSignal): Promise<{ readonly created: boolean }> {
    if (!this.context.candidate) throw new Error('deployCandidate needs the resolved deployment');
    const result = await createOrUpdateDeployment(this.context.workspace, this.context.endpointName, this.context.candidate, { signal });
    return { created: result.created };
  }

  async deleteDeployment(name: string, signal: AbortSignal): Promise<void> {
    await deleteDeployment(this.context.workspace, this.context.endpointName, name, signal);
  }

  async readState(resource: RolloutResource, signal: AbortSignal): Promise<{ readonly provisioningState: string | undefined } | undefined> {
    const { workspace, endpointName } = this.context;
    const found = resource === 'endpoint' ? await readEndpoint(workspace, endpointName, signal) : await readDeployment(workspace, endpointName, resource.deployment, signal);
    return found ? { provisioningState: found.properties?.provisioningState ?? undefined } : undefined;
  }

  /** One DELETE, not awaited further: 202 (or 200) is accepted, 204 and 404 mean there is nothing to delete. */
  async requestDeletion(resource: RolloutResource, signal: AbortSignal): Promise<boolean> {
    const { workspace, endpointName } = this.context;
    const [path, apiVersion, label] =
      resource === 'endpoint'
        ? [onlineEndpointPath(workspace, endpointName), ENDPOINT_API_VERSION, `the online endpoint '${endpointName}'`]
        : [onlineDeploymentPath(workspace, endpointName, resource.deployment), DEPLOYMENT_API_VERSION, `the deployment '${resource.deployment}'`];
    try {
      const response = await workspace.armRequest('DELETE', path, undefined, { abortSignal: signal, apiVersion, allowedStatuses: [404] });
      return response.status !== 204 && response.status !== 404;
    } catch (error) {
      if (!(error instanceof AzureRequestError)) throw error;
      // The cause keeps the status: a 409 (another operation runs) is retried while time is left.
      throw new TaskError(`Azure ML refused the deletion of ${label} (HTTP ${error.status}${error.code ? ` ${error.code}` : ''}): ${error.serviceMessage}`, { cause: error });
    }
  }

  async smokeTest(deployment: string, label: string, signal: AbortSignal): Promise<SmokeOutcome> {
    const spec = this.context.smokeTest;
    if (!spec) throw new Error('smokeTest needs the smoke test spec');
    const scoring = await this.scoringTarget(signal);
    const result = await runSmokeTest({ scoringUri: scoring.uri, auth: scoring.auth, deploymentName: deployment }, spec, { signal, label });
    this.smokeResults.push(result);
    const detail = result.passed
      ? `HTTP ${result.status} in ${result.latencyMs} ms (${result.attempts} attempt${result.attempts === 1 ? '' : 's'})`
      : result.failures.join('; ') || 'no answer';
    return { passed: result.passed, label, detail };
  }

  async watch(deployment: string, durationMs: number, signal: AbortSignal): Promise<string | undefined> {
    const { workspace, endpointName } = this.context;
    return watchDeployment(
      deployment,
      {
        readLog: async (abort) => (await fetchDeploymentLogs(workspace, endpointName, deployment, { tail: WATCH_LOG_TAIL, signal: abort })).inferenceServer,
        readState: async (abort) => (await readDeployment(workspace, endpointName, deployment, abort))?.properties?.provisioningState ?? undefined,
      },
      durationMs,
      signal,
      { now: () => Date.now(), sleep },
    );
  }

  async printLogs(deployment: string, signal: AbortSignal): Promise<void> {
    printDeploymentLogs(await fetchDeploymentLogs(this.context.workspace, this.context.endpointName, deployment, { tail: 200, signal }));
  }

  printFailureLogs(error: unknown): boolean {
    // createOrUpdateDeployment printed them before throwing.
    return error instanceof DeploymentFailedError;
  }

  /**
   * Writes (or removes) the record in the endpoint's tags with a PATCH of the tags alone: the traffic and everything
   * that serves are left as they are. API 2023-04-01, like every other endpoint write of the library, so that no
   * older contract can drop the mirror setting.
   */
  async writeRecord(record: RolloutRecord | undefined, signal: AbortSignal): Promise<void> {
    const { workspace, endpointName } = this.context;
    const endpoint = await readEndpoint(workspace, endpointName, signal);
    if (!endpoint) throw new TaskError(`The online endpoint '${endpointName}' does not exist: the rollout cannot be recorded on it.`);
    const tags = { ...(endpoint.tags ?? {}) };
    if (!record && !hasRecordTags(tags)) return;
    const wanted = record ? tagsWithRecord(tags, record) : tagsWithoutRecord(tags);
    await workspace.armRequestAndWait('PATCH', onlineEndpointPath(workspace, endpointName), { tags: wanted }, { abortSignal: signal, apiVersion: ENDPOINT_API_VERSION, pollIntervalMs: 500 });
  }

  /** The scoring URI and credentials, read once (after a first deployment created the endpoint). */
  private async scoringTarget(signal: AbortSignal): Promise<{ uri: string; auth: ScoringAuth }> {
    if (this.scoring) return this.scoring;
    const endpoint = await readEndpoint(this.context.workspace, this.context.endpointName, signal);
    const uri = endpoint?.properties?.scoringUri;
    if (!endpoint || !uri) throw new TaskError(`The online endpoint '${this.context.endpointName}' has no scoring URI yet.`);
    try {
      this.scoring = { uri, auth: await scoringCredentials(this.context.workspace, endpoint, signal) };
    } catch (error) {
      if (signal.aborted) throw error;
      throw new TaskError(`The credentials to score on '${this.context.endpointName}' could not be read: ${describeError(error)}`);
    }
    return this.scoring;
  }
}
