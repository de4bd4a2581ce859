import type { BlobServiceClient } from '@azure/storage-blob';

/**
 * Everything an emulator module needs from the rest of the emulator. Modules export
 * `register(router, ctx)` and never import each other's internals: they meet here.
 */
export interface EmulatorContext {
  readonly config: EmulatorConfig;
  /** https://127.0.0.1:<port>/ — ARM, Entra ID, Azure ML data plane and Azure DevOps all answer here. */
  readonly baseUrl: string;
  /** Folder for the CA, Azurite's data and job working folders. */
  readonly stateDir: string;
  /** PEM of the emulator's CA, for processes the emulator starts (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS). */
  readonly caCertPath: string;
  readonly storage: StorageService;
  readonly tokens: TokenService;
  /** Log line for the emulator's own diagnostics (silent unless EMULATOR_DEBUG is set). */
  debug(message: string): void;
}

export interface EmulatorConfig {
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly subscriptionName: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  /** The workspace's GUID (properties.workspaceId): name-based, the same for the same subscription/group/name. */
  readonly workspaceId: string;
  readonly location: string;
  /** The one ARM api-version the Azure ML routes accept. */
  readonly armApiVersion: string;
  /** Lifetime of Entra access tokens the emulator issues, in seconds. */
  readonly accessTokenLifetimeSeconds: number;
  /** Lifetime of Azure DevOps OIDC tokens the emulator issues, in seconds. */
  readonly oidcTokenLifetimeSeconds: number;
  /** Retry-After (seconds) on long-running-operation answers; undefined omits the header (see docs/emulator.md). */
  readonly lroRetryAfterSeconds: number | undefined;
  /** Delay before a submitted job leaves NotStarted, and between status steps, in milliseconds. */
  readonly jobStepDelayMs: number;
}

/** The storage account behind the workspace's default datastore, served by Azurite. */
export interface StorageService {
  readonly accountName: string;
  /** Shared key of the account, returned by datastore listSecrets. */
  readonly accountKey: string;
  /** Storage endpoint suffix as a datastore reports it (`core.windows.net`). */
  readonly endpointSuffix: string;
  /** Container of the workspace's default blob datastore (`workspaceblobstore`). */
  readonly defaultContainer: string;
  /** Container where run artifacts and logs live (`azureml`). */
  readonly artifactsContainer: string;
  /** Client for the emulator's own use, talking to Azurite directly. */
  readonly client: BlobServiceClient;
  /** Production-style URL (https://<account>.blob.core.windows.net/<container>/<path>) that clients reach through the proxy. */
  blobUrl(container: string, blobPath: string): string;
  /** Same URL with a read-only SAS valid for `expiresInSeconds`. */
  readSasUrl(container: string, blobPath: string, expiresInSeconds: number): string;
}

/** Issues Entra access tokens the emulator accepts (for processes the emulator itself starts, e.g. a job's MLflow client). */
export interface TokenService {
  /** `lifetimeSeconds` defaults to the configured access-token lifetime; a job's run token lives as long as the job. */
  issue(clientId: string, audience: string, lifetimeSeconds?: number): { readonly token: string; readonly expiresOn: Date };
}
