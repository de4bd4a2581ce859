/**
 * Version assignment and registration (PUT of the model version; the service creates the model with its first version).
 *
 * - An explicit version that exists: returned when it holds the same model, an error naming `version` otherwise.
 * - No explicit version: the version holding the same model when there is one; else the model's `nextVersion`. Two
 *   runs registering different models at the same moment may pick the same number: the loser gets 409 Conflict (a
 *   version cannot change), looks again for its own model (another run of the same source may have won), then
 *   takes the next number.
 */
import {
  getModelContainer,
  getModelVersion,
  InputError,
  listModelVersions,
  type ModelAccess,
  type ModelType,
  type ModelVersionResource,
  modelVersionPath,
  TaskError,
} from '@azureml-mlops/shared';

import { describeVersionSource, findSameModel, holdsSameModel, type SourceIdentity } from './idempotency';
import { INPUTS } from './parameters';

/** How many version numbers are tried when other runs keep taking them. */
export const MAX_VERSION_ATTEMPTS = 5;

export interface ModelVersionBody {
  readonly properties: {
    readonly modelType: ModelType;
    readonly modelUri: string;
    readonly jobName?: string;
    readonly description?: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly properties: Readonly<Record<string, string>>;
  };
}

export interface VersionRequest {
  readonly modelName: string;
  /** Undefined: the next version number. */
  readonly version: string | undefined;
  readonly identity: SourceIdentity;
}

/**
 * The version already holding this model (reads only, before anything is uploaded or registered); an InputError when
 * the explicit version exists and holds another model.
 */
export async function findRegisteredVersion(workspace: ModelAccess, request: VersionRequest, signal: AbortSignal): Promise<ModelVersionResource | undefined> {
  if (request.version === undefined) return findSameModel(workspace, request.modelName, request.identity, signal);
  const existing = await getModelVersion(workspace, request.modelName, request.version, signal);
  if (!existing) return undefined;
  if (holdsSameModel(existing, request.identity)) return existing;
  throw versionTaken(request, existing);
}

export interface Registration {
  readonly model: ModelVersionResource;
  /** False when another run registered the same model first (the race described above). */
  readonly created: boolean;
}

/** Registers a new version (see the rules above). `body` is the version's content. */
export async function registerVersion(workspace: ModelAccess, request: VersionRequest, body: ModelVersionBody, signal: AbortSignal): Promise<Registration> {
  if (request.version !== undefined) {
    const answer = await put(workspace, request.modelName, request.version, body, signal);
    if (answer) return { model: answer, created: true };
    const existing = await getModelVersion(workspace, request.modelName, request.version, signal);
    if (existing && holdsSameModel(existing, request.identity)) return { model: existing, created: false };
    throw existing ? versionTaken(request, existing) : new TaskError(`Azure ML refused version ${request.version} of the model '${request.modelName}' (409 Conflict) and does not show it. Run the task again.`);
  }

  let version = await nextVersion(workspace, request.modelName, signal);
  const tried: string[] = [];
  for (let attempt = 1; attempt <= MAX_VERSION_ATTEMPTS; attempt++) {
    tried.push(version);
    const answer = await put(workspace, request.modelName, version, body, signal);
    if (answer) return { model: answer, created: true };
    const same = await findSameModel(workspace, request.modelName, request.identity, signal);
    if (same) return { model: same, created: false };
    const suggested = await nextVersion(workspace, request.modelName, signal);
    version = higher(suggested, version);
  }
  throw new TaskError(
    `Could not register the model '${request.modelName}': versions ${tried.join(', ')} were each taken by another registration at the same time. ` +
      `Run the task again, or set '${INPUTS.version}'.`,
  );
}

/** The version the service suggests (nextVersion); from the versions themselves when it suggests none. */
export async function nextVersion(workspace: ModelAccess, modelName: string, signal: AbortSignal): Promise<string> {
  const container = await getModelContainer(workspace, modelName, signal);
  if (!container) return '1';
  const suggested = container.properties?.nextVersion;
  if (suggested && /^\d+$/.test(suggested)) return suggested;
  const latest = container.properties?.latestVersion;
  let highest = latest && /^\d+$/.test(latest) ? Number(latest) : 0;
  for (const version of await listModelVersions(workspace, modelName, {}, signal)) {
    if (version.name && /^\d+$/.test(version.name)) highest = Math.max(highest, Number(version.name));
  }
  return String(highest + 1);
}

/** The PUT; undefined on 409 Conflict (the version exists with other content). */
async function put(workspace: ModelAccess, modelName: string, version: string, body: ModelVersionBody, signal: AbortSignal): Promise<ModelVersionResource | undefined> {
  const response = await workspace.armRequest<ModelVersionResource>('PUT', modelVersionPath(workspace, modelName, version), body, {
    abortSignal: signal,
    allowedStatuses: [409],
  });
  if (response.status === 409) return undefined;
  return response.body ?? { name: version, properties: body.properties };
}

function higher(suggested: string, tried: string): string {
  const next = Number(tried) + 1;
  return /^\d+$/.test(suggested) && Number(suggested) >= next ? suggested : String(next);
}

function versionTaken(request: VersionRequest, existing: ModelVersionResource): InputError {
  return new InputError(
    INPUTS.version,
    `version ${request.version} of the model '${request.modelName}' already exists and holds another model (${describeVersionSource(existing)}), ` +
      `not ${request.identity.description} (${request.identity.modelType}); a registered version never changes`,
    `Leave '${INPUTS.version}' empty to register the next version number, or choose a version that does not exist yet`,
  );
}
