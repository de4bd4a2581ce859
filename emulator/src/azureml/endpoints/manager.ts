import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticatedPrincipal } from '../../http/router';
import { badRequest, conflict, notFound } from '../errors';
import type { LongRunningOperation, LongRunningOperations } from '../lro';
import { actorOf, newSystemData, touchSystemData } from '../resources';
import type { AzureMlService } from '../service';
import { isBusy, type DeploymentRecord, type EndpointKeys, type EndpointRecord } from './model';
import { DeploymentFailure, type DeploymentRuntime } from './runtime';
import { checkTraffic, shareOf } from './traffic';
import { instanceCountOf, resolveIdentity, type DeploymentInput, type EndpointInput } from './validate';

/**
 * Online endpoints and their deployments: state, provisioning transitions and their long-running operations.
 * Endpoint operations take `jobStepDelayMs`; a deployment provisions as long as its runtime's `start` takes, and ends
 * Failed (with the runtime's error in its operation status) when `start` rejects.
 */
export class OnlineEndpointManager {
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly svc: AzureMlService,
    readonly operations: LongRunningOperations,
    readonly runtime: DeploymentRuntime,
  ) {}

  list(): EndpointRecord[] {
    return [...this.endpoints.values()];
  }

  find(name: string): EndpointRecord | undefined {
    return this.endpoints.get(name.toLowerCase());
  }

  require(name: string): EndpointRecord {
    const endpoint = this.find(name);
    if (!endpoint) throw notFound(`The online endpoint '${name}' was not found in workspace '${this.svc.scope.name}'.`);
    return endpoint;
  }

  requireDeployment(endpoint: EndpointRecord, name: string): DeploymentRecord {
    const deployment = endpoint.deployments.get(name.toLowerCase());
    if (!deployment) throw notFound(`The online deployment '${name}' was not found on endpoint '${endpoint.name}'.`);
    return deployment;
  }

  /** PUT: creates the endpoint (Creating) or replaces its definition (Updating); traffic rules checked either way. */
  putEndpoint(name: string, input: EndpointInput, principal: AuthenticatedPrincipal | undefined): { created: boolean; endpoint: EndpointRecord; operation: LongRunningOperation } {
    const existing = this.find(name);
    if (existing) {
      assertIdle(existing);
      if (existing.computeType !== input.computeType || (existing.compute ?? '').toLowerCase() !== (input.compute ?? '').toLowerCase()) {
        throw badRequest(`The compute of endpoint '${existing.name}' cannot be changed (it is a ${existing.computeType} endpoint): create another endpoint instead.`);
      }
      checkTraffic(existing, input.traffic, input.mirrorTraffic);
      const properties = mergeProperties(existing.properties, input.properties);
      Object.assign(existing, {
        kind: input.kind ?? existing.kind,
        tags: input.tags,
        authMode: input.authMode,
        description: input.description,
        properties,
        publicNetworkAccess: input.publicNetworkAccess,
        traffic: input.traffic,
        mirrorTraffic: input.mirrorTraffic,
        ...(input.identity ? { identity: resolveIdentity(this.svc, this.svc.scope.childId('onlineEndpoints', existing.name), input.identity) } : {}),
        ...(input.sku ? { sku: input.sku } : {}),
        systemData: touchSystemData(existing.systemData, principal),
      });
      return { created: false, endpoint: existing, operation: this.transition(existing, 'Updating') };
    }
    const id = this.svc.scope.childId('onlineEndpoints', name);
    const endpoint: EndpointRecord = {
      name,
      location: input.location,
      computeType: input.computeType,
      ...(input.compute ? { compute: input.compute } : {}),
      kind: input.kind ?? (input.computeType === 'Kubernetes' ? 'K8S' : 'Managed'),
      tags: input.tags,
      identity: resolveIdentity(this.svc, id, input.identity),
      authMode: input.authMode,
      description: input.description,
      properties: { ...input.properties, 'azureml.onlineendpointid': id.toLowerCase() },
      publicNetworkAccess: input.publicNetworkAccess,
      traffic: input.traffic,
      mirrorTraffic: input.mirrorTraffic,
      ...(input.sku ? { sku: input.sku } : {}),
      provisioningState: 'Creating',
      keys: { primaryKey: input.keys?.primaryKey ?? newKey(), secondaryKey: input.keys?.secondaryKey ?? newKey() },
      issuedTokens: new Map(),
      systemData: newSystemData(principal),
      deployments: new Map(),
    };
    // A new endpoint has no deployments: any traffic it names is refused here.
    checkTraffic(endpoint, input.traffic, input.mirrorTraffic);
    this.endpoints.set(name.toLowerCase(), endpoint);
    return { created: true, endpoint, operation: this.transition(endpoint, 'Creating') };
  }

  /** PATCH (2022-10-01: tags and identity). */
  patchEndpoint(endpoint: EndpointRecord, patch: { tags?: Record<string, string>; identity?: Record<string, unknown> }, principal: AuthenticatedPrincipal | undefined): LongRunningOperation {
    assertIdle(endpoint);
    if (patch.tags) endpoint.tags = patch.tags;
    if (patch.identity) endpoint.identity = resolveIdentity(this.svc, this.svc.scope.childId('onlineEndpoints', endpoint.name), patch.identity);
    endpoint.systemData = touchSystemData(endpoint.systemData, principal);
    return this.transition(endpoint, 'Updating');
  }

  /** DELETE: the endpoint and every deployment it has (their provisioning is aborted and their runtime stopped). */
  deleteEndpoint(endpoint: EndpointRecord): LongRunningOperation {
    assertIdle(endpoint);
    endpoint.provisioningState = 'Deleting';
    for (const deployment of endpoint.deployments.values()) {
      deployment.provisioning?.abort(new Error('the endpoint is being deleted'));
      deployment.provisioningState = 'Deleting';
    }
    const operation = this.operations.start('oe');
    this.after(async () => {
      await Promise.all([...endpoint.deployments.values()].map((d) => this.runtime.stop(endpoint.name, d.name)));
      this.endpoints.delete(endpoint.name.toLowerCase());
      this.operations.succeed(operation);
    });
    return operation;
  }

  /** A new primary or secondary key (or the value given). */
  regenerateKeys(endpoint: EndpointRecord, keyType: 'Primary' | 'Secondary', keyValue: string | undefined): LongRunningOperation {
    requireAuthMode(endpoint, 'Key', 'keys exist only for endpoints with authMode Key');
    assertIdle(endpoint);
    const field: keyof EndpointKeys = keyType === 'Primary' ? 'primaryKey' : 'secondaryKey';
    // azure-ai-ml sends the current key as keyValue: regenerating means a new key unless another value is asked for.
    endpoint.keys[field] = keyValue && keyValue !== endpoint.keys[field] ? keyValue : newKey();
    return this.transition(endpoint, 'Updating');
  }

  listKeys(endpoint: EndpointRecord): EndpointKeys {
    requireAuthMode(endpoint, 'Key', 'keys exist only for endpoints with authMode Key');
    return { ...endpoint.keys };
  }

  /** An Azure ML token for an AMLToken endpoint (the token action), valid for the configured access-token lifetime. */
  token(endpoint: EndpointRecord, principal: AuthenticatedPrincipal | undefined): { accessToken: string; tokenType: string; expiryTimeUtc: number; refreshAfterTimeUtc: number } {
    requireAuthMode(endpoint, 'AMLToken', 'a token is issued only for endpoints with authMode AMLToken (use listKeys for Key, an Entra token for AADToken)');
    const lifetime = this.svc.ctx.config.accessTokenLifetimeSeconds;
    const issued = this.svc.ctx.tokens.issue(actorOf(principal).name, 'https://ml.azure.com', lifetime);
    const expiry = Math.floor(issued.expiresOn.getTime() / 1000);
    // The scoring URI accepts the tokens its endpoint issued, until they expire.
    for (const [digested, expires] of endpoint.issuedTokens) if (expires <= Date.now() / 1000) endpoint.issuedTokens.delete(digested);
    endpoint.issuedTokens.set(digest(issued.token), expiry);
    return { accessToken: issued.token, tokenType: 'Bearer', expiryTimeUtc: expiry, refreshAfterTimeUtc: expiry - Math.floor(lifetime / 2) };
  }

  /** PUT of a deployment: created (Creating) or replaced (Updating), then provisioned by the runtime. */
  putDeployment(endpoint: EndpointRecord, name: string, input: DeploymentInput, principal: AuthenticatedPrincipal | undefined): { created: boolean; deployment: DeploymentRecord; operation: LongRunningOperation } {
    assertAcceptsDeployments(endpoint);
    const existing = endpoint.deployments.get(name.toLowerCase());
    if (existing) {
      assertIdle(existing, endpoint);
      const before = String(existing.properties['instanceType']).toLowerCase();
      if (before !== String(input.properties['instanceType']).toLowerCase()) {
        throw badRequest(
          `The instance type of deployment '${existing.name}' cannot be changed (from ${String(existing.properties['instanceType'])} to ${String(input.properties['instanceType'])}): create a new deployment with the new instance type.`,
        );
      }
      Object.assign(existing, {
        kind: input.kind ?? existing.kind,
        tags: input.tags,
        sku: input.sku,
        properties: { ...input.properties, properties: mergeProperties(stringRecord(existing.properties['properties']), stringRecord(input.properties['properties'])) },
        spec: { ...input.spec, endpointName: endpoint.name, deploymentName: existing.name },
        ...(input.identity ? { identity: input.identity } : {}),
        systemData: touchSystemData(existing.systemData, principal),
      });
      return { created: false, deployment: existing, operation: this.provision(existing, 'Updating') };
    }
    const deployment: DeploymentRecord = {
      name,
      endpointName: endpoint.name,
      computeType: endpoint.computeType,
      location: input.location,
      kind: input.kind ?? endpoint.computeType,
      tags: input.tags,
      sku: input.sku,
      ...(input.identity ? { identity: input.identity } : {}),
      properties: input.properties,
      provisioningState: 'Creating',
      spec: input.spec,
      systemData: newSystemData(principal),
    };
    endpoint.deployments.set(name.toLowerCase(), deployment);
    return { created: true, deployment, operation: this.provision(deployment, 'Creating') };
  }

  /** PATCH of a deployment (2022-10-01: tags and sku, i.e. the instance count). */
  patchDeployment(endpoint: EndpointRecord, deployment: DeploymentRecord, patch: { tags?: Record<string, string>; sku?: Record<string, unknown> }, principal: AuthenticatedPrincipal | undefined): LongRunningOperation {
    assertAcceptsDeployments(endpoint);
    assertIdle(deployment, endpoint);
    if (patch.tags) deployment.tags = patch.tags;
    let scaling = false;
    if (patch.sku) {
      const capacity = patch.sku['capacity'] === undefined ? deployment.spec.instanceCount : instanceCountOf(patch.sku['capacity'], 'sku.capacity');
      scaling = capacity !== deployment.spec.instanceCount;
      deployment.sku = { ...deployment.sku, ...patch.sku, capacity };
      deployment.spec = { ...deployment.spec, instanceCount: capacity };
    }
    deployment.systemData = touchSystemData(deployment.systemData, principal);
    return this.provision(deployment, scaling ? 'Scaling' : 'Updating');
  }

  /** DELETE of a deployment: refused while it takes live or mirrored traffic, as the service does. */
  deleteDeployment(endpoint: EndpointRecord, deployment: DeploymentRecord): LongRunningOperation {
    assertIdle(endpoint);
    if (deployment.provisioningState === 'Deleting') assertIdle(deployment, endpoint);
    const live = shareOf(endpoint.traffic, deployment.name);
    const mirrored = shareOf(endpoint.mirrorTraffic, deployment.name);
    if (live > 0 || mirrored > 0) {
      throw badRequest(
        `The deployment '${deployment.name}' cannot be deleted: it takes ${live > 0 ? `${live}% of the live traffic` : `${mirrored}% of mirrored traffic`} of endpoint '${endpoint.name}'. ` +
          `Update the endpoint's ${live > 0 ? 'traffic' : 'mirrorTraffic'} to send it none (0), then delete it.`,
      );
    }
    deployment.provisioning?.abort(new Error('the deployment is being deleted'));
    deployment.provisioningState = 'Deleting';
    const operation = this.operations.start('od');
    this.after(async () => {
      await this.runtime.stop(endpoint.name, deployment.name);
      endpoint.deployments.delete(deployment.name.toLowerCase());
      // Zero entries naming it would make the endpoint's next PUT (of what GET answered) name a missing deployment.
      endpoint.traffic = withoutDeployment(endpoint.traffic, deployment.name);
      endpoint.mirrorTraffic = withoutDeployment(endpoint.mirrorTraffic, deployment.name);
      this.operations.succeed(operation);
    });
    return operation;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const endpoint of this.endpoints.values()) for (const deployment of endpoint.deployments.values()) deployment.provisioning?.abort(new Error('the emulator is stopping'));
    await this.runtime.stopAll();
  }

  /** The endpoint moves to a busy state now and back to Succeeded (its operation with it) after the step delay. */
  private transition(endpoint: EndpointRecord, state: 'Creating' | 'Updating'): LongRunningOperation {
    endpoint.provisioningState = state;
    const operation = this.operations.start('oe');
    this.after(() => {
      if (endpoint.provisioningState === state) endpoint.provisioningState = 'Succeeded';
      this.operations.succeed(operation);
    });
    return operation;
  }

  private provision(deployment: DeploymentRecord, state: 'Creating' | 'Updating' | 'Scaling'): LongRunningOperation {
    deployment.provisioningState = state;
    const operation = this.operations.start('od');
    const controller = new AbortController();
    deployment.provisioning = controller;
    const settled = (): boolean => controller.signal.aborted || this.stopped;
    this.runtime.start(deployment.spec, controller.signal).then(
      () => {
        if (settled()) return;
        deployment.provisioning = undefined;
        deployment.provisioningState = 'Succeeded';
        this.operations.succeed(operation);
      },
      (error: unknown) => {
        if (settled()) return;
        deployment.provisioning = undefined;
        deployment.provisioningState = 'Failed';
        const failure = error instanceof DeploymentFailure ? error : new DeploymentFailure(error instanceof Error ? error.message : String(error));
        this.svc.ctx.debug(`azureml: deployment ${deployment.endpointName}/${deployment.name} failed: ${failure.code}`);
        this.operations.fail(operation, { code: failure.code, message: failure.message });
      },
    );
    return operation;
  }

  private after(action: () => void | Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      Promise.resolve()
        .then(action)
        .catch((error: unknown) => this.svc.ctx.debug(`azureml: endpoint operation failed: ${error instanceof Error ? error.message : String(error)}`));
    }, this.svc.ctx.config.jobStepDelayMs);
    timer.unref();
    this.timers.add(timer);
  }
}

/** Another operation while one runs is refused, with the state it is in (clients retry after the running one ends). */
function assertIdle(resource: EndpointRecord | DeploymentRecord, endpoint?: EndpointRecord): void {
  if (!isBusy(resource.provisioningState)) return;
  const what = endpoint ? `online deployment '${resource.name}' of endpoint '${endpoint.name}'` : `online endpoint '${resource.name}'`;
  throw conflict(`The ${what} is currently in state ${resource.provisioningState}: another operation on it is in progress. Wait for it to finish, then retry.`);
}

/** Deployments can be added or changed once the endpoint exists, and not while it is being deleted. */
function assertAcceptsDeployments(endpoint: EndpointRecord): void {
  if (endpoint.provisioningState === 'Creating' || endpoint.provisioningState === 'Deleting') {
    throw conflict(`The online endpoint '${endpoint.name}' is currently in state ${endpoint.provisioningState}: its deployments cannot be changed until that operation has finished.`);
  }
}

function requireAuthMode(endpoint: EndpointRecord, mode: EndpointRecord['authMode'], why: string): void {
  if (endpoint.authMode !== mode) throw badRequest(`The online endpoint '${endpoint.name}' uses authMode ${endpoint.authMode}: ${why}.`);
}

/** "Properties can be added, but not removed or altered." */
function mergeProperties(existing: Record<string, string>, given: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(given)) {
    if (key in existing && existing[key] !== value) throw badRequest(`properties.properties.${key} cannot be changed once set (it is '${existing[key]}'): properties can be added, not altered or removed.`);
  }
  return { ...existing, ...given };
}

function stringRecord(value: unknown): Record<string, string> {
  return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {};
}

function withoutDeployment(shares: Record<string, number>, deployment: string): Record<string, number> {
  return Object.fromEntries(Object.entries(shares).filter(([name]) => name.toLowerCase() !== deployment.toLowerCase()));
}

/** Tokens are remembered by digest, never as such. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function newKey(): string {
  return randomBytes(24).toString('base64url');
}
