import type { AuthenticatedPrincipal } from '../../http/router';
import { latestVersion, type AssetContainer, type AssetVersion } from '../assets';
import { conflict, notFound } from '../errors';
import type { AssetRef } from '../refs';
import { canonical, newSystemData, touchSystemData, type Json, type SystemData } from '../resources';

/** Fields of a model version a re-PUT may change; the rest (modelUri, modelType, properties, flavors, jobName) is its content. */
const MUTABLE_FIELDS = new Set(['description', 'tags', 'isArchived']);

/**
 * The workspace's registered models: containers and their versions (the shapes of the other assets, so the container
 * helpers of ../assets apply). Versions get distinct, increasing creation times, so "newest" is always well defined.
 */
export class ModelStore {
  private readonly containers = new Map<string, AssetContainer>();
  private sequence = 0;
  private lastCreatedMs = 0;

  listContainers(): AssetContainer[] {
    return [...this.containers.values()];
  }

  container(name: string): AssetContainer | undefined {
    return this.containers.get(name);
  }

  requireContainer(name: string): AssetContainer {
    const container = this.containers.get(name);
    if (!container) throw notFound(`The model container '${name}' was not found in the workspace.`);
    return container;
  }

  version(name: string, version: string): AssetVersion | undefined {
    return this.containers.get(name)?.versions.get(version);
  }

  requireVersion(name: string, version: string): AssetVersion {
    const found = this.version(name, version);
    if (!found) throw notFound(`The model '${name}' has no version '${version}' in the workspace.`);
    return found;
  }

  /** The version a workspace reference (`name:version`, `name@latest`, ARM id) designates, or undefined. */
  resolve(ref: AssetRef): AssetVersion | undefined {
    if (ref.scope !== 'workspace') return undefined;
    if ('version' in ref) return this.version(ref.name, ref.version);
    const container = this.containers.get(ref.name);
    return container ? latestVersion(container) : undefined;
  }

  putContainer(name: string, props: Json, principal: AuthenticatedPrincipal | undefined): { created: boolean; container: AssetContainer } {
    const kept: Json = {};
    for (const key of ['description', 'tags', 'properties', 'isArchived']) if (props[key] !== undefined) kept[key] = props[key];
    const existing = this.containers.get(name);
    if (existing) {
      existing.properties = kept;
      existing.systemData = touchSystemData(existing.systemData, principal);
      return { created: false, container: existing };
    }
    const container: AssetContainer = { name, properties: kept, systemData: this.creationData(principal), versions: new Map() };
    this.containers.set(name, container);
    return { created: true, container };
  }

  /**
   * Creates a version, or updates the mutable fields of an existing one. `submitted` is the body as sent; `resolved`
   * the properties as GET answers them (resolved modelUri, jobName, defaults): content is compared on the resolved form,
   * so that PUTting back a GET answer, or re-registering from the same job output, is the identical request it is.
   */
  putVersion(name: string, version: string, submitted: Json, resolved: Json, principal: AuthenticatedPrincipal | undefined): { created: boolean; version: AssetVersion } {
    let container = this.containers.get(name);
    const existing = container?.versions.get(version);
    if (existing) {
      if (contentOf(existing.properties) !== contentOf(resolved)) {
        throw conflict(
          'A model version with this name and version already exists. If you are trying to create a new model version, use a different name or version. ' +
            'If you are trying to update an existing model version, only tags, description, and isArchived can be updated.',
        );
      }
      existing.submitted = submitted;
      existing.properties = resolved;
      existing.systemData = touchSystemData(existing.systemData, principal);
      return { created: false, version: existing };
    }
    if (!container) {
      // The service creates the container with the first version.
      container = { name, properties: {}, systemData: this.creationData(principal), versions: new Map() };
      this.containers.set(name, container);
    }
    const created: AssetVersion = { name, version, submitted, properties: resolved, systemData: this.creationData(principal), seq: ++this.sequence };
    container.versions.set(version, created);
    return { created: true, version: created };
  }

  deleteContainer(name: string): boolean {
    return this.containers.delete(name);
  }

  deleteVersion(name: string, version: string): boolean {
    return this.containers.get(name)?.versions.delete(version) ?? false;
  }

  /** systemData of a new resource, its createdAt strictly after every earlier one (two PUTs may share a millisecond). */
  private creationData(principal: AuthenticatedPrincipal | undefined): SystemData {
    this.lastCreatedMs = Math.max(Date.now(), this.lastCreatedMs + 1);
    return newSystemData(principal, new Date(this.lastCreatedMs));
  }
}

function contentOf(props: Json): string {
  const rest: Json = {};
  for (const [key, value] of Object.entries(props)) if (!MUTABLE_FIELDS.has(key)) rest[key] = value;
  // An empty properties dictionary and none are the same registration.
  if (canonical(rest['properties']) === '{}') delete rest['properties'];
  if (rest['isAnonymous'] === false) delete rest['isAnonymous'];
  return canonical(rest);
}
