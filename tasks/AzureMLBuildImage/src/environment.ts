/**
 * The Azure ML environment version that points at the image, so that deployments reuse the image instead of building
 * one: `image` is the image by digest, `inferenceConfig` the inference server's routes, and properties record where
 * the image came from. An existing version that points at the image with the same port, routes and description is
 * reused, never duplicated; other settings get a new version (a version never changes).
 *
 * Its properties (which never change) also remember the build's identity hash: a later run with the same context finds
 * the image through them and builds nothing (see run.ts).
 */
import {
  type ArmResource,
  getIfExists,
  InputError,
  listAll,
  TaskError,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { INPUTS, type InferenceRoutes } from './parameters';

/** Property keys: a public contract (lineage), never renamed. */
export const ENVIRONMENT_PROPERTY_KEYS = {
  image: 'azureml-mlops.image',
  repository: 'azureml-mlops.image-repository',
  digest: 'azureml-mlops.image-digest',
  buildHash: 'azureml-mlops.build-hash',
  registryId: 'azureml-mlops.registry-id',
  runId: 'azureml-mlops.acr-run-id',
  model: 'azureml-mlops.model',
  modelIncluded: 'azureml-mlops.model-included',
  imageSource: 'azureml-mlops.image-source',
  platform: 'azureml-mlops.platform',
  registeredBy: 'azureml-mlops.registered-by',
} as const;

export interface EnvironmentVersionProperties {
  readonly description?: string | null;
  readonly image?: string | null;
  readonly osType?: string;
  readonly inferenceConfig?: {
    readonly livenessRoute?: { readonly path: string; readonly port: number } | null;
    readonly readinessRoute?: { readonly path: string; readonly port: number } | null;
    readonly scoringRoute?: { readonly path: string; readonly port: number } | null;
  } | null;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly properties?: Readonly<Record<string, string>> | null;
  readonly isArchived?: boolean;
}

export type EnvironmentVersionResource = ArmResource<EnvironmentVersionProperties> & { readonly systemData?: { readonly createdAt?: string } | null };

type EnvironmentAccess = Pick<WorkspaceClient, 'armRequest' | 'workspaceArmPath'>;

export function environmentPath(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, name: string, version?: string): string {
  const container = `${workspace.workspaceArmPath}/environments/${encodeURIComponent(name)}`;
  return version === undefined ? container : `${container}/versions/${encodeURIComponent(version)}`;
}

/** The versions of an environment, newest first; empty when it does not exist. */
export async function listEnvironmentVersions(workspace: EnvironmentAccess, name: string, signal: AbortSignal): Promise<EnvironmentVersionResource[]> {
  if (!(await getIfExists(workspace, environmentPath(workspace, name), signal))) return [];
  const query = new URLSearchParams({ $orderBy: 'createdtime desc', listViewType: 'ActiveOnly' });
  const versions = await listAll<EnvironmentVersionResource>(workspace, `${environmentPath(workspace, name)}/versions?${query.toString()}`, signal);
  return versions.sort((a, b) => (b.systemData?.createdAt ?? '').localeCompare(a.systemData?.createdAt ?? ''));
}

export function versionOf(resource: EnvironmentVersionResource): string {
  return resource.name ?? (resource.id ?? '').split('/').pop() ?? '';
}

/** The newest version that recorded this build (same identity hash, same repository): the image was built already. */
export function findBuild(versions: readonly EnvironmentVersionResource[], buildHash: string, repository: string): EnvironmentVersionResource | undefined {
  return versions.find((version) => {
    const properties = version.properties?.properties ?? {};
    return properties[ENVIRONMENT_PROPERTY_KEYS.buildHash] === buildHash && properties[ENVIRONMENT_PROPERTY_KEYS.repository] === repository && !!version.properties?.image;
  });
}

/** What a version holds besides its image and lineage: what must match before a version is reused. */
export interface EnvironmentSettings {
  /** The description the task would write (the input, else the default one). */
  readonly description: string;
  readonly inference: InferenceRoutes;
}

/**
 * The settings of `version` that differ from `wanted`, each as `<input> '<the version's>' (this run: '<wanted>')`;
 * empty when the version holds the same settings.
 */
export function settingsDifferences(version: EnvironmentVersionResource, wanted: EnvironmentSettings): string[] {
  const held = version.properties ?? {};
  const config = held.inferenceConfig ?? {};
  const differences: string[] = [];
  const routes = [
    [INPUTS.livenessRoute, config.livenessRoute, wanted.inference.liveness],
    [INPUTS.readinessRoute, config.readinessRoute, wanted.inference.readiness],
    [INPUTS.scoringRoute, config.scoringRoute, wanted.inference.scoring],
  ] as const;
  const ports = new Set(routes.map(([, route]) => route?.port));
  if (ports.size !== 1 || !ports.has(wanted.inference.port)) {
    differences.push(`${INPUTS.inferencePort} ${[...ports].map((port) => port ?? 'none').join('/')} (this run: ${wanted.inference.port})`);
  }
  for (const [input, route, path] of routes) {
    if (route?.path !== path) differences.push(`${input} '${route?.path ?? ''}' (this run: '${path}')`);
  }
  if ((held.description ?? '') !== wanted.description) differences.push(`${INPUTS.description} '${held.description ?? ''}' (this run: '${wanted.description}')`);
  return differences;
}

/** The versions whose image is exactly `image` (by digest), newest first. */
export function versionsWithImage(versions: readonly EnvironmentVersionResource[], image: string): EnvironmentVersionResource[] {
  return versions.filter((version) => version.properties?.image === image);
}

export interface EnvironmentRequest {
  readonly name: string;
  /** Undefined: the next integer version. */
  readonly version: string | undefined;
  readonly image: string;
  readonly description: string;
  readonly inference: InferenceRoutes;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
}

export interface EnvironmentRegistration {
  readonly resource: EnvironmentVersionResource;
  readonly version: string;
  /** False when another run created the same version at the same time. */
  readonly created: boolean;
}

/** How many numbers to try when other registrations take them at the same time. */
const MAX_ATTEMPTS = 5;

/**
 * An explicit version that exists already and cannot hold this run's image: an InputError, raised before anything is
 * built when it can be known then (run.ts), else when the version is registered (another run created it meanwhile).
 */
export function versionConflict(
  name: string,
  version: string,
  problem: string,
  fix = `Leave '${INPUTS.environmentVersion}' empty to use the next version number, or choose a version that does not exist yet`,
): InputError {
  return new InputError(INPUTS.environmentVersion, `version ${version} of the environment '${name}' already exists ${problem}; an environment version never changes`, fix);
}

/** Creates the version (the next number unless one is given); retries with the next number on a conflict. */
export async function registerEnvironmentVersion(workspace: EnvironmentAccess, request: EnvironmentRequest, signal: AbortSignal): Promise<EnvironmentRegistration> {
  const body = {
    properties: {
      description: request.description,
      image: request.image,
      osType: 'Linux',
      inferenceConfig: {
        livenessRoute: { path: request.inference.liveness, port: request.inference.port },
        readinessRoute: { path: request.inference.readiness, port: request.inference.port },
        scoringRoute: { path: request.inference.scoring, port: request.inference.port },
      },
      tags: { ...request.tags },
      properties: { ...request.properties },
    },
  };
  if (request.version !== undefined) {
    const response = await workspace.armRequest<EnvironmentVersionResource>('PUT', environmentPath(workspace, request.name, request.version), body, {
      abortSignal: signal,
      allowedStatuses: [409],
    });
    if (response.status === 409) {
      const existing = await getIfExists<EnvironmentVersionResource>(workspace, environmentPath(workspace, request.name, request.version), signal);
      if (existing && holds(existing, request)) return { resource: existing, version: request.version, created: false };
      const image = existing?.properties?.image;
      throw versionConflict(
        request.name,
        request.version,
        image !== request.image
          ? `and points at ${image ?? 'another image'}, not ${request.image}`
          : `with other settings: ${settingsDifferences(existing!, { description: request.description, inference: request.inference }).join(', ')}`,
      );
    }
    return { resource: response.body ?? { name: request.version, properties: body.properties }, version: request.version, created: true };
  }
  let version = await nextVersion(workspace, request.name, signal);
  const tried: string[] = [];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    tried.push(version);
    const response = await workspace.armRequest<EnvironmentVersionResource>('PUT', environmentPath(workspace, request.name, version), body, {
      abortSignal: signal,
      allowedStatuses: [409],
    });
    if (response.status !== 409) return { resource: response.body ?? { name: version, properties: body.properties }, version, created: true };
    const existing = await getIfExists<EnvironmentVersionResource>(workspace, environmentPath(workspace, request.name, version), signal);
    if (existing && holds(existing, request)) return { resource: existing, version, created: false };
    version = String(Number(version) + 1);
  }
  throw new TaskError(
    `Could not register the environment '${request.name}': versions ${tried.join(', ')} were each taken by another registration at the same time. ` +
      `Run the task again, or set '${INPUTS.environmentVersion}'.`,
  );
}

/** The version (created by another run meanwhile) is the one this request would create: same image, same settings. */
function holds(existing: EnvironmentVersionResource, request: EnvironmentRequest): boolean {
  return existing.properties?.image === request.image && settingsDifferences(existing, { description: request.description, inference: request.inference }).length === 0;
}

/** The next integer version the service suggests; from the versions themselves when it suggests none. */
async function nextVersion(workspace: EnvironmentAccess, name: string, signal: AbortSignal): Promise<string> {
  const container = await getIfExists<ArmResource<{ nextVersion?: string | null; latestVersion?: string | null }>>(workspace, environmentPath(workspace, name), signal);
  if (!container) return '1';
  const suggested = container.properties?.nextVersion;
  if (suggested && /^\d+$/.test(suggested)) return suggested;
  let highest = 0;
  for (const version of await listEnvironmentVersions(workspace, name, signal)) {
    const v = versionOf(version);
    if (/^\d+$/.test(v)) highest = Math.max(highest, Number(v));
  }
  return String(highest + 1);
}

/** azureml:<name>:<version>, as deployment YAML and the deploy tasks reference an environment. */
export function environmentReference(name: string, version: string): string {
  return `azureml:${name}:${version}`;
}

/** The environment version's page in Azure ML studio. */
export function environmentStudioUrl(workspace: Pick<WorkspaceClient, 'workspaceArmPath' | 'connection'>, name: string, version: string): string {
  const query = new URLSearchParams({ wsid: workspace.workspaceArmPath, tid: workspace.connection.tenantId });
  return `https://ml.azure.com/environments/${encodeURIComponent(name)}/version/${encodeURIComponent(version)}?${query.toString()}`;
}
