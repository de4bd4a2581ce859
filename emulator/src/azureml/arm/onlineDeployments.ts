import type { Router } from '../../http/router';
import type { OnlineEndpointManager } from '../endpoints/manager';
import { deploymentResource, ENDPOINT_API_VERSIONS } from '../endpoints/render';
import type { InferenceContainer } from '../endpoints/runtime';
import { checkDeploymentName, MAX_INSTANCE_COUNT, objectBody, parseDeploymentBody, stringMap } from '../endpoints/validate';
import { armHandler, badRequest } from '../errors';
import type { ModelStore } from '../models/store';
import { isObject, page, topOf, type Json } from '../resources';
import { WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService } from '../service';

const ARM = { kind: 'arm', apiVersions: ENDPOINT_API_VERSIONS } as const;
const CONTAINERS: readonly InferenceContainer[] = ['InferenceServer', 'StorageInitializer'];

/** Online deployments: create/update/patch/delete (LROs), get, list, getLogs, listSkus. */
export function registerOnlineDeploymentRoutes(router: Router, svc: AzureMlService, manager: OnlineEndpointManager, models: ModelStore): void {
  const base = `${WORKSPACE_ROUTE}/onlineEndpoints/:endpointName/deployments`;
  const lros = manager.operations;

  router.add('GET', base, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const order = (req.query.get('$orderBy') ?? 'createdtime desc').trim().toLowerCase();
    const [field = '', direction = 'asc'] = order.split(/\s+/);
    if (!['createdtime', 'createdat', 'name'].includes(field) || !['asc', 'desc'].includes(direction)) {
      throw badRequest(`$orderBy '${req.query.get('$orderBy')}' is not supported: use 'createdtime desc', 'createdtime asc', 'name asc' or 'name desc'.`);
    }
    const sign = direction === 'desc' ? -1 : 1;
    let deployments = [...endpoint.deployments.values()].sort((a, b) =>
      sign * (field === 'name' ? a.name.localeCompare(b.name) : a.systemData.createdAt.localeCompare(b.systemData.createdAt)),
    );
    const top = topOf(req);
    if (top !== undefined) deployments = deployments.slice(0, top);
    return { status: 200, body: page(req, svc.ctx.baseUrl, deployments.map((d) => deploymentResource(svc, endpoint, d)), 50) };
  }));

  router.add('GET', `${base}/:deploymentName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    return { status: 200, body: deploymentResource(svc, endpoint, manager.requireDeployment(endpoint, req.params['deploymentName']!)) };
  }));

  router.add('PUT', `${base}/:deploymentName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const name = checkDeploymentName(req.params['deploymentName']!);
    const input = parseDeploymentBody(svc, models, endpoint, name, req.json<unknown>());
    const { created, deployment, operation } = manager.putDeployment(endpoint, name, input, req.principal);
    return { status: created ? 201 : 200, headers: lros.headers(operation, req, 'created'), body: deploymentResource(svc, endpoint, deployment) };
  }));

  router.add('PATCH', `${base}/:deploymentName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const deployment = manager.requireDeployment(endpoint, req.params['deploymentName']!);
    const body = objectBody(req, 'an online deployment update');
    const sku = body['sku'];
    if (sku !== undefined && sku !== null && !isObject(sku)) throw badRequest(`sku must be an object such as { "capacity": 2 } (capacity: the instance count, 1 to ${MAX_INSTANCE_COUNT}).`);
    const operation = manager.patchDeployment(
      endpoint,
      deployment,
      {
        ...(body['tags'] !== undefined && body['tags'] !== null ? { tags: stringMap(body['tags'], 'tags') } : {}),
        ...(isObject(sku) ? { sku } : {}),
      },
      req.principal,
    );
    return { status: 202, headers: lros.headers(operation, req, 'accepted') };
  }));

  router.add('DELETE', `${base}/:deploymentName`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const deployment = endpoint.deployments.get(req.params['deploymentName']!.toLowerCase());
    if (!deployment) return { status: 204 };
    const operation = manager.deleteDeployment(endpoint, deployment);
    return { status: 202, headers: lros.headers(operation, req, 'accepted') };
  }));

  router.add('POST', `${base}/:deploymentName/getLogs`, ARM, armHandler(async (req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    const deployment = manager.requireDeployment(endpoint, req.params['deploymentName']!);
    const body = objectBody(req, 'a getLogs request');
    const container = CONTAINERS.find((c) => c.toLowerCase() === String(body['containerType'] ?? 'InferenceServer').toLowerCase());
    if (!container) throw badRequest(`containerType must be InferenceServer or StorageInitializer, got ${JSON.stringify(body['containerType'])}.`);
    const tail = body['tail'];
    if (tail !== undefined && tail !== null && (typeof tail !== 'number' || !Number.isInteger(tail) || tail < 0)) {
      throw badRequest(`tail must be a non-negative whole number of lines, got ${JSON.stringify(tail)}.`);
    }
    const content = await manager.runtime.logs(endpoint.name, deployment.name, container, typeof tail === 'number' ? tail : undefined);
    return { status: 200, body: { content } };
  }));

  router.add('GET', `${base}/:deploymentName/skus`, ARM, armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const endpoint = manager.require(req.params['endpointName']!);
    manager.requireDeployment(endpoint, req.params['deploymentName']!);
    const skus: Json[] = [
      {
        resourceType: 'Microsoft.MachineLearning.Services/endpoints/deployments',
        sku: { name: 'Default', tier: 'Standard' },
        capacity: { minimum: 1, maximum: MAX_INSTANCE_COUNT, default: 1, scaleType: endpoint.computeType === 'Kubernetes' ? 'Automatic' : 'Manual' },
      },
    ];
    return { status: 200, body: page(req, svc.ctx.baseUrl, skus, 50) };
  }));
}

