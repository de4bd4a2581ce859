/**
 * The lineage recorded on every model version, without configuration: where the model came from (the job output or the
 * local files and their content hash), the job's experiment, the data it read and the metrics it logged, and the
 * pipeline run that registered it (build, repository, commit: shared lineageTags).
 *
 * Properties of a model version can never change, so they hold the lineage for good; tags (which can be edited and
 * filtered on in the studio) repeat the pipeline run and the job. Key names are a public contract: never rename one.
 */
import { type JobInput, MODEL_METRIC_PROPERTY_PREFIX, modelMetricProperties, urlWithoutQuery } from '@azureml-mlops/shared';

import { keyValueProblem } from './metadataLimits';

export const LINEAGE_KEYS = {
  /** What was registered: the job output URI, or the local path (relative to the sources folder). */
  source: 'azureml-mlops.source',
  /** `job-output` or `local-files`. */
  sourceKind: 'azureml-mlops.source-kind',
  jobName: 'azureml-mlops.job-name',
  jobOutput: 'azureml-mlops.job-output',
  experiment: 'azureml-mlops.experiment',
  /** sha256 of the local files (shared contentHash), for local sources. */
  contentHash: 'azureml-mlops.content-hash',
  /** `AzureMLRegisterModel@<version>`. */
  registeredBy: 'azureml-mlops.registered-by',
  /** `azureml-mlops.input.<job input>`: the data asset (`azureml:<name>:<version>`) or URI the job read. */
  inputPrefix: 'azureml-mlops.input.',
  /** `azureml-mlops.metric.<metric>`: a final metric value of the job (shared modelMetrics). */
  metricPrefix: MODEL_METRIC_PROPERTY_PREFIX,
} as const;

/** More metrics than this are not recorded (a job logging hundreds would bloat every version); `metrics` picks. */
export const MAX_RECORDED_METRICS = 100;

export type LineageSource =
  | {
      readonly kind: 'job-output';
      readonly uri: string;
      readonly jobName: string;
      readonly outputName: string;
      readonly experimentName: string | undefined;
      readonly inputs: Readonly<Record<string, JobInput | null>>;
    }
  | { readonly kind: 'local-files'; readonly displayPath: string; readonly hash: string };

export interface LineageRequest {
  readonly source: LineageSource;
  /** The metrics to record (already chosen). */
  readonly metrics: Readonly<Record<string, number>>;
  /** azure-pipelines.* from the pipeline variables. */
  readonly pipeline: Readonly<Record<string, string>>;
  /** `AzureMLRegisterModel@1.0.0`. */
  readonly registeredBy: string;
}

export interface Lineage {
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  /** Data assets and URIs the job read, by job input name. */
  readonly dataInputs: Readonly<Record<string, string>>;
  /** The metrics recorded. */
  readonly metrics: Readonly<Record<string, number>>;
  /** What could not be recorded, and why (shown as warnings). */
  readonly skipped: readonly string[];
}

export function buildLineage(request: LineageRequest): Lineage {
  const skipped: string[] = [];
  const properties: Record<string, string> = {};
  const tags: Record<string, string> = {};
  const put = (target: Record<string, string>, key: string, value: string | undefined): void => {
    if (value === undefined || value === '') return;
    const problem = keyValueProblem(key, value);
    if (problem) skipped.push(`${key}: ${problem}`);
    else target[key] = value;
  };

  const { source } = request;
  put(properties, LINEAGE_KEYS.sourceKind, source.kind);
  let dataInputs: Record<string, string> = {};
  if (source.kind === 'job-output') {
    put(properties, LINEAGE_KEYS.source, source.uri);
    for (const target of [properties, tags]) {
      put(target, LINEAGE_KEYS.jobName, source.jobName);
      put(target, LINEAGE_KEYS.experiment, source.experimentName);
    }
    put(properties, LINEAGE_KEYS.jobOutput, source.outputName);
    dataInputs = dataInputsOf(source.inputs);
    for (const [name, reference] of Object.entries(dataInputs)) put(properties, `${LINEAGE_KEYS.inputPrefix}${name}`, reference);
  } else {
    put(properties, LINEAGE_KEYS.source, source.displayPath);
    put(properties, LINEAGE_KEYS.contentHash, source.hash);
  }
  put(properties, LINEAGE_KEYS.registeredBy, request.registeredBy);

  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(modelMetricProperties(request.metrics))) {
    const before = skipped.length;
    put(properties, key, value);
    if (skipped.length === before) metrics[key.slice(LINEAGE_KEYS.metricPrefix.length)] = Number(value);
  }

  for (const [key, value] of Object.entries(request.pipeline)) {
    put(properties, key, value);
    put(tags, key, value);
  }
  return { tags, properties, dataInputs, metrics, skipped };
}

/**
 * The metrics to record: the ones named (each must exist: checked by the caller), else all, at most
 * MAX_RECORDED_METRICS in name order. Non-finite values (NaN, Infinity) cannot be stored as numbers and are left out.
 */
export function chooseMetrics(
  all: Readonly<Record<string, number>>,
  requested: readonly string[] | undefined,
): { readonly metrics: Record<string, number>; readonly leftOut: readonly string[] } {
  const names = requested ?? Object.keys(all).sort();
  const metrics: Record<string, number> = {};
  const leftOut: string[] = [];
  for (const name of names) {
    const value = all[name];
    if (value === undefined || !Number.isFinite(value)) {
      if (value !== undefined) leftOut.push(`${name} (${value})`);
      continue;
    }
    if (Object.keys(metrics).length >= MAX_RECORDED_METRICS) leftOut.push(name);
    else metrics[name] = value;
  }
  return { metrics, leftOut };
}

/**
 * The data a job read, by input name: registered data assets as `azureml:<name>:<version>` (from their ARM id or asset
 * id), anything else by its URI (a query string, which may hold a SAS, is dropped). Literal inputs are parameters, not
 * data, and are left out.
 */
export function dataInputsOf(inputs: Readonly<Record<string, JobInput | null>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of Object.keys(inputs).sort()) {
    const uri = inputs[name]?.uri;
    if (typeof uri !== 'string' || uri.trim() === '') continue;
    result[name] = dataReference(uri.trim());
  }
  return result;
}

const DATA_ARM_ID = /^(?:azureml:)?\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/data\/([^/]+)\/versions\/([^/]+)$/i;
const DATA_ASSET_ID = /^azureml:\/\/locations\/[^/]+\/workspaces\/[^/]+\/data\/([^/]+)\/versions\/([^/]+)$/i;
const REGISTRY_DATA = /^azureml:\/\/registries\/([^/]+)\/data\/([^/]+)\/versions\/([^/]+)$/i;

/** `azureml:<name>:<version>` for a data asset reference; the URI without its query otherwise. */
export function dataReference(uri: string): string {
  const arm = DATA_ARM_ID.exec(uri) ?? DATA_ASSET_ID.exec(uri);
  if (arm) return `azureml:${decodeURIComponent(arm[1]!)}:${decodeURIComponent(arm[2]!)}`;
  if (REGISTRY_DATA.test(uri)) return uri;
  if (/^azureml:[^/]/i.test(uri)) return uri; // azureml:name:version, azureml:name@latest
  return /^https?:\/\//i.test(uri) ? urlWithoutQuery(uri) : uri;
}
