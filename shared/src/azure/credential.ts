import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from '@azure/identity';

import { AgentEnvironment, taskLibEnvironment } from '../pipeline/agentEnvironment';
import { isAbortError, TaskError } from '../pipeline/errors';
import { toAuthenticationTaskError } from './authErrors';
import { AzureRmConnection } from './connection';
import { AzureHttpOptions, credentialClientOptions } from './httpPolicies';
import { createOidcAssertionProvider, DevOpsClientFactory } from './oidc';

/** Entra hosts MSAL knows; for any other authority (Azure Stack, a private cloud) instance discovery is off. */
export const PUBLIC_ENTRA_HOSTS: ReadonlySet<string> = new Set([
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
  'login.microsoftonline.us',
  'login.usgovcloudapi.net',
  'login-us.microsoftonline.com',
]);

export function isPublicEntraAuthority(authorityHost: string): boolean {
  try {
    return PUBLIC_ENTRA_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    return false;
  }
}

export interface CredentialDependencies {
  readonly httpOptions: AzureHttpOptions;
  readonly env?: AgentEnvironment;
  /** Azure DevOps client used for workload identity federation (default: azure-devops-node-api WebApi). */
  readonly devOpsClientFactory?: DevOpsClientFactory;
  /** OIDC token attempts and first retry delay (defaults 3 and 2 s). */
  readonly oidcAttempts?: number;
  readonly oidcRetryDelayMs?: number;
}

/** Options every identity credential gets: the connection's authority, our HTTP settings. */
function identityOptions(connection: AzureRmConnection, deps: CredentialDependencies) {
  return {
    ...credentialClientOptions(deps.httpOptions, connection.authorityHost),
    authorityHost: connection.authorityHost,
    // MSAL would otherwise ask login.microsoftonline.com to validate a sovereign or private authority.
    disableInstanceDiscovery: !isPublicEntraAuthority(connection.authorityHost),
  };
}

/**
 * A TokenCredential for the connection's scheme. Sign-in failures surface as one TaskError naming the connection
 * and the likely fix (see authErrors.ts); aborts pass through unchanged.
 */
export function createCredential(connection: AzureRmConnection, deps: CredentialDependencies): TokenCredential {
  const options = identityOptions(connection, deps);
  let inner: TokenCredential;
  let assertionFailure: TaskError | undefined;
  switch (connection.credential.kind) {
    case 'servicePrincipalSecret':
      inner = new ClientSecretCredential(connection.tenantId, connection.clientId as string, connection.credential.clientSecret, options);
      break;
    case 'servicePrincipalCertificate':
      // The PEM stays in memory: identity accepts its contents, so nothing is written to disk.
      inner = new ClientCertificateCredential(
        connection.tenantId,
        connection.clientId as string,
        { certificate: connection.credential.certificatePem },
        options,
      );
      break;
    case 'workloadIdentityFederation': {
      const getOidcToken = createOidcAssertionProvider(connection.id, {
        env: deps.env ?? taskLibEnvironment,
        devOpsClientFactory: deps.devOpsClientFactory,
        attempts: deps.oidcAttempts,
        retryDelayMs: deps.oidcRetryDelayMs,
        proxy: deps.httpOptions.proxy,
      });
      // MSAL wraps errors thrown by the assertion callback; keep ours to report it as is.
      const getAssertion = async (): Promise<string> => {
        try {
          return await getOidcToken();
        } catch (error) {
          if (error instanceof TaskError) assertionFailure = error;
          throw error;
        }
      };
      inner = new ClientAssertionCredential(connection.tenantId, connection.clientId as string, getAssertion, options);
      break;
    }
    case 'managedIdentity': {
      // The identity endpoint is local to the machine (IMDS, App Service): never through the agent proxy.
      const { proxyOptions: _proxy, ...local } = options as typeof options & { proxyOptions?: unknown };
      void _proxy;
      inner = connection.clientId
        ? new ManagedIdentityCredential({ ...local, clientId: connection.clientId })
        : new ManagedIdentityCredential(local);
      break;
    }
  }
  return {
    async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
      assertionFailure = undefined;
      try {
        const token = await inner.getToken(scopes, getTokenOptions);
        if (!token) throw new Error('no access token was returned');
        return token;
      } catch (error) {
        if (assertionFailure) throw assertionFailure;
        if (error instanceof TaskError || isAbortError(error)) throw error;
        throw toAuthenticationTaskError(error, connection);
      }
    },
  };
}
