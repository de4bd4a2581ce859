/**
 * The baseline the candidate is judged against, by `baseline` mode:
 *   - production:    the model version behind the deployment that takes the most traffic on the online endpoint;
 *   - taggedModel:   the newest version of the model carrying the tag;
 *   - latestVersion: the newest version of the model;
 *   - threshold:     the values of the `thresholds` input.
 * A model's metrics come from the MLflow run of the job that produced it (the version's jobName); a metric that run
 * lacks, or every metric when the model has no job, from the model's `azureml-mlops.metric.<name>` properties.
 * No endpoint, no traffic, no (tagged) version: no baseline, i.e. the first model. Model versions registered from the
 * candidate job itself are skipped (a re-run after registration must not judge the candidate against itself).
 */
import {
  getJobIfExists,
  getModelVersion,
  getOnlineDeployment,
  getOnlineEndpoint,
  info,
  isPipelineJob,
  latestModelVersion,
  listModelVersions,
  metricsFromModelProperties,
  type ModelVersionResource,
  modelVersionIdentity,
  parseModelReference,
  readJobResults,
  studioUrl,
  TaskError,
  trafficLeader,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import type { CandidateAccess } from './candidate';
import { lookupMetric, metricSetFromResults, type MetricSet, stepMetricSet } from './metrics';
import { type BaselineSpec, INPUTS } from './parameters';
import type { MetricRule } from './rules';

export type BaselineAccess = CandidateAccess & Pick<WorkspaceClient, 'workspaceArmPath'>;

/** Where a baseline value was read. */
export type ValueSource = { readonly kind: 'job'; readonly jobName: string; readonly step?: string } | { readonly kind: 'model property' } | { readonly kind: 'threshold' };

export interface BaselineValue {
  readonly value: number;
  readonly source: ValueSource;
}

export interface BaselineModel {
  readonly name: string;
  readonly version: string;
  /** The job that produced it (its jobName), when it has one. */
  readonly jobName?: string;
}

export interface BaselineJob {
  readonly name: string;
  readonly studioUrl: string;
}

export interface ProductionSource {
  readonly endpointName: string;
  readonly deployment: string;
  readonly percent: number;
  /** Other deployments taking the same share of traffic. */
  readonly tiedWith: readonly string[];
}

export type Baseline =
  | {
      readonly kind: 'none';
      readonly mode: BaselineSpec['kind'];
      /** Why there is none: `the online endpoint 'x' does not exist yet`. */
      readonly reason: string;
    }
  | {
      readonly kind: 'found';
      readonly mode: BaselineSpec['kind'];
      /** How the decision names it: `production diabetes-ridge:1 on endpoint x, deployment blue`. */
      readonly label: string;
      readonly model?: BaselineModel;
      /** The job whose MLflow run gave metrics (absent for thresholds, or a model without an existing job). */
      readonly job?: BaselineJob;
      readonly production?: ProductionSource;
      /** Value of each rule metric the baseline has, by the rule's metric name. */
      readonly values: Readonly<Record<string, BaselineValue>>;
    };

export interface BaselineRequest {
  readonly spec: BaselineSpec;
  readonly rules: readonly MetricRule[];
  /** The candidate job: model versions it produced are not baselines. */
  readonly candidateJobName: string;
  /** `pipelineStep`: for a baseline pipeline job with that step, the step's metrics are compared. */
  readonly pipelineStep?: string;
}

export async function findBaseline(workspace: BaselineAccess, request: BaselineRequest, signal: AbortSignal): Promise<Baseline> {
  const { spec } = request;
  switch (spec.kind) {
    case 'threshold': {
      const values: Record<string, BaselineValue> = {};
      for (const [metric, value] of Object.entries(spec.thresholds)) values[metric] = { value, source: { kind: 'threshold' } };
      info(`Baseline: the thresholds of '${INPUTS.thresholds}'.`);
      return { kind: 'found', mode: spec.kind, label: 'threshold', values };
    }
    case 'production':
      return productionBaseline(workspace, spec, request, signal);
    case 'taggedModel':
    case 'latestVersion':
      return registeredBaseline(workspace, spec, request, signal);
  }
}

async function productionBaseline(
  workspace: BaselineAccess,
  spec: Extract<BaselineSpec, { kind: 'production' }>,
  request: BaselineRequest,
  signal: AbortSignal,
): Promise<Baseline> {
  const { endpointName } = spec;
  const endpoint = await getOnlineEndpoint(workspace, endpointName, signal);
  if (!endpoint) {
    const reason = `the online endpoint '${endpointName}' does not exist yet`;
    info(`No baseline: ${reason}, so no model is in production.`);
    return { kind: 'none', mode: spec.kind, reason };
  }
  const leader = trafficLeader(endpoint);
  if (!leader) {
    const reason = `the online endpoint '${endpointName}' sends no live traffic to any deployment yet`;
    info(`No baseline: ${reason}, so no model is in production.`);
    return { kind: 'none', mode: spec.kind, reason };
  }
  const traffic = Object.entries(endpoint.properties?.traffic ?? {})
    .map(([name, percent]) => `${name} ${percent}%`)
    .join(', ');
  info(`Online endpoint '${endpointName}': traffic ${traffic}.`);
  if (leader.tied) {
    warning(
      `The deployments ${[leader.deployment, ...leader.tiedWith].join(', ')} of the online endpoint '${endpointName}' take ${leader.percent}% of the traffic each: ` +
        `the baseline is the model of '${leader.deployment}' (the first by name).`,
    );
  }
  const deployment = await getOnlineDeployment(workspace, endpointName, leader.deployment, signal);
  if (!deployment) {
    throw new TaskError(
      `The online endpoint '${endpointName}' sends ${leader.percent}% of its traffic to the deployment '${leader.deployment}', which does not exist. ` +
        'Fix the endpoint\'s traffic (az ml online-endpoint update --traffic), or judge against another baseline (baseline: latestVersion, taggedModel or threshold).',
    );
  }
  const modelId = deployment.properties?.model ?? '';
  const reference = modelId ? parseModelReference(modelId) : undefined;
  if (!reference) {
    throw new TaskError(
      `The deployment '${leader.deployment}' of the online endpoint '${endpointName}' serves ${modelId ? `the model '${modelId}', which is not a model version of this workspace (a registry model?)` : 'no model'}, ` +
        'so its metrics cannot be read. Judge against another baseline: baseline: taggedModel or latestVersion with modelName, or threshold.',
    );
  }
  const model = 'version' in reference ? await getModelVersion(workspace, reference.name, reference.version, signal) : await latestModelVersion(workspace, reference.name, undefined, signal);
  const shown = 'version' in reference ? `${reference.name}:${reference.version}` : `${reference.name}@latest`;
  if (!model) {
    throw new TaskError(
      `The deployment '${leader.deployment}' of the online endpoint '${endpointName}' serves the model ${shown}, which no longer exists in the workspace, so its metrics cannot be read. ` +
        'Judge against another baseline: baseline: taggedModel or latestVersion with modelName, or threshold.',
    );
  }
  const identity = identityOf(model, reference.name);
  info(`Production model: ${identity.name}:${identity.version} (deployment '${leader.deployment}', ${leader.percent}% of the traffic).`);
  if (spec.modelName !== undefined && spec.modelName !== identity.name) {
    warning(
      `The online endpoint '${endpointName}' serves the model '${identity.name}', not '${spec.modelName}' (${INPUTS.modelName}): ` +
        `the candidate is judged against what production serves, ${identity.name}:${identity.version}.`,
    );
  }
  if (model.properties?.jobName === request.candidateJobName) {
    info(`The production model ${identity.name}:${identity.version} was produced by the candidate job '${request.candidateJobName}' itself.`);
  }
  const label = `production ${identity.name}:${identity.version} on endpoint ${endpointName}, deployment ${leader.deployment}`;
  const production: ProductionSource = { endpointName, deployment: leader.deployment, percent: leader.percent, tiedWith: leader.tiedWith };
  return { ...(await modelBaseline(workspace, model, identity, request, signal)), mode: spec.kind, label, production };
}

async function registeredBaseline(
  workspace: BaselineAccess,
  spec: Extract<BaselineSpec, { kind: 'taggedModel' | 'latestVersion' }>,
  request: BaselineRequest,
  signal: AbortSignal,
): Promise<Baseline> {
  const tags = spec.kind === 'taggedModel' ? { [spec.tag.key]: spec.tag.value } : undefined;
  const tagText = spec.kind === 'taggedModel' ? (spec.tag.value === undefined ? `the tag ${spec.tag.key}` : `the tag ${spec.tag.key}=${spec.tag.value}`) : '';
  const versions = (await listModelVersions(workspace, spec.modelName, tags ? { tags } : {}, signal)).filter((version) => carriesTag(version, spec));
  const model = versions.find((version) => {
    if (version.properties?.jobName !== request.candidateJobName) return true;
    info(`Version ${version.name} of the model '${spec.modelName}' was registered from the candidate job itself: it is not a baseline.`);
    return false;
  });
  if (!model) {
    const reason =
      spec.kind === 'taggedModel'
        ? `no version of the model '${spec.modelName}' carries ${tagText} yet`
        : `the model '${spec.modelName}' has no registered version yet`;
    info(`No baseline: ${reason}.`);
    return { kind: 'none', mode: spec.kind, reason };
  }
  const identity = identityOf(model, spec.modelName);
  const label = spec.kind === 'taggedModel' ? `${identity.name}:${identity.version}, the newest version with ${tagText}` : `${identity.name}:${identity.version}, the newest version`;
  info(`Baseline model: ${label}.`);
  return { ...(await modelBaseline(workspace, model, identity, request, signal)), mode: spec.kind, label };
}

/** The list's tag filter, checked again here: a version without the tag is never a taggedModel baseline. */
function carriesTag(version: ModelVersionResource, spec: BaselineSpec): boolean {
  if (spec.kind !== 'taggedModel') return true;
  const tags = version.properties?.tags ?? {};
  if (!Object.prototype.hasOwnProperty.call(tags, spec.tag.key)) return false;
  return spec.tag.value === undefined || tags[spec.tag.key] === spec.tag.value;
}

function identityOf(model: ModelVersionResource, fallbackName: string): { name: string; version: string } {
  const identity = modelVersionIdentity(model);
  return { name: identity.name || fallbackName, version: identity.version };
}

/** A model version's metrics: its job's MLflow run first, then the metrics recorded on the model. */
async function modelBaseline(
  workspace: BaselineAccess,
  model: ModelVersionResource,
  identity: { name: string; version: string },
  request: BaselineRequest,
  signal: AbortSignal,
): Promise<Omit<Extract<Baseline, { kind: 'found' }>, 'mode' | 'label'>> {
  const shown = `${identity.name}:${identity.version}`;
  const jobName = model.properties?.jobName || undefined;
  const recorded = metricsFromModelProperties(model.properties?.properties);
  let jobMetrics: MetricSet | undefined;
  let job: BaselineJob | undefined;
  if (jobName === undefined) {
    info(`The model ${shown} was not produced by a job (registered from files): its metrics are those recorded on the model.`);
  } else {
    const resource = await getJobIfExists(workspace, jobName, signal);
    if (!resource) {
      info(`The job '${jobName}' that produced the model ${shown} no longer exists: its metrics are those recorded on the model.`);
    } else {
      job = { name: jobName, studioUrl: studioUrl(resource, jobName, workspace) };
      const results = await readJobResults(workspace, jobName, signal, resource);
      jobMetrics = metricSetFromResults(results);
      const step = request.pipelineStep;
      if (step !== undefined && isPipelineJob(resource) && results.steps[step]) jobMetrics = stepMetricSet(jobMetrics, step);
      info(`The model ${shown} was produced by the job '${jobName}': its metrics are read from that job's MLflow run.`);
    }
  }

  const values: Record<string, BaselineValue> = {};
  for (const rule of request.rules) {
    const fromJob = jobMetrics ? lookupMetric(jobMetrics, rule.metric) : undefined;
    if (fromJob?.found) {
      values[rule.metric] = { value: fromJob.value, source: { kind: 'job', jobName: jobName!, ...(fromJob.step !== undefined ? { step: fromJob.step } : {}) } };
    } else if (recorded[rule.metric] !== undefined) {
      values[rule.metric] = { value: recorded[rule.metric]!, source: { kind: 'model property' } };
      if (jobMetrics) info(`  ${rule.metric}: not logged by the job '${jobName}'; the value recorded on the model is used.`);
    } else if (fromJob?.ambiguousIn) {
      warning(`The baseline's metric '${rule.metric}' is logged by several steps (${fromJob.ambiguousIn.join(', ')}): it is not compared. Name the step in the rule, or set ${INPUTS.pipelineStep}.`);
    }
  }
  return {
    kind: 'found',
    model: { name: identity.name, version: identity.version, ...(jobName !== undefined ? { jobName } : {}) },
    ...(job ? { job } : {}),
    values,
  };
}
