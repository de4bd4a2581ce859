import { AgentEnvironment, taskLibEnvironment } from '../pipeline/agentEnvironment';
import { InputError } from '../pipeline/errors';
import { InputReader } from '../pipeline/inputs';
import { debug } from '../pipeline/logging';
import { registerSecret } from '../pipeline/secrets';

export type AzureRmScheme = 'ServicePrincipal' | 'WorkloadIdentityFederation' | 'ManagedServiceIdentity';

/** How the connection proves its identity; secrets are already registered with the agent. */
export type AzureRmCredentialData =
  | { readonly kind: 'servicePrincipalSecret'; readonly clientSecret: string }
  /** PEM with the certificate and its private key, exactly as the agent passes it. */
  | { readonly kind: 'servicePrincipalCertificate'; readonly certificatePem: string }
  | { readonly kind: 'workloadIdentityFederation' }
  | { readonly kind: 'managedIdentity' };

/** The Azure ML workspace an `AzureMLWorkspace`-scoped connection is limited to. */
export interface WorkspaceScope {
  readonly resourceGroup: string;
  readonly workspaceName: string;
  readonly location?: string;
}

/** An Azure Resource Manager service connection, read from what the agent passes (ENDPOINT_*). */
export interface AzureRmConnection {
  /** The service connection id (the agent's ENDPOINT_* suffix). */
  readonly id: string;
  /** Input that selected it, for error messages (usually azureSubscription). */
  readonly inputName: string;
  readonly scheme: AzureRmScheme;
  readonly credential: AzureRmCredentialData;
  readonly tenantId: string;
  /** App (client) id; undefined for a system-assigned managed identity. */
  readonly clientId?: string;
  readonly subscriptionId: string;
  readonly subscriptionName?: string;
  /** ARM endpoint without trailing slash (ENDPOINT_URL), e.g. https://management.azure.com. */
  readonly armUrl: string;
  /** Entra authority host without trailing slash, e.g. https://login.microsoftonline.com. */
  readonly authorityHost: string;
  /** True when the authority is AD FS (Azure Stack Hub): the tenant is then 'adfs'. */
  readonly isAdfs: boolean;
  /** Token audience (activeDirectoryServiceEndpointResourceId, else the ARM URL as the agent gave it). */
  readonly resourceId: string;
  /** `<resourceId>/.default`. */
  readonly scope: string;
  /** AzureCloud, AzureChinaCloud, AzureUSGovernment, AzureGermanCloud, AzureStack… */
  readonly environment: string;
  /** Subscription, ManagementGroup or AzureMLWorkspace. */
  readonly scopeLevel: string;
  readonly workspaceScope?: WorkspaceScope;
}

const SCHEMES: Record<string, AzureRmScheme | 'PublishProfile'> = {
  serviceprincipal: 'ServicePrincipal',
  workloadidentityfederation: 'WorkloadIdentityFederation',
  managedserviceidentity: 'ManagedServiceIdentity',
  publishprofile: 'PublishProfile',
};

const DEFAULT_AUTHORITY: Record<string, string> = {
  azurecloud: 'https://login.microsoftonline.com',
  azurechinacloud: 'https://login.chinacloudapi.cn',
  azureusgovernment: 'https://login.microsoftonline.us',
  azuregermancloud: 'https://login.microsoftonline.de',
};

const DEFAULT_ARM_URL: Record<string, string> = {
  azurecloud: 'https://management.azure.com/',
  azurechinacloud: 'https://management.chinacloudapi.cn/',
  azureusgovernment: 'https://management.usgovcloudapi.net/',
  azuregermancloud: 'https://management.microsoftazure.de/',
};

const FIX_CONNECTION =
  'Open Project settings > Service connections, check the connection (Edit, Verify) and save it again, or choose another Azure Resource Manager connection';

/**
 * Token scope for a resource id. Entra keeps the resource URI as registered: a trailing slash stays, so
 * `https://management.core.windows.net/` becomes `https://management.core.windows.net//.default` (documented
 * Entra rule for ARM; azure-arm-rest and the Azure CLI do the same) and `https://x` becomes `https://x/.default`.
 */
export function scopeForResource(resourceId: string): string {
  const trimmed = resourceId.trim();
  if (trimmed.endsWith('/.default')) return trimmed;
  return `${trimmed}/.default`;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Reads the Azure Resource Manager service connection `connectionId`. Unsupported or broken connections are an
 * InputError naming `inputName`. The service principal secret or certificate is registered as a secret.
 */
export function readAzureRmConnection(
  connectionId: string,
  options: { inputName?: string; env?: AgentEnvironment } = {},
): AzureRmConnection {
  const env = options.env ?? taskLibEnvironment;
  const inputName = options.inputName ?? 'azureSubscription';
  const fail = (problem: string, fix = FIX_CONNECTION): InputError => new InputError(inputName, problem, fix);
  const data = (key: string): string | undefined => env.getEndpointDataParameter(connectionId, key);
  const auth = (key: string): string | undefined => env.getEndpointAuthorizationParameter(connectionId, key);

  const endpointUrl = env.getEndpointUrl(connectionId);
  const rawScheme = env.getEndpointAuthorizationScheme(connectionId);
  if (!endpointUrl && !rawScheme) {
    throw fail(
      `the service connection '${connectionId}' was not found, or this pipeline is not allowed to use it`,
      'Check the connection name, and authorize the pipeline to use it (Project settings > Service connections > Security)',
    );
  }
  // azure-arm-rest treats a connection without a scheme as a service principal one.
  const scheme = rawScheme ? SCHEMES[rawScheme.toLowerCase()] : auth('serviceprincipalid') ? 'ServicePrincipal' : undefined;
  if (!scheme) {
    throw fail(
      `the service connection '${connectionId}' is not an Azure Resource Manager connection (its authorization scheme is '${rawScheme ?? 'none'}')`,
      'Choose an Azure Resource Manager service connection',
    );
  }
  if (scheme === 'PublishProfile') {
    throw fail(
      `the service connection '${connectionId}' uses a publish profile, which only works for App Service and cannot reach Azure Machine Learning`,
      'Use an Azure Resource Manager connection with workload identity federation (recommended), a service principal or a managed identity',
    );
  }

  const environment = data('environment') ?? 'AzureCloud';
  const envKey = environment.toLowerCase();
  const scopeLevel = data('scopeLevel') ?? 'Subscription';
  if (scopeLevel.toLowerCase() === 'managementgroup') {
    throw fail(
      `the service connection '${connectionId}' is scoped to a management group, but Azure ML workspaces live in a subscription`,
      'Use a connection scoped to the subscription (or to the Azure ML workspace)',
    );
  }

  const subscriptionId = data('subscriptionId');
  if (!subscriptionId) throw fail(`the service connection '${connectionId}' has no subscription id`);

  const tenantId = auth('tenantid');
  if (!tenantId) throw fail(`the service connection '${connectionId}' has no tenant id`);

  const armEndpoint = endpointUrl ?? data('resourceManagerUrl') ?? DEFAULT_ARM_URL[envKey];
  if (!armEndpoint) throw fail(`the service connection '${connectionId}' has no Azure Resource Manager URL`);
  if (!/^https:\/\//i.test(armEndpoint)) {
    throw fail(`the service connection '${connectionId}' has an Azure Resource Manager URL that is not https (${armEndpoint})`);
  }

  const authority = data('activeDirectoryAuthority') ?? data('environmentAuthorityUrl') ?? DEFAULT_AUTHORITY[envKey];
  if (!authority) {
    throw fail(
      `the service connection '${connectionId}' (environment ${environment}) has no Microsoft Entra authority URL (activeDirectoryAuthority)`,
    );
  }
  const authorityHost = withoutTrailingSlash(authority);
  const isAdfs = /\/adfs$/i.test(authorityHost);
  const resourceId = data('activeDirectoryServiceEndpointResourceId') ?? armEndpoint;

  let credential: AzureRmCredentialData;
  let clientId: string | undefined;
  if (scheme === 'ServicePrincipal') {
    clientId = auth('serviceprincipalid');
    if (!clientId) throw fail(`the service connection '${connectionId}' has no service principal (client) id`);
    const authenticationType = (auth('authenticationType') ?? 'spnKey').toLowerCase();
    if (authenticationType === 'spncertificate') {
      const certificatePem = auth('servicePrincipalCertificate');
      if (!certificatePem) throw fail(`the service connection '${connectionId}' uses a certificate but has none`);
      registerSecret(certificatePem);
      credential = { kind: 'servicePrincipalCertificate', certificatePem };
    } else {
      const clientSecret = auth('serviceprincipalkey');
      if (!clientSecret) throw fail(`the service connection '${connectionId}' has no service principal secret`);
      registerSecret(clientSecret);
      credential = { kind: 'servicePrincipalSecret', clientSecret };
    }
  } else if (scheme === 'WorkloadIdentityFederation') {
    clientId = auth('serviceprincipalid');
    if (!clientId) throw fail(`the service connection '${connectionId}' has no service principal (client) id`);
    credential = { kind: 'workloadIdentityFederation' };
  } else {
    // A user-assigned identity is named by its client id; without one the VM's system-assigned identity is used.
    clientId = data('msiclientId') ?? auth('serviceprincipalid');
    credential = { kind: 'managedIdentity' };
  }

  let workspaceScope: WorkspaceScope | undefined;
  if (scopeLevel.toLowerCase() === 'azuremlworkspace') {
    const resourceGroup = data('resourceGroupName');
    const workspaceName = data('mlWorkspaceName');
    if (!resourceGroup || !workspaceName) {
      throw fail(`the service connection '${connectionId}' is scoped to an Azure ML workspace but does not say which one`);
    }
    workspaceScope = { resourceGroup, workspaceName, location: data('mlWorkspaceLocation') };
  }

  const connection: AzureRmConnection = {
    id: connectionId,
    inputName,
    scheme,
    credential,
    tenantId: isAdfs ? 'adfs' : tenantId,
    clientId,
    subscriptionId,
    subscriptionName: data('subscriptionName'),
    armUrl: withoutTrailingSlash(armEndpoint),
    authorityHost,
    isAdfs,
    resourceId,
    scope: scopeForResource(resourceId),
    environment,
    scopeLevel,
    workspaceScope,
  };
  debug(
    `Service connection ${connectionId}: ${scheme}${credential.kind.startsWith('servicePrincipal') ? ` (${credential.kind})` : ''}, ` +
      `environment ${environment}, ARM ${connection.armUrl}, authority ${authorityHost}, scope ${connection.scope}`,
  );
  return connection;
}

/** Reads the connection id from input `inputName` and then the connection itself. */
export function readAzureRmConnectionInput(inputName = 'azureSubscription', env: AgentEnvironment = taskLibEnvironment): AzureRmConnection {
  const id = new InputReader(env).connectionId(inputName);
  return readAzureRmConnection(id, { inputName, env });
}

/** How the connection signs in, in words, for messages. */
export function describeConnectionScheme(connection: AzureRmConnection): string {
  switch (connection.credential.kind) {
    case 'servicePrincipalSecret':
      return 'service principal with a secret';
    case 'servicePrincipalCertificate':
      return 'service principal with a certificate';
    case 'workloadIdentityFederation':
      return 'workload identity federation';
    case 'managedIdentity':
      return connection.clientId ? 'user-assigned managed identity' : 'managed identity';
  }
}
