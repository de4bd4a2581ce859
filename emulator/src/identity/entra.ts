import type { EmulatorRequest, EmulatorResponse, Router } from '../http/router';
import { AadError, aad, aadErrorResponse } from './aadErrors';
import type { AccessTokens } from './accessTokens';
import { authenticateClient } from './clientAuthentication';
import type { Directory } from './directory';
import type { SigningKey } from './signingKey';

export interface EntraOptions {
  readonly router: Router;
  /** Emulator URL with trailing slash: the authority host. */
  readonly baseUrl: string;
  readonly directory: Directory;
  readonly tokens: AccessTokens;
  readonly signingKey: SigningKey;
}

/** Tenant-independent names Entra accepts in place of a tenant id in metadata URLs. */
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

/**
 * Entra ID as MSAL Node sees it when its authority host is the emulator: OpenID metadata (v2 and v1), signing keys,
 * instance discovery, and the v2 / v1 token endpoints for the client-credentials grant.
 */
export function registerEntra(options: EntraOptions): void {
  const { router, baseUrl, directory } = options;
  const handle = (handler: (req: EmulatorRequest) => EmulatorResponse) => (req: EmulatorRequest) => {
    try {
      return handler(req);
    } catch (error) {
      if (error instanceof AadError) return aadErrorResponse(error);
      throw error;
    }
  };
  const tenantFor = (req: EmulatorRequest, allowMultiTenant: boolean): string => {
    const tenant = req.params['tenant'] ?? '';
    if (tenant.toLowerCase() === directory.tenantId) return directory.tenantId;
    if (allowMultiTenant && MULTI_TENANT.has(tenant.toLowerCase())) return tenant.toLowerCase();
    throw aad.tenantNotFound(tenant);
  };
  const host = new URL(baseUrl).host;

  router.add('GET', '/:tenant/v2.0/.well-known/openid-configuration', { kind: 'open' }, handle((req) => {
    const tenant = tenantFor(req, true);
    return json(openIdConfiguration(baseUrl, tenant, 'v2.0'));
  }));
  router.add('GET', '/:tenant/.well-known/openid-configuration', { kind: 'open' }, handle((req) => {
    const tenant = tenantFor(req, true);
    return json(openIdConfiguration(baseUrl, tenant, 'v1'));
  }));

  const keys = handle((req) => {
    tenantFor(req, true);
    return json({ keys: [{ ...options.signingKey.jwk, issuer: `${baseUrl}${directory.tenantId}/v2.0` }] });
  });
  router.add('GET', '/:tenant/discovery/v2.0/keys', { kind: 'open' }, keys);
  router.add('GET', '/:tenant/discovery/keys', { kind: 'open' }, keys);

  // Instance discovery (MSAL only asks login.microsoftonline.com for it, but Entra serves it on every authority host).
  router.add('GET', '/:tenant/discovery/instance', { kind: 'open' }, handle((req) => {
    const tenant = tenantFor(req, true);
    return json({
      tenant_discovery_endpoint: `${baseUrl}${tenant === 'common' ? '{tenantid}' : tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }));

  router.add('POST', '/:tenant/oauth2/v2.0/token', { kind: 'open' }, handle((req) => {
    const tenant = tenantFor(req, false);
    const form = formOf(req);
    const { resource, principal, method } = authenticateTokenRequest(options, tenant, form, 'v2.0');
    const issued = options.tokens.issueFor(principal, resource, method);
    return json({ token_type: 'Bearer', expires_in: issued.expiresInSeconds, ext_expires_in: issued.expiresInSeconds, access_token: issued.token }, noStore);
  }));

  router.add('POST', '/:tenant/oauth2/token', { kind: 'open' }, handle((req) => {
    const tenant = tenantFor(req, false);
    const form = formOf(req);
    const { resource, principal, method } = authenticateTokenRequest(options, tenant, form, 'v1');
    const issued = options.tokens.issueFor(principal, resource, method);
    const expiresOn = Math.floor(issued.expiresOn.getTime() / 1000);
    return json(
      {
        token_type: 'Bearer',
        expires_in: String(issued.expiresInSeconds),
        ext_expires_in: String(issued.expiresInSeconds),
        expires_on: String(expiresOn),
        not_before: String(expiresOn - issued.expiresInSeconds),
        resource,
        access_token: issued.token,
      },
      noStore,
    );
  }));
}

const noStore = { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' };

function json(body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status: 200, headers, body };
}

function formOf(req: EmulatorRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'));
}

function authenticateTokenRequest(options: EntraOptions, tenant: string, form: URLSearchParams, endpoint: 'v2.0' | 'v1') {
  const grantType = form.get('grant_type');
  if (!grantType) throw aad.missingParameter('grant_type');
  if (grantType !== 'client_credentials') throw aad.unsupportedGrantType(grantType);
  const clientId = form.get('client_id');
  if (!clientId) throw aad.missingParameter('client_id');

  // The request's shape is checked before the client is authenticated, the resource after it, as Entra does.
  const resource = endpoint === 'v2.0' ? resourceOfScope(form.get('scope')) : resourceParameter(form.get('resource'));
  // Entra accepts either token endpoint, or the tenant's v2 issuer, as a client assertion's audience.
  const tokenEndpoints = [`${options.baseUrl}${tenant}/oauth2/v2.0/token`, `${options.baseUrl}${tenant}/oauth2/token`, `${options.baseUrl}${tenant}/v2.0`];
  const { principal, method } = authenticateClient(
    options.directory,
    {
      clientId,
      ...optional('clientSecret', form.get('client_secret')),
      ...optional('clientAssertion', form.get('client_assertion')),
      ...optional('clientAssertionType', form.get('client_assertion_type')),
    },
    endpoint === 'v2.0' ? tokenEndpoints : [tokenEndpoints[1]!, tokenEndpoints[0]!, tokenEndpoints[2]!],
  );
  if (!options.tokens.isArmResource(resource)) throw aad.resourceNotFound(resource, options.directory.tenantName);
  return { resource, principal, method };
}

/** `<resource>/.default` → resource; OIDC scopes that may accompany it are ignored. */
function resourceOfScope(scope: string | null): string {
  if (!scope) throw aad.missingParameter('scope');
  const scopes = scope.split(/\s+/).filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
  const [first] = scopes;
  if (scopes.length !== 1 || !first || !first.endsWith('/.default')) throw aad.invalidScope(scope);
  return first.slice(0, -'/.default'.length);
}

function resourceParameter(resource: string | null): string {
  if (!resource) throw aad.missingParameter('resource');
  return resource;
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}

/** Entra's OpenID Provider metadata for a tenant (or `common` with the `{tenantid}` placeholder). */
function openIdConfiguration(baseUrl: string, tenant: string, version: 'v2.0' | 'v1'): Record<string, unknown> {
  const t = tenant;
  const issuerTenant = MULTI_TENANT.has(tenant) ? '{tenantid}' : tenant;
  const v = version === 'v2.0' ? '/v2.0' : '';
  const oauth = version === 'v2.0' ? 'oauth2/v2.0' : 'oauth2';
  return {
    token_endpoint: `${baseUrl}${t}/${oauth}/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${baseUrl}${t}/discovery${v}/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: version === 'v2.0' ? `${baseUrl}${issuerTenant}/v2.0` : `https://sts.windows.net/${issuerTenant}/`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${baseUrl}${t}/${oauth}/authorize`,
    device_authorization_endpoint: `${baseUrl}${t}/${oauth}/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${baseUrl}${t}/${oauth}/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver'],
    tenant_region_scope: 'EU',
    cloud_instance_name: new URL(baseUrl).host,
    cloud_graph_host_name: new URL(baseUrl).host,
    msgraph_host: new URL(baseUrl).host,
  };
}
