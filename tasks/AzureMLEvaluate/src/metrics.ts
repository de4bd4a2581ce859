/**
 * Finding a rule's metric among the metrics a job logged. For a command job that is its own metrics. For a pipeline
 * job a user naturally writes the metric as the step logs it, so a rule's name is looked up in this order:
 *   1. the pipeline run's own metric of that name;
 *   2. `<step>.<metric>`: that step's metric (`train.mse`);
 *   3. the plain name logged by exactly one step (`mse` when only `train` logs mse); logged by several steps it is
 *      ambiguous, and the message lists the `<step>.<metric>` names to choose from.
 * A set narrowed to one step (`pipelineStep`) holds that step's metrics; `train.mse` also works there.
 */
import { type JobResults, listForMessage } from '@azureml-mlops/shared';

export interface MetricSet {
  /** The run's own metrics (for a pipeline job: the pipeline run's, not its steps'). */
  readonly own: Readonly<Record<string, number>>;
  /** A pipeline job's steps' metrics, by step name. Empty for a command job or a set narrowed to one step. */
  readonly steps: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Set when the set holds one pipeline step's metrics (`pipelineStep`). */
  readonly step?: string;
}

export type MetricLookup =
  | { readonly found: true; readonly value: number; readonly step?: string }
  | { readonly found: false; readonly ambiguousIn?: readonly string[] };

export function lookupMetric(set: MetricSet, metric: string): MetricLookup {
  if (Object.prototype.hasOwnProperty.call(set.own, metric)) return found(set.own[metric]!, set.step);
  if (set.step !== undefined && metric.startsWith(`${set.step}.`)) {
    const rest = metric.slice(set.step.length + 1);
    if (Object.prototype.hasOwnProperty.call(set.own, rest)) return found(set.own[rest]!, set.step);
  }
  // `<step>.<metric>`: step names may not contain '.', metric names may.
  const dot = metric.indexOf('.');
  if (dot > 0) {
    const stepMetrics = set.steps[metric.slice(0, dot)];
    const rest = metric.slice(dot + 1);
    if (stepMetrics && Object.prototype.hasOwnProperty.call(stepMetrics, rest)) return found(stepMetrics[rest]!, metric.slice(0, dot));
  }
  const logging = Object.keys(set.steps).filter((step) => Object.prototype.hasOwnProperty.call(set.steps[step], metric));
  if (logging.length === 1) return found(set.steps[logging[0]!]![metric]!, logging[0]);
  if (logging.length > 1) return { found: false, ambiguousIn: logging.sort().map((step) => `${step}.${metric}`) };
  return { found: false };
}

function found(value: number, step: string | undefined): MetricLookup {
  return step === undefined ? { found: true, value } : { found: true, value, step };
}

/** Every name a rule can use for this set: own metrics, then `<step>.<metric>`. */
export function metricNames(set: MetricSet): string[] {
  const names = Object.keys(set.own);
  for (const [step, metrics] of Object.entries(set.steps)) for (const metric of Object.keys(metrics)) names.push(`${step}.${metric}`);
  return names;
}

/** `mse, r2` or `none` for messages. */
export function describeMetricNames(set: MetricSet): string {
  const names = metricNames(set);
  return names.length === 0 ? 'none' : listForMessage(names, 30);
}

/** The set narrowed to one step's metrics. */
export function stepMetricSet(set: MetricSet, step: string): MetricSet {
  return { own: set.steps[step] ?? {}, steps: {}, step };
}

/** A job's results (shared readJobResults) as a metric set: its own metrics and its steps'. */
export function metricSetFromResults(results: Pick<JobResults, 'metrics' | 'steps'>): MetricSet {
  // readJobResults merges the steps' metrics in as `<step>.<metric>`: keep only the run's own ones in `own`.
  const own: Record<string, number> = {};
  for (const [key, value] of Object.entries(results.metrics)) {
    const dot = key.indexOf('.');
    const fromStep = dot > 0 && results.steps[key.slice(0, dot)]?.[key.slice(dot + 1)] === value;
    if (!fromStep) own[key] = value;
  }
  return { own, steps: results.steps };
}
