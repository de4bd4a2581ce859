import { TaskError } from '../pipeline/errors';
import { stripUrlQueries } from '../pipeline/describeError';
import { redactSecrets } from '../pipeline/secrets';
import { AzureRmConnection, describeConnectionScheme } from './connection';

/** Likely fixes for the Entra sign-in errors users actually hit, by AADSTS code. */
const AADSTS_HINTS: Record<string, string> = {
  AADSTS7000215: "The service principal's secret is wrong: create a new client secret and update the service connection.",
  AADSTS7000222: "The service principal's secret has expired: create a new client secret and update the service connection.",
  AADSTS700016: 'The application (client id) was not found in the tenant: check the tenant id and service principal id of the service connection.',
  AADSTS90002: 'The tenant was not found: check the tenant id of the service connection.',
  AADSTS900023: 'The tenant id is not valid: check the tenant id of the service connection.',
  AADSTS700027: "The certificate was not accepted: upload the certificate's public key to the app registration, or update the certificate in the service connection.",
  AADSTS700024: 'The OIDC token is not valid at this time: check the agent clock and retry the job.',
  AADSTS70021: "No federated credential matches the token: the app registration's federated credential must have the issuer and subject shown on the service connection.",
  AADSTS700211: "The token's issuer has no matching federated credential: check the issuer of the federated credential on the app registration.",
  AADSTS700213: "The token's subject has no matching federated credential: check the subject of the federated credential (sc://<organization>/<project>/<connection name>).",
  AADSTS700223: 'Federated credentials are disabled for this app: enable workload identity federation for it.',
  AADSTS500011: "The token audience (the connection's resource id) is not known in the tenant: check the environment of the service connection.",
  AADSTS50034: 'The account was not found in the tenant: check the tenant id of the service connection.',
  AADSTS53003: 'A Conditional Access policy blocked the sign-in: ask your Entra administrator to exclude the service principal or allow the agent.',
};

const GENERIC_HINT = 'Check the service connection (Project settings > Service connections > Verify) and its identity in Microsoft Entra ID.';

/** The useful part of an identity/MSAL error message: the AADSTS line without trace/correlation ids. */
export function authenticationErrorDetail(error: unknown): { code?: string; detail: string } {
  const raw = error instanceof Error ? error.message : String(error);
  const flat = redactSecrets(stripUrlQueries(raw)).replace(/\s+/g, ' ').trim();
  const match = /(AADSTS\d+)\s*:?\s*(.*?)(?=\s*(Trace ID|Correlation ID|Timestamp):|$)/.exec(flat);
  if (match) {
    return { code: match[1], detail: `${match[1]}: ${match[2].trim()}` };
  }
  // Strip the SDK's "XCredential authentication failed:" prefix: the task names the connection itself.
  const withoutPrefix = flat
    .replace(/^\w+Credential(: | authentication failed: )/, '')
    .replace(/\s*See https:\/\/aka\.ms\/msal\S* for details\.?/, '');
  return { detail: withoutPrefix || 'unknown error' };
}

/**
 * One clear TaskError for a failed sign-in: names the connection and how it signs in, keeps the AADSTS code,
 * suggests the likely fix, and never contains a secret.
 */
export function toAuthenticationTaskError(error: unknown, connection: AzureRmConnection): TaskError {
  const { code, detail } = authenticationErrorDetail(error);
  const who = [
    describeConnectionScheme(connection),
    `tenant ${connection.tenantId}`,
    ...(connection.clientId ? [`client id ${connection.clientId}`] : []),
  ].join(', ');
  let hint = code ? AADSTS_HINTS[code] : undefined;
  if (!hint && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|endpoints_resolution_error|network_error/.test(detail)) {
    hint =
      `Could not reach the sign-in authority ${connection.authorityHost}: check the authority URL of the service connection ` +
      "(its environment) and the agent's network and proxy settings.";
  }
  if (!hint && connection.credential.kind === 'managedIdentity') {
    hint = 'Managed identity only works on an agent running in Azure with that identity assigned to it.';
  }
  return new TaskError(
    `Could not sign in to Azure with the service connection '${connection.id}' (${who}): ${detail.replace(/\.$/, '')}. ${hint ?? GENERIC_HINT}`,
    { cause: error },
  );
}
