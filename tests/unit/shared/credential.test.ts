import * as assert from 'node:assert/strict';

import {
  AzureRmConnection,
  OidcTokenApi,
  TaskError,
  authenticationErrorDetail,
  containsRegisteredSecret,
  createAzureHttpOptions,
  createCredential,
  createOidcAssertionProvider,
  isPublicEntraAuthority,
  toAuthenticationTaskError,
} from '@azureml-mlops/shared';

import { captureStdout, fakeAgent } from './support/fakeAgent';

const jobVariables = {
  'System.CollectionUri': 'https://dev.azure.com/contoso/',
  'System.TeamProjectId': 'project-guid',
  'System.HostType': 'build',
  'System.PlanId': 'plan-guid',
  'System.JobId': 'job-guid',
};

interface OidcCall {
  collectionUri: string;
  accessToken: string;
  args: unknown[];
}

/** A fake Azure DevOps client recording each createOidcToken call; `answers` are consumed in order. */
function fakeDevOps(answers: Array<string | Error>) {
  const calls: OidcCall[] = [];
  const factory = (collectionUri: string, accessToken: string) => ({
    getTaskApi: async (): Promise<OidcTokenApi> => ({
      createOidcToken: async (...args: unknown[]) => {
        calls.push({ collectionUri, accessToken, args });
        const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
        if (answer instanceof Error) throw answer;
        return { oidcToken: answer };
      },
    }),
  });
  return { calls, factory };
}

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

describe('shared/azure/oidc (workload identity federation)', () => {
  const env = fakeAgent({
    variables: jobVariables,
    endpoints: { SYSTEMVSSCONNECTION: { url: 'https://dev.azure.com/contoso/', scheme: 'OAuth', auth: { AccessToken: 'job-access-token' } } },
  });

  it('asks Azure DevOps for a fresh OIDC token on every assertion', async () => {
    const devOps = fakeDevOps(['oidc-token-number-1', 'oidc-token-number-2']);
    const getAssertion = createOidcAssertionProvider('conn-1', { env, devOpsClientFactory: devOps.factory });
    const first = await captureStdout(getAssertion);
    const second = await captureStdout(getAssertion);
    assert.equal(first.result, 'oidc-token-number-1');
    assert.equal(second.result, 'oidc-token-number-2');
    assert.equal(devOps.calls.length, 2, 'one createOidcToken call per assertion');
    assert.deepEqual(devOps.calls[0], {
      collectionUri: 'https://dev.azure.com/contoso/',
      accessToken: 'job-access-token',
      args: [{}, 'project-guid', 'build', 'plan-guid', 'job-guid', 'conn-1'],
    });
    assert.equal(containsRegisteredSecret('oidc-token-number-2'), true, 'tokens are registered as secrets');
  });

  it('retries transient failures', async () => {
    const devOps = fakeDevOps([httpError(503, 'Service Unavailable'), new Error('socket hang up'), 'oidc-after-retries']);
    const getAssertion = createOidcAssertionProvider('conn-1', { env, devOpsClientFactory: devOps.factory, retryDelayMs: 1 });
    assert.equal((await captureStdout(getAssertion)).result, 'oidc-after-retries');
    assert.equal(devOps.calls.length, 3);
  });

  it('does not retry a refusal and says what to check', async () => {
    const devOps = fakeDevOps([httpError(401, 'Unauthorized'), 'never']);
    const getAssertion = createOidcAssertionProvider('conn-1', { env, devOpsClientFactory: devOps.factory, retryDelayMs: 1 });
    const { result: error } = await captureStdout(() => getAssertion().then(() => assert.fail('expected an error'), (e: unknown) => e));
    assert.ok(error instanceof TaskError);
    assert.match(error.message, /Could not get an OIDC token from Azure DevOps for the service connection 'conn-1'.*Unauthorized/);
    assert.match(error.message, /authorized to use the connection/);
    assert.equal(devOps.calls.length, 1);
  });

  it('falls back to System.AccessToken and fails clearly without job variables', async () => {
    const devOps = fakeDevOps(['oidc-from-variable']);
    const withVariable = fakeAgent({ variables: { ...jobVariables, 'System.AccessToken': 'variable-token' } });
    await captureStdout(createOidcAssertionProvider('conn-1', { env: withVariable, devOpsClientFactory: devOps.factory }));
    assert.equal(devOps.calls[0].accessToken, 'variable-token');

    const bare = createOidcAssertionProvider('conn-1', { env: fakeAgent(), devOpsClientFactory: devOps.factory });
    await assert.rejects(bare(), /needs the pipeline variables System\.CollectionUri, System\.TeamProjectId, System\.HostType, System\.PlanId, System\.JobId/);
    const noToken = createOidcAssertionProvider('conn-1', { env: fakeAgent({ variables: jobVariables }), devOpsClientFactory: devOps.factory });
    await assert.rejects(noToken(), /needs the job's access token \(System\.AccessToken\)/);
  });
});

describe('shared/azure/credential', () => {
  const connection: AzureRmConnection = {
    id: 'conn-1',
    inputName: 'azureSubscription',
    scheme: 'ServicePrincipal',
    credential: { kind: 'servicePrincipalSecret', clientSecret: 'sp-secret-value' },
    tenantId: 'tenant-1',
    clientId: 'client-1',
    subscriptionId: 'sub-1',
    armUrl: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    isAdfs: false,
    resourceId: 'https://management.core.windows.net/',
    scope: 'https://management.core.windows.net//.default',
    environment: 'AzureCloud',
    scopeLevel: 'Subscription',
  };

  it('knows the public Entra hosts (instance discovery stays on only for them)', () => {
    assert.equal(isPublicEntraAuthority('https://login.microsoftonline.com'), true);
    assert.equal(isPublicEntraAuthority('https://login.chinacloudapi.cn/'), true);
    assert.equal(isPublicEntraAuthority('https://127.0.0.1:8443'), false);
    assert.equal(isPublicEntraAuthority('https://adfs.local.azurestack.external/adfs'), false);
  });

  it('maps an AADSTS failure to one TaskError with the connection, the code and the fix, never the secret', () => {
    const sdkError = new Error(
      'ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app \'client-1\'. Trace ID: 1 Correlation ID: 2 Timestamp: 2026-01-01 00:00:00Z',
    );
    const error = toAuthenticationTaskError(sdkError, connection);
    assert.ok(error instanceof TaskError);
    assert.match(error.message, /^Could not sign in to Azure with the service connection 'conn-1' \(service principal with a secret, tenant tenant-1, client id client-1\): AADSTS7000215: Invalid client secret provided\./);
    assert.match(error.message, /create a new client secret and update the service connection/);
    assert.doesNotMatch(error.message, /Trace ID|sp-secret-value/);
  });

  it('hints at federated credential mismatches and unreachable authorities', () => {
    const wif = { ...connection, scheme: 'WorkloadIdentityFederation' as const, credential: { kind: 'workloadIdentityFederation' as const } };
    assert.match(
      toAuthenticationTaskError(new Error('AADSTS700213: No matching federated identity record found for presented assertion subject'), wif).message,
      /workload identity federation.*AADSTS700213.*subject of the federated credential/,
    );
    assert.match(toAuthenticationTaskError(new Error('connect ECONNREFUSED 10.0.0.1:443'), connection).message, /Could not reach the sign-in authority https:\/\/login\.microsoftonline\.com/);
    assert.deepEqual(authenticationErrorDetail(new Error('ManagedIdentityCredential: no endpoint')), { detail: 'no endpoint' });
  });

  it('surfaces a sign-in failure from the credential as that TaskError', async () => {
    // An authority nobody listens on: the real ClientSecretCredential fails, the wrapper explains.
    const offline = { ...connection, authorityHost: 'https://127.0.0.1:9' };
    const credential = createCredential(offline, {
      httpOptions: createAzureHttpOptions({ proxy: undefined, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } }),
      env: fakeAgent(),
    });
    const { result: error } = await captureStdout(() => credential.getToken(offline.scope).then(() => assert.fail('expected an error'), (e: unknown) => e));
    assert.ok(error instanceof TaskError, String(error));
    assert.match(error.message, /^Could not sign in to Azure with the service connection 'conn-1' \(service principal with a secret, tenant tenant-1, client id client-1\): .+/);
    assert.match(error.message, /Could not reach the sign-in authority https:\/\/127\.0\.0\.1:9/);
    assert.doesNotMatch(error.message, /sp-secret-value/);
  });
});
