import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedExchange } from '../api';
import { armErrorBody, armResourceType, isArmPath } from './armErrors';
import { FaultInjector, faultStatusBody } from './faults';
import { EmulatorHttpError, type AuthenticatedPrincipal, type EmulatorRequest, type EmulatorResponse, type RouteKind, type Router } from './router';
import { recordableBody, TrafficRecorder } from './traffic';

/** Outcome of checking a request's bearer token. */
export type BearerCheck =
  | { readonly ok: true; readonly principal: AuthenticatedPrincipal }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly wwwAuthenticate: string };

export interface ServerOptions {
  readonly router: Router;
  readonly faults: FaultInjector;
  readonly traffic: TrafficRecorder;
  readonly tls: { readonly certificatePem: string; readonly privateKeyPem: string };
  /** Validates the Authorization header of an `arm` or `dataPlane` request. */
  readonly authenticate: (authorization: string | undefined, kind: 'arm' | 'dataPlane') => BearerCheck;
  /** api-versions an `arm` route accepts when it does not name its own. */
  readonly defaultApiVersions: readonly string[];
  /** Location ARM names in NoRegisteredProviderFound. */
  readonly location: string;
  readonly debug: (message: string) => void;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** What the traffic log keeps (the handler's object before serialisation, when there is one). */
  readonly recordedBody: unknown;
}

const GENERIC_500 = 'The server encountered an internal error. Please retry the request.';

/**
 * The emulator's HTTPS endpoint: records each exchange, applies fault rules, enforces what the route kind requires
 * (bearer token, api-version) and turns handler errors into the answers the real service gives.
 */
export class EmulatorServer {
  private readonly server: Server;

  constructor(private readonly options: ServerOptions) {
    this.server = createServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // Only reached if answering itself failed (e.g. the client went away): nothing left to send.
        options.debug(`answering ${req.method} ${safePath(req.url)} failed: ${describe(error)}`);
        req.socket.destroy();
      });
    });
  }

  /** Listens on a free port of 127.0.0.1 and returns the base URL (with trailing slash). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = requestUrl(req);
    const match = matchRoute(this.options.router, method, url.pathname);
    const route = match && 'handler' in match ? match : undefined;
    const kind: RouteKind = route ? route.options.kind : isArmPath(url.pathname) ? 'arm' : 'open';
    const requestHeaders = flattenHeaders(req.headers);
    const record = (answer: Answer | { status: 0; headers: Record<string, string>; recordedBody: undefined }): void => {
      const exchange: RecordedExchange = {
        method,
        url: url.toString(),
        routeTemplate: route?.template ?? '',
        kind,
        requestHeaders,
        requestBody: recordableBody(body, req.headers['content-type']),
        status: answer.status,
        responseHeaders: answer.headers,
        responseBody: answer.recordedBody,
      };
      this.options.traffic.record(exchange);
    };

    const fault = this.options.faults.take(method, url.pathname);
    if (fault?.type === 'drop') {
      this.options.debug(`${method} ${url.pathname} -> dropped (fault)`);
      record({ status: 0, headers: {}, recordedBody: undefined });
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'delay') await sleep(fault.delayMs);

    let response: EmulatorResponse;
    if (fault?.type === 'status') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
      response = { status: fault.status, headers, body: faultStatusBody(fault.status) };
    } else if (!match) {
      response = { status: 400, body: armErrorBody('InvalidUri', `The request URI '${url.pathname}' is not valid: a segment is not percent-encoded correctly.`) };
    } else {
      response = await this.dispatch(method, url, req, body, kind, match);
    }

    const answer = serialise(response, requestHeaders);
    this.options.debug(`${method} ${url.pathname} -> ${answer.status}`);
    record(answer);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private async dispatch(
    method: string,
    url: URL,
    req: IncomingMessage,
    body: Buffer,
    kind: RouteKind,
    match: ReturnType<Router['match']>,
  ): Promise<EmulatorResponse> {
    try {
      let principal: AuthenticatedPrincipal | undefined;
      if (kind !== 'open') {
        const check = this.options.authenticate(req.headers.authorization, kind);
        if (!check.ok) {
          return { status: 401, headers: { 'WWW-Authenticate': check.wwwAuthenticate }, body: armErrorBody(check.code, check.message) };
        }
        principal = check.principal;
      }
      const apiVersion = queryValue(url.searchParams, 'api-version');
      if (kind === 'arm' && apiVersion === undefined) {
        throw new EmulatorHttpError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
      }

      if (!('handler' in match)) {
        throw notRouted(method, url.pathname, kind, apiVersion, match.methodMismatch);
      }
      if (kind === 'arm') {
        const supported = match.options.apiVersions ?? this.options.defaultApiVersions;
        if (!supported.includes(apiVersion!)) throw this.unsupportedApiVersion(method, url.pathname, apiVersion!, supported);
      }

      const request: EmulatorRequest = {
        method,
        url,
        path: decodePath(url.pathname),
        query: url.searchParams,
        headers: req.headers,
        body,
        params: match.params,
        ...(principal ? { principal } : {}),
        json: <T>() => parseJson<T>(body),
      };
      return await match.handler(request);
    } catch (error) {
      if (error instanceof EmulatorHttpError) {
        return { status: error.status, headers: error.headers, body: armErrorBody(error.code, error.message) };
      }
      this.options.debug(`${method} ${url.pathname} failed: ${describe(error, true)}`);
      return { status: 500, body: armErrorBody('InternalServerError', GENERIC_500) };
    }
  }

  /** ARM's answer for an api-version the resource type does not support, listing the ones it does. */
  private unsupportedApiVersion(method: string, path: string, apiVersion: string, supported: readonly string[]): EmulatorHttpError {
    const versions = supported.join(', ');
    const resource = armResourceType(method, path);
    if (!resource) {
      return new EmulatorHttpError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '${versions}'.`);
    }
    return new EmulatorHttpError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${this.options.location}' and API version '${apiVersion}' for type '${resource.type}'. ` +
        `The supported api-versions are '${versions}'. The supported locations are '${this.options.location}'.`,
    );
  }
}

function notRouted(method: string, path: string, kind: RouteKind, apiVersion: string | undefined, methodMismatch: boolean): EmulatorHttpError {
  if (methodMismatch) {
    return new EmulatorHttpError(405, 'MethodNotAllowed', `The requested resource does not support http method '${method}'.`);
  }
  if (kind === 'arm') {
    const resource = armResourceType(method, path);
    if (resource) {
      return new EmulatorHttpError(
        404,
        'InvalidResourceType',
        `The resource type '${resource.type}' could not be found in the namespace '${resource.namespace}' for api version '${apiVersion}'.`,
      );
    }
  }
  return new EmulatorHttpError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`);
}

function serialise(response: EmulatorResponse, requestHeaders: Record<string, string>): Answer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
  // ARM answers every request with its own request id and the caller's correlation id (a new one when none was sent).
  headers['x-ms-request-id'] ??= randomUUID();
  headers['x-ms-correlation-request-id'] ??= requestHeaders['x-ms-correlation-request-id'] ?? randomUUID();
  const clientRequestId = requestHeaders['x-ms-client-request-id'];
  if (clientRequestId && headers['x-ms-client-request-id'] === undefined) headers['x-ms-client-request-id'] = clientRequestId;

  let bytes: Buffer;
  let recordedBody: unknown;
  const body = response.body;
  if (body === undefined || body === null) {
    bytes = Buffer.alloc(0);
    recordedBody = undefined;
  } else if (Buffer.isBuffer(body)) {
    bytes = body;
    headers['content-type'] ??= 'application/octet-stream';
    recordedBody = recordableBody(body, headers['content-type']);
  } else if (typeof body === 'string') {
    bytes = Buffer.from(body, 'utf8');
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    recordedBody = recordableBody(bytes, headers['content-type']);
  } else {
    const json = JSON.stringify(body);
    bytes = Buffer.from(json, 'utf8');
    headers['content-type'] ??= 'application/json; charset=utf-8';
    // A copy, so that a handler mutating its state object later does not rewrite history.
    recordedBody = JSON.parse(json) as unknown;
  }
  headers['content-length'] = String(bytes.length);
  return { status: response.status, headers, body: bytes, recordedBody };
}

/** The route for a request; undefined when the path cannot be decoded (a malformed percent-encoding). */
function matchRoute(router: Router, method: string, pathname: string): ReturnType<Router['match']> | undefined {
  try {
    return router.match(method, pathname);
  } catch {
    return undefined;
  }
}

/** The URL the client asked for (its Host header), or on 127.0.0.1 when that header is unusable. */
function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', `https://${req.headers.host ?? '127.0.0.1'}`);
  } catch {
    return new URL(req.url ?? '/', 'https://127.0.0.1');
  }
}

function parseJson<T>(body: Buffer): T {
  try {
    if (body.length === 0) throw new Error('The request body is empty.');
    return JSON.parse(body.toString('utf8')) as T;
  } catch (error) {
    throw new EmulatorHttpError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : String(error)}'.`,
    );
  }
}

function decodePath(pathname: string): string {
  try {
    return pathname
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/');
  } catch {
    throw new EmulatorHttpError(400, 'InvalidUri', `The request URI '${pathname}' is not valid.`);
  }
}

/** Query parameter names are case-insensitive for ARM. */
function queryValue(query: URLSearchParams, name: string): string | undefined {
  for (const [key, value] of query) if (key.toLowerCase() === name) return value;
  return undefined;
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Path only: query strings may carry secrets and are never logged. */
function safePath(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

function describe(error: unknown, withStack = false): string {
  if (error instanceof Error) return withStack && error.stack ? error.stack : error.message;
  return String(error);
}
