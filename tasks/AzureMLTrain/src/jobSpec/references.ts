/**
 * References to workspace resources as the `az ml` YAML writes them (`azureml:name:version`,
 * `azureml:name@latest`, `azureml:/subscriptions/...`, bare compute names) and their ARM ids.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { YamlValue } from '@azureml-mlops/shared';
import type { PlanContext } from './context';
import type { AssetType, WorkspaceScope } from './plan';

export function workspaceArmId(scope: WorkspaceScope): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${scope.workspaceName}`;
}

const ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/(workspaces|registries)\/[^/]+\/.+/i;
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const ASSET_VERSION = /^[A-Za-z0-9_.-]{1,100}$/;
const COMPUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]{1,254}$/;
/** Remote data the service reads itself: passed through unchanged. */
const REMOTE_URI = /^(azureml:\/\/|https?:\/\/|wasbs?:\/\/|abfss?:\/\/|adl:\/\/)/i;

export type AssetRef =
  | { readonly kind: 'version'; readonly name: string; readonly version: string }
  | { readonly kind: 'label'; readonly name: string; readonly label: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'armId'; readonly armId: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export function isRemoteUri(text: string): boolean {
  return REMOTE_URI.test(text);
}

export function isArmId(text: string): boolean {
  return ARM_ID.test(text);
}

/** Parses the part after `azureml:` of a short-form reference. */
export function parseAssetRef(reference: string): AssetRef {
  if (isArmId(reference)) return { kind: 'armId', armId: reference };
  const at = reference.lastIndexOf('@');
  if (at !== -1) {
    const name = reference.slice(0, at);
    const label = reference.slice(at + 1);
    if (!ASSET_NAME.test(name)) return { kind: 'invalid', reason: `'${name}' is not a valid asset name` };
    return { kind: 'label', name, label };
  }
  const colon = reference.indexOf(':');
  if (colon === -1) {
    return ASSET_NAME.test(reference) ? { kind: 'name', name: reference } : { kind: 'invalid', reason: `'${reference}' is not a valid asset name` };
  }
  const name = reference.slice(0, colon);
  const version = reference.slice(colon + 1);
  if (!ASSET_NAME.test(name)) return { kind: 'invalid', reason: `'${name}' is not a valid asset name` };
  if (!ASSET_VERSION.test(version)) return { kind: 'invalid', reason: `'${version}' is not a valid version` };
  return { kind: 'version', name, version };
}

/**
 * An `azureml:` reference to an existing asset (data, model, environment, component, code): returns the
 * ARM id, or the placeholder of an `@latest` lookup. Throws at `value` for anything else.
 */
export function resolveAssetReference(
  value: YamlValue,
  text: string,
  assetType: AssetType,
  context: PlanContext,
  what: string,
  example: string,
): string {
  const body = text.slice('azureml:'.length);
  const reference = parseAssetRef(body);
  const usedBy = value.pathText;
  switch (reference.kind) {
    case 'armId':
      return reference.armId;
    case 'version':
      return context.addAssetVersion(assetType, reference.name, reference.version, usedBy);
    case 'label':
      if (reference.label !== 'latest') {
        return value.fail(`refers to the label '${reference.label}' of ${what} '${reference.name}'; only @latest is supported`, `Write azureml:${reference.name}@latest or a version, e.g. azureml:${reference.name}:1.`);
      }
      return context.addAssetLatest(assetType, reference.name, usedBy);
    case 'name':
      return value.fail(`refers to ${what} '${reference.name}' without a version`, `Add a version or @latest, e.g. azureml:${reference.name}:1 or azureml:${reference.name}@latest.`);
    default:
      return value.fail(`is not a valid reference to ${what}: ${reference.reason}`, `Write azureml:<name>:<version> or azureml:<name>@latest, e.g. ${example}.`);
  }
}

/**
 * `compute:` -> ARM id of the compute. Accepts `azureml:name`, a bare name, or an ARM id (with or without
 * the `azureml:` prefix). `local` and `serverless` are refused: they need features this API version lacks.
 */
export function resolveCompute(value: YamlValue, context: PlanContext): string | undefined {
  const fix = 'Name a compute cluster of the workspace, e.g. compute: azureml:cpu-cluster.';
  const text = value.string(fix)?.trim();
  if (text === undefined) return undefined;
  const reference = text.toLowerCase().startsWith('azureml:') ? text.slice('azureml:'.length) : text;
  if (isArmId(reference)) {
    if (!/\/computes\/[^/]+$/i.test(reference)) value.fail(`is '${text}', which is not the ARM id of a compute`, fix);
    return reference;
  }
  if (reference.toLowerCase() === 'local') {
    value.fail("is 'local': local runs need Docker on the agent and are not supported by this task", fix);
  }
  if (reference.toLowerCase() === 'serverless') {
    value.fail("is 'serverless': serverless compute is not in Azure ML API 2022-10-01, which this task uses", fix);
  }
  if (reference.includes(':') || reference.includes('@')) {
    value.fail(`is '${text}', which has a version or label, but computes have none`, `Write only the compute name, e.g. compute: azureml:${reference.split(/[:@]/)[0]}.`);
  }
  if (!COMPUTE_NAME.test(reference)) {
    value.fail(`is '${text}', which is not a valid compute name (letters, digits, '-' and '_', starting with a letter)`, fix);
  }
  return `${context.workspaceId}/computes/${reference}`;
}

/** `default_datastore:` -> ARM id of the datastore. */
export function resolveDatastore(value: YamlValue, context: PlanContext): string | undefined {
  const fix = 'Name a datastore of the workspace, e.g. default_datastore: azureml:workspaceblobstore.';
  const text = value.string(fix)?.trim();
  if (text === undefined) return undefined;
  const name = text.toLowerCase().startsWith('azureml:') ? text.slice('azureml:'.length) : text;
  if (isArmId(name)) return name;
  if (!/^[A-Za-z0-9_]{1,255}$/.test(name)) value.fail(`is '${text}', which is not a valid datastore name`, fix);
  return `${context.workspaceId}/datastores/${name}`;
}

/** A local path of the YAML, resolved against the YAML's folder; checks it exists. */
export function resolveLocalPath(
  value: YamlValue,
  text: string,
  baseDirectory: string,
  what: string,
): { absolutePath: string; kind: 'file' | 'folder' } {
  const withoutPrefix = text.startsWith('file:') ? text.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : text;
  const absolutePath = path.resolve(baseDirectory, withoutPrefix);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolutePath);
  } catch {
    return value.fail(
      `is the local path '${text}', which does not exist (looked for ${absolutePath})`,
      `Fix the path of ${what}: relative paths are relative to the folder of the YAML file (${baseDirectory}).`,
    );
  }
  return { absolutePath, kind: stat.isDirectory() ? 'folder' : 'file' };
}
