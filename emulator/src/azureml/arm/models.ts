import type { EmulatorRequest, Router } from '../../http/router';
import { latestVersion, nextVersion, type AssetContainer, type AssetVersion } from '../assets';
import { armHandler, badRequest } from '../errors';
import { resolveModelUri } from '../models/modelUri';
import type { ModelStore } from '../models/store';
import { isObject, listViewTypeOf, matchesListView, page, readProperties, topOf, type Json } from '../resources';
import { PROVIDER, WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService } from '../service';

const ARM = { kind: 'arm' } as const;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,49}$/;
/** Versions come a page at a time: clients must follow nextLink. */
const VERSIONS_PAGE_SIZE = 20;
/** The model types of Azure ML, as the CLI and SDK send them (the service also takes the CamelCase names). */
export const MODEL_TYPES = ['custom_model', 'mlflow_model', 'triton_model'] as const;

/** Model containers and versions (registration, listing with the service's filters, deletion). */
export function registerModelRoutes(router: Router, svc: AzureMlService, store: ModelStore): void {
  const base = `${WORKSPACE_ROUTE}/models`;

  router.add('GET', base, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const view = listViewTypeOf(req);
    const items = store
      .listContainers()
      .filter((c) => matchesListView(c.properties['isArchived'] === true, view))
      .sort((a, b) => b.systemData.createdAt.localeCompare(a.systemData.createdAt))
      .map((c) => modelContainerResource(svc, c));
    return { status: 200, body: page(req, svc.ctx.baseUrl, items, pageSize(req, 'count', 100)) };
  }));

  router.add('GET', `${base}/:name`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: 200, body: modelContainerResource(svc, store.requireContainer(req.params['name']!)) };
  }));

  router.add('PUT', `${base}/:name`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const name = checkName(req.params['name']!);
    const props = readProperties(req, 'model container');
    checkCommon(props);
    const { created, container } = store.putContainer(name, props, req.principal);
    return { status: created ? 201 : 200, body: modelContainerResource(svc, container) };
  }));

  router.add('DELETE', `${base}/:name`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: store.deleteContainer(req.params['name']!) ? 200 : 204 };
  }));

  router.add('GET', `${base}/:name/versions`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const container = store.container(req.params['name']!);
    let versions = filterVersions(container ? [...container.versions.values()] : [], req);
    versions = orderVersions(versions, req.query.get('$orderBy'));
    const offset = nonNegative(req, 'offset');
    if (offset !== undefined) versions = versions.slice(offset);
    const top = topOf(req);
    if (top !== undefined) versions = versions.slice(0, top);
    return { status: 200, body: page(req, svc.ctx.baseUrl, versions.map((v) => modelVersionResource(svc, v)), VERSIONS_PAGE_SIZE) };
  }));

  router.add('GET', `${base}/:name/versions/:version`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: 200, body: modelVersionResource(svc, store.requireVersion(req.params['name']!, req.params['version']!)) };
  }));

  router.add('PUT', `${base}/:name/versions/:version`, ARM, armHandler(async (req) => {
    svc.scope.assertWorkspace(req.params);
    const name = checkName(req.params['name']!);
    const version = req.params['version']!;
    if (!VERSION.test(version)) throw badRequest(`The model version '${version}' is not valid: use letters, digits, '.', '-' and '_' (at most 50 characters).`);
    const props = readProperties(req, 'model version');
    const resolved = await resolveVersion(svc, props);
    const result = store.putVersion(name, version, props, resolved, req.principal);
    return { status: result.created ? 201 : 200, body: modelVersionResource(svc, result.version) };
  }));

  router.add('DELETE', `${base}/:name/versions/:version`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: store.deleteVersion(req.params['name']!, req.params['version']!) ? 200 : 204 };
  }));
}

export function modelContainerResource(svc: AzureMlService, container: AssetContainer): Json {
  return {
    id: svc.scope.childId('models', container.name),
    name: container.name,
    type: `${PROVIDER}/workspaces/models`,
    properties: {
      description: null,
      tags: {},
      properties: {},
      isArchived: false,
      ...container.properties,
      latestVersion: latestVersion(container)?.version ?? null,
      nextVersion: nextVersion(container),
    },
    systemData: container.systemData,
  };
}

export function modelVersionResource(svc: AzureMlService, version: AssetVersion): Json {
  return {
    id: `${svc.scope.childId('models', version.name)}/versions/${version.version}`,
    name: version.version,
    type: `${PROVIDER}/workspaces/models/versions`,
    properties: version.properties,
    systemData: version.systemData,
  };
}

/** The version's properties as GET answers them: body checked, modelUri resolved, defaults filled in. */
async function resolveVersion(svc: AzureMlService, props: Json): Promise<Json> {
  checkCommon(props);
  for (const key of ['isAnonymous', 'isArchived']) {
    if (props[key] !== undefined && props[key] !== null && typeof props[key] !== 'boolean') throw badRequest(`properties.${key} must be true or false.`);
  }
  const modelType = props['modelType'] ?? 'custom_model';
  if (typeof modelType !== 'string' || !MODEL_TYPES.some((t) => sameModelType(t, modelType))) {
    throw badRequest(`The model type '${String(modelType)}' is not supported. Supported model types are: ${MODEL_TYPES.join(', ')}.`);
  }
  checkFlavors(props['flavors']);
  const uri = props['modelUri'];
  if (typeof uri !== 'string' || uri.trim() === '') throw badRequest('properties.modelUri is required: the storage location of the model files.');
  const jobName = props['jobName'];
  if (jobName !== undefined && jobName !== null && (typeof jobName !== 'string' || jobName === '')) throw badRequest('properties.jobName must be a job name.');
  const resolved = await resolveModelUri(svc, uri);
  if (typeof jobName === 'string') {
    if (!svc.jobs.has(jobName)) throw badRequest(`properties.jobName: the job '${jobName}' does not exist in workspace '${svc.scope.name}'.`);
    if (resolved.jobName !== undefined && resolved.jobName !== jobName) {
      throw badRequest(`properties.jobName '${jobName}' is not the job of properties.modelUri, which names the job '${resolved.jobName}'.`);
    }
  }
  return {
    description: props['description'] ?? null,
    tags: props['tags'] ?? {},
    properties: props['properties'] ?? {},
    isArchived: props['isArchived'] ?? false,
    isAnonymous: props['isAnonymous'] ?? false,
    flavors: props['flavors'] ?? null,
    jobName: jobName ?? resolved.jobName ?? null,
    modelType,
    modelUri: resolved.modelUri,
  };
}

function sameModelType(a: string, b: string): boolean {
  const norm = (t: string): string => t.toLowerCase().replace(/_/g, '');
  return norm(a) === norm(b);
}

function checkCommon(props: Json): void {
  for (const key of ['tags', 'properties']) {
    const value = props[key];
    if (value === undefined || value === null) continue;
    if (!isObject(value) || Object.values(value).some((v) => v !== null && typeof v !== 'string')) throw badRequest(`properties.${key} must be an object of string values.`);
  }
  const description = props['description'];
  if (description !== undefined && description !== null && typeof description !== 'string') throw badRequest('properties.description must be a string.');
  if (props['isArchived'] !== undefined && props['isArchived'] !== null && typeof props['isArchived'] !== 'boolean') throw badRequest('properties.isArchived must be true or false.');
}

/** `{ "<flavor>": { "data": { "<key>": "<string>" } } }` (FlavorData). */
function checkFlavors(flavors: unknown): void {
  if (flavors === undefined || flavors === null) return;
  if (!isObject(flavors)) throw badRequest('properties.flavors must be an object mapping flavor names to { "data": { ... } }.');
  for (const [flavor, value] of Object.entries(flavors)) {
    if (value === null) continue;
    const data = isObject(value) ? value['data'] : undefined;
    if (!isObject(value) || (data !== undefined && data !== null && (!isObject(data) || Object.values(data).some((v) => v !== null && typeof v !== 'string')))) {
      throw badRequest(`properties.flavors.${flavor} must be { "data": { ... } } with string values.`);
    }
  }
}

function checkName(name: string): string {
  if (!NAME.test(name)) throw badRequest(`The model name '${name}' is not valid: use letters, digits, '.', '-' and '_' (at most 255 characters), starting with a letter, digit or '_'.`);
  return name;
}

/** listViewType, version, description, and the `tags` / `properties` filters (`key1,key2=value2`). */
function filterVersions(versions: AssetVersion[], req: EmulatorRequest): AssetVersion[] {
  const view = listViewTypeOf(req);
  const version = req.query.get('version');
  const description = req.query.get('description');
  const tags = dictionaryFilter(req.query.get('tags'));
  const properties = dictionaryFilter(req.query.get('properties'));
  return versions.filter((v) => {
    const p = v.properties;
    if (!matchesListView(p['isArchived'] === true, view)) return false;
    if (version !== null && v.version !== version) return false;
    if (description !== null && p['description'] !== description) return false;
    return matchesDictionary(p['tags'], tags) && matchesDictionary(p['properties'], properties);
  });
}

type DictionaryFilter = ReadonlyArray<{ readonly key: string; readonly value?: string }>;

function dictionaryFilter(text: string | null): DictionaryFilter {
  if (!text) return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { key: part } : { key: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
    });
}

function matchesDictionary(dictionary: unknown, filter: DictionaryFilter): boolean {
  const own = isObject(dictionary) ? dictionary : {};
  return filter.every(({ key, value }) => key in own && (value === undefined || own[key] === value));
}

function orderVersions(versions: AssetVersion[], orderBy: string | null): AssetVersion[] {
  const text = (orderBy ?? 'createdtime desc').trim().toLowerCase();
  const [field = '', direction = 'asc'] = text.split(/\s+/);
  if (!['asc', 'desc'].includes(direction)) throw unsupportedOrder(orderBy);
  const sign = direction === 'desc' ? -1 : 1;
  const sorted = [...versions];
  if (field === 'createdtime' || field === 'createdat') sorted.sort((a, b) => sign * (a.seq - b.seq));
  else if (field === 'version') sorted.sort((a, b) => sign * a.version.localeCompare(b.version, undefined, { numeric: true }));
  else throw unsupportedOrder(orderBy);
  return sorted;
}

function unsupportedOrder(orderBy: string | null): Error {
  return badRequest(`$orderBy '${orderBy}' is not supported: use 'createdtime desc', 'createdtime asc', 'version desc' or 'version asc'.`);
}

function nonNegative(req: EmulatorRequest, name: string): number | undefined {
  const raw = req.query.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`The ${name} value '${raw}' must be a non-negative integer.`);
  return n;
}

function pageSize(req: EmulatorRequest, name: string, fallback: number): number {
  const n = nonNegative(req, name);
  return n === undefined || n === 0 ? fallback : n;
}
