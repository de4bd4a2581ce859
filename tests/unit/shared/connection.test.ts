import * as assert from 'node:assert/strict';

import {
  AzureRmConnection,
  InputError,
  containsRegisteredSecret,
  readAzureRmConnection,
  readAzureRmConnectionInput,
  scopeForResource,
} from '@azureml-mlops/shared';

import { captureStdout, fakeAgent, FakeEndpoint } from './support/fakeAgent';

const ID = 'c0ffee00-0000-4000-8000-000000000001';

function endpoint(overrides: Partial<FakeEndpoint> & { auth?: Record<string, string>; data?: Record<string, string> } = {}): FakeEndpoint {
  return {
    url: overrides.url ?? 'https://management.azure.com/',
    scheme: overrides.scheme ?? 'ServicePrincipal',
    auth: { tenantid: 'tenant-1', serviceprincipalid: 'client-1', authenticationType: 'spnKey', serviceprincipalkey: 'very-secret-key-1', ...overrides.auth },
    data: {
      subscriptionId: 'sub-1',
      subscriptionName: 'My subscription',
      environment: 'AzureCloud',
      scopeLevel: 'Subscription',
      activeDirectoryAuthority: 'https://login.microsoftonline.com/',
      activeDirectoryServiceEndpointResourceId: 'https://management.core.windows.net/',
      ...overrides.data,
    },
  };
}

async function read(ep: FakeEndpoint | undefined, id = ID): Promise<AzureRmConnection> {
  const env = fakeAgent({ endpoints: ep ? { [id]: ep } : {} });
  // registerSecret writes ##vso[task.setsecret] commands: keep them out of the test output.
  return (await captureStdout(() => readAzureRmConnection(id, { env }))).result;
}

async function readError(ep: FakeEndpoint | undefined): Promise<InputError> {
  try {
    await read(ep);
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.inputName, 'azureSubscription');
    return error;
  }
  assert.fail('expected an InputError');
}

describe('shared/azure/connection', () => {
  it('reads a service principal with a secret and registers the secret', async () => {
    const connection = await read(endpoint());
    assert.equal(connection.scheme, 'ServicePrincipal');
    assert.deepEqual(connection.credential, { kind: 'servicePrincipalSecret', clientSecret: 'very-secret-key-1' });
    assert.equal(connection.tenantId, 'tenant-1');
    assert.equal(connection.clientId, 'client-1');
    assert.equal(connection.subscriptionId, 'sub-1');
    assert.equal(connection.subscriptionName, 'My subscription');
    assert.equal(connection.armUrl, 'https://management.azure.com');
    assert.equal(connection.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(connection.resourceId, 'https://management.core.windows.net/');
    assert.equal(connection.scope, 'https://management.core.windows.net//.default');
    assert.equal(connection.environment, 'AzureCloud');
    assert.equal(connection.workspaceScope, undefined);
    assert.equal(containsRegisteredSecret('...very-secret-key-1...'), true);
  });

  it('reads a service principal with a certificate, keeping the PEM in memory', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n';
    const connection = await read(endpoint({ auth: { authenticationType: 'spnCertificate', servicePrincipalCertificate: pem, serviceprincipalkey: '' } }));
    assert.deepEqual(connection.credential, { kind: 'servicePrincipalCertificate', certificatePem: pem });
    assert.equal(containsRegisteredSecret('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'), true, 'each PEM line is masked');
  });

  it('reads workload identity federation', async () => {
    const connection = await read(
      endpoint({ scheme: 'WorkloadIdentityFederation', auth: { serviceprincipalkey: '', workloadIdentityFederationIssuer: 'https://vstoken', workloadIdentityFederationSubject: 'sc://o/p/c' } }),
    );
    assert.equal(connection.scheme, 'WorkloadIdentityFederation');
    assert.deepEqual(connection.credential, { kind: 'workloadIdentityFederation' });
    assert.equal(connection.clientId, 'client-1');
  });

  it('reads managed identity, with and without a user-assigned client id', async () => {
    const system = await read(endpoint({ scheme: 'ManagedServiceIdentity', auth: { serviceprincipalid: '', serviceprincipalkey: '' } }));
    assert.equal(system.scheme, 'ManagedServiceIdentity');
    assert.equal(system.clientId, undefined);
    const user = await read(endpoint({ scheme: 'ManagedServiceIdentity', auth: { serviceprincipalid: '', serviceprincipalkey: '' }, data: { msiclientId: 'uami-1' } }));
    assert.equal(user.clientId, 'uami-1');
  });

  it('reads the workspace scope of a connection scoped to an Azure ML workspace', async () => {
    const connection = await read(
      endpoint({ data: { scopeLevel: 'AzureMLWorkspace', resourceGroupName: 'rg-ml', mlWorkspaceName: 'ws-1', mlWorkspaceLocation: 'westeurope' } }),
    );
    assert.deepEqual(connection.workspaceScope, { resourceGroup: 'rg-ml', workspaceName: 'ws-1', location: 'westeurope' });
  });

  it("uses the connection's own URLs for sovereign clouds and Azure Stack (AD FS)", async () => {
    const china = await read(
      endpoint({
        url: 'https://management.chinacloudapi.cn/',
        data: { environment: 'AzureChinaCloud', activeDirectoryAuthority: '', environmentAuthorityUrl: 'https://login.chinacloudapi.cn/', activeDirectoryServiceEndpointResourceId: '' },
      }),
    );
    assert.equal(china.authorityHost, 'https://login.chinacloudapi.cn');
    assert.equal(china.resourceId, 'https://management.chinacloudapi.cn/', 'falls back to the ARM URL as given');
    assert.equal(china.armUrl, 'https://management.chinacloudapi.cn');

    const stack = await read(
      endpoint({
        url: 'https://management.local.azurestack.external/',
        data: {
          environment: 'AzureStack',
          activeDirectoryAuthority: 'https://adfs.local.azurestack.external/adfs/',
          activeDirectoryServiceEndpointResourceId: 'https://management.adfs.azurestack.local/4de154de-f8a8-4017-af41-df619da68155',
        },
      }),
    );
    assert.equal(stack.isAdfs, true);
    assert.equal(stack.tenantId, 'adfs');
    assert.equal(stack.authorityHost, 'https://adfs.local.azurestack.external/adfs');
    assert.equal(stack.scope, 'https://management.adfs.azurestack.local/4de154de-f8a8-4017-af41-df619da68155/.default');
  });

  it('defaults the authority to the public cloud when the connection has none', async () => {
    const connection = await read(endpoint({ data: { activeDirectoryAuthority: '', environmentAuthorityUrl: '' } }));
    assert.equal(connection.authorityHost, 'https://login.microsoftonline.com');
  });

  describe('scope', () => {
    it('keeps a trailing slash of the resource id (Entra rule) and adds one slash otherwise', () => {
      assert.equal(scopeForResource('https://management.core.windows.net/'), 'https://management.core.windows.net//.default');
      assert.equal(scopeForResource('https://management.azure.com'), 'https://management.azure.com/.default');
      assert.equal(scopeForResource('https://x.example/.default'), 'https://x.example/.default');
    });
  });

  describe('bad connections are one InputError naming azureSubscription and the fix', () => {
    it('a connection the pipeline cannot see', async () => {
      const error = await readError(undefined);
      assert.match(error.message, /was not found, or this pipeline is not allowed to use it/);
      assert.match(error.message, /authorize the pipeline/);
    });

    it('a connection of another type', async () => {
      const error = await readError({ url: 'https://github.com', scheme: 'Token', auth: { AccessToken: 'x' } });
      assert.match(error.message, /is not an Azure Resource Manager connection \(its authorization scheme is 'Token'\)/);
      assert.match(error.message, /Choose an Azure Resource Manager service connection/);
    });

    it('a publish profile connection', async () => {
      const error = await readError(endpoint({ scheme: 'PublishProfile' }));
      assert.match(error.message, /publish profile/);
      assert.match(error.message, /workload identity federation/);
    });

    it('a management-group connection', async () => {
      const error = await readError(endpoint({ data: { scopeLevel: 'ManagementGroup', subscriptionId: '' } }));
      assert.match(error.message, /management group/);
    });

    for (const [what, ep, expected] of [
      ['subscription id', endpoint({ data: { subscriptionId: '' } }), /has no subscription id/],
      ['tenant id', endpoint({ auth: { tenantid: '' } }), /has no tenant id/],
      ['client id', endpoint({ auth: { serviceprincipalid: '' } }), /has no service principal \(client\) id/],
      ['secret', endpoint({ auth: { serviceprincipalkey: '' } }), /has no service principal secret/],
      ['certificate', endpoint({ auth: { authenticationType: 'spnCertificate' } }), /uses a certificate but has none/],
      ['workspace of a workspace-scoped connection', endpoint({ data: { scopeLevel: 'AzureMLWorkspace' } }), /does not say which one/],
    ] as const) {
      it(`a connection without its ${what}`, async () => {
        const error = await readError(ep);
        assert.match(error.message, expected);
        assert.match(error.message, /Project settings > Service connections/);
        assert.doesNotMatch(error.message, /very-secret-key-1/);
      });
    }

    it('a non-https ARM URL', async () => {
      const error = await readError(endpoint({ url: 'http://management.azure.com/' }));
      assert.match(error.message, /not https/);
    });
  });

  it('reads the connection id from the input', async () => {
    const env = fakeAgent({ inputs: { azureSubscription: ID }, endpoints: { [ID]: endpoint() } });
    const { result } = await captureStdout(() => readAzureRmConnectionInput('azureSubscription', env));
    assert.equal(result.id, ID);
    assert.equal(result.inputName, 'azureSubscription');
  });
});
