/**
 * Azure Container Registry through its management SDK (@azure/arm-containerregistry): the registry (GET, list,
 * importImage) and ACR Tasks quick builds (listBuildSourceUploadUrl, scheduleRun, runs get/cancel/listLogSasUrl), on
 * the connection's ARM URL with the task's credential, retry, user agent and proxy. The rest of the task sees only
 * the small interfaces below (tests fake them). A refusal (401/403) of an operation on the registry becomes a
 * RegistryPermissionError naming the action the identity lacks and the role that grants it.
 */
import type { TokenCredential } from '@azure/core-auth';
import { ContainerRegistryManagementClient, type DockerBuildRequest, type Registry, type Run } from '@azure/arm-containerregistry';
import {
  type AzureHttpOptions,
  type AzureRmConnection,
  applyAzureHttpOptions,
  isRestError,
  registerSasUrl,
  serviceClientOptions,
} from '@azureml-mlops/shared';

import { permissionError, type RegistryOperationName } from './permissions';

export interface RegistryInfo {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  /** `<name>.azurecr.io`. */
  readonly loginServer: string;
}

export interface ImageDescriptor {
  readonly registry?: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** An ACR run as the task follows it. */
export interface BuildRun {
  readonly runId: string;
  /** Queued, Started, Running, Succeeded, Failed, Canceled, Error, Timeout. */
  readonly status: string;
  readonly outputImages: readonly ImageDescriptor[];
  readonly runErrorMessage?: string;
  readonly startTime?: Date;
  readonly finishTime?: Date;
}

/** A quick build: the fields of a DockerBuildRequest the task sets. */
export interface DockerBuildSpec {
  /** `repository:tag`, each pushed. */
  readonly imageNames: readonly string[];
  readonly dockerFilePath: string;
  /** relativePath of the uploaded context. */
  readonly sourceLocation: string;
  readonly platform: { readonly os: 'Linux'; readonly architecture: string; readonly variant?: string };
  readonly arguments: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly timeoutSeconds: number;
  readonly noCache: boolean;
}

/** The registries of one subscription. */
export interface RegistryLookup {
  /** Undefined when there is no such registry (404). */
  getRegistry(resourceGroup: string, name: string, signal: AbortSignal): Promise<RegistryInfo | undefined>;
  listRegistries(signal: AbortSignal): Promise<RegistryInfo[]>;
  /** The operations on one registry. */
  operations(registry: RegistryInfo): RegistryOperations;
}

export interface RegistryOperations {
  readonly registry: RegistryInfo;
  /** A SAS URL to upload the context to (a secret, registered as such) and the relativePath to schedule the run with. */
  getSourceUploadUrl(signal: AbortSignal): Promise<{ readonly uploadUrl: string; readonly relativePath: string }>;
  /**
   * Schedules the run. Cancelled (`signal`) while the request is in flight, it still waits a little for ACR's answer:
   * the run may be queued already, and only the answer names it. The run is then returned (the signal is aborted) for
   * the caller to cancel; without an answer in time, it rejects.
   */
  scheduleBuild(spec: DockerBuildSpec, signal: AbortSignal): Promise<BuildRun>;
  getRun(runId: string, signal: AbortSignal): Promise<BuildRun>;
  /** The run log's SAS URL (a secret, registered as such). */
  getLogLink(runId: string, signal: AbortSignal): Promise<string>;
  /** Sends the cancel request; does not wait for the run to stop. */
  cancelRun(runId: string, signal: AbortSignal): Promise<void>;
  /** Points `targetTags` (`repository:tag`) at `sourceImage` (`repository@sha256:...`) in this registry, overwriting them. */
  importTags(sourceImage: string, targetTags: readonly string[], signal: AbortSignal): Promise<void>;
}

export interface AcrConnection {
  readonly connection: AzureRmConnection;
  readonly credential: TokenCredential;
  readonly httpOptions: AzureHttpOptions;
}

/** How long a cancelled scheduleRun request may still take to answer (the agent allows ~8 s to wind down, and cancelling the run takes the rest). */
export const SCHEDULE_ANSWER_GRACE_MS = 2_000;

/** The registries of `subscriptionId` through the SDK. */
export function createRegistryLookup(access: AcrConnection, subscriptionId: string): RegistryLookup {
  const { connection, credential, httpOptions } = access;
  const client = new ContainerRegistryManagementClient(credential, subscriptionId, {
    ...serviceClientOptions(httpOptions),
    // Both, as for the Azure ML client: `endpoint` is the client's base URI, `$host` fills the operations' URL template.
    endpoint: connection.armUrl,
    $host: connection.armUrl,
    credentialScopes: [connection.scope],
  });
  applyAzureHttpOptions(client.pipeline, httpOptions);

  return {
    async getRegistry(resourceGroup, name, signal) {
      try {
        return registryInfo(await client.registries.get(resourceGroup, name, { abortSignal: signal }));
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) return undefined;
        throw error;
      }
    },
    async listRegistries(signal) {
      const found: RegistryInfo[] = [];
      for await (const registry of client.registries.list({ abortSignal: signal })) found.push(registryInfo(registry));
      return found;
    },
    operations: (registry) => registryOperations(client, registry, connection),
  };
}

/** The part of the SDK client the registry operations use (tests give a fake). */
export type AcrSdkClient = Pick<ContainerRegistryManagementClient, 'registries' | 'runs'>;

export function registryOperations(client: AcrSdkClient, registry: RegistryInfo, connection: Pick<AzureRmConnection, 'id' | 'clientId'>): RegistryOperations {
  const { resourceGroup, name } = registry;
  const guarded = async <T>(operation: RegistryOperationName, body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (error) {
      throw permissionError(error, operation, name, connection) ?? error;
    }
  };
  return {
    registry,
    getSourceUploadUrl: (signal) =>
      guarded('upload', async () => {
        const upload = await client.registries.getBuildSourceUploadUrl(resourceGroup, name, { abortSignal: signal });
        if (!upload.uploadUrl || !upload.relativePath) throw new Error(`The registry '${name}' gave no upload location for the build context.`);
        registerSasUrl(upload.uploadUrl);
        return { uploadUrl: upload.uploadUrl, relativePath: upload.relativePath };
      }),
    scheduleBuild: (spec, signal) =>
      guarded('schedule', async () => {
        signal.throwIfAborted();
        const request: DockerBuildRequest = {
          type: 'DockerBuildRequest',
          imageNames: [...spec.imageNames],
          isPushEnabled: true,
          noCache: spec.noCache,
          dockerFilePath: spec.dockerFilePath,
          sourceLocation: spec.sourceLocation,
          platform: { os: spec.platform.os, architecture: spec.platform.architecture, ...(spec.platform.variant ? { variant: spec.platform.variant } : {}) },
          arguments: spec.arguments.map((a) => ({ name: a.name, value: a.value, isSecret: false })),
          timeout: spec.timeoutSeconds,
          isArchiveEnabled: false,
        };
        const inFlight = abortedAfterGrace(signal, SCHEDULE_ANSWER_GRACE_MS);
        try {
          // ACR answers with the queued run: the poller is done after its first answer, nothing is waited for here.
          const poller = await client.registries.beginScheduleRun(resourceGroup, name, request, { abortSignal: inFlight.signal });
          const run = poller.getResult() ?? (await poller.pollUntilDone({ abortSignal: inFlight.signal }));
          return buildRun(run);
        } finally {
          inFlight.dispose();
        }
      }),
    getRun: (runId, signal) => guarded('readRun', async () => buildRun(await client.runs.get(resourceGroup, name, runId, { abortSignal: signal }))),
    getLogLink: (runId, signal) =>
      guarded('readLog', async () => {
        const result = await client.runs.getLogSasUrl(resourceGroup, name, runId, { abortSignal: signal });
        if (!result.logLink) throw new Error(`The registry '${name}' gave no log link for run ${runId}.`);
        registerSasUrl(result.logLink);
        return result.logLink;
      }),
    cancelRun: (runId, signal) =>
      guarded('cancel', async () => {
        // The first answer is enough: the run's status tells when it stopped.
        await client.runs.beginCancel(resourceGroup, name, runId, { abortSignal: signal });
      }),
    importTags: (sourceImage, targetTags, signal) =>
      guarded('import', async () => {
        await client.registries.beginImportImageAndWait(
          resourceGroup,
          name,
          { source: { resourceId: registry.id, sourceImage }, targetTags: [...targetTags], mode: 'Force' },
          { abortSignal: signal, updateIntervalInMs: 1000 },
        );
      }),
  };
}

/** A signal that aborts `graceMs` after `signal` does: a request already sent may still get its answer. */
function abortedAfterGrace(signal: AbortSignal, graceMs: number): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    timer = setTimeout(() => controller.abort(signal.reason), graceMs);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    },
  };
}

const REGISTRY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)$/i;

function registryInfo(registry: Registry): RegistryInfo {
  const id = registry.id ?? '';
  const match = REGISTRY_ID.exec(id);
  const name = registry.name ?? match?.[3] ?? '';
  return {
    id,
    name,
    subscriptionId: match?.[1] ?? '',
    resourceGroup: match?.[2] ?? '',
    loginServer: registry.loginServer ?? `${name.toLowerCase()}.azurecr.io`,
  };
}

function buildRun(run: Run | undefined): BuildRun {
  if (!run?.runId) throw new Error('The registry answered without a run id.');
  return {
    runId: run.runId,
    status: run.status ?? 'Queued',
    outputImages: (run.outputImages ?? []).map((image) => ({ registry: image.registry, repository: image.repository, tag: image.tag, digest: image.digest })),
    ...(run.runErrorMessage ? { runErrorMessage: run.runErrorMessage } : {}),
    ...(run.startTime ? { startTime: run.startTime } : {}),
    ...(run.finishTime ? { finishTime: run.finishTime } : {}),
  };
}
