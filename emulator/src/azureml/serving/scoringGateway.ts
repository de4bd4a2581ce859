import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OnlineEndpointManager } from '../endpoints/manager';
import type { DeploymentRecord, EndpointRecord } from '../endpoints/model';
import { isScoringRuntime, type DeploymentRuntime, type ScoringOutcome, type ScoringRequest, type ScoringRuntime } from '../endpoints/runtime';
import { isObject } from '../resources';
import type { AzureMlService } from '../service';
import { MirrorSampler, WeightedRoundRobin } from './trafficSplit';

/** How an Entra token is checked (AADToken endpoints): its audience when valid, undefined otherwise. */
export type EntraTokenCheck = (authorization: string) => { readonly audience: string } | undefined;

/** Scoring requests a deployment answered: through the endpoint's traffic or its header (routed), or copies (mirrored). */
export interface ScoringCounts {
  routed: number;
  mirrored: number;
  /** Routed requests answered with anything but 2xx. */
  failed: number;
}

/** The service's answer when no deployment takes traffic and the request names none. */
const NO_DEPLOYMENT =
  'No valid deployments to route to. Please check that the endpoint has at least one deployment with positive weight values or use a deployment specific header to route.';
const DEPLOYMENT_HEADER = 'azureml-model-deployment';
const AML_AUDIENCES = ['https://ml.azure.com', 'https://ml.azure.com/'];
/** Headers of the caller that stop at the front end (hop-by-hop ones, and the credential). */
const NOT_FORWARDED = new Set(['authorization', 'host', 'connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length']);
/** Headers of the inference server's answer the front end passes back. */
const PASSED_BACK = /^(content-type|x-ms-.*|x-request-id|ms-azureml-.*)$/i;

interface Target {
  readonly endpoint: EndpointRecord;
  /** Path and query on the inference server. */
  readonly path: string;
  readonly operation: 'score' | 'swagger';
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
}

/**
 * The front end of the workspace's online endpoints (azureml-fe): what answers at an endpoint's scoring URI,
 * `https://<endpoint>.<region>.inference.ml.azure.com/score` (managed) or
 * `https://<compute>.<region>.cloudapp.azure.com/api/v1/endpoint/<endpoint>/score` (Kubernetes), and its swagger.json.
 * It checks the endpoint's key or token, picks the deployment (the `azureml-model-deployment` header, else the
 * endpoint's traffic by smooth weighted round-robin), copies the request to a mirror deployment (its answer ignored),
 * and answers as the service does (404 without a deployment, 408/504 after the request timeout, 424/502 when the
 * scoring script fails). A traffic change applies to the next request; requests in flight finish where they are.
 */
export class ScoringGateway {
  private readonly splits = new WeakMap<EndpointRecord, WeightedRoundRobin>();
  private readonly mirrors = new WeakMap<EndpointRecord, MirrorSampler>();
  private readonly counts = new WeakMap<EndpointRecord, Map<string, ScoringCounts>>();
  private readonly managedHost: RegExp;
  private readonly kubernetesHost: RegExp;

  constructor(
    private readonly svc: AzureMlService,
    private readonly manager: OnlineEndpointManager,
    private readonly runtime: DeploymentRuntime,
    private readonly verifyEntraToken?: EntraTokenCheck,
  ) {
    const region = escape(svc.scope.location.toLowerCase());
    this.managedHost = new RegExp(`^([a-z0-9-]+)\\.${region}\\.inference\\.ml\\.azure\\.com$`);
    this.kubernetesHost = new RegExp(`^([a-z0-9-]+)\\.${region}\\.cloudapp\\.azure\\.com$`);
  }

  /** Whether `host` is a scoring host name of the workspace's region (what the proxy tunnels here). */
  servesHost(host: string): boolean {
    const name = host.toLowerCase();
    return this.managedHost.test(name) || this.kubernetesHost.test(name);
  }

  /** Whether the name resolves, as DNS would: an existing managed endpoint, or an attached Kubernetes compute. */
  resolves(host: string): boolean {
    const name = host.toLowerCase();
    const managed = this.managedHost.exec(name);
    if (managed) return this.manager.find(managed[1]!)?.computeType === 'Managed';
    const kubernetes = this.kubernetesHost.exec(name);
    if (!kubernetes) return false;
    const compute = this.svc.findCompute(kubernetes[1]!);
    return isObject(compute?.['properties']) && compute['properties']['computeType'] === 'Kubernetes';
  }

  /** Scoring requests the deployments of an endpoint answered, by deployment name. */
  requestCounts(endpointName: string): Record<string, ScoringCounts> {
    const endpoint = this.manager.find(endpointName);
    const counts = endpoint ? this.counts.get(endpoint) : undefined;
    return counts ? Object.fromEntries([...counts].map(([name, c]) => [name, { ...c }])) : {};
  }

  /** Node request handler of the scoring server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req)
      .catch((error: unknown): Answer => {
        this.svc.ctx.debug(`scoring: ${req.method} ${(req.url ?? '').split('?')[0]} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return message(500, 'An unexpected error occurred in the endpoint front end.');
      })
      .then((answer) => {
        const requestId = header(req, 'x-request-id') ?? answer.headers['x-request-id'] ?? randomUUID();
        const headers: Record<string, string> = { 'x-request-id': requestId, 'x-ms-request-id': header(req, 'x-ms-request-id') ?? requestId, ...answer.headers };
        const clientRequestId = header(req, 'x-ms-client-request-id');
        if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
        headers['content-length'] = String(Buffer.byteLength(answer.body));
        res.writeHead(answer.status, headers);
        res.end(answer.body);
      })
      .catch(() => req.socket.destroy());
  };

  private async serve(req: IncomingMessage): Promise<Answer> {
    const body = await readBody(req);
    const requestId = header(req, 'x-request-id') ?? randomUUID();
    const url = new URL(req.url ?? '/', 'https://scoring.invalid');
    const target = this.target(header(req, 'host') ?? '', url);
    if (!target) return message(404, `No online endpoint answers at ${url.pathname}: use the endpoint's scoringUri or swaggerUri.`);
    const method = (req.method ?? 'GET').toUpperCase();
    const allowed = target.operation === 'score' ? ['POST', 'GET', 'OPTIONS'] : ['GET'];
    if (!allowed.includes(method)) return { ...message(405, 'Method not allowed'), headers: { 'content-type': 'application/json', allow: allowed.join(', ') } };
    const denied = this.authenticate(target.endpoint, header(req, 'authorization'));
    if (denied) return denied;

    const { endpoint } = target;
    const named = header(req, DEPLOYMENT_HEADER);
    let deployment: DeploymentRecord | undefined;
    if (named !== undefined) {
      deployment = endpoint.deployments.get(named.toLowerCase());
      if (!deployment || deployment.provisioningState === 'Deleting') {
        return message(404, `The deployment '${named}' (${DEPLOYMENT_HEADER} header) does not exist on endpoint '${endpoint.name}'.`);
      }
    } else {
      deployment = this.pick(endpoint);
      if (!deployment) return message(404, NO_DEPLOYMENT);
    }

    const forwarded: ScoringRequest = { method, path: target.path, headers: { ...forwardedHeaders(req), 'x-request-id': requestId }, body };
    // Live traffic only: a request that names its deployment is not mirrored.
    if (named === undefined) this.mirror(endpoint, forwarded);
    const counts = this.countsOf(endpoint, deployment.name);
    counts.routed++;
    const scoring = isScoringRuntime(this.runtime) ? this.runtime : undefined;
    const outcome: ScoringOutcome = scoring
      ? await scoring.score(endpoint.name, deployment.name, forwarded)
      : { kind: 'unavailable', reason: 'the deployment runtime does not serve requests' };
    const answer = this.answerFor(endpoint, deployment, outcome);
    if (answer.status < 200 || answer.status >= 300) counts.failed++;
    this.svc.ctx.debug(`scoring: ${method} ${endpoint.name}/${deployment.name}${target.path.split('?')[0]} -> ${answer.status}`);
    return answer;
  }

  /** The endpoint and path a request names: by host (managed) or by host and path (Kubernetes). */
  private target(hostHeader: string, url: URL): Target | undefined {
    const host = hostHeader.replace(/:443$/, '').toLowerCase();
    const operationOf = (path: string): 'score' | 'swagger' | undefined => (path === '/score' ? 'score' : path === '/swagger.json' ? 'swagger' : undefined);
    const managed = this.managedHost.exec(host);
    if (managed) {
      const endpoint = this.manager.find(managed[1]!);
      const operation = operationOf(url.pathname);
      if (!endpoint || endpoint.computeType !== 'Managed' || endpoint.provisioningState === 'Deleting' || !operation) return undefined;
      return { endpoint, operation, path: `${url.pathname}${url.search}` };
    }
    const kubernetes = this.kubernetesHost.exec(host);
    const routed = /^\/api\/v1\/endpoint\/([^/]+)(\/score|\/swagger\.json)$/.exec(url.pathname);
    if (!kubernetes || !routed) return undefined;
    const endpoint = this.manager.find(decodeURIComponent(routed[1]!));
    const compute = (endpoint?.compute ?? '').split('/').pop()!.toLowerCase();
    const operation = operationOf(routed[2]!);
    if (!endpoint || endpoint.computeType !== 'Kubernetes' || compute !== kubernetes[1] || endpoint.provisioningState === 'Deleting' || !operation) return undefined;
    return { endpoint, operation, path: `${routed[2]}${url.search}` };
  }

  /** Key endpoints take either key, AMLToken endpoints a token of their `token` action, AADToken ones an Entra token for Azure ML. */
  private authenticate(endpoint: EndpointRecord, authorization: string | undefined): Answer | undefined {
    const scheme = endpoint.authMode === 'Key' ? 'key' : endpoint.authMode === 'AMLToken' ? 'aml_token' : 'aad_token';
    const credential = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!credential) return text(401, `${scheme}_auth_bad_header_forbidden`);
    let valid: boolean;
    if (endpoint.authMode === 'Key') {
      valid = [endpoint.keys.primaryKey, endpoint.keys.secondaryKey].some((key) => sameSecret(credential, key));
    } else if (endpoint.authMode === 'AMLToken') {
      const expiry = endpoint.issuedTokens.get(digest(credential));
      valid = expiry !== undefined && expiry > Date.now() / 1000;
    } else {
      const audience = this.verifyEntraToken?.(`Bearer ${credential}`)?.audience;
      valid = audience !== undefined && AML_AUDIENCES.includes(audience);
    }
    return valid ? undefined : text(401, `${scheme}_auth_access_denied`);
  }

  /** The next deployment of the live traffic (deployments being deleted take none). */
  private pick(endpoint: EndpointRecord): DeploymentRecord | undefined {
    let split = this.splits.get(endpoint);
    if (!split) this.splits.set(endpoint, (split = new WeightedRoundRobin()));
    const weights = Object.entries(endpoint.traffic)
      .map(([name, percent]) => [endpoint.deployments.get(name.toLowerCase()), percent] as const)
      .filter((entry): entry is readonly [DeploymentRecord, number] => entry[0] !== undefined && entry[0].provisioningState !== 'Deleting')
      .map(([deployment, percent]) => [deployment.name, percent] as const);
    const name = split.pick(weights);
    return name === undefined ? undefined : endpoint.deployments.get(name.toLowerCase());
  }

  /** Copies a live request to the mirror deployment, its share of the time; the answer is ignored. */
  private mirror(endpoint: EndpointRecord, request: ScoringRequest): void {
    const [name, percent] = Object.entries(endpoint.mirrorTraffic).find(([, p]) => p > 0) ?? [];
    if (name === undefined || percent === undefined || !isScoringRuntime(this.runtime)) return;
    let sampler = this.mirrors.get(endpoint);
    if (!sampler) this.mirrors.set(endpoint, (sampler = new MirrorSampler()));
    if (!sampler.take(name, percent)) return;
    const deployment = endpoint.deployments.get(name.toLowerCase());
    if (!deployment || deployment.provisioningState === 'Deleting') return;
    this.countsOf(endpoint, deployment.name).mirrored++;
    const runtime: ScoringRuntime = this.runtime;
    void runtime
      .score(endpoint.name, deployment.name, { ...request, headers: { ...request.headers, 'x-request-id': randomUUID() } })
      .catch((error: unknown) => this.svc.ctx.debug(`scoring: mirrored request to ${endpoint.name}/${deployment.name} failed: ${String(error)}`));
  }

  /** The front end's answer: the inference server's when it answered 2xx, else the service's error for the case. */
  private answerFor(endpoint: EndpointRecord, deployment: DeploymentRecord, outcome: ScoringOutcome): Answer {
    const kubernetes = endpoint.computeType === 'Kubernetes';
    const routing = { 'azureml-model-deployment': deployment.name, 'azureml-model-session': deployment.name };
    switch (outcome.kind) {
      case 'unavailable':
        return { ...text(503, `no healthy upstream (${outcome.reason})`), headers: { 'content-type': 'text/plain', ...routing } };
      case 'disconnected':
        return { ...text(502, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination'), headers: { 'content-type': 'text/plain', ...routing } };
      case 'timeout':
        // Managed: 408 after request_settings.request_timeout_ms; Kubernetes (azureml-fe): 504.
        return { ...text(kubernetes ? 504 : 408, 'upstream request timeout'), headers: { 'content-type': 'text/plain', ...routing } };
      case 'answered': {
        const headers: Record<string, string> = { ...routing };
        for (const [name, value] of Object.entries(outcome.headers)) if (PASSED_BACK.test(name)) headers[name.toLowerCase()] = value;
        if (outcome.status >= 200 && outcome.status < 300) return { status: outcome.status, headers, body: outcome.body };
        if (kubernetes) return { status: outcome.status >= 500 ? 502 : outcome.status, headers, body: outcome.body };
        // Managed: any other answer of the model's container is a 424, with the container's status in headers.
        headers['ms-azureml-model-error-statuscode'] = String(outcome.status);
        headers['ms-azureml-model-error-reason'] = 'model_error';
        return { status: 424, headers, body: outcome.body };
      }
    }
  }

  private countsOf(endpoint: EndpointRecord, deployment: string): ScoringCounts {
    let byDeployment = this.counts.get(endpoint);
    if (!byDeployment) this.counts.set(endpoint, (byDeployment = new Map()));
    let counts = byDeployment.get(deployment);
    if (!counts) byDeployment.set(deployment, (counts = { routed: 0, mirrored: 0, failed: 0 }));
    return counts;
  }
}

/** SHA-256 hex, as endpoints remember the tokens they issued (never the token itself). */
function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(digest(given), 'hex'), Buffer.from(digest(expected), 'hex'));
}

function message(status: number, text: string): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: text }) };
}

function text(status: number, body: string): Answer {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function forwardedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
