/**
 * Create-or-update without losing what others set: our fields are merged into the resource as the service answered
 * it (JSON merge, objects key by key; a few objects are replaced whole because they are one setting), read-only
 * fields are dropped before the PUT, and what changed is computed so that an unchanged resource is not PUT at all.
 */
import { durationToMilliseconds } from './durations';
import type { JsonObject, JsonValue } from './types';

/** Fields the service sets: never sent back. */
const READ_ONLY_TOP = ['id', 'name', 'type', 'systemData'];
const READ_ONLY_PROPERTIES = ['provisioningState', 'scoringUri', 'swaggerUri'];

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of an ARM resource without its read-only fields (ids, systemData, states, URIs, identity principal ids). */
export function withoutReadOnly(resource: unknown): JsonObject {
  const copy = structuredClone(isObject(resource) ? resource : {}) as JsonObject;
  for (const key of READ_ONLY_TOP) delete copy[key];
  if (isObject(copy['properties'])) for (const key of READ_ONLY_PROPERTIES) delete copy['properties'][key];
  const identity = copy['identity'];
  if (isObject(identity)) {
    delete identity['principalId'];
    delete identity['tenantId'];
    const assigned = identity['userAssignedIdentities'];
    if (isObject(assigned)) for (const id of Object.keys(assigned)) assigned[id] = {};
  }
  return copy;
}

/**
 * `ours` merged into `base` (RFC 7386 without deletions): objects are merged key by key, other values replaced.
 * Paths in `atomic` (e.g. `properties.environmentVariables`) are replaced whole: they are one setting.
 */
export function mergeInto(base: JsonObject, ours: JsonObject, atomic: readonly string[], prefix = ''): JsonObject {
  const result: JsonObject = structuredClone(base);
  for (const [key, value] of Object.entries(ours)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const current = result[key];
    if (isObject(value) && isObject(current) && !atomic.includes(path)) result[key] = mergeInto(current, value, atomic, path);
    else result[key] = structuredClone(value);
  }
  return result;
}

/**
 * Paths of `ours` whose value differs from `base` (`properties.instanceType`, `tags.team`), compared as the service
 * compares them: ARM ids case-insensitively, durations by length (PT5S = PT5.000S), objects in `atomic` as a whole.
 */
export function changedPaths(base: JsonObject, ours: JsonObject, atomic: readonly string[], prefix = ''): string[] {
  const changes: string[] = [];
  for (const [key, value] of Object.entries(ours)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const current = base[key];
    if (isObject(value) && isObject(current) && !atomic.includes(path)) changes.push(...changedPaths(current, value, atomic, path));
    else if (!sameValue(current, value, path)) changes.push(path);
  }
  return changes;
}

/** Fields whose values the service treats case-insensitively (enumerations, VM sizes). */
const CASE_INSENSITIVE_FIELDS = new Set([
  'authMode', 'publicNetworkAccess', 'egressPublicNetworkAccess', 'endpointComputeType', 'scaleType', 'instanceType', 'kind', 'type', 'tier',
]);

/** Deep equality with the service's normalizations; null and absent are the same. `path` names the field compared. */
export function sameValue(a: JsonValue | undefined, b: JsonValue | undefined, path = ''): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  if (typeof a === 'string' && typeof b === 'string') return sameText(a, b, path.split('.').pop() ?? '');
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameValue(item, b[index], path));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key], path ? `${path}.${key}` : key));
  }
  return a === b;
}

function sameText(a: string, b: string, field: string): boolean {
  if (a === b) return true;
  const armId = /^(azureml:)?\/subscriptions\//i;
  if (armId.test(a) && armId.test(b)) return a.replace(/^azureml:/i, '').toLowerCase() === b.replace(/^azureml:/i, '').toLowerCase();
  if (/^P/i.test(a) && /^P/i.test(b)) {
    const [ma, mb] = [durationToMilliseconds(a), durationToMilliseconds(b)];
    if (ma !== undefined && mb !== undefined) return ma === mb;
  }
  return CASE_INSENSITIVE_FIELDS.has(field) && a.toLowerCase() === b.toLowerCase();
}
