// TaskApi and the bearer handler alone, not WebApi: WebApi pulls every Azure DevOps client into each bundle (~120 kB).
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { TaskApi } from 'azure-devops-node-api/TaskApi';

import { AgentEnvironment, taskLibEnvironment } from '../pipeline/agentEnvironment';
import { TaskError } from '../pipeline/errors';
import { debug } from '../pipeline/logging';
import { AgentProxy, devOpsProxyOptions } from '../pipeline/proxy';
import { registerSecret } from '../pipeline/secrets';

/** The part of azure-devops-node-api's TaskApi the workload identity flow needs. */
export interface OidcTokenApi {
  createOidcToken(
    claims: { [key: string]: string },
    scopeIdentifier: string,
    hubName: string,
    planId: string,
    jobId: string,
    serviceConnectionId?: string,
  ): Promise<{ oidcToken?: string }>;
}

/** Makes the Azure DevOps client for `collectionUri` authenticated with the job's access token. */
export type DevOpsClientFactory = (collectionUri: string, accessToken: string) => { getTaskApi(): Promise<OidcTokenApi> };

export interface OidcAssertionOptions {
  readonly env?: AgentEnvironment;
  readonly devOpsClientFactory?: DevOpsClientFactory;
  /** Attempts per assertion (default 3) and the first delay between them (default 2 s, doubling). */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly proxy?: AgentProxy;
}

/**
 * The real client: azure-devops-node-api's TaskApi on the collection URL with a bearer handler and the agent proxy
 * (what WebApi.getTaskApi() builds: the task area lives on the collection URL itself).
 */
export function defaultDevOpsClientFactory(proxy?: AgentProxy): DevOpsClientFactory {
  return (collectionUri, accessToken) => {
    const proxyOptions = devOpsProxyOptions(proxy);
    const api = new TaskApi(collectionUri, [new BearerCredentialHandler(accessToken, false)], proxyOptions ? { proxy: proxyOptions } : {});
    return { getTaskApi: async () => api };
  };
}

/** The job's access token, from the SystemVssConnection endpoint (how the agent passes it) or System.AccessToken. */
function jobAccessToken(env: AgentEnvironment): string | undefined {
  return env.getEndpointAuthorizationParameter('SYSTEMVSSCONNECTION', 'AccessToken') ?? env.getVariable('System.AccessToken');
}

interface JobContext {
  readonly collectionUri: string;
  readonly projectId: string;
  readonly hub: string;
  readonly planId: string;
  readonly jobId: string;
  readonly accessToken: string;
}

function readJobContext(env: AgentEnvironment, connectionId: string): JobContext {
  const values = {
    collectionUri: env.getVariable('System.CollectionUri') ?? env.getVariable('System.TeamFoundationCollectionUri'),
    projectId: env.getVariable('System.TeamProjectId'),
    hub: env.getVariable('System.HostType'),
    planId: env.getVariable('System.PlanId'),
    jobId: env.getVariable('System.JobId'),
  };
  const variableNames: Record<keyof typeof values, string> = {
    collectionUri: 'System.CollectionUri',
    projectId: 'System.TeamProjectId',
    hub: 'System.HostType',
    planId: 'System.PlanId',
    jobId: 'System.JobId',
  };
  const missing = (Object.keys(values) as Array<keyof typeof values>).filter((key) => !values[key]).map((key) => variableNames[key]);
  if (missing.length > 0) {
    throw new TaskError(
      `The service connection '${connectionId}' uses workload identity federation, which needs the pipeline variables ` +
        `${missing.join(', ')} that the agent did not provide. Run the task on an Azure Pipelines agent (3.232.1 or later).`,
    );
  }
  const accessToken = jobAccessToken(env);
  if (!accessToken) {
    throw new TaskError(
      `The service connection '${connectionId}' uses workload identity federation, which needs the job's access token ` +
        '(System.AccessToken), and the agent did not provide it. Check that the job can access the OAuth token.',
    );
  }
  return {
    collectionUri: values.collectionUri as string,
    projectId: values.projectId as string,
    hub: values.hub as string,
    planId: values.planId as string,
    jobId: values.jobId as string,
    accessToken,
  };
}

function isRetriable(error: unknown): boolean {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/**
 * `getAssertion` for ClientAssertionCredential: asks Azure DevOps for a NEW OIDC token for the connection on every
 * call (createOidcToken), so a job that outlives one token (10 minutes in Azure DevOps) can still sign in again.
 * Retries transient failures a few times. Each token is registered as a secret.
 */
export function createOidcAssertionProvider(connectionId: string, options: OidcAssertionOptions = {}): () => Promise<string> {
  const env = options.env ?? taskLibEnvironment;
  const factory = options.devOpsClientFactory ?? defaultDevOpsClientFactory(options.proxy);
  const attempts = Math.max(1, options.attempts ?? 3);
  const firstDelayMs = options.retryDelayMs ?? 2_000;

  return async () => {
    const job = readJobContext(env, connectionId);
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const api = await factory(job.collectionUri, job.accessToken).getTaskApi();
        const response = await api.createOidcToken({}, job.projectId, job.hub, job.planId, job.jobId, connectionId);
        if (response?.oidcToken) {
          registerSecret(response.oidcToken);
          debug(`Got an OIDC token from Azure DevOps for service connection ${connectionId} (attempt ${attempt}).`);
          return response.oidcToken;
        }
        lastError = new Error('Azure DevOps answered without a token');
      } catch (error) {
        lastError = error;
        if (!isRetriable(error)) break;
      }
      if (attempt < attempts) {
        const delayMs = firstDelayMs * 2 ** (attempt - 1);
        debug(`Getting an OIDC token failed (${String((lastError as Error)?.message ?? lastError)}); retrying in ${delayMs} ms.`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    const detail = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TaskError(
      `Could not get an OIDC token from Azure DevOps for the service connection '${connectionId}' (workload identity federation): ${detail}. ` +
        'Check that this pipeline is authorized to use the connection and that the connection is still valid (Project settings > Service connections).',
    );
  };
}
