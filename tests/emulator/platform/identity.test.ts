import * as assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, verify, type JsonWebKey } from 'node:crypto';
import type { Emulator } from '@azureml-mlops/emulator';
import jwt from 'jsonwebtoken';
import { dedicatedEmulator } from '../../support/emulatorFixture';
import { emulatorRequest, jwtClaims, tokenRequest, workspacePath } from '../../support/emulatorHttp';
import { runNodeScript } from '../../support/nodeRunner';

interface IdentityResult {
  readonly ok: boolean;
  readonly claims?: { aud: string; appid: string; tid: string; appidacr: string; iss: string };
  readonly expiresOnTimestamp?: number;
  readonly probe?: { status: number; code?: string };
  readonly oidcRequests?: number;
  readonly errorName?: string;
  readonly errorMessage?: string;
}

interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
}

function runIdentity(env: Record<string, string>, connectionId: string, extra: Record<string, string> = {}) {
  return runNodeScript<IdentityResult>('identityRunner.js', { ...env, ...extra }, [connectionId]);
}

/** A client assertion as MSAL builds it (RFC 7523), signed with `privateKeyPem`, with claim overrides. */
function clientAssertion(emulator: Emulator, privateKeyPem: string, thumbprintSha256: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const clientId = emulator.principals.servicePrincipalCertificate.clientId;
  return jwt.sign(
    { aud: `${emulator.url}${emulator.tenantId}/oauth2/v2.0/token`, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, exp: now + 600, ...claims },
    privateKeyPem,
    { algorithm: 'PS256', header: { alg: 'PS256', 'x5t#S256': thumbprintSha256 } },
  );
}

function certificateParts(pem: string): { privateKeyPem: string; x5tS256: string } {
  const privateKeyPem = /-----BEGIN RSA PRIVATE KEY-----[\s\S]+?-----END RSA PRIVATE KEY-----/.exec(pem)![0];
  const der = Buffer.from(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)![1]!.replace(/\s+/g, ''), 'base64');
  return { privateKeyPem, x5tS256: createHash('sha256').update(der).digest('base64url') };
}

describe('emulator platform: Entra ID and managed identity', function () {
  this.timeout(60_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await dedicatedEmulator('platform');
  });

  describe('with the real @azure/identity credentials in a task-like process', () => {
    it('issues an ARM token to a client secret credential, and ARM accepts it', async () => {
      const env = emulator.connectionEnv('c0a80101-0000-4000-8000-000000000001', 'servicePrincipalSecret');
      const { result } = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000001', { RUNNER_PROBE_PATH: `${workspacePath(emulator)}?api-version=2022-10-01` });
      assert.equal(result.ok, true, result.errorMessage);
      // The ARM resource id, with or without the trailing slash, as requested.
      assert.equal(result.claims!.aud.replace(/\/$/, ''), emulator.url.replace(/\/$/, ''));
      assert.equal(result.claims!.appid, emulator.principals.servicePrincipalSecret.clientId);
      assert.equal(result.claims!.tid, emulator.tenantId);
      assert.equal(result.claims!.appidacr, '1');
      assert.notEqual(result.probe!.status, 401, `ARM rejected the token: ${result.probe!.code}`);
    });

    it('issues an ARM token to a client certificate credential (certificate + key PEM from the connection)', async () => {
      const env = emulator.connectionEnv('c0a80101-0000-4000-8000-000000000002', 'servicePrincipalCertificate');
      const { result } = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000002', { RUNNER_PROBE_PATH: `${workspacePath(emulator)}?api-version=2022-10-01` });
      assert.equal(result.ok, true, result.errorMessage);
      assert.equal(result.claims!.appid, emulator.principals.servicePrincipalCertificate.clientId);
      assert.equal(result.claims!.appidacr, '2');
      assert.notEqual(result.probe!.status, 401);
    });

    it('issues an ARM token for workload identity federation with an Azure DevOps OIDC token (createOidcToken)', async () => {
      const env = emulator.connectionEnv('c0a80101-0000-4000-8000-000000000003', 'workloadIdentity');
      const { result } = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000003', { RUNNER_PROBE_PATH: `${workspacePath(emulator)}?api-version=2022-10-01` });
      assert.equal(result.ok, true, result.errorMessage);
      assert.equal(result.claims!.appid, emulator.principals.workloadIdentity.clientId);
      assert.ok((result.oidcRequests ?? 0) >= 1, 'the assertion came from Azure DevOps');
      assert.notEqual(result.probe!.status, 401);
    });

    it('issues an ARM token from the managed identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER)', async () => {
      const env = emulator.connectionEnv('c0a80101-0000-4000-8000-000000000004', 'managedIdentity');
      const systemAssigned = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000004', { RUNNER_PROBE_PATH: `${workspacePath(emulator)}?api-version=2022-10-01` });
      assert.equal(systemAssigned.result.ok, true, systemAssigned.result.errorMessage);
      assert.equal(systemAssigned.result.claims!.appid, emulator.principals.managedIdentity.clientId);
      assert.equal(systemAssigned.result.claims!.appidacr, '0');
      assert.notEqual(systemAssigned.result.probe!.status, 401);

      const byClientId = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000004', { RUNNER_MI_CLIENT_ID: emulator.principals.managedIdentity.clientId });
      assert.equal(byClientId.result.ok, true, byClientId.result.errorMessage);

      const unknown = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000004', { RUNNER_MI_CLIENT_ID: randomUUID() });
      assert.equal(unknown.result.ok, false);
      assert.match(unknown.result.errorMessage!, /Unable to load the proper Managed Identity/);
    });

    it('rejects a wrong client secret with AADSTS7000215', async () => {
      const id = 'c0a80101-0000-4000-8000-000000000005';
      const env = emulator.connectionEnv(id, 'servicePrincipalSecret');
      const auth = JSON.parse(env[`ENDPOINT_AUTH_${id}`]!) as { parameters: Record<string, string> };
      auth.parameters['serviceprincipalkey'] = 'not-the-secret';
      const { result } = await runIdentity(
        { ...env, [`ENDPOINT_AUTH_${id}`]: JSON.stringify(auth), [`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALKEY`]: 'not-the-secret' },
        id,
      );
      assert.equal(result.ok, false);
      assert.match(result.errorMessage!, /AADSTS7000215: Invalid client secret provided/);
    });

    it('rejects a scope that is not the ARM resource with AADSTS500011', async () => {
      const env = emulator.connectionEnv('c0a80101-0000-4000-8000-000000000006', 'servicePrincipalSecret');
      const { result } = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000006', { RUNNER_SCOPE: 'https://storage.azure.com/.default' });
      assert.equal(result.ok, false);
      assert.match(result.errorMessage!, /AADSTS500011: The resource principal named https:\/\/storage\.azure\.com was not found/);
    });
  });

  describe('token endpoint protocol', () => {
    it('publishes OpenID metadata whose keys verify the tokens it issues', async () => {
      const metadata = (await emulatorRequest(emulator, 'GET', `${emulator.tenantId}/v2.0/.well-known/openid-configuration`)).json<Record<string, string>>();
      assert.equal(metadata['issuer'], `${emulator.url}${emulator.tenantId}/v2.0`);
      assert.equal(metadata['token_endpoint'], `${emulator.url}${emulator.tenantId}/oauth2/v2.0/token`);

      const { clientId, clientSecret } = emulator.principals.servicePrincipalSecret;
      const answer = await tokenRequest(emulator, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: `${emulator.url}/.default` });
      assert.equal(answer.status, 200);
      const body = answer.json<{ token_type: string; expires_in: number; access_token: string }>();
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);

      const keys = (await emulatorRequest(emulator, 'GET', metadata['jwks_uri']!)).json<{ keys: Array<JsonWebKey & { kid: string }> }>().keys;
      const [header, payload, signature] = body.access_token.split('.');
      const kid = (JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as { kid: string }).kid;
      const key = keys.find((k) => k.kid === kid);
      assert.ok(key, 'the signing key is published');
      const valid = verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey({ key, format: 'jwk' }), Buffer.from(signature!, 'base64url'));
      assert.equal(valid, true);
      // `<resource>//.default` (resource id with trailing slash) names the same resource, as in Entra.
      assert.equal(jwtClaims(body.access_token)['aud'], `${emulator.url}`);
    });

    it('answers failures in Entra format: error, error_description starting with the AADSTS code, error_codes', async () => {
      const { clientId } = emulator.principals.servicePrincipalSecret;
      const scope = `${emulator.url}.default`;
      const cases: Array<{ fields: Record<string, string>; tenant?: string; status: number; error: string; code: number }> = [
        { fields: { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong', scope }, status: 401, error: 'invalid_client', code: 7000215 },
        { fields: { grant_type: 'client_credentials', client_id: randomUUID(), client_secret: 'x', scope }, status: 400, error: 'unauthorized_client', code: 700016 },
        { fields: { grant_type: 'client_credentials', client_id: clientId, client_secret: 'x', scope }, tenant: randomUUID(), status: 400, error: 'invalid_tenant', code: 90002 },
        { fields: { grant_type: 'client_credentials', client_id: clientId, client_secret: emulator.principals.servicePrincipalSecret.clientSecret, scope: emulator.url }, status: 400, error: 'invalid_scope', code: 1002012 },
        { fields: { grant_type: 'client_credentials', client_id: clientId, client_secret: 'x' }, status: 400, error: 'invalid_request', code: 900144 },
        { fields: { grant_type: 'password', client_id: clientId }, status: 400, error: 'unsupported_grant_type', code: 70003 },
        { fields: { grant_type: 'client_credentials', client_id: clientId, scope }, status: 401, error: 'invalid_client', code: 7000218 },
      ];
      for (const c of cases) {
        const answer = await tokenRequest(emulator, c.fields, c.tenant);
        const body = answer.json<AadErrorBody>();
        assert.equal(answer.status, c.status, `${c.code}: ${body.error_description}`);
        assert.equal(body.error, c.error);
        assert.ok(body.error_description.startsWith(`AADSTS${c.code}: `), body.error_description);
        assert.deepEqual(body.error_codes, [c.code]);
      }
    });

    it('accepts a certificate client assertion only when signed by the registered certificate, for this client, in time', async () => {
      const { privateKeyPem, x5tS256 } = certificateParts(emulator.principals.servicePrincipalCertificate.pem);
      const clientId = emulator.principals.servicePrincipalCertificate.clientId;
      const request = (assertion: string, id = clientId) =>
        tokenRequest(emulator, {
          grant_type: 'client_credentials',
          client_id: id,
          scope: `${emulator.url}.default`,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        });

      assert.equal((await request(clientAssertion(emulator, privateKeyPem, x5tS256))).status, 200);

      const now = Math.floor(Date.now() / 1000);
      const expired = await request(clientAssertion(emulator, privateKeyPem, x5tS256, { nbf: now - 1200, exp: now - 600 }));
      assert.equal(expired.status, 400);
      assert.match(expired.json<AadErrorBody>().error_description, /^AADSTS700024: Client assertion is not within its valid time range/);

      const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const forged = await request(clientAssertion(emulator, otherKey, x5tS256));
      assert.equal(forged.status, 401);
      assert.match(forged.json<AadErrorBody>().error_description, /^AADSTS700027: Client assertion failed signature validation/);

      const unknownThumbprint = await request(clientAssertion(emulator, privateKeyPem, Buffer.alloc(32, 7).toString('base64url')));
      assert.match(unknownThumbprint.json<AadErrorBody>().error_description, /^AADSTS700027: The certificate with identifier used to sign the client assertion is not registered/);

      const wrongAudience = await request(clientAssertion(emulator, privateKeyPem, x5tS256, { aud: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' }));
      assert.equal(wrongAudience.status, 400);
      assert.match(wrongAudience.json<AadErrorBody>().error_description, /^AADSTS700212: /);

      const otherClient = await request(clientAssertion(emulator, privateKeyPem, x5tS256, { iss: randomUUID(), sub: randomUUID() }));
      assert.match(otherClient.json<AadErrorBody>().error_description, /^AADSTS700021: /);
    });

    it('accepts an Azure DevOps OIDC token only for the federated principal', async () => {
      const connectionId = 'c0a80101-0000-4000-8000-000000000007';
      emulator.connectionEnv(connectionId, 'workloadIdentity');
      const oidcToken = await devopsOidcToken(emulator, connectionId);
      const exchange = (clientId: string) =>
        tokenRequest(emulator, {
          grant_type: 'client_credentials',
          client_id: clientId,
          scope: `${emulator.url}.default`,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: oidcToken,
        });
      const accepted = await exchange(emulator.principals.workloadIdentity.clientId);
      assert.equal(accepted.status, 200);
      assert.equal(jwtClaims(accepted.json<{ access_token: string }>().access_token)['appid'], emulator.principals.workloadIdentity.clientId);

      const presentedByCertificateApp = await exchange(emulator.principals.servicePrincipalCertificate.clientId);
      assert.match(presentedByCertificateApp.json<AadErrorBody>().error_description, /^AADSTS700027: /);
    });
  });

  describe('with short-lived Azure DevOps OIDC tokens', () => {
    let shortLived: Emulator;
    before(async () => {
      shortLived = await dedicatedEmulator('short-lived', { accessTokenLifetimeSeconds: 1, oidcTokenLifetimeSeconds: 1 });
    });

    it('rejects an expired OIDC token with AADSTS700024 through ClientAssertionCredential', async () => {
      const env = shortLived.connectionEnv('c0a80101-0000-4000-8000-000000000008', 'workloadIdentity');
      const { result } = await runIdentity(env, 'c0a80101-0000-4000-8000-000000000008', { RUNNER_ASSERTION_DELAY_MS: '2100' });
      assert.equal(result.ok, false);
      assert.match(result.errorMessage!, /AADSTS700024: Client assertion is not within its valid time range/);
    });
  });
});

/** An OIDC token for a workload identity connection, requested as azure-devops-node-api does. */
async function devopsOidcToken(emulator: Emulator, connectionId: string): Promise<string> {
  const { devops } = emulator;
  const answer = await emulatorRequest(
    emulator,
    'POST',
    `${devops.collectionUri}${devops.projectId}/_apis/distributedtask/hubs/${devops.hostType}/plans/${devops.planId}/jobs/${devops.jobId}/oidctoken?serviceConnectionId=${connectionId}`,
    { bearer: devops.accessToken, headers: { accept: 'application/json;api-version=7.2-preview.1', 'content-type': 'application/json' }, body: '{}' },
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.json<{ oidcToken: string }>().oidcToken;
}
