/**
 * AzureMLDeployProd@1: safe rollout on a production online endpoint.
 *
 * Order matters for "a refused run changes nothing": the inputs are checked offline (parameters.ts); the endpoint and
 * its deployments are read; the refusals that need only that state come first (busy endpoint, hand-edited record,
 * mirroring on Kubernetes); then the deployment's references are resolved (reads, then the scoring code uploaded by
 * content hash: unchanged code uploads and registers nothing); then the plan is decided (plan.ts), and only then does
 * the state machine (engine.ts) change anything.
 */
import {
  type DeploymentSpec,
  describeError,
  group,
  info,
  listOnlineDeployments,
  type OnlineDeploymentResource,
  type OnlineEndpointResource,
  readEndpoint,
  type ResolvedDeployment,
  resolveDeployment,
  section,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { modelLabel, servingDifferences } from './deploymentContent';
import { LiveOperations } from './liveOperations';
import { markProductionModel } from './modelStage';
import { INPUTS, type DeployProdParameters } from './parameters';
import { publishRolloutSummary, setRolloutOutputs } from './report';
import { type EngineSettings, type JournalEntry, RolloutCancelledError, RolloutEngine, RolloutFailedError, type RolloutReport } from './rollout/engine';
import { type DesiredDeployment, type EndpointState, type Plan, planRollout, preflight, provisionalCandidate, type Settings } from './rollout/plan';
import { readRecord } from './rollout/record';
import { describeTraffic, EMPTY_TRAFFIC, sameName, type TrafficState } from './rollout/traffic';

/** The Azure clients run() needs, created by index.ts from the service connection (tests inject fakes). */
export interface DeployProdClients {
  connectWorkspace(signal: AbortSignal): Promise<WorkspaceClient>;
}

/**
 * Time the rollback may take after a cancellation: the agent sends SIGTERM 7.5 s after SIGINT (then kills the task
 * 2.5 s later), and the result must be reported before that.
 */
export const CANCEL_BUDGET_MS = 6_000;

interface Found {
  readonly resource: OnlineEndpointResource;
  readonly state: EndpointState;
  readonly deployments: readonly OnlineDeploymentResource[];
}

export async function run(params: DeployProdParameters, clients: DeployProdClients, signal: AbortSignal): Promise<void> {
  const workspace = await clients.connectWorkspace(signal);
  info(`Azure ML workspace: ${workspace.workspaceName} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId}).`);
  const deploys = params.action === 'deploy' || params.action === 'canary';

  const found = await group(`Reading the online endpoint '${params.endpointName}'`, () => readEndpointState(workspace, params.endpointName, signal));
  const settings: Settings = {
    action: params.action,
    stopAt: params.rollout.stopAt,
    mirrorPercent: params.rollout.mirrorPercent,
    startedBy: params.buildUrl,
    now: () => new Date(),
    newEndpointComputeType: params.endpoint?.computeType,
    inputs: { deploymentName: INPUTS.deploymentName, mirrorPercent: INPUTS.mirrorPercentage, endpointName: INPUTS.endpointName, action: INPUTS.action },
  };
  preflight(settings, found?.state);

  let resolved: ResolvedDeployment | undefined;
  let desired: DesiredDeployment | undefined;
  if (deploys) {
    const spec = params.deployment!;
    const naming = { explicitName: params.deploymentNameGiven ? spec.name : undefined, fileName: params.deploymentFileName };
    const candidate = provisionalCandidate(found?.state, naming);
    resolved = await group('Checking the deployment: model, environment, code', () => resolveDeploymentAs(workspace, spec, candidate, params, signal));
    const wanted = resolved;
    desired = {
      ...naming,
      modelLabel: modelLabel(wanted.model?.id),
      matches: (name) => {
        const existing = found?.deployments.find((d) => sameName(d.name ?? '', name));
        return existing !== undefined && servingDifferences(existing, wanted).length === 0;
      },
    };
  }

  const plan = planRollout(settings, found?.state, desired);
  const before = found?.state.traffic ?? EMPTY_TRAFFIC;
  const previousName = plan.kind === 'rollout' ? plan.previous : plan.kind === 'reject' ? plan.record.previous : undefined;
  const previousModel = modelOf(found, previousName);

  if (plan.kind === 'unchanged' || plan.kind === 'nothing') {
    const serving = plan.deployment;
    if (plan.kind === 'unchanged') {
      section(`Nothing to change: the deployment '${serving}' serving '${params.endpointName}' already runs ${desired?.modelLabel ?? 'this model'} with this environment and code`);
      info(`Traffic: ${describeTraffic(before)}. No deployment was created and no traffic was moved.`);
    } else {
      section(plan.message);
    }
    const notes = plan.kind === 'unchanged' ? await tagModels(workspace, modelOf(found, serving), undefined, signal) : [];
    setRolloutOutputs({ scoringUri: found?.resource.properties?.scoringUri ?? undefined, deploymentName: serving, previousDeploymentName: undefined, traffic: found?.state.traffic.traffic });
    publishRolloutSummary({
      endpointName: params.endpointName,
      action: params.action,
      result: plan.kind === 'unchanged' ? `Unchanged: '${serving}' already runs ${desired?.modelLabel ?? 'this model'}` : plan.message,
      model: desired?.modelLabel,
      newDeployment: undefined,
      previousDeployment: serving,
      before,
      after: before,
      scoringUri: found?.resource.properties?.scoringUri ?? undefined,
      journal: [],
      smokeTests: [],
      notes,
    });
    return;
  }

  const candidateName = plan.kind === 'reject' ? plan.record.candidate : plan.candidate;
  if (resolved && !sameName(resolved.name, candidateName)) throw new Error(`Internal error: the deployment was resolved as '${resolved.name}' but the plan rolls out '${candidateName}'.`);
  announce(plan, params);

  const operations = new LiveOperations({ workspace, endpointName: params.endpointName, endpointSpec: params.endpoint, candidate: resolved, candidateName, smokeTest: params.smokeTest });
  const engineSettings: EngineSettings = {
    steps: params.rollout.steps,
    mirror: params.rollout.mirrorPercent > 0 ? { percent: params.rollout.mirrorPercent, durationMs: params.rollout.mirrorDurationMs } : undefined,
    stepWaitMs: params.rollout.stepWaitMs,
    previousDeployment: params.rollout.previousDeployment,
    onRollback: params.rollout.onRollback,
    cancelBudgetMs: CANCEL_BUDGET_MS,
    target: { endpointName: params.endpointName, resourceGroup: workspace.resourceGroup, workspaceName: workspace.workspaceName },
  };
  const engine = new RolloutEngine(operations, engineSettings, { log: info, warn: warning, section });
  const model = plan.kind === 'reject' ? plan.record.model : (desired?.modelLabel ?? modelLabel(modelOf(found, candidateName)));
  const recordedBefore = plan.kind === 'reject' ? plan.record.before : plan.before;

  let report: RolloutReport | undefined;
  let failure: unknown;
  try {
    report = await engine.execute(plan, before, signal);
  } catch (error) {
    failure = error;
    if (error instanceof RolloutFailedError || error instanceof RolloutCancelledError) report = error.report;
  }

  // Tagging follows a rollout that reached 100 %; it never fails the task (warnings).
  const notes: string[] = [];
  if (report && (report.result === 'completed' || report.result === 'first') && !signal.aborted) {
    const productionModel = resolved?.model?.id ?? modelOf(found, candidateName) ?? (await readModelOf(workspace, params.endpointName, candidateName, signal));
    notes.push(...(await tagModels(workspace, productionModel, previousModel, signal)));
  }

  const after = await readFinalState(workspace, params.endpointName, signal, found?.resource);
  setRolloutOutputs({ scoringUri: after.scoringUri, deploymentName: candidateName, previousDeploymentName: previousName, traffic: after.traffic?.traffic });
  publishRolloutSummary({
    endpointName: params.endpointName,
    action: params.action,
    result: resultLine(report, failure, candidateName, params.rollout.stopAt),
    model,
    newDeployment: candidateName,
    previousDeployment: previousName,
    before: recordedBefore,
    after: after.traffic,
    scoringUri: after.scoringUri,
    journal: report?.journal ?? ([] as JournalEntry[]),
    smokeTests: operations.smokeResults,
    notes: failure !== undefined ? [describeError(failure), ...notes] : notes,
  });
  if (failure !== undefined) throw failure;
  if (report?.result === 'completed' || report?.result === 'first') section(`Done: '${candidateName}' serves all the traffic of '${params.endpointName}' (${describeTraffic(after.traffic ?? EMPTY_TRAFFIC)}).`);
  if (report?.result === 'rejected') section(`Rolled back: ${describeTraffic(after.traffic ?? recordedBefore)}.`);
}

/** The endpoint, its deployments and the rollout record in its tags; undefined when the endpoint does not exist. */
async function readEndpointState(workspace: WorkspaceClient, endpointName: string, signal: AbortSignal): Promise<Found | undefined> {
  const resource = await readEndpoint(workspace, endpointName, signal);
  if (!resource) {
    info(`The online endpoint '${endpointName}' does not exist yet.`);
    return undefined;
  }
  const deployments = await listOnlineDeployments(workspace, endpointName, signal);
  const properties = resource.properties ?? {};
  const compute = (properties as { compute?: string | null }).compute;
  const state: EndpointState = {
    name: resource.name ?? endpointName,
    provisioningState: properties.provisioningState,
    computeType: compute ? 'Kubernetes' : 'Managed',
    traffic: { traffic: { ...(properties.traffic ?? {}) }, mirror: { ...(properties.mirrorTraffic ?? {}) } },
    record: readRecord(resource.tags),
    deployments: deployments.map((d) => ({ name: d.name ?? '', provisioningState: d.properties?.provisioningState })),
  };
  info(`Endpoint '${state.name}' (${state.computeType}, ${state.provisioningState ?? 'state unknown'}): ${describeTraffic(state.traffic)}.`);
  for (const d of deployments) info(`  deployment '${d.name}': ${modelLabel(d.properties?.model) ?? 'no model'}, ${d.properties?.provisioningState ?? 'state unknown'}.`);
  const record = state.record && 'record' in state.record ? state.record.record : undefined;
  if (record) info(`A rollout is recorded on the endpoint: '${record.candidate}' (${record.model ?? 'model unknown'}), started ${record.startedAt}; before it: ${describeTraffic(record.before)}.`);
  return { resource, state, deployments };
}

/** Resolves the deployment under the name it will have (the spec's own name is only a preference). */
function resolveDeploymentAs(workspace: WorkspaceClient, spec: DeploymentSpec, name: string, params: DeployProdParameters, signal: AbortSignal): Promise<ResolvedDeployment> {
  return resolveDeployment(workspace, { ...spec, name }, signal, {
    endpoint: params.endpoint,
    inputNames: {
      file: INPUTS.deploymentFile,
      overrides: INPUTS.deploymentOverrides,
      name: INPUTS.deploymentName,
      endpointName: INPUTS.endpointName,
      model: INPUTS.model,
      environment: INPUTS.environment,
      codePath: INPUTS.codePath,
      scoringScript: INPUTS.scoringScript,
      instanceType: INPUTS.instanceType,
      instanceCount: INPUTS.instanceCount,
      computeType: INPUTS.computeType,
    },
  });
}

function announce(plan: Exclude<Plan, { kind: 'unchanged' | 'nothing' }>, params: DeployProdParameters): void {
  if (plan.kind === 'reject') return;
  info(`New deployment: '${plan.candidate}' (${plan.nameReason}).`);
  if (plan.kind === 'rollout') {
    const steps = params.rollout.steps.filter((step) => step < plan.stopAt);
    info(
      `Rollout plan: ${plan.resumed ? 'continue the recorded rollout' : `'${plan.candidate}' beside '${plan.previous}'`}; smoke test at 0 %` +
        `${params.rollout.mirrorPercent > 0 ? `, mirror ${params.rollout.mirrorPercent} % for ${params.rollout.mirrorDurationMs / 1000} s` : ''}` +
        `, then ${[...steps, plan.stopAt].map((s) => `${s} %`).join(' -> ')}${plan.stopAt < 100 ? ' (canary: stop there)' : `, then ${params.rollout.previousDeployment} '${plan.previous}'`}.`,
    );
  }
}

function modelOf(found: Found | undefined, deployment: string | undefined): string | undefined {
  if (!found || !deployment) return undefined;
  return found.deployments.find((d) => sameName(d.name ?? '', deployment))?.properties?.model ?? undefined;
}

async function readModelOf(workspace: WorkspaceClient, endpointName: string, deployment: string, signal: AbortSignal): Promise<string | undefined> {
  const all = await listOnlineDeployments(workspace, endpointName, signal).catch(() => []);
  return all.find((d) => sameName(d.name ?? '', deployment))?.properties?.model ?? undefined;
}

async function tagModels(workspace: WorkspaceClient, production: string | undefined, previous: string | undefined, signal: AbortSignal): Promise<string[]> {
  if (!production) return [];
  const outcome = await markProductionModel(workspace, production, previous, signal);
  for (const note of outcome.notes) info(note);
  for (const problem of outcome.warnings) warning(problem);
  return [...outcome.notes, ...outcome.warnings];
}

/** The endpoint's traffic and scoring URI at the end (best effort: the run's result does not depend on it). */
async function readFinalState(workspace: WorkspaceClient, endpointName: string, signal: AbortSignal, fallback: OnlineEndpointResource | undefined): Promise<{ traffic?: TrafficState; scoringUri?: string }> {
  try {
    const read = signal.aborted ? AbortSignal.timeout(1_000) : signal;
    const endpoint = (await readEndpoint(workspace, endpointName, read)) ?? undefined;
    if (!endpoint) return {};
    return {
      traffic: { traffic: { ...(endpoint.properties?.traffic ?? {}) }, mirror: { ...(endpoint.properties?.mirrorTraffic ?? {}) } },
      ...(endpoint.properties?.scoringUri ? { scoringUri: endpoint.properties.scoringUri } : {}),
    };
  } catch {
    const uri = fallback?.properties?.scoringUri;
    return uri ? { scoringUri: uri } : {};
  }
}

function resultLine(report: RolloutReport | undefined, failure: unknown, candidate: string, stopAt: number): string {
  if (failure !== undefined) {
    if (report?.result === 'rolled back') return failure instanceof RolloutCancelledError ? 'Cancelled and rolled back' : 'Failed and rolled back';
    return failure instanceof RolloutCancelledError ? 'Cancelled; the rollback did not finish (run action reject)' : 'Failed; the rollback did not finish (run action reject)';
  }
  switch (report?.result) {
    case 'first':
      return `Deployed: '${candidate}' takes all the traffic (first deployment of the endpoint)`;
    case 'completed':
      return `Completed: '${candidate}' takes all the traffic`;
    case 'canary':
      return `Canary: '${candidate}' takes ${stopAt} % of the traffic; promote or reject it`;
    case 'rejected':
      return `Rejected: '${candidate}' rolled back`;
    default:
      return 'Unknown';
  }
}
