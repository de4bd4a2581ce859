import { randomUUID } from 'node:crypto';
import type { EmulatorResponse } from '../http/router';

/** A token endpoint failure, answered in Entra ID's OAuth error format. */
export class AadError extends Error {
  constructor(
    readonly status: number,
    /** OAuth error (`invalid_client`, `invalid_request`, ...). */
    readonly error: string,
    /** AADSTS number. */
    readonly code: number,
    description: string,
  ) {
    super(`AADSTS${code}: ${description}`);
  }
}

/** Entra's error body: `error_description` starts with the AADSTS code and ends with trace details. */
export function aadErrorResponse(failure: AadError): EmulatorResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status: failure.status,
    headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
    body: {
      error: failure.error,
      error_description: `${failure.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [failure.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${failure.code}`,
    },
  };
}

const FEDERATION_HELP =
  'Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
const CERTIFICATE_HELP = 'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .';

export const aad = {
  missingParameter: (name: string) =>
    new AadError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrantType: (grantType: string) =>
    new AadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`),
  tenantNotFound: (tenant: string) =>
    new AadError(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
        'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.',
    ),
  applicationNotFound: (clientId: string, tenant: string) =>
    new AadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been ` +
        'installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
    ),
  missingClientCredential: () =>
    new AadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  invalidSecret: (clientId: string) =>
    new AadError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  invalidAssertionType: (type: string) =>
    new AadError(400, 'invalid_request', 50012, `Invalid client assertion type: '${type}'. Expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.`),
  malformedAssertion: () => new AadError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'),
  unregisteredKey: (clientId: string, thumbprint: string) =>
    new AadError(
      401,
      'invalid_client',
      700027,
      'The certificate with identifier used to sign the client assertion is not registered on application. ' +
        `[Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Configured keys for app Id '${clientId}' do not include it.] ${CERTIFICATE_HELP}`,
    ),
  badSignature: () => new AadError(401, 'invalid_client', 700027, `Client assertion failed signature validation. ${CERTIFICATE_HELP}`),
  assertionClientMismatch: () =>
    new AadError(400, 'invalid_client', 700021, `Client assertion application identifier doesn't match 'client_id' parameter. ${CERTIFICATE_HELP}`),
  assertionAudience: (audience: string, expected: string) =>
    new AadError(
      400,
      'invalid_client',
      700212,
      `The audience '${audience}' of the client assertion does not match the token endpoint '${expected}'. ${CERTIFICATE_HELP}`,
    ),
  assertionTimeRange: (now: number, notBefore: number | undefined, expiry: number | undefined) =>
    new AadError(
      400,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${notBefore === undefined ? 'unspecified' : iso(notBefore)}, ` +
        `expiry time of assertion ${expiry === undefined ? 'unspecified' : iso(expiry)}. ${CERTIFICATE_HELP}`,
    ),
  federatedIssuer: (issuer: string) =>
    new AadError(400, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${issuer}'. ${FEDERATION_HELP}`),
  federatedAudience: (audience: string) =>
    new AadError(400, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${audience}'. ${FEDERATION_HELP}`),
  federatedSubject: (subject: string) =>
    new AadError(400, 'invalid_client', 700213, `No matching federated identity record found for presented assertion subject '${subject}'. ${FEDERATION_HELP}`),
  invalidScope: (scope: string) =>
    new AadError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  resourceNotFound: (resource: string, tenant: string) =>
    new AadError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed ` +
        'by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.',
    ),
};

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}
