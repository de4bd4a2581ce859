import { randomUUID } from 'node:crypto';
import type { EmulatorResponse, Router } from '../http/router';
import type { AccessTokens } from './accessTokens';
import type { Directory } from './directory';

/** The App Service managed identity protocol version MSAL Node (and so @azure/identity) speaks. */
export const APP_SERVICE_MSI_API_VERSION = '2019-08-01';
/** Path of the endpoint on the emulator (App Service serves it at http://127.0.0.1:<port>/MSI/token/). */
export const MANAGED_IDENTITY_PATH = 'MSI/token';

export interface ManagedIdentityOptions {
  readonly router: Router;
  readonly directory: Directory;
  readonly tokens: AccessTokens;
  /** The IDENTITY_HEADER secret the caller must echo in X-IDENTITY-HEADER. */
  readonly identityHeader: string;
}

/**
 * The App Service managed identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER): GET with api-version, resource and
 * optionally client_id/object_id, authenticated by the X-IDENTITY-HEADER secret.
 */
export function registerManagedIdentity(options: ManagedIdentityOptions): void {
  const { directory, tokens } = options;
  options.router.add('GET', `/${MANAGED_IDENTITY_PATH}`, { kind: 'open' }, (req) => {
    if (req.headers['x-identity-header'] !== options.identityHeader) {
      return failure(401, 'The X-IDENTITY-HEADER header is missing or does not match the IDENTITY_HEADER secret of this environment.');
    }
    const apiVersion = req.query.get('api-version');
    if (apiVersion !== APP_SERVICE_MSI_API_VERSION) {
      return failure(400, `The api-version '${apiVersion ?? ''}' is not supported. Supported api-versions: '${APP_SERVICE_MSI_API_VERSION}'.`);
    }
    const identity = directory.managedIdentity;
    const clientId = req.query.get('client_id');
    const objectId = req.query.get('object_id') ?? req.query.get('principal_id');
    if ((clientId && clientId.toLowerCase() !== identity.clientId) || (objectId && objectId.toLowerCase() !== identity.objectId) || req.query.has('mi_res_id')) {
      return failure(400, 'Unable to load the proper Managed Identity. No user-assigned identity matches the requested id.');
    }
    const resource = req.query.get('resource');
    if (!resource) return failure(400, "The 'resource' query parameter is required.");
    if (!tokens.isArmResource(resource)) {
      return failure(
        400,
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${directory.tenantName}. ` +
          'This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.',
        'invalid_resource',
      );
    }
    const issued = tokens.issueFor(identity, resource, '0');
    return {
      status: 200,
      body: {
        access_token: issued.token,
        expires_on: String(Math.floor(issued.expiresOn.getTime() / 1000)),
        resource,
        token_type: 'Bearer',
        client_id: identity.clientId,
      },
    };
  });
}

/** App Service answers failures with statusCode/message (MSAL reads `message` as the description). */
function failure(status: number, message: string, error = status === 401 ? 'unauthorized_client' : 'invalid_request'): EmulatorResponse {
  return { status, body: { statusCode: status, message, correlationId: randomUUID(), error } };
}
