import type { TokenCredential } from '@azure/core-auth';
import { AzureMachineLearningWorkspaces, Workspace } from '@azure/arm-machinelearning';
import { createDefaultHttpClient, HttpClient, HttpMethods, isRestError } from '@azure/core-rest-pipeline';

import { InputError, TaskError } from '../pipeline/errors';
import { debug } from '../pipeline/logging';
import { ArmRequestOptions, ArmWaitOptions, armRequest, armRequestAndWait } from './armOperations';
import { AzureRmConnection } from './connection';
import { DataPlaneDiscovery, workspaceScopePath } from './dataPlane';
import { DatastoreContainer, openDefaultDatastore } from './datastore';
import { applyAzureHttpOptions, AzureHttpOptions, createHttpPipeline, serviceClientOptions } from './httpPolicies';
import { MlflowClient } from './mlflow';
import { RestResponse, SendRequest } from './rest';
import { RunHistoryClient } from './runHistory';

export interface OpenWorkspaceOptions {
  readonly connection: AzureRmConnection;
  readonly credential: TokenCredential;
  readonly httpOptions: AzureHttpOptions;
  /** From the task inputs; default: the connection's workspace scope. */
  readonly resourceGroup?: string;
  readonly workspaceName?: string;
  /** Input names used in error messages (default resourceGroup and workspace). */
  readonly inputNames?: { readonly resourceGroup?: string; readonly workspace?: string };
  readonly abortSignal?: AbortSignal;
  /** HTTP client for every request (default: core-rest-pipeline's). */
  readonly httpClient?: HttpClient;
}

/** Everything a task needs to work with one Azure ML workspace, all sharing one credential and HTTP settings. */
export interface WorkspaceClient {
  /** Azure ML ARM SDK (API 2022-10-01) on the connection's ARM URL. Its serializer drops unknown fields: use armRequest for those. */
  readonly arm: AzureMachineLearningWorkspaces;
  readonly connection: AzureRmConnection;
  readonly credential: TokenCredential;
  readonly httpOptions: AzureHttpOptions;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  /** The workspace as ARM returned it. */
  readonly workspace: Workspace;
  /** `/subscriptions/…/workspaces/<name>`: the workspace's ARM id, to build child paths for armRequest. */
  readonly workspaceArmPath: string;
  /** Raw ARM call through the ARM client's pipeline (same token, retry, proxy); api-version added when missing. */
  armRequest<T = unknown>(method: HttpMethods, path: string, body?: unknown, options?: ArmRequestOptions): Promise<RestResponse<T>>;
  /** armRequest that waits for a long-running operation to end. */
  armRequestAndWait<T = unknown>(method: HttpMethods, path: string, body?: unknown, options?: ArmWaitOptions): Promise<RestResponse<T>>;
  readonly dataPlane: DataPlaneDiscovery;
  readonly mlflow: MlflowClient;
  readonly runHistory: RunHistoryClient;
  /** The default blob datastore as a ContainerClient (opened once, then cached). */
  defaultDatastore(abortSignal?: AbortSignal): Promise<DatastoreContainer>;
}

/** The ARM SDK client for a connection, with our retry, user agent and proxy. */
export function createArmClient(
  connection: AzureRmConnection,
  credential: TokenCredential,
  httpOptions: AzureHttpOptions,
  httpClient?: HttpClient,
): AzureMachineLearningWorkspaces {
  const arm = new AzureMachineLearningWorkspaces(credential, connection.subscriptionId, {
    ...serviceClientOptions(httpOptions),
    // Both: `endpoint` is the client's base URI, `$host` fills the operations' URL template.
    endpoint: connection.armUrl,
    $host: connection.armUrl,
    credentialScopes: [connection.scope],
    ...(httpClient ? { httpClient } : {}),
  });
  applyAzureHttpOptions(arm.pipeline, httpOptions);
  return arm;
}

/**
 * Opens the workspace: builds the clients and reads the workspace (so a wrong name fails here, early, with an
 * InputError that lists the workspaces that do exist in the resource group).
 */
export async function openWorkspace(options: OpenWorkspaceOptions): Promise<WorkspaceClient> {
  const { connection, credential, httpOptions } = options;
  const resourceGroupInput = options.inputNames?.resourceGroup ?? 'resourceGroup';
  const workspaceInput = options.inputNames?.workspace ?? 'workspace';
  const resourceGroup = options.resourceGroup ?? connection.workspaceScope?.resourceGroup;
  const workspaceName = options.workspaceName ?? connection.workspaceScope?.workspaceName;
  if (!resourceGroup) {
    throw new InputError(resourceGroupInput, 'a value is required', `Set '${resourceGroupInput}', or use a service connection scoped to the Azure ML workspace`);
  }
  if (!workspaceName) {
    throw new InputError(workspaceInput, 'a value is required', `Set '${workspaceInput}', or use a service connection scoped to the Azure ML workspace`);
  }

  const httpClient = options.httpClient ?? createDefaultHttpClient();
  const arm = createArmClient(connection, credential, httpOptions, httpClient);
  const send: SendRequest = (request) => arm.sendRequest(request);
  const anonymousPipeline = createHttpPipeline(httpOptions);
  const sendAnonymous: SendRequest = (request) => anonymousPipeline.sendRequest(httpClient, request);

  const subscriptionLabel = connection.subscriptionName ? `'${connection.subscriptionName}' (${connection.subscriptionId})` : connection.subscriptionId;
  let workspace: Workspace;
  try {
    workspace = await arm.workspaces.get(resourceGroup, workspaceName, { abortSignal: options.abortSignal });
  } catch (error) {
    throw await workspaceNotFoundError(error, arm, {
      resourceGroup,
      workspaceName,
      resourceGroupInput,
      workspaceInput,
      subscriptionLabel,
      connectionId: connection.id,
      abortSignal: options.abortSignal,
    });
  }
  debug(`Workspace ${workspace.id ?? workspaceName} (${workspace.location ?? 'unknown region'})`);

  const scopePath = workspaceScopePath(connection.subscriptionId, resourceGroup, workspaceName);
  const label = `'${workspaceName}'`;
  const dataPlane = new DataPlaneDiscovery(workspace.discoveryUrl, sendAnonymous, label);
  let datastore: Promise<DatastoreContainer> | undefined;
  return {
    arm,
    connection,
    credential,
    httpOptions,
    subscriptionId: connection.subscriptionId,
    resourceGroup,
    workspaceName,
    workspace,
    workspaceArmPath: `/${scopePath}`,
    armRequest: (method, path, body, requestOptions) => armRequest(send, connection.armUrl, method, path, body, requestOptions),
    armRequestAndWait: (method, path, body, waitOptions) => armRequestAndWait(send, connection.armUrl, method, path, body, waitOptions),
    dataPlane,
    mlflow: new MlflowClient(dataPlane, send, scopePath),
    runHistory: new RunHistoryClient(dataPlane, send, sendAnonymous, scopePath),
    defaultDatastore: (abortSignal) => {
      if (!datastore) {
        datastore = openDefaultDatastore(arm, resourceGroup, workspaceName, credential, httpOptions, abortSignal);
        datastore.catch(() => (datastore = undefined));
      }
      return datastore;
    },
  };
}

interface NotFoundContext {
  readonly resourceGroup: string;
  readonly workspaceName: string;
  readonly resourceGroupInput: string;
  readonly workspaceInput: string;
  readonly subscriptionLabel: string;
  readonly connectionId: string;
  readonly abortSignal?: AbortSignal;
}

/** Turns a failed workspace GET into the error a user can act on; other errors are returned unchanged. */
async function workspaceNotFoundError(error: unknown, arm: AzureMachineLearningWorkspaces, ctx: NotFoundContext): Promise<unknown> {
  if (!isRestError(error)) return error;
  const code = error.code ?? '';
  if (error.statusCode === 404 && /ResourceGroupNotFound/i.test(code)) {
    return new InputError(
      ctx.resourceGroupInput,
      `the resource group '${ctx.resourceGroup}' was not found in subscription ${ctx.subscriptionLabel}`,
      'Check the name, and that the service connection points to the subscription that holds the workspace',
    );
  }
  if (error.statusCode === 404) {
    let existing: string[] | undefined;
    try {
      existing = [];
      for await (const ws of arm.workspaces.listByResourceGroup(ctx.resourceGroup, { abortSignal: ctx.abortSignal })) {
        if (ws.name) existing.push(ws.name);
      }
    } catch {
      existing = undefined; // Listing may not be allowed (e.g. a workspace-scoped connection): just say less.
    }
    const fix =
      existing === undefined
        ? 'Check the name and the resource group'
        : existing.length === 0
          ? `The resource group has no Azure ML workspace: check '${ctx.resourceGroupInput}'`
          : `Workspaces in that resource group: ${existing.sort().join(', ')}`;
    return new InputError(
      ctx.workspaceInput,
      `the Azure ML workspace '${ctx.workspaceName}' was not found in resource group '${ctx.resourceGroup}' (subscription ${ctx.subscriptionLabel})`,
      fix,
    );
  }
  if (error.statusCode === 403 || error.statusCode === 401) {
    return new TaskError(
      `The service connection '${ctx.connectionId}' may not read the Azure ML workspace '${ctx.workspaceName}' in resource group '${ctx.resourceGroup}' ` +
        `(HTTP ${error.statusCode}${code ? ` ${code}` : ''}). Give its identity a role on the workspace, e.g. AzureML Data Scientist, or Contributor.`,
      { cause: error },
    );
  }
  return error;
}
