/**
 * Child-process runner (started by tests with the environment of `emulator.connectionEnv(...)`): reads the AzureRM
 * service connection through azure-pipelines-task-lib as a task does, builds the matching @azure/identity
 * credential, gets an ARM token and (optionally) calls ARM with it. Prints one line `RESULT {json}`; never the token.
 *
 *   node identityRunner.js <connectionId>
 *   RUNNER_SCOPE           scope to request (default: <activeDirectoryServiceEndpointResourceId>/.default)
 *   RUNNER_PROBE_PATH      path on the ARM endpoint to GET with the token; the answer's status and error code are reported
 *   RUNNER_ASSERTION_DELAY_MS  wait this long after getting the Azure DevOps OIDC token before presenting it
 *   RUNNER_MI_CLIENT_ID    client id for ManagedIdentityCredential (default: system-assigned)
 */
import { request } from 'node:https';
import { join } from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';

type DevOpsApi = typeof import('azure-devops-node-api');

interface RunnerResult {
  readonly ok: boolean;
  readonly scheme?: string;
  readonly claims?: Record<string, unknown>;
  readonly expiresOnTimestamp?: number;
  readonly probe?: { readonly status: number; readonly code?: string };
  readonly oidcRequests?: number;
  readonly errorName?: string;
  readonly errorMessage?: string;
}

let oidcRequests = 0;

function report(result: RunnerResult): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** The product's azure-devops-node-api (shared/ depends on 15.x; the root copy is tfx-cli's older one). */
function devOpsApi(): DevOpsApi {
  const sharedFolder = join(__dirname, '..', '..', '..', 'shared');
  return require(require.resolve('azure-devops-node-api', { paths: [sharedFolder] })) as DevOpsApi;
}

/** What azure-arm-rest does for workload identity federation: an OIDC token for the connection from Azure DevOps. */
async function azureDevOpsOidcToken(connectionId: string): Promise<string> {
  const api = devOpsApi();
  const accessToken = tl.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken', false)!;
  const collectionUri = tl.getVariable('System.CollectionUri') ?? tl.getVariable('System.TeamFoundationCollectionUri')!;
  const connection = new api.WebApi(collectionUri, api.getHandlerFromToken(accessToken));
  const taskApi = await connection.getTaskApi();
  const response = await taskApi.createOidcToken(
    {},
    tl.getVariable('System.TeamProjectId')!,
    tl.getVariable('System.HostType')!,
    tl.getVariable('System.PlanId')!,
    tl.getVariable('System.JobId')!,
    connectionId,
  );
  oidcRequests++;
  if (!response.oidcToken) throw new Error('Azure DevOps returned no oidcToken');
  const delay = Number(process.env['RUNNER_ASSERTION_DELAY_MS'] ?? 0);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  return response.oidcToken;
}

function credentialFor(connectionId: string, scheme: string): TokenCredential {
  const tenantId = tl.getEndpointAuthorizationParameter(connectionId, 'tenantid', false)!;
  const authorityHost = tl.getEndpointDataParameter(connectionId, 'activeDirectoryAuthority', false)!;
  // MSAL's instance discovery asks login.microsoftonline.com about the authority; a private authority host skips it.
  const options = { authorityHost, disableInstanceDiscovery: true };
  switch (scheme.toLowerCase()) {
    case 'serviceprincipal': {
      const clientId = tl.getEndpointAuthorizationParameter(connectionId, 'serviceprincipalid', false)!;
      if (tl.getEndpointAuthorizationParameter(connectionId, 'authenticationType', true) === 'spnCertificate') {
        const certificate = tl.getEndpointAuthorizationParameter(connectionId, 'servicePrincipalCertificate', false)!;
        return new ClientCertificateCredential(tenantId, clientId, { certificate }, options);
      }
      const secret = tl.getEndpointAuthorizationParameter(connectionId, 'serviceprincipalkey', false)!;
      return new ClientSecretCredential(tenantId, clientId, secret, options);
    }
    case 'workloadidentityfederation': {
      const clientId = tl.getEndpointAuthorizationParameter(connectionId, 'serviceprincipalid', false)!;
      return new ClientAssertionCredential(tenantId, clientId, () => azureDevOpsOidcToken(connectionId), options);
    }
    case 'managedserviceidentity': {
      const clientId = process.env['RUNNER_MI_CLIENT_ID'];
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    }
    default:
      throw new Error(`unsupported scheme ${scheme}`);
  }
}

function probe(url: string, token: string): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const connectionId = process.argv[2];
  if (!connectionId) throw new Error('usage: identityRunner.js <connectionId>');
  const scheme = tl.getEndpointAuthorizationScheme(connectionId, false)!;
  const resource = tl.getEndpointDataParameter(connectionId, 'activeDirectoryServiceEndpointResourceId', false)!;
  const scope = process.env['RUNNER_SCOPE'] ?? `${resource.replace(/\/+$/, '')}/.default`;
  const credential = credentialFor(connectionId, scheme);
  try {
    const token = await credential.getToken(scope);
    if (!token) throw new Error('no token');
    const claims = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const probePath = process.env['RUNNER_PROBE_PATH'];
    const armUrl = tl.getEndpointUrl(connectionId, false)!;
    const probed = probePath ? await probe(new URL(probePath, armUrl).toString(), token.token) : undefined;
    report({
      ok: true,
      scheme,
      claims: { aud: claims['aud'], appid: claims['appid'], tid: claims['tid'], appidacr: claims['appidacr'], iss: claims['iss'] },
      expiresOnTimestamp: token.expiresOnTimestamp,
      ...(probed ? { probe: probed } : {}),
      oidcRequests,
    });
  } catch (error) {
    const e = error as Error;
    report({ ok: false, scheme, errorName: e.name, errorMessage: e.message, oidcRequests });
  }
}

main().catch((error: unknown) => {
  report({ ok: false, errorName: 'RunnerError', errorMessage: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
