import * as assert from 'node:assert/strict';
import type { AuthScheme, Emulator } from '@azureml-mlops/emulator';
import { dedicatedEmulator } from '../../support/emulatorFixture';
import { emulatorRequest, jwtClaims } from '../../support/emulatorHttp';

const ID = '5b0e2c1d-7f3a-4e8b-9c6d-0a1b2c3d4e5f';

/** Variable names every scheme gets: the endpoint, its data, the CA and the agent proxy. */
function commonNames(scopeLevel: 'Subscription' | 'AzureMLWorkspace' = 'Subscription'): string[] {
  const data = ['ENVIRONMENT', 'SCOPELEVEL', 'SUBSCRIPTIONID', 'SUBSCRIPTIONNAME', 'ENVIRONMENTAUTHORITYURL', 'ACTIVEDIRECTORYAUTHORITY', 'ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID'];
  if (scopeLevel === 'AzureMLWorkspace') data.push('RESOURCEGROUPNAME', 'MLWORKSPACENAME', 'MLWORKSPACELOCATION');
  return [
    `ENDPOINT_URL_${ID}`,
    `ENDPOINT_AUTH_${ID}`,
    `ENDPOINT_AUTH_SCHEME_${ID}`,
    `ENDPOINT_DATA_${ID}`,
    `ENDPOINT_AUTH_PARAMETER_${ID}_TENANTID`,
    ...data.map((d) => `ENDPOINT_DATA_${ID}_${d}`),
    'NODE_EXTRA_CA_CERTS',
    'AGENT_PROXYURL',
    'AGENT_PROXYBYPASSLIST',
  ];
}

const JOB_NAMES = [
  'ENDPOINT_URL_SYSTEMVSSCONNECTION',
  'ENDPOINT_AUTH_SYSTEMVSSCONNECTION',
  'ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION',
  'ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN',
  'SYSTEM_COLLECTIONURI',
  'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI',
  'SYSTEM_TEAMFOUNDATIONSERVERURI',
  'SYSTEM_TEAMPROJECTID',
  'SYSTEM_TEAMPROJECT',
  'SYSTEM_PLANID',
  'SYSTEM_JOBID',
  'SYSTEM_HOSTTYPE',
  'SYSTEM_OIDCREQUESTURI',
];

const p = (key: string) => `ENDPOINT_AUTH_PARAMETER_${ID}_${key}`;
const EXPECTED: Record<AuthScheme, { scheme: string; names: string[] }> = {
  servicePrincipalSecret: { scheme: 'ServicePrincipal', names: [p('SERVICEPRINCIPALID'), p('AUTHENTICATIONTYPE'), p('SERVICEPRINCIPALKEY')] },
  servicePrincipalCertificate: { scheme: 'ServicePrincipal', names: [p('SERVICEPRINCIPALID'), p('AUTHENTICATIONTYPE'), p('SERVICEPRINCIPALCERTIFICATE')] },
  workloadIdentity: {
    scheme: 'WorkloadIdentityFederation',
    names: [p('SERVICEPRINCIPALID'), p('WORKLOADIDENTITYFEDERATIONISSUER'), p('WORKLOADIDENTITYFEDERATIONSUBJECT'), ...JOB_NAMES],
  },
  managedIdentity: { scheme: 'ManagedServiceIdentity', names: ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER'] },
};

describe('emulator platform: service connection environment and Azure DevOps OIDC', function () {
  this.timeout(60_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await dedicatedEmulator('platform');
  });

  for (const scheme of Object.keys(EXPECTED) as AuthScheme[]) {
    it(`gives exactly the agent's variables for a ${scheme} connection`, () => {
      const env = emulator.connectionEnv(ID, scheme);
      assert.deepEqual(Object.keys(env).sort(), [...commonNames(), ...EXPECTED[scheme].names].sort());
      assert.equal(env[`ENDPOINT_AUTH_SCHEME_${ID}`], EXPECTED[scheme].scheme);
      const auth = JSON.parse(env[`ENDPOINT_AUTH_${ID}`]!) as { scheme: string; parameters: Record<string, string> };
      assert.equal(auth.scheme, EXPECTED[scheme].scheme);
      // ENDPOINT_AUTH_ holds the same parameters as the per-parameter variables.
      for (const [key, value] of Object.entries(auth.parameters)) assert.equal(env[p(key.toUpperCase())], value, key);
      assert.equal(env[`ENDPOINT_URL_${ID}`], emulator.url);
      assert.equal(env[`ENDPOINT_DATA_${ID}_ACTIVEDIRECTORYAUTHORITY`], emulator.url);
      assert.equal(env[`ENDPOINT_DATA_${ID}_ACTIVEDIRECTORYSERVICEENDPOINTRESOURCEID`], emulator.url);
      assert.equal(env[`ENDPOINT_DATA_${ID}_SUBSCRIPTIONID`], emulator.subscriptionId);
      assert.equal(env[p('TENANTID')], emulator.tenantId);
      assert.equal(env['NODE_EXTRA_CA_CERTS'], emulator.caCertPath);
      assert.equal(env['AGENT_PROXYURL'], emulator.proxyUrl);
      const bypass = (JSON.parse(env['AGENT_PROXYBYPASSLIST']!) as string[]).map((r) => new RegExp(r, 'i'));
      assert.ok(bypass.some((r) => r.test(`${emulator.url}subscriptions`)), 'ARM bypasses the proxy');
      assert.ok(!bypass.some((r) => r.test(`https://${emulator.storage.accountName}.blob.core.windows.net/c/b`)), 'storage goes through the proxy');
    });
  }

  it('names the authentication type and carries certificate and key in one PEM for a certificate connection', () => {
    const env = emulator.connectionEnv(ID, 'servicePrincipalCertificate');
    assert.equal(env[p('AUTHENTICATIONTYPE')], 'spnCertificate');
    assert.match(env[p('SERVICEPRINCIPALCERTIFICATE')]!, /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s+-----BEGIN RSA PRIVATE KEY-----/);
    assert.equal(emulator.connectionEnv(ID, 'servicePrincipalSecret')[p('AUTHENTICATIONTYPE')], 'spnKey');
  });

  it('adds the workspace to the data of an AzureMLWorkspace-scoped connection', () => {
    const env = emulator.connectionEnv(ID, 'servicePrincipalSecret', { scopeLevel: 'AzureMLWorkspace' });
    assert.deepEqual(Object.keys(env).sort(), [...commonNames('AzureMLWorkspace'), ...EXPECTED.servicePrincipalSecret.names].sort());
    assert.equal(env[`ENDPOINT_DATA_${ID}_SCOPELEVEL`], 'AzureMLWorkspace');
    assert.equal(env[`ENDPOINT_DATA_${ID}_RESOURCEGROUPNAME`], emulator.resourceGroup);
    assert.equal(env[`ENDPOINT_DATA_${ID}_MLWORKSPACENAME`], emulator.workspaceName);
    assert.equal(env[`ENDPOINT_DATA_${ID}_MLWORKSPACELOCATION`], 'westeurope');
  });

  it('refuses a connection id that cannot be part of a variable name', () => {
    assert.throws(() => emulator.connectionEnv('my connection', 'servicePrincipalSecret'), /cannot be part of an environment variable name/);
  });

  describe('Azure DevOps OIDC endpoint', () => {
    const oidcPath = (e: Emulator, connectionId: string) =>
      `${e.devops.collectionUri}${e.devops.projectId}/_apis/distributedtask/hubs/${e.devops.hostType}/plans/${e.devops.planId}/jobs/${e.devops.jobId}/oidctoken?serviceConnectionId=${connectionId}`;
    const post = (e: Emulator, connectionId: string, headers: Record<string, string>) =>
      emulatorRequest(e, 'POST', oidcPath(e, connectionId), { headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    const apiVersion = { accept: 'application/json;api-version=7.2-preview.1' };

    it('publishes the oidctoken location of the distributedtask area', async () => {
      const answer = await emulatorRequest(emulator, 'OPTIONS', `${emulator.devops.collectionUri}_apis/distributedtask`);
      assert.equal(answer.status, 200);
      const location = answer.json<{ value: Array<Record<string, unknown>> }>().value.find((l) => l['id'] === '69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2');
      assert.equal(location?.['resourceName'], 'oidctoken');
    });

    it('mints a token for a registered workload identity connection: issuer, sc:// subject, exchange audience, lifetime', async () => {
      const connectionId = '5b0e2c1d-0000-4000-8000-00000000aaaa';
      emulator.connectionEnv(connectionId, 'workloadIdentity');
      const answer = await post(emulator, connectionId, { ...apiVersion, authorization: `Bearer ${emulator.devops.accessToken}` });
      assert.equal(answer.status, 200);
      const claims = jwtClaims(answer.json<{ oidcToken: string }>().oidcToken);
      assert.equal(claims['iss'], emulator.principals.workloadIdentity.issuer);
      assert.match(String(claims['iss']), /^https:\/\/vstoken\.dev\.azure\.com\/[0-9a-f-]{36}$/);
      assert.equal(claims['sub'], emulator.principals.workloadIdentity.subject);
      assert.match(String(claims['sub']), /^sc:\/\/[^/]+\/[^/]+\/[^/]+$/);
      assert.equal(claims['aud'], 'api://AzureADTokenExchange');
      assert.equal(Number(claims['exp']) - Number(claims['iat']), 600);

      const basic = Buffer.from(`build:${emulator.devops.accessToken}`).toString('base64');
      assert.equal((await post(emulator, connectionId, { ...apiVersion, authorization: `Basic ${basic}` })).status, 200, 'PAT-style basic authentication');
    });

    it('refuses callers without System.AccessToken and connections it does not know', async () => {
      const connectionId = '5b0e2c1d-0000-4000-8000-00000000bbbb';
      emulator.connectionEnv(connectionId, 'workloadIdentity');
      assert.equal((await post(emulator, connectionId, apiVersion)).status, 401);
      assert.equal((await post(emulator, connectionId, { ...apiVersion, authorization: 'Bearer wrong' })).status, 401);

      const unknown = await post(emulator, '5b0e2c1d-0000-4000-8000-00000000cccc', { ...apiVersion, authorization: `Bearer ${emulator.devops.accessToken}` });
      assert.equal(unknown.status, 400);
      assert.match(unknown.json<{ message: string }>().message, /no workload identity federation service connection with id '5b0e2c1d-0000-4000-8000-00000000cccc'/);

      const secretConnection = '5b0e2c1d-0000-4000-8000-00000000dddd';
      emulator.connectionEnv(secretConnection, 'servicePrincipalSecret');
      assert.equal((await post(emulator, secretConnection, { ...apiVersion, authorization: `Bearer ${emulator.devops.accessToken}` })).status, 400);

      const released = await post(emulator, connectionId, { accept: 'application/json;api-version=7.1', authorization: `Bearer ${emulator.devops.accessToken}` });
      assert.equal(released.status, 400, 'the resource is in preview');
    });
  });
});
