/**
 * Metric values recorded on a model version itself, as model properties named `azureml-mlops.metric.<metric>`
 * (value: the number as text). AzureMLRegisterModel writes them (the metrics the promotion gate judged);
 * AzureMLEvaluate reads them when a baseline model has no job to read metrics from (registered from local files).
 * The prefix is a stable name: never rename it.
 */
export const MODEL_METRIC_PROPERTY_PREFIX = 'azureml-mlops.metric.';

/** `{ mse: 3353.8 }` -> `{ 'azureml-mlops.metric.mse': '3353.8' }` (non-finite values are left out). */
export function modelMetricProperties(metrics: Readonly<Record<string, number>>): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (Number.isFinite(value)) properties[`${MODEL_METRIC_PROPERTY_PREFIX}${name}`] = String(value);
  }
  return properties;
}

/** The metrics recorded in a model version's properties; a property whose value is not a number is left out. */
export function metricsFromModelProperties(properties: Readonly<Record<string, string>> | null | undefined): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, text] of Object.entries(properties ?? {})) {
    if (!key.startsWith(MODEL_METRIC_PROPERTY_PREFIX) || key.length === MODEL_METRIC_PROPERTY_PREFIX.length) continue;
    const value = typeof text === 'string' && text.trim() !== '' ? Number(text) : NaN;
    if (Number.isFinite(value)) metrics[key.slice(MODEL_METRIC_PROPERTY_PREFIX.length)] = value;
  }
  return metrics;
}
