import type { EmulatorRequest, Router } from '../../http/router';
import type { OnlineEndpointManager } from '../endpoints/manager';
import { endpointResource, ENDPOINT_API_VERSIONS } from '../endpoints/render';
import { checkEndpointName, checkIdentity, objectBody, parseEndpointBody, stringMap } from '../endpoints/validate';
import { armHandler, badRequest } from '../errors';
import { page } from '../resources';
import { WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService } from '../service';

const ARM = { kind: 'arm', apiVersions: ENDPOINT_API_VERSIONS } as const;
const ORDERS = ['CreatedAtDesc', 'CreatedAtAsc', 'UpdatedAtDesc', 'UpdatedAtAsc'];

/** Online endpoints: create/update (LRO), get, list, patch, delete (LRO), keys and tokens. */
export function registerOnlineEndpointRoutes(router: Router, svc: AzureMlService, manager: OnlineEndpointManager): void {
  const base = `${WORKSPACE_ROUTE}/onlineEndpoints`;
  const lros = manager.operations;

  router.add('GET', base, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const name = req.query.get('name');
    const computeType = req.query.get('computeType');
    const tags = req.query.get('tags');
    const properties = req.query.get('properties');
    const endpoints = manager
      .list()
      .filter((e) => name === null || e.name.toLowerCase() === name.toLowerCase())
      .filter((e) => computeType === null || e.computeType.toLowerCase() === computeType.toLowerCase())
      .filter((e) => matchesFilter(e.tags, tags) && matchesFilter(e.properties, properties));
    const order = req.query.get('orderBy') ?? 'CreatedAtDesc';
    if (!ORDERS.includes(order)) throw badRequest(`orderBy must be one of ${ORDERS.join(', ')}, got '${order}'.`);
    const field = order.startsWith('Created') ? 'createdAt' : 'lastModifiedAt';
    const sign = order.endsWith('Desc') ? -1 : 1;
    endpoints.sort((a, b) => sign * a.systemData[field].localeCompare(b.systemData[field]));
    const apiVersion = req.query.get('api-version');
    return { status: 200, body: page(req, svc.ctx.baseUrl, endpoints.map((e) => endpointResource(svc, e, apiVersion)), pageSize(req)) };
  }));

  router.add('GET', `${base}/:endpointName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: 200, body: endpointResource(svc, manager.require(req.params['endpointName']!), req.query.get('api-version')) };
  }));

  router.add('PUT', `${base}/:endpointName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const name = checkEndpointName(req.params['endpointName']!);
    const input = parseEndpointBody(svc, req.json<unknown>());
    const { created, endpoint, operation } = manager.putEndpoint(name, input, req.principal);
    return { status: created ? 201 : 200, headers: lros.headers(operation, req, 'created'), body: endpointResource(svc, endpoint, req.query.get('api-version')) };
  }));

  router.add('PATCH', `${base}/:endpointName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const body = objectBody(req, 'an online endpoint update');
    const operation = manager.patchEndpoint(
      endpoint,
      {
        ...(body['tags'] !== undefined && body['tags'] !== null ? { tags: stringMap(body['tags'], 'tags') } : {}),
        ...(body['identity'] !== undefined && body['identity'] !== null ? { identity: checkIdentity(body['identity']) } : {}),
      },
      req.principal,
    );
    return { status: 202, headers: lros.headers(operation, req, 'accepted') };
  }));

  router.add('DELETE', `${base}/:endpointName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.find(req.params['endpointName']!);
    if (!endpoint) return { status: 204 };
    const operation = manager.deleteEndpoint(endpoint);
    return { status: 202, headers: lros.headers(operation, req, 'accepted') };
  }));

  router.add('POST', `${base}/:endpointName/listKeys`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: 200, body: manager.listKeys(manager.require(req.params['endpointName']!)) };
  }));

  router.add('POST', `${base}/:endpointName/regenerateKeys`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const body = objectBody(req, 'a regenerateKeys request');
    const keyType = ['Primary', 'Secondary'].find((t) => t.toLowerCase() === String(body['keyType'] ?? '').toLowerCase()) as 'Primary' | 'Secondary' | undefined;
    if (!keyType) throw badRequest(`keyType is required: Primary or Secondary, got ${JSON.stringify(body['keyType'] ?? null)}.`);
    const keyValue = body['keyValue'];
    if (keyValue !== undefined && keyValue !== null && (typeof keyValue !== 'string' || keyValue === '')) throw badRequest('keyValue must be a non-empty string.');
    const operation = manager.regenerateKeys(endpoint, keyType, typeof keyValue === 'string' ? keyValue : undefined);
    // RegenerateKeys is polled through Location only (final-state-via: location).
    return { status: 202, headers: lros.headers(operation, req, 'accepted', { asyncOperation: false }) };
  }));

  router.add('POST', `${base}/:endpointName/token`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    return { status: 200, body: manager.token(manager.require(req.params['endpointName']!), req.principal) };
  }));
}

/** `key1,key2=value2`: each key present, with that value when one is given. */
function matchesFilter(dictionary: Record<string, string>, filter: string | null): boolean {
  if (!filter) return true;
  return filter
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .every((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? part in dictionary : dictionary[part.slice(0, eq).trim()] === part.slice(eq + 1).trim();
    });
}

function pageSize(req: EmulatorRequest): number {
  const raw = req.query.get('count');
  if (raw === null) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`count must be a positive integer, got '${raw}'.`);
  return n;
}
