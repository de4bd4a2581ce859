/**
 * Public surface of the emulator, used by tests, the demo and the benchmark.
 * Start one with `startEmulator()` from './index'.
 */

export interface EmulatorOptions {
  /** Folder for the CA, Azurite's data and job working folders (default: a new temporary folder, removed on stop). */
  readonly stateDir?: string;
  /** Lifetime of issued Entra access tokens in seconds (default 3600). Tests shorten it to prove token refresh. */
  readonly accessTokenLifetimeSeconds?: number;
  /** Lifetime of issued Azure DevOps OIDC tokens in seconds (default 600). */
  readonly oidcTokenLifetimeSeconds?: number;
  /** Retry-After seconds on long-running-operation answers (default: header omitted). */
  readonly lroRetryAfterSeconds?: number;
  /** Milliseconds between job status steps NotStarted -> Queued -> Running (default 150). */
  readonly jobStepDelayMs?: number;
}

export type AuthScheme = 'servicePrincipalSecret' | 'servicePrincipalCertificate' | 'workloadIdentity' | 'managedIdentity';

export interface ConnectionEnvOptions {
  /** `Subscription` (default) or `AzureMLWorkspace` (connection scoped to the emulator's workspace). */
  readonly scopeLevel?: 'Subscription' | 'AzureMLWorkspace';
}

export type FaultKind =
  | { readonly type: 'status'; readonly status: number; readonly retryAfterSeconds?: number }
  | { readonly type: 'drop' }
  | { readonly type: 'delay'; readonly delayMs: number };

export interface FaultRule {
  /** HTTP method to match (default: any). */
  readonly method?: string;
  /** Matched against the request path (no query string). A string matches as a substring. */
  readonly path: RegExp | string;
  readonly fault: FaultKind;
  /** How many matching requests get the fault (default 1). */
  readonly times?: number;
}

export interface RecordedExchange {
  readonly method: string;
  /** Full URL including query string. */
  readonly url: string;
  readonly routeTemplate: string;
  readonly kind: 'arm' | 'dataPlane' | 'open';
  readonly requestHeaders: Record<string, string>;
  readonly requestBody: unknown;
  readonly status: number;
  readonly responseHeaders: Record<string, string>;
  readonly responseBody: unknown;
}

export interface EmulatorPrincipals {
  readonly servicePrincipalSecret: { readonly clientId: string; readonly clientSecret: string };
  /** `pem` holds the certificate and its private key, as the agent passes servicePrincipalCertificate. */
  readonly servicePrincipalCertificate: { readonly clientId: string; readonly pem: string };
  readonly workloadIdentity: { readonly clientId: string; readonly issuer: string; readonly subject: string };
  readonly managedIdentity: { readonly clientId: string };
}

export interface DevOpsContext {
  /** System.CollectionUri (ends with '/'). */
  readonly collectionUri: string;
  readonly projectId: string;
  readonly projectName: string;
  readonly planId: string;
  readonly jobId: string;
  readonly hostType: 'build' | 'release';
  /** System.AccessToken accepted by the OIDC endpoint. */
  readonly accessToken: string;
}

export interface Emulator {
  /** https://127.0.0.1:<port>/ */
  readonly url: string;
  /** PEM of the emulator's CA: child processes need NODE_EXTRA_CA_CERTS=<this path>. */
  readonly caCertPath: string;
  /**
   * http://127.0.0.1:<port>, the agent's proxy: tunnels *.blob.core.windows.net to Azurite and the online endpoints'
   * scoring hosts (`<endpoint>.<region>.inference.ml.azure.com`, `<compute>.<region>.cloudapp.azure.com`) to their
   * front end.
   */
  readonly proxyUrl: string;
  readonly tenantId: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
  readonly principals: EmulatorPrincipals;
  readonly devops: DevOpsContext;
  /** The storage account behind the workspace's datastores (Azurite), for tests that seed or inspect blobs. */
  readonly storage: EmulatorStorage;
  readonly faults: {
    add(rule: FaultRule): void;
    clear(): void;
  };
  /** Every request the emulator answered, in order (cleared by `clearTraffic`). */
  readonly traffic: readonly RecordedExchange[];
  clearTraffic(): void;
  /**
   * Environment the agent gives a task for an AzureRM service connection with id `connectionId` using `scheme`:
   * ENDPOINT_URL_/ENDPOINT_AUTH_/ENDPOINT_AUTH_SCHEME_/ENDPOINT_AUTH_PARAMETER_/ENDPOINT_DATA_ variables, plus what the
   * scheme needs from the machine (System.AccessToken and SYSTEM_* for workload identity, IDENTITY_ENDPOINT/
   * IDENTITY_HEADER for managed identity), plus NODE_EXTRA_CA_CERTS and the agent proxy variables.
   */
  connectionEnv(connectionId: string, scheme: AuthScheme, options?: ConnectionEnvOptions): Record<string, string>;
  /** Read-only view of the emulated Azure ML state, for assertions. */
  readonly inspect: EmulatorInspector;
  stop(): Promise<void>;
}

export interface EmulatorStorage {
  readonly accountName: string;
  /** Shared key of the account (a secret: never print it). */
  readonly accountKey: string;
  /** Container of the default datastore (`workspaceblobstore`): azureml-blobstore-<workspace id>. */
  readonly defaultContainer: string;
  /** Container of run artifacts and logs (`workspaceartifactstore`): azureml. */
  readonly artifactsContainer: string;
  /** Production-style URL https://<account>.blob.core.windows.net/<container>/<path>, reachable through `proxyUrl`. */
  blobUrl(container: string, blobPath: string): string;
  /** The same URL with a read-only SAS valid for `expiresInSeconds` (a secret). */
  readSasUrl(container: string, blobPath: string, expiresInSeconds: number): string;
}

export interface EmulatorInspector {
  /** A job's ARM resource as GET returns it, or undefined. */
  job(name: string): Record<string, unknown> | undefined;
  jobNames(): string[];
  /** Every blob in the default datastore container with its etag, to tell whether a run uploaded anything. */
  datastoreBlobs(): Promise<Array<{ readonly name: string; readonly etag: string }>>;
  /** Metrics logged for a run (MLflow run id = job name): last value per key. */
  metrics(runId: string): Record<string, number>;
  /** The versions of a registered model as GET returns them, oldest first; [] when there is no such model. */
  modelVersions(name: string): Array<Record<string, unknown>>;
  /**
   * An online endpoint as GET returns it (properties.traffic, properties.provisioningState...), with
   * properties.mirrorTraffic as API versions after 2022-10-01 show it; undefined when it does not exist.
   */
  onlineEndpoint(name: string): Record<string, unknown> | undefined;
  /** The deployments of an online endpoint as GET returns them, oldest first; [] when the endpoint does not exist. */
  onlineDeployments(endpointName: string): Array<Record<string, unknown>>;
  /**
   * Scoring requests each deployment of an online endpoint answered through its scoring URI, by deployment name:
   * `routed` (by traffic or by the azureml-model-deployment header), `mirrored` (copies of live traffic), `failed`
   * (routed requests answered with anything but 2xx); {} when the endpoint does not exist.
   */
  scoringRequests(endpointName: string): Record<string, { readonly routed: number; readonly mirrored: number; readonly failed: number }>;
  /** Process ids of the inference servers running for an online endpoint's deployments (one per instance), by deployment name. */
  inferenceServerPids(endpointName: string): Record<string, number[]>;
  /** The workspace's container registry: ARM id, name and login server (`<name>.azurecr.io`). */
  containerRegistry(): { readonly id: string; readonly name: string; readonly loginServer: string };
  /**
   * ACR Tasks runs of the registry, newest first, as GET returns them (properties.status, outputImages...), each with
   * the `request` it was scheduled with (secret build arguments shown as ***).
   */
  containerRegistryRuns(): Array<Record<string, unknown>>;
  /** The whole log of an ACR run ('' when there is no such run). */
  containerRegistryRunLog(runId: string): Promise<string>;
  /** The images of a repository of the registry (`az acr repository show-manifests`): digest, tags, pushing run. */
  containerImages(repository: string): Array<{ readonly digest: string; readonly tags: readonly string[]; readonly runId: string | undefined; readonly createdTime: string }>;
}
