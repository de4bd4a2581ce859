import type { IncomingHttpHeaders } from 'node:http';

/** A request as the emulator's route handlers see it: body already read, path parameters extracted. */
export interface EmulatorRequest {
  readonly method: string;
  readonly url: URL;
  /** Path without query string, percent-decoded per segment. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Path parameters captured by `:name` segments of the matched route. */
  readonly params: Record<string, string>;
  /** The principal behind the bearer token, when the route requires one. */
  readonly principal?: AuthenticatedPrincipal;
  /** Body parsed as JSON; throws an EmulatorHttpError(400) when it is not JSON. */
  json<T = unknown>(): T;
}

export interface AuthenticatedPrincipal {
  readonly clientId: string;
  readonly tenantId: string;
  /** Audience the token was issued for (e.g. the ARM resource id). */
  readonly audience: string;
}

/** What a handler returns. Objects are serialised as JSON; Buffers and strings are sent as-is. */
export interface EmulatorResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export type RouteHandler = (req: EmulatorRequest) => Promise<EmulatorResponse> | EmulatorResponse;

/**
 * How a route is protected and observed:
 * - `arm`: needs an Entra bearer token for the ARM audience, checks api-version, answers errors in the ARM envelope,
 *   and is recorded for validation against the official REST specification.
 * - `dataPlane`: needs an Entra bearer token (Azure ML data plane: MLflow, run history, discovery is open).
 * - `open`: no authentication (token endpoints, metadata, OIDC, the emulator's own endpoints).
 */
export type RouteKind = 'arm' | 'dataPlane' | 'open';

export interface RouteOptions {
  readonly kind: RouteKind;
  /** api-versions accepted by an `arm` route (default: the emulator's ARM api-version, 2022-10-01). */
  readonly apiVersions?: readonly string[];
}

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: RouteHandler;
  readonly options: RouteOptions;
  readonly template: string;
}

export interface RouteMatch {
  readonly handler: RouteHandler;
  readonly options: RouteOptions;
  readonly params: Record<string, string>;
  readonly template: string;
}

/** Error a handler throws to produce a specific HTTP answer (ARM envelope for `arm` routes). */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Minimal path router. Literal segments match case-insensitively, as ARM does for resource provider
 * namespaces and resource types; `:name` captures one segment; a trailing `*name` captures the rest.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, template: string, options: RouteOptions, handler: RouteHandler): void {
    this.routes.push({ method: method.toUpperCase(), segments: splitPath(template), handler, options, template });
  }

  /** Finds the route for a method and path; `methodMismatch` tells a 405 from a 404. */
  match(method: string, path: string): RouteMatch | { methodMismatch: boolean } {
    const segments = splitPath(path);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== method.toUpperCase()) continue;
      return { handler: route.handler, options: route.options, params, template: route.template };
    }
    return { methodMismatch: pathMatched };
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(template: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    if (t.startsWith('*')) {
      params[t.slice(1)] = actual.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    const a = actual[i];
    if (a === undefined) return undefined;
    if (t.startsWith(':')) {
      params[t.slice(1)] = decodeURIComponent(a);
    } else if (t.toLowerCase() !== a.toLowerCase()) {
      return undefined;
    }
  }
  return template.length === actual.length ? params : undefined;
}
