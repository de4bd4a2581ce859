import type { Router } from '../../http/router';
import { latestVersion, nextVersion, validateVersion, type AssetContainer, type AssetVersion, type StoredAssetKind } from '../assets';
import { armHandler, badRequest } from '../errors';
import { dataAssetRef, resolveAsset } from '../jobs/validate';
import { isObject, listViewTypeOf, matchesListView, page, readProperties, topOf, type Json } from '../resources';
import { PROVIDER, WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService } from '../service';

const ARM = { kind: 'arm' } as const;
const KINDS: readonly StoredAssetKind[] = ['codes', 'environments', 'data', 'components'];
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,49}$/;

/** Containers and versions of code, environment, data and component assets. */
export function registerAssetRoutes(router: Router, svc: AzureMlService): void {
  for (const kind of KINDS) {
    const store = svc.assets[kind];
    const base = `${WORKSPACE_ROUTE}/${kind}`;

    router.add('GET', base, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      const view = listViewTypeOf(req);
      const items = store
        .listContainers()
        .filter((c) => matchesListView(c.properties['isArchived'] === true, view))
        .sort((a, b) => b.systemData.createdAt.localeCompare(a.systemData.createdAt))
        .map((c) => containerResource(svc, kind, c));
      return { status: 200, body: page(req, svc.ctx.baseUrl, items, 100) };
    }));

    router.add('GET', `${base}/:name`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      return { status: 200, body: containerResource(svc, kind, store.requireContainer(req.params['name']!)) };
    }));

    router.add('PUT', `${base}/:name`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      const name = checkName(req.params['name']!, store.label);
      const { created, container } = store.putContainer(name, readProperties(req, `${store.label} container`), req.principal);
      return { status: created ? 201 : 200, body: containerResource(svc, kind, container) };
    }));

    router.add('DELETE', `${base}/:name`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      return { status: store.deleteContainer(req.params['name']!) ? 200 : 204 };
    }));

    router.add('GET', `${base}/:name/versions`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      const container = store.container(req.params['name']!);
      let versions = container ? [...container.versions.values()] : [];
      const view = listViewTypeOf(req);
      versions = versions.filter((v) => matchesListView(v.properties['isArchived'] === true, view));
      if (kind === 'data') versions = filterByTags(versions, req.query.get('$tags'));
      versions = orderVersions(versions, req.query.get('$orderBy'));
      const top = topOf(req);
      if (top !== undefined) versions = versions.slice(0, top);
      return { status: 200, body: page(req, svc.ctx.baseUrl, versions.map((v) => versionResource(svc, kind, v)), 100) };
    }));

    router.add('GET', `${base}/:name/versions/:version`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      return { status: 200, body: versionResource(svc, kind, store.requireVersion(req.params['name']!, req.params['version']!)) };
    }));

    router.add('PUT', `${base}/:name/versions/:version`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      const name = checkName(req.params['name']!, store.label);
      const version = req.params['version']!;
      if (!VERSION.test(version)) throw badRequest(`The ${store.label} version '${version}' is not valid: use letters, digits, '.', '-' and '_'.`);
      const props = readProperties(req, `${store.label} version`);
      validateVersion(kind, props);
      if (kind === 'components') checkComponentReferences(svc, props);
      if (kind === 'data') checkDataUri(svc, props);
      const result = store.putVersion(name, version, props, req.principal);
      return { status: result.created ? 201 : 200, body: versionResource(svc, kind, result.version) };
    }));

    router.add('DELETE', `${base}/:name/versions/:version`, ARM, armHandler((req) => {
      svc.scope.assertWorkspace(req.params);
      return { status: store.deleteVersion(req.params['name']!, req.params['version']!) ? 200 : 204 };
    }));
  }
}

function checkName(name: string, label: string): string {
  if (!NAME.test(name)) throw badRequest(`The ${label} name '${name}' is not valid: use letters, digits, '.', '-' and '_' (at most 255 characters), starting with a letter, digit or '_'.`);
  return name;
}

/** A component's environment and code must exist when it is registered. */
function checkComponentReferences(svc: AzureMlService, props: Json): void {
  const spec = props['componentSpec'];
  if (!isObject(spec)) return;
  const env = spec['environment'];
  if (typeof env === 'string') resolveAsset(svc, env, 'environments', 'properties.componentSpec.environment');
  else if (env !== undefined && env !== null) {
    throw badRequest('properties.componentSpec.environment must reference a registered environment (inline environments are registered as anonymous environment versions first).');
  }
  const code = spec['code'];
  if (typeof code === 'string' && !/^(https?|wasbs?):\/\//i.test(code) && !/^azureml:\/\/datastores\//i.test(code)) {
    resolveAsset(svc, code, 'codes', 'properties.componentSpec.code');
  }
}

/** A data version may point at another data asset only if that one exists. */
function checkDataUri(svc: AzureMlService, props: Json): void {
  const uri = props['dataUri'];
  if (typeof uri === 'string' && dataAssetRef(uri)) resolveAsset(svc, uri, 'data', 'properties.dataUri');
}

function filterByTags(versions: AssetVersion[], tags: string | null): AssetVersion[] {
  if (!tags) return versions;
  const wanted = tags.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return versions.filter((v) => {
    const own = isObject(v.properties['tags']) ? v.properties['tags'] : {};
    return wanted.every((w) => {
      const eq = w.indexOf('=');
      return eq < 0 ? w in own : own[w.slice(0, eq)] === w.slice(eq + 1);
    });
  });
}

function orderVersions(versions: AssetVersion[], orderBy: string | null): AssetVersion[] {
  const [field = 'createdtime', direction = 'desc'] = (orderBy ?? 'createdtime desc').trim().toLowerCase().split(/\s+/);
  const sign = direction === 'asc' ? 1 : -1;
  const sorted = [...versions];
  if (field === 'createdtime' || field === 'createdat') sorted.sort((a, b) => sign * (a.seq - b.seq));
  else if (field === 'version') sorted.sort((a, b) => sign * a.version.localeCompare(b.version, undefined, { numeric: true }));
  else throw badRequest(`$orderBy '${orderBy}' is not supported: use 'createdtime desc', 'createdtime asc', 'version desc' or 'version asc'.`);
  return sorted;
}

export function containerResource(svc: AzureMlService, kind: StoredAssetKind, container: AssetContainer): Json {
  const latest = latestVersion(container);
  return {
    id: svc.scope.childId(kind, container.name),
    name: container.name,
    type: `${PROVIDER}/workspaces/${kind}`,
    properties: {
      description: null,
      tags: {},
      properties: {},
      isArchived: false,
      ...container.properties,
      latestVersion: latest?.version ?? null,
      nextVersion: nextVersion(container),
    },
    systemData: container.systemData,
  };
}

export function versionResource(svc: AzureMlService, kind: StoredAssetKind, version: AssetVersion): Json {
  return {
    id: `${svc.scope.childId(kind, version.name)}/versions/${version.version}`,
    name: version.version,
    type: `${PROVIDER}/workspaces/${kind}/versions`,
    properties: { description: null, tags: {}, properties: {}, ...version.properties },
    systemData: version.systemData,
  };
}

