/**
 * "Does this deployment already run what is asked?" — the idempotency of a production rollout. A deployment runs the
 * same thing when creating-or-updating it with the resolved spec would change nothing that serves: model,
 * environment, code and scoring script, instance type and count, request settings, probes, scale settings,
 * environment variables. Its description, tags and properties are metadata: a difference there alone is no reason
 * to roll out.
 */
import { changedPaths, type JsonObject, type OnlineDeploymentResource, type ResolvedDeployment, withoutReadOnly } from '@azureml-mlops/shared';

/** Objects compared whole (one setting each), as the shared library's createOrUpdateDeployment replaces them. */
const ATOMIC_PATHS = ['properties.environmentVariables', 'properties.codeConfiguration', 'properties.scaleSettings', 'identity'];

/** What of the deployment body is metadata, not what serves. */
function servingPart(body: JsonObject): JsonObject {
  const copy = structuredClone(body);
  delete copy['tags'];
  const properties = copy['properties'];
  if (properties && typeof properties === 'object' && !Array.isArray(properties)) {
    delete properties['description'];
    delete properties['properties'];
  }
  return copy;
}

/** The serving settings in which `existing` differs from `wanted` (empty: it runs exactly that). */
export function servingDifferences(existing: OnlineDeploymentResource, wanted: ResolvedDeployment): string[] {
  return changedPaths(withoutReadOnly(existing), servingPart(wanted.body), ATOMIC_PATHS);
}

/** `azureml:diabetes-ridge:3` for a workspace model version id; the reference itself otherwise. */
export function modelLabel(modelId: string | null | undefined): string | undefined {
  if (!modelId) return undefined;
  const match = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(modelId);
  return match ? `azureml:${match[1]}:${match[2]}` : modelId;
}
