/** Readers of `az ml` online endpoint/deployment YAML fields shared by both specs. */
import { YamlDocument, type YamlMapping, type YamlValue } from '../yaml';
import { applyOverrides, type AppliedOverride } from '../yaml';
import { InputError } from '../pipeline/errors';
import type { JsonObject } from './types';

export interface LoadedYaml {
  readonly root: YamlMapping;
  readonly document: YamlDocument;
  readonly appliedOverrides: readonly AppliedOverride[];
}

/** Loads the YAML file (errors name `fileInput`) and applies `overrides` (errors name `overridesInput`). */
export function loadSpecYaml(file: string, options: { fileInput: string; overridesInput: string; overrides?: string; displayName?: string }): LoadedYaml {
  const document = YamlDocument.load(file, { inputName: options.fileInput, ...(options.displayName ? { displayName: options.displayName } : {}) });
  const appliedOverrides = options.overrides ? applyOverrides(document, options.overrides, { inputName: options.overridesInput }) : [];
  return { root: document.root(), document, appliedOverrides };
}

/** Overrides apply to a YAML file: without one they are a mistake to report. */
export function refuseOverridesWithoutFile(overrides: string | undefined, overridesInput: string, fileInput: string): void {
  if (overrides !== undefined && overrides.trim() !== '') {
    throw new InputError(overridesInput, `is set, but there is no '${fileInput}' to apply it to`, `Set '${fileInput}' to the az ml YAML, or use the task's own inputs instead of overrides`);
  }
}

/** `enabled` / `disabled` (any case) as the API's `Enabled` / `Disabled`. */
export function enabledDisabled(value: YamlValue, fix: string): 'Enabled' | 'Disabled' | undefined {
  const text = value.string(fix);
  if (text === undefined) return undefined;
  if (/^enabled$/i.test(text)) return 'Enabled';
  if (/^disabled$/i.test(text)) return 'Disabled';
  return value.fail(`is '${text}'`, fix);
}

/** `traffic:` / `mirror_traffic:`: deployment name -> whole percent 0..100. */
export function trafficMap(value: YamlValue): Record<string, number> | undefined {
  const fix = 'Write one line per deployment with its percentage (a whole number from 0 to 100), e.g. traffic: {blue: 100}.';
  const mapping = value.mapping(fix);
  if (!mapping) return undefined;
  const result: Record<string, number> = {};
  for (const entry of mapping.entries()) {
    const percent = entry.value.integer(fix, { min: 0 });
    if (percent === undefined) continue;
    if (percent > 100) entry.value.fail(`must be at most 100, not ${percent}`, fix);
    result[entry.key] = percent;
  }
  return result;
}

/**
 * `identity:` of the YAML (type system_assigned | user_assigned | system_assigned,user_assigned | none, and
 * user_assigned_identities as a list of {resource_id}) as the REST ManagedServiceIdentity.
 */
export function identityOf(value: YamlValue): JsonObject | undefined {
  const fix = 'Write identity: {type: system_assigned}, or type: user_assigned with user_assigned_identities: [{resource_id: /subscriptions/.../userAssignedIdentities/<name>}].';
  const mapping = value.mapping(fix);
  if (!mapping) return undefined;
  mapping.rejectUnknownFields(['type', 'user_assigned_identities', 'principal_id', 'tenant_id'], 'an identity');
  const typeValue = mapping.get('type').required(fix);
  const typeText = typeValue.string(fix)!;
  const types: Record<string, string> = {
    system_assigned: 'SystemAssigned',
    user_assigned: 'UserAssigned',
    'system_assigned,user_assigned': 'SystemAssigned,UserAssigned',
    none: 'None',
  };
  const type = types[typeText.replace(/\s+/g, '').toLowerCase()] ?? Object.values(types).find((t) => t.toLowerCase() === typeText.replace(/\s+/g, '').toLowerCase());
  if (!type) typeValue.fail(`is '${typeText}'`, fix);
  const result: JsonObject = { type: type! };
  const assigned = mapping.get('user_assigned_identities');
  const items = assigned.sequence(fix);
  if (items) {
    const identities: JsonObject = {};
    for (const item of items) {
      let id: string | undefined;
      if (item.kind === 'string') id = item.string(fix);
      else {
        const entry = item.mapping(fix)!;
        entry.rejectUnknownFields(['resource_id', 'client_id', 'principal_id'], 'a user-assigned identity');
        id = entry.get('resource_id').required(fix).string(fix);
      }
      if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(id ?? '')) {
        item.fail(`is '${id}', which is not the ARM id of a user-assigned managed identity`, fix);
      }
      identities[id!] = {};
    }
    result['userAssignedIdentities'] = identities;
  }
  if (type!.includes('UserAssigned') && !items?.length) mapping.get('user_assigned_identities').required(fix);
  return result;
}

/** A mapping of names to text (tags, properties, environment variables); '' for empty values. */
export function textMap(value: YamlValue, what: string): Record<string, string> | undefined {
  return value.stringMap(`Write ${what} as name: value lines.`);
}

/** Sets `value` at `path` of `target` (creating objects on the way) unless it is undefined. */
export function setIfDefined(target: JsonObject, path: readonly string[], value: JsonObject[string] | undefined): void {
  if (value === undefined) return;
  let current = target;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) current[key] = {};
    current = current[key] as JsonObject;
  }
  current[path[path.length - 1]!] = value;
}

/** The `$schema` URL names the kind of spec (managedOnlineDeployment.schema.json...); undefined when absent. */
export function schemaKind(root: YamlMapping): string | undefined {
  const schema = root.get('$schema');
  if (schema.kind !== 'string') return undefined;
  const match = /\/([A-Za-z]+)\.schema\.json$/.exec(String(schema.scalar()));
  return match?.[1]?.toLowerCase();
}
