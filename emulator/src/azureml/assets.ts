import type { AuthenticatedPrincipal } from '../http/router';
import { badRequest, conflict, notFound } from './errors';
import { canonical, isObject, newSystemData, touchSystemData, type Json, type SystemData } from './resources';
import type { AssetKind, AssetRef } from './refs';
import { describeRef } from './refs';

/** The asset kinds the emulator stores (models belong to another module and are not resolved here). */
export type StoredAssetKind = Exclude<AssetKind, 'models'>;

export interface AssetVersion {
  readonly name: string;
  readonly version: string;
  /** Properties as the client sent them (what immutability is judged on). */
  submitted: Json;
  /** Properties as GET answers them (submitted plus service defaults). */
  properties: Json;
  systemData: SystemData;
  readonly seq: number;
}

export interface AssetContainer {
  readonly name: string;
  properties: Json;
  systemData: SystemData;
  readonly versions: Map<string, AssetVersion>;
}

/** Display names per kind, as error messages use them. */
export const KIND_LABEL: Record<AssetKind, string> = {
  codes: 'code',
  environments: 'environment',
  data: 'data',
  components: 'component',
  models: 'model',
};

/** Properties a client may change on an existing asset version: everything else is immutable. */
const MUTABLE_VERSION_FIELDS = new Set(['description', 'tags', 'isArchived']);

let sequence = 0;

/** In-memory containers and versions of one asset kind. */
export class AssetStore {
  private readonly containers = new Map<string, AssetContainer>();

  constructor(readonly kind: StoredAssetKind) {}

  get label(): string {
    return KIND_LABEL[this.kind];
  }

  listContainers(): AssetContainer[] {
    return [...this.containers.values()];
  }

  container(name: string): AssetContainer | undefined {
    return this.containers.get(name);
  }

  requireContainer(name: string): AssetContainer {
    const container = this.containers.get(name);
    if (!container) throw notFound(`The ${this.label} container '${name}' was not found in the workspace.`);
    return container;
  }

  version(name: string, version: string): AssetVersion | undefined {
    return this.containers.get(name)?.versions.get(version);
  }

  requireVersion(name: string, version: string): AssetVersion {
    const found = this.version(name, version);
    if (!found) throw notFound(`The ${this.label} '${name}' has no version '${version}' in the workspace.`);
    return found;
  }

  /** The version an `@latest` or `:version` reference designates, or undefined. */
  resolve(ref: AssetRef): AssetVersion | undefined {
    if (ref.scope !== 'workspace') return undefined;
    if ('version' in ref) return this.version(ref.name, ref.version);
    const container = this.containers.get(ref.name);
    const latest = container ? latestVersion(container) : undefined;
    return latest;
  }

  describe(ref: AssetRef): string {
    return `${this.label} ${describeRef(ref)}`;
  }

  putContainer(name: string, props: Json, principal: AuthenticatedPrincipal | undefined): { created: boolean; container: AssetContainer } {
    validateContainer(this.kind, props);
    const existing = this.containers.get(name);
    const kept = pick(props, ['description', 'tags', 'properties', 'isArchived', 'dataType']);
    if (existing) {
      if (this.kind === 'data' && existing.properties['dataType'] && props['dataType'] !== existing.properties['dataType']) {
        throw badRequest(`The data container '${name}' has dataType '${String(existing.properties['dataType'])}'; it cannot be changed to '${String(props['dataType'])}'.`);
      }
      existing.properties = kept;
      existing.systemData = touchSystemData(existing.systemData, principal);
      return { created: false, container: existing };
    }
    const container: AssetContainer = { name, properties: kept, systemData: newSystemData(principal), versions: new Map() };
    this.containers.set(name, container);
    return { created: true, container };
  }

  putVersion(name: string, version: string, props: Json, principal: AuthenticatedPrincipal | undefined): { created: boolean; version: AssetVersion } {
    validateVersion(this.kind, props);
    let container = this.containers.get(name);
    if (this.kind === 'data' && container?.properties['dataType'] && !sameDataType(container.properties['dataType'], props['dataType'])) {
      throw badRequest(
        `The data asset '${name}' holds versions of type '${String(container.properties['dataType'])}'; version '${version}' has dataType '${String(props['dataType'])}'. Use another name for data of another type.`,
      );
    }
    const existing = container?.versions.get(version);
    if (existing) {
      if (immutablePart(existing.submitted) !== immutablePart(props)) {
        throw conflict(
          `A ${this.label} version with this name and version already exists. If you are trying to create a new ${this.label} version, use a different name or version. If you are trying to update an existing ${this.label} version, only tags, description, and isArchived can be updated.`,
        );
      }
      existing.submitted = props;
      existing.properties = withDefaults(this.kind, props);
      existing.systemData = touchSystemData(existing.systemData, principal);
      return { created: false, version: existing };
    }
    if (!container) {
      // The service creates the container with the first version.
      const containerProps: Json = this.kind === 'data' ? { dataType: props['dataType'] } : {};
      container = { name, properties: containerProps, systemData: newSystemData(principal), versions: new Map() };
      this.containers.set(name, container);
    }
    const created: AssetVersion = { name, version, submitted: props, properties: withDefaults(this.kind, props), systemData: newSystemData(principal), seq: ++sequence };
    container.versions.set(version, created);
    return { created: true, version: created };
  }

  deleteContainer(name: string): boolean {
    return this.containers.delete(name);
  }

  deleteVersion(name: string, version: string): boolean {
    return this.containers.get(name)?.versions.delete(version) ?? false;
  }
}

/** Most recently created version that is not archived (falls back to archived ones when all are). */
export function latestVersion(container: AssetContainer): AssetVersion | undefined {
  const versions = [...container.versions.values()].sort((a, b) => b.seq - a.seq);
  return versions.find((v) => v.properties['isArchived'] !== true) ?? versions[0];
}

/** The next integer version the service suggests (nextVersion). */
export function nextVersion(container: AssetContainer): string {
  let max = 0;
  for (const v of container.versions.keys()) {
    if (/^\d+$/.test(v)) max = Math.max(max, Number(v));
  }
  return String(max + 1);
}

function immutablePart(props: Json): string {
  const rest: Json = {};
  for (const [k, v] of Object.entries(props)) if (!MUTABLE_VERSION_FIELDS.has(k)) rest[k] = v;
  // isAnonymous false and absent mean the same.
  if (rest['isAnonymous'] === false) delete rest['isAnonymous'];
  return canonical(rest);
}

function pick(props: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (props[k] !== undefined) out[k] = props[k];
  return out;
}

function withDefaults(kind: StoredAssetKind, props: Json): Json {
  const out: Json = { isAnonymous: false, isArchived: false, ...props };
  if (kind === 'environments') {
    out['environmentType'] = 'UserCreated';
    out['osType'] ??= 'Linux';
    out['autoRebuild'] ??= 'Disabled';
  }
  return out;
}

const DATA_TYPES = ['uri_file', 'uri_folder', 'mltable'];

function sameDataType(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): string => String(v).toLowerCase().replace(/_/g, '');
  return norm(a) === norm(b);
}

function checkDataType(value: unknown, where: string): void {
  if (typeof value !== 'string' || !DATA_TYPES.some((t) => sameDataType(t, value))) {
    throw badRequest(`${where}.dataType must be one of ${DATA_TYPES.join(', ')}, got ${JSON.stringify(value ?? null)}.`);
  }
}

function checkCommon(props: Json, where: string): void {
  for (const key of ['tags', 'properties']) {
    const value = props[key];
    if (value === undefined || value === null) continue;
    if (!isObject(value) || Object.values(value).some((v) => v !== null && typeof v !== 'string')) {
      throw badRequest(`${where}.${key} must be an object of string values.`);
    }
  }
  for (const key of ['description']) {
    if (props[key] !== undefined && props[key] !== null && typeof props[key] !== 'string') throw badRequest(`${where}.${key} must be a string.`);
  }
  for (const key of ['isArchived', 'isAnonymous']) {
    if (props[key] !== undefined && props[key] !== null && typeof props[key] !== 'boolean') throw badRequest(`${where}.${key} must be true or false.`);
  }
}

function validateContainer(kind: StoredAssetKind, props: Json): void {
  checkCommon(props, 'properties');
  if (kind === 'data') checkDataType(props['dataType'], 'properties');
}

/** Checks a version body's shape (the route checks references to other assets afterwards). */
export function validateVersion(kind: StoredAssetKind, props: Json): void {
  checkCommon(props, 'properties');
  switch (kind) {
    case 'codes':
      if (typeof props['codeUri'] !== 'string' || props['codeUri'].trim() === '') {
        throw badRequest('properties.codeUri is required: the storage URI of the uploaded code snapshot.');
      }
      return;
    case 'environments': {
      const image = props['image'];
      const build = props['build'];
      if (image !== undefined && image !== null && typeof image !== 'string') throw badRequest('properties.image must be a string.');
      if (build !== undefined && build !== null && (!isObject(build) || typeof build['contextUri'] !== 'string' || build['contextUri'] === '')) {
        throw badRequest('properties.build.contextUri is required when properties.build is given.');
      }
      if (!image && !build) {
        throw badRequest('An environment version needs either properties.image (a Docker image) or properties.build (a Docker build context).');
      }
      if (image && build) throw badRequest('properties.image and properties.build are mutually exclusive: give one of them.');
      if (props['condaFile'] !== undefined && props['condaFile'] !== null && typeof props['condaFile'] !== 'string') {
        throw badRequest('properties.condaFile must be the conda YAML as a string.');
      }
      return;
    }
    case 'data':
      checkDataType(props['dataType'], 'properties');
      if (typeof props['dataUri'] !== 'string' || props['dataUri'].trim() === '') throw badRequest('properties.dataUri is required.');
      return;
    case 'components': {
      const spec = props['componentSpec'];
      if (!isObject(spec)) throw badRequest('properties.componentSpec is required: the component definition as an object.');
      const type = spec['type'] ?? 'command';
      if (type !== 'command') throw badRequest(`properties.componentSpec.type '${String(type)}' is not supported by the emulator: only command components run.`);
      if (typeof spec['command'] !== 'string' || spec['command'].trim() === '') throw badRequest('properties.componentSpec.command is required for a command component.');
      if (spec['environment'] === undefined || spec['environment'] === null) throw badRequest('properties.componentSpec.environment is required for a command component.');
      for (const key of ['inputs', 'outputs']) {
        if (spec[key] !== undefined && spec[key] !== null && !isObject(spec[key])) throw badRequest(`properties.componentSpec.${key} must be an object.`);
      }
      return;
    }
  }
}
