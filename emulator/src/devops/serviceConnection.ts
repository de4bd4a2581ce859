import type { AuthScheme, ConnectionEnvOptions } from '../api';
import type { EmulatorConfig } from '../context';
import type { Directory } from '../identity/directory';
import type { DevOpsOrganization } from './organization';

export interface ConnectionEnvironment {
  /** Emulator URL with trailing slash: ARM endpoint, authority host and ARM resource id. */
  readonly baseUrl: string;
  readonly config: EmulatorConfig;
  readonly directory: Directory;
  readonly organization: DevOpsOrganization;
  readonly caCertPath: string;
  readonly proxyUrl: string;
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  /** Certificate followed by its private key, as the agent passes servicePrincipalCertificate. */
  readonly servicePrincipalCertificatePem: string;
}

/**
 * The agent's proxy bypass list: regular expressions matched against request URLs (Agent.ProxyBypassList); only
 * storage traffic (*.blob.core.windows.net) goes through the proxy.
 */
export const PROXY_BYPASS_LIST = ['^https?://127\\.0\\.0\\.1(:\\d+)?(/|$)', '^https?://localhost(:\\d+)?(/|$)'];

const SCHEMES: Record<AuthScheme, string> = {
  servicePrincipalSecret: 'ServicePrincipal',
  servicePrincipalCertificate: 'ServicePrincipal',
  workloadIdentity: 'WorkloadIdentityFederation',
  managedIdentity: 'ManagedServiceIdentity',
};

/**
 * What the Azure Pipelines agent puts in a task's environment for an AzureRM service connection: the endpoint
 * (ENDPOINT_URL_/ENDPOINT_AUTH_/ENDPOINT_AUTH_SCHEME_/ENDPOINT_AUTH_PARAMETER_/ENDPOINT_DATA_ variables, names
 * upper-cased as the agent does), what the scheme needs from the job and machine, the CA and the agent proxy.
 */
export function connectionEnv(
  env: ConnectionEnvironment,
  connectionId: string,
  scheme: AuthScheme,
  options: ConnectionEnvOptions = {},
): Record<string, string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(connectionId)) {
    throw new Error(`connectionEnv: connection id '${connectionId}' cannot be part of an environment variable name (use a GUID).`);
  }
  if (!(scheme in SCHEMES)) throw new Error(`connectionEnv: unknown scheme '${scheme}'.`);
  const { baseUrl, config, directory, organization } = env;
  const scopeLevel = options.scopeLevel ?? 'Subscription';

  const parameters: Record<string, string> = { tenantid: config.tenantId };
  switch (scheme) {
    case 'servicePrincipalSecret':
      parameters['serviceprincipalid'] = directory.secretPrincipal.clientId;
      parameters['authenticationType'] = 'spnKey';
      parameters['serviceprincipalkey'] = directory.secretPrincipal.clientSecret;
      break;
    case 'servicePrincipalCertificate':
      parameters['serviceprincipalid'] = directory.certificatePrincipal.clientId;
      parameters['authenticationType'] = 'spnCertificate';
      parameters['servicePrincipalCertificate'] = env.servicePrincipalCertificatePem;
      break;
    case 'workloadIdentity':
      parameters['serviceprincipalid'] = directory.federatedPrincipal.clientId;
      parameters['workloadIdentityFederationIssuer'] = directory.federatedPrincipal.issuer;
      parameters['workloadIdentityFederationSubject'] = directory.federatedPrincipal.subject;
      organization.registerFederatedConnection(connectionId);
      break;
    case 'managedIdentity':
      break;
  }

  const data: Record<string, string> = {
    environment: 'AzureCloud',
    scopeLevel,
    subscriptionId: config.subscriptionId,
    subscriptionName: config.subscriptionName,
    environmentAuthorityUrl: baseUrl,
    activeDirectoryAuthority: baseUrl,
    activeDirectoryServiceEndpointResourceId: baseUrl,
  };
  if (scopeLevel === 'AzureMLWorkspace') {
    data['resourceGroupName'] = config.resourceGroup;
    data['mlWorkspaceName'] = config.workspaceName;
    data['mlWorkspaceLocation'] = config.location;
  }

  const result: Record<string, string> = {
    [`ENDPOINT_URL_${connectionId}`]: baseUrl,
    [`ENDPOINT_AUTH_${connectionId}`]: JSON.stringify({ parameters, scheme: SCHEMES[scheme] }),
    [`ENDPOINT_AUTH_SCHEME_${connectionId}`]: SCHEMES[scheme],
    [`ENDPOINT_DATA_${connectionId}`]: JSON.stringify(data),
  };
  for (const [key, value] of Object.entries(parameters)) result[`ENDPOINT_AUTH_PARAMETER_${connectionId}_${envName(key)}`] = value;
  for (const [key, value] of Object.entries(data)) result[`ENDPOINT_DATA_${connectionId}_${envName(key)}`] = value;

  if (scheme === 'workloadIdentity') Object.assign(result, jobVariables(organization));
  if (scheme === 'managedIdentity') {
    result['IDENTITY_ENDPOINT'] = env.identityEndpoint;
    result['IDENTITY_HEADER'] = env.identityHeader;
  }
  result['NODE_EXTRA_CA_CERTS'] = env.caCertPath;
  result['AGENT_PROXYURL'] = env.proxyUrl;
  result['AGENT_PROXYBYPASSLIST'] = JSON.stringify(PROXY_BYPASS_LIST);
  return result;
}

/** The job's connection to Azure DevOps (System.AccessToken) and the SYSTEM_* variables a workload identity token request needs. */
function jobVariables(organization: DevOpsOrganization): Record<string, string> {
  const context = organization.context;
  return {
    ENDPOINT_URL_SYSTEMVSSCONNECTION: context.collectionUri,
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: context.accessToken }, scheme: 'OAuth' }),
    ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: 'OAuth',
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: context.accessToken,
    SYSTEM_COLLECTIONURI: context.collectionUri,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: context.collectionUri,
    SYSTEM_TEAMFOUNDATIONSERVERURI: context.collectionUri,
    SYSTEM_TEAMPROJECTID: context.projectId,
    SYSTEM_TEAMPROJECT: context.projectName,
    SYSTEM_PLANID: context.planId,
    SYSTEM_JOBID: context.jobId,
    SYSTEM_HOSTTYPE: context.hostType,
    SYSTEM_OIDCREQUESTURI: organization.oidcRequestUri,
  };
}

/** The agent's conversion of a key to an environment variable name: upper case, '.' and ' ' as '_'. */
function envName(key: string): string {
  return key.replace(/[. ]/g, '_').toUpperCase();
}
