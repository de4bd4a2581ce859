/** Azure ML models (API 2022-10-01 model containers and versions): references, reads and listings. */
import { TaskError } from '../pipeline/errors';
import { type ArmAccess, type ArmResource, getIfExists, listAll } from './resources';
import type { WorkspaceClient } from '../azure/workspace';

export type ModelType = 'custom_model' | 'mlflow_model' | 'triton_model';

/** The model types of Azure ML (the `type` of `az ml model create`), as the CLI sends them in `modelType`. */
export const MODEL_TYPES: readonly ModelType[] = ['custom_model', 'mlflow_model', 'triton_model'];

/** True when two model types are the same: the service may answer `CustomModel` for the `custom_model` it was sent. */
export function sameModelType(a: string | null | undefined, b: string | null | undefined): boolean {
  const normalize = (type: string | null | undefined): string => (type || 'custom_model').toLowerCase().replace(/[_-]/g, '');
  return normalize(a) === normalize(b);
}

export interface ModelVersionProperties {
  readonly modelType?: string;
  readonly modelUri?: string;
  /** The job that produced the model, when it was registered from a job's output. */
  readonly jobName?: string | null;
  readonly description?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly properties?: Readonly<Record<string, string>> | null;
  readonly flavors?: Readonly<Record<string, unknown>> | null;
  readonly isAnonymous?: boolean;
  readonly isArchived?: boolean;
}

export type ModelVersionResource = ArmResource<ModelVersionProperties> & {
  readonly systemData?: { readonly createdAt?: string; readonly lastModifiedAt?: string } | null;
};

/** A model named by a pipeline input: `name:version`, `azureml:name:version`, `name@latest` or an ARM id. */
export type ModelReference = { readonly name: string; readonly version: string } | { readonly name: string; readonly label: 'latest' };

const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]{0,254}';
const VERSION = '[A-Za-z0-9][A-Za-z0-9_.-]{0,254}';
const NAME_VERSION = new RegExp(`^(?:azureml:)?(${NAME}):(${VERSION})$`);
const NAME_LABEL = new RegExp(`^(?:azureml:)?(${NAME})@latest$`);
const ARM_ID = new RegExp(`^(?:azureml:)?/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.MachineLearningServices/workspaces/[^/]+/models/(${NAME})/versions/(${VERSION})$`, 'i');

/** Parses a model reference; undefined when `text` is none of the accepted forms. */
export function parseModelReference(text: string): ModelReference | undefined {
  const value = text.trim();
  const arm = ARM_ID.exec(value);
  if (arm) return { name: arm[1]!, version: arm[2]! };
  const label = NAME_LABEL.exec(value);
  if (label) return { name: label[1]!, label: 'latest' };
  const pair = NAME_VERSION.exec(value);
  if (pair) return { name: pair[1]!, version: pair[2]! };
  return undefined;
}

export function formatModelReference(reference: ModelReference): string {
  return 'version' in reference ? `${reference.name}:${reference.version}` : `${reference.name}@latest`;
}

export type ModelAccess = ArmAccess & Pick<WorkspaceClient, 'workspaceArmPath'>;

export function modelContainerPath(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, name: string): string {
  return `${workspace.workspaceArmPath}/models/${encodeURIComponent(name)}`;
}

export function modelVersionPath(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, name: string, version: string): string {
  return `${modelContainerPath(workspace, name)}/versions/${encodeURIComponent(version)}`;
}

export interface ModelContainerProperties {
  readonly description?: string | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly properties?: Readonly<Record<string, string>> | null;
  readonly isArchived?: boolean;
  /** The newest version (read-only, set by the service). */
  readonly latestVersion?: string | null;
  /** The next integer version the service suggests for an auto-numbered registration (read-only). */
  readonly nextVersion?: string | null;
}

export type ModelContainerResource = ArmResource<ModelContainerProperties>;

/** A model (its container), or undefined when no version of it was ever registered. */
export function getModelContainer(workspace: ModelAccess, name: string, signal?: AbortSignal): Promise<ModelContainerResource | undefined> {
  return getIfExists<ModelContainerResource>(workspace, modelContainerPath(workspace, name), signal);
}

/** The model version's page in Azure ML studio (the link the studio itself uses). */
export function modelStudioUrl(workspace: Pick<WorkspaceClient, 'workspaceArmPath' | 'connection'>, name: string, version: string): string {
  const query = new URLSearchParams({ wsid: workspace.workspaceArmPath, tid: workspace.connection.tenantId });
  return `https://ml.azure.com/model/${encodeURIComponent(name)}:${encodeURIComponent(version)}/details?${query.toString()}`;
}

/** One model version, or undefined when it does not exist. */
export function getModelVersion(workspace: ModelAccess, name: string, version: string, signal?: AbortSignal): Promise<ModelVersionResource | undefined> {
  return getIfExists<ModelVersionResource>(workspace, modelVersionPath(workspace, name, version), signal);
}

export interface ListModelVersionsOptions {
  /** Only versions with these tags (a value of undefined: the tag with any value). */
  readonly tags?: Readonly<Record<string, string | undefined>>;
  /** Only versions with these properties. */
  readonly properties?: Readonly<Record<string, string | undefined>>;
  /** At most this many (default: all). */
  readonly top?: number;
}

/**
 * Versions of a model, newest first (by creation time, as `az ml model list` orders them); empty when the model does
 * not exist. Archived versions are left out.
 */
export async function listModelVersions(workspace: ModelAccess, name: string, options: ListModelVersionsOptions = {}, signal?: AbortSignal): Promise<ModelVersionResource[]> {
  const query = new URLSearchParams({ $orderBy: 'createdtime desc', listViewType: 'ActiveOnly' });
  if (options.top !== undefined) query.set('$top', String(options.top));
  if (options.tags && Object.keys(options.tags).length > 0) query.set('tags', filterList(options.tags));
  if (options.properties && Object.keys(options.properties).length > 0) query.set('properties', filterList(options.properties));
  if (!(await getIfExists(workspace, modelContainerPath(workspace, name), signal))) return [];
  const versions = await listAll<ModelVersionResource>(workspace, `${modelContainerPath(workspace, name)}/versions?${query.toString()}`, signal);
  return versions.sort(newestFirst);
}

/** The newest version of a model (optionally carrying the given tags); undefined when there is none. */
export async function latestModelVersion(workspace: ModelAccess, name: string, tags?: Readonly<Record<string, string | undefined>>, signal?: AbortSignal): Promise<ModelVersionResource | undefined> {
  const versions = await listModelVersions(workspace, name, tags ? { tags } : {}, signal);
  return versions[0];
}

/** The model version a reference names; a TaskError naming `inputName` when there is no such version. */
export async function resolveModelReference(workspace: ModelAccess, reference: ModelReference, inputName: string, signal?: AbortSignal): Promise<ModelVersionResource> {
  const found = 'version' in reference ? await getModelVersion(workspace, reference.name, reference.version, signal) : await latestModelVersion(workspace, reference.name, undefined, signal);
  if (!found) {
    throw new TaskError(
      `Input '${inputName}': the model ${formatModelReference(reference)} does not exist in the workspace. ` +
        'Check the name and version in Azure ML studio (Models), or register it first (AzureMLRegisterModel@1).',
    );
  }
  return found;
}

/** The `name` and `version` of a model version resource (from its ARM id when the fields are missing). */
export function modelVersionIdentity(model: ModelVersionResource): { readonly name: string; readonly version: string } {
  const parsed = model.id ? parseModelReference(model.id) : undefined;
  if (parsed && 'version' in parsed) return parsed;
  return { name: '', version: model.name ?? '' };
}

/** `tag1=value1,tag2` as the list API's tags/properties filters take them. */
function filterList(values: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(values)
    .map(([key, value]) => (value === undefined ? key : `${key}=${value}`))
    .join(',');
}

function createdAt(model: ModelVersionResource): number {
  const text = model.systemData?.createdAt;
  const time = text ? Date.parse(text) : NaN;
  return Number.isNaN(time) ? 0 : time;
}

/** Newest first; versions created at the same time by their number (higher first), then by name. */
function newestFirst(a: ModelVersionResource, b: ModelVersionResource): number {
  const byTime = createdAt(b) - createdAt(a);
  if (byTime !== 0) return byTime;
  const [va, vb] = [Number(a.name), Number(b.name)];
  if (Number.isFinite(va) && Number.isFinite(vb) && va !== vb) return vb - va;
  return (b.name ?? '').localeCompare(a.name ?? '');
}
