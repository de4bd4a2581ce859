/**
 * AzureMLBuildImage@1: build the scoring image in a container registry with ACR Tasks (a quick build of the user's
 * Dockerfile, or of one the task writes from a base image, a conda file, the scoring code and optionally the model),
 * tag it with the model, the build id and the user's tags, and register an Azure ML environment version that points
 * at it by digest.
 *
 * Order matters for "bad input leaves nothing half-done": the inputs are checked offline (parameters.ts); then reads
 * only: the workspace, the registry, the model, the environment versions (an explicit environmentVersion that exists
 * must be able to hold this run's image); the context is prepared on the agent. Only then is anything written: the
 * context uploaded and the run scheduled (or, for a context built before, the tags pointed at that image), and the
 * environment version registered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  currentTask,
  describeError,
  getIfExists,
  group,
  info,
  type ModelVersionResource,
  modelVersionIdentity,
  resolveModelReference,
  TaskError,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import type { ModelToInclude } from './context/modelFiles';
import { downloadModelFiles } from './context/modelFiles';
import { prepareContext, type PreparedContext } from './context/prepare';
import {
  ENVIRONMENT_PROPERTY_KEYS,
  environmentPath,
  environmentReference,
  type EnvironmentRegistration,
  type EnvironmentSettings,
  environmentStudioUrl,
  type EnvironmentVersionResource,
  findBuild,
  listEnvironmentVersions,
  registerEnvironmentVersion,
  settingsDifferences,
  versionConflict,
  versionOf,
  versionsWithImage,
} from './environment';
import { DIGEST_PATTERN, imageByDigest, modelTag } from './imageNames';
import { INPUTS, type BuildImageParameters } from './parameters';
import type { BuildRun, RegistryLookup, RegistryOperations } from './registry/acrClient';
import type { ReadLog } from './registry/buildLog';
import { resolveRegistry } from './registry/resolve';
import { waitForBuildRun } from './registry/waitForRun';
import { portalHostOf, publishBuildSummary, registryRunsUrl, setBuildOutputs } from './report';

/** The Azure clients run() needs, created by index.ts from the service connection (tests inject fakes). */
export interface BuildImageClients {
  /** Opens the workspace (reads it: a wrong resource group or workspace name fails here). */
  connectWorkspace(signal: AbortSignal): Promise<WorkspaceClient>;
  /** The container registries of a subscription, through the ACR management API. */
  registries(workspace: WorkspaceClient, subscriptionId: string): RegistryLookup;
  /** Uploads the context archive to the SAS URL ACR gave (through the agent proxy, as datastore uploads). */
  uploadContext(workspace: WorkspaceClient, uploadUrl: string, file: string, signal: AbortSignal): Promise<void>;
}

interface BuiltImage {
  readonly digest: string;
  readonly runId: string | undefined;
  readonly alreadyBuilt: boolean;
  /** The environment version that recorded the build found (reuse). */
  readonly recordedBy?: EnvironmentVersionResource;
}

export async function run(params: BuildImageParameters, clients: BuildImageClients, signal: AbortSignal): Promise<void> {
  const workspace = await clients.connectWorkspace(signal);
  info(`Azure ML workspace: ${workspace.workspaceName} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId}).`);

  const registry = await resolveRegistry(workspace, params.registry, (subscriptionId) => clients.registries(workspace, subscriptionId), signal);
  const { loginServer } = registry.registry;
  const repository = `${loginServer}/${params.repository}`;
  info(`Container registry: ${registry.registry.name} (${loginServer})${params.registry ? '' : ", the workspace's"}. Repository: ${params.repository}.`);

  const model = params.model ? await resolveModel(workspace, params, signal) : undefined;
  const tags = imageTags(params, model);

  const workFolder = fs.mkdtempSync(path.join(ensureFolder(params.tempDirectory), 'azureml-build-image-'));
  try {
    const context = await group('Preparing the build context', () => prepare(workspace, params, model, workFolder, signal));
    const versions = await listEnvironmentVersions(workspace, params.environment.name, signal);
    const settings: EnvironmentSettings = { description: params.environment.description ?? defaultDescription(params, context), inference: params.environment.inference };
    const explicitVersion = await checkExplicitVersion(workspace, params, { buildHash: context.buildHash, repository, settings }, signal);

    const image =
      (await reuseEarlierBuild(registry, params, explicitVersion ?? findBuild(versions, context.buildHash, repository), explicitVersion !== undefined, tags, signal)) ??
      (await group(`Building ${params.repository} in ${registry.registry.name} with ACR Tasks`, () => build(workspace, clients, registry, params, context, tags, signal)));

    const imageName = imageByDigest(loginServer, params.repository, image.digest);
    const environment = await group(`Registering the environment '${params.environment.name}'`, () =>
      registerEnvironment(workspace, params, { imageName, image, context, model, registry, versions, settings, explicitVersion }, signal),
    );
    const environmentId = environment.resource.id ?? `${environmentPath(workspace, params.environment.name, environment.version)}`;
    const reference = environmentReference(params.environment.name, environment.version);
    info(`Image: ${imageName}`);
    info(`Tags: ${tags.map((tag) => `${params.repository}:${tag}`).join(', ')}`);
    info(`Environment: ${reference} (${environmentId})`);

    const report = {
      loginServer,
      registryName: registry.registry.name,
      registryId: registry.registry.id,
      repository: params.repository,
      digest: image.digest,
      imageName,
      tags,
      runId: image.runId,
      alreadyBuilt: image.alreadyBuilt,
      source: context.description,
      platform: params.platform.name,
      model: model ? { name: model.name, version: model.version, included: params.source.kind === 'generate' && params.source.includeModel } : undefined,
      environment: {
        id: environmentId,
        name: params.environment.name,
        version: environment.version,
        reference,
        created: environment.created,
        studioUrl: environmentStudioUrl(workspace, params.environment.name, environment.version),
      },
      tenantId: workspace.connection.tenantId,
      portalHost: portalHostOf(workspace.connection.environment),
    };
    setBuildOutputs(report);
    const runs = registryRunsUrl(report);
    if (runs && image.runId) info(`Build log of ACR run ${image.runId}: ${runs} (or: az acr task logs --registry ${registry.registry.name} --run-id ${image.runId})`);
    publishBuildSummary(report);
  } finally {
    fs.rmSync(workFolder, { recursive: true, force: true });
  }
}

async function resolveModel(workspace: WorkspaceClient, params: BuildImageParameters, signal: AbortSignal): Promise<ModelToInclude> {
  const resource: ModelVersionResource = await resolveModelReference(workspace, params.model!, INPUTS.model, signal);
  const { version } = modelVersionIdentity(resource);
  const name = params.model!.name;
  info(`Model: ${name}:${version}${params.source.kind === 'generate' && params.source.includeModel ? ' (its files go into the image)' : ' (tags the image; the deployment mounts the model)'}.`);
  return { name, version, resource };
}

/** The model tag, the build tag, then the user's; `latest` only when there is none of them. */
export function imageTags(params: Pick<BuildImageParameters, 'buildTag' | 'extraTags'>, model: { readonly name: string; readonly version: string } | undefined): string[] {
  const tags: string[] = [];
  const add = (tag: string | undefined): void => {
    if (tag !== undefined && !tags.includes(tag)) tags.push(tag);
  };
  if (model) add(modelTag(model.name, model.version));
  add(params.buildTag);
  for (const tag of params.extraTags) add(tag);
  if (tags.length === 0) add('latest');
  return tags;
}

async function prepare(workspace: WorkspaceClient, params: BuildImageParameters, model: ModelToInclude | undefined, workFolder: string, signal: AbortSignal): Promise<PreparedContext> {
  const task = currentTask();
  const context = await prepareContext(
    params,
    model,
    workFolder,
    {
      downloadModel: (m, folder, archiveFolder) => downloadModelFiles(workspace, m, folder, archiveFolder, signal),
      generator: `${task.name}@${task.version.split('.')[0]}`,
    },
    signal,
  );
  info(`Context: ${context.description}.`);
  for (const remark of context.remarks) info(remark);
  if (context.generatedDockerfile !== undefined) {
    info('The Dockerfile the task wrote:');
    for (const line of context.generatedDockerfile.trimEnd().split('\n')) info(`  ${line}`);
  }
  info(
    `Archive: ${context.archive.fileCount} file${context.archive.fileCount === 1 ? '' : 's'}, ${context.archive.gzipBytes} bytes compressed (${context.archive.tarBytes} as tar). ` +
      `Build identity: ${context.buildHash}.`,
  );
  return context;
}

/** The description of a version when the input is empty. */
function defaultDescription(params: BuildImageParameters, context: PreparedContext): string {
  return `Scoring image ${params.repository} built with ACR Tasks from ${context.description}.`;
}

/**
 * An explicit environment version that exists must be able to hold this run's image, checked before anything is
 * uploaded or built with what is known now: it points at an image of this registry and repository, recorded this
 * build (identity hash), holds the same settings, and its image is reused (noCache would build a new image, with a
 * new digest). Returns that version (its image is the one to reuse), or undefined when the version does not exist.
 */
async function checkExplicitVersion(
  workspace: WorkspaceClient,
  params: BuildImageParameters,
  wanted: { readonly buildHash: string; readonly repository: string; readonly settings: EnvironmentSettings },
  signal: AbortSignal,
): Promise<EnvironmentVersionResource | undefined> {
  const { name, version } = params.environment;
  if (version === undefined) return undefined;
  const existing = await getIfExists<EnvironmentVersionResource>(workspace, environmentPath(workspace, name, version), signal);
  if (!existing) return undefined;
  const image = existing.properties?.image ?? undefined;
  if (!image?.startsWith(`${wanted.repository}@`) || existing.properties?.properties?.[ENVIRONMENT_PROPERTY_KEYS.buildHash] !== wanted.buildHash) {
    throw versionConflict(name, version, `and points at ${image ?? 'no image'}, not at an image of this build in ${wanted.repository} (build identity ${wanted.buildHash.slice(0, 12)})`);
  }
  const differences = settingsDifferences(existing, wanted.settings);
  if (differences.length > 0) throw versionConflict(name, version, `with other settings: ${differences.join(', ')}`);
  if (params.noCache) {
    throw versionConflict(
      name,
      version,
      `and '${INPUTS.noCache}' is true: the image would be built again, with a new digest`,
      `Leave '${INPUTS.environmentVersion}' empty or choose a version that does not exist yet, or set '${INPUTS.noCache}' to false to use the image version ${version} points at`,
    );
  }
  return existing;
}

/**
 * The same context was built into this repository before (an environment version recorded it): the image is reused,
 * and the tags of this run are pointed at it by importing it into its own registry (no build). Undefined: build it,
 * because there is no such build, `noCache` asks for a fresh one, or the tagging failed (e.g. the image was deleted).
 * An explicit environment version that recorded the build cannot take another image: a failed tagging fails the task.
 */
async function reuseEarlierBuild(
  registry: RegistryOperations,
  params: BuildImageParameters,
  previous: EnvironmentVersionResource | undefined,
  explicit: boolean,
  tags: readonly string[],
  signal: AbortSignal,
): Promise<BuiltImage | undefined> {
  if (!previous) return undefined;
  const properties = previous.properties?.properties ?? {};
  const digest = properties[ENVIRONMENT_PROPERTY_KEYS.digest] ?? '';
  const runId = properties[ENVIRONMENT_PROPERTY_KEYS.runId];
  const source = `${params.repository}@${digest}`;
  if (params.noCache) {
    info(`'${INPUTS.noCache}' is true: building the image again without cache, although ACR run ${runId ?? 'unknown'} built the same context (environment version ${versionOf(previous)}).`);
    return undefined;
  }
  let failure: string;
  if (!DIGEST_PATTERN.test(digest)) {
    failure = `environment version ${versionOf(previous)} records no image digest`;
  } else {
    try {
      await registry.importTags(
        source,
        tags.map((tag) => `${params.repository}:${tag}`),
        signal,
      );
      info(
        `The same context was built before by ACR run ${runId ?? 'unknown'} (environment version ${versionOf(previous)}): not building it again. ` +
          `The tags ${tags.join(', ')} now point at ${source}.`,
      );
      return { digest, runId, alreadyBuilt: true, recordedBy: previous };
    } catch (error) {
      if (signal.aborted) throw error;
      failure = describeError(error).replace(/\.$/, '');
    }
  }
  if (explicit) {
    throw new TaskError(
      `Version ${versionOf(previous)} of the environment '${params.environment.name}' ('${INPUTS.environmentVersion}') holds the image built earlier from the same context (${source}), ` +
        `but that image could not be tagged: ${failure}. An environment version never changes, so the image cannot be built again for it: ` +
        `leave '${INPUTS.environmentVersion}' empty to use the next version number, or choose a version that does not exist yet.`,
    );
  }
  warning(`The image built earlier from the same context (${source}) could not be tagged, so it is built again: ${failure}.`);
  return undefined;
}

async function build(
  workspace: WorkspaceClient,
  clients: BuildImageClients,
  registry: RegistryOperations,
  params: BuildImageParameters,
  context: PreparedContext,
  tags: readonly string[],
  signal: AbortSignal,
): Promise<BuiltImage> {
  const upload = await registry.getSourceUploadUrl(signal);
  await clients.uploadContext(workspace, upload.uploadUrl, context.archive.file, signal);
  info(`Uploaded the build context (${context.archive.gzipBytes} bytes) to the registry's build storage (${upload.relativePath}).`);
  const imageNames = tags.map((tag) => `${params.repository}:${tag}`);
  signal.throwIfAborted();
  let started: BuildRun;
  try {
    started = await registry.scheduleBuild(
      {
        imageNames,
        dockerFilePath: context.dockerfilePath,
        sourceLocation: upload.relativePath,
        platform: { os: params.platform.os, architecture: params.platform.architecture, ...(params.platform.variant ? { variant: params.platform.variant } : {}) },
        arguments: params.buildArguments,
        timeoutSeconds: params.timeoutMinutes * 60,
        noCache: params.noCache,
      },
      signal,
    );
  } catch (error) {
    if (signal.aborted) {
      // ACR did not answer in time (scheduleBuild waits a little for it): the run may exist without the task knowing it.
      warning(
        `The pipeline was cancelled while ACR was scheduling the build, before it answered: if it queued the run, the run goes on. ` +
          `List the registry's latest runs with az acr task list-runs --registry ${registry.registry.name} --top 5, and cancel it with az acr task cancel-run.`,
      );
    }
    throw error;
  }
  // Cancelled while the request was in flight, but answered: the wait below cancels the run at once.
  info(`Scheduled ACR run ${started.runId}: docker build of ${context.dockerfilePath} for ${params.platform.name}, pushing ${imageNames.join(', ')}.`);
  const readLog: ReadLog = (url, from, s) => workspace.runHistory.readLogFile(url, from, s);
  const outcome = await waitForBuildRun(
    registry,
    started,
    { timeoutMinutes: params.timeoutMinutes, streamLogs: params.streamLogs, cancelOnPipelineCancel: params.cancelOnPipelineCancel },
    signal,
    { readLog },
  );
  const where = `Build log: az acr task logs --registry ${registry.registry.name} --run-id ${started.runId}`;
  if (!outcome.succeeded) {
    const reason = outcome.failureLine ?? outcome.run.runErrorMessage;
    if (outcome.timedOut) {
      throw new TaskError(`ACR run ${started.runId} did not finish in time and was cancelled (status ${outcome.run.status}). Raise '${INPUTS.timeoutMinutes}' (at most 480). ${where}`);
    }
    const what = outcome.run.status.toLowerCase() === 'timeout' ? `ran past its timeout of ${params.timeoutMinutes} minutes ('${INPUTS.timeoutMinutes}')` : `ended ${outcome.run.status}`;
    throw new TaskError(`The image build failed: ACR run ${started.runId} ${what}${reason ? `: ${reason.replace(/\.$/, '')}` : ''}. ${where}`);
  }
  const digest = digestOf(outcome.run.outputImages, params.repository);
  if (!digest) {
    throw new TaskError(`ACR run ${started.runId} succeeded but reported no digest for ${params.repository}: the image may not have been pushed. ${where}`);
  }
  info(`ACR run ${started.runId} built ${params.repository}@${digest}.`);
  return { digest, runId: started.runId, alreadyBuilt: false };
}

/** The digest of the repository's images in a run's output (every tag of one build has the same). */
export function digestOf(images: ReadonlyArray<{ readonly repository?: string; readonly digest?: string }>, repository: string): string | undefined {
  return images.find((image) => image.repository === repository && image.digest && DIGEST_PATTERN.test(image.digest))?.digest;
}

interface RegistrationInput {
  readonly imageName: string;
  readonly image: BuiltImage;
  readonly context: PreparedContext;
  readonly model: ModelToInclude | undefined;
  readonly registry: RegistryOperations;
  readonly versions: readonly EnvironmentVersionResource[];
  readonly settings: EnvironmentSettings;
  /** The explicit environmentVersion, when it exists (checkExplicitVersion). */
  readonly explicitVersion: EnvironmentVersionResource | undefined;
}

async function registerEnvironment(workspace: WorkspaceClient, params: BuildImageParameters, input: RegistrationInput, signal: AbortSignal): Promise<EnvironmentRegistration> {
  const { image, settings } = input;
  const explicit = params.environment.version;
  const existing = explicit === undefined ? reusableVersion(input) : input.explicitVersion?.properties?.image === input.imageName ? input.explicitVersion : undefined;
  if (existing) {
    const version = versionOf(existing);
    info(`Environment version ${version} already points at ${input.imageName}: nothing registered.`);
    return { resource: existing, version, created: false };
  }
  const task = currentTask();
  const modelText = input.model ? `${input.model.name}:${input.model.version}` : undefined;
  const included = params.source.kind === 'generate' && params.source.includeModel;
  const registration = await registerEnvironmentVersion(
    workspace,
    {
      name: params.environment.name,
      version: explicit,
      image: input.imageName,
      description: settings.description,
      inference: settings.inference,
      tags: { ...params.lineageTags, ...(modelText ? { [ENVIRONMENT_PROPERTY_KEYS.model]: modelText } : {}) },
      properties: {
        ...params.lineageTags,
        [ENVIRONMENT_PROPERTY_KEYS.image]: input.imageName,
        [ENVIRONMENT_PROPERTY_KEYS.repository]: `${input.registry.registry.loginServer}/${params.repository}`,
        [ENVIRONMENT_PROPERTY_KEYS.digest]: image.digest,
        [ENVIRONMENT_PROPERTY_KEYS.buildHash]: input.context.buildHash,
        [ENVIRONMENT_PROPERTY_KEYS.registryId]: input.registry.registry.id,
        ...(image.runId ? { [ENVIRONMENT_PROPERTY_KEYS.runId]: image.runId } : {}),
        ...(modelText ? { [ENVIRONMENT_PROPERTY_KEYS.model]: modelText, [ENVIRONMENT_PROPERTY_KEYS.modelIncluded]: String(included) } : {}),
        [ENVIRONMENT_PROPERTY_KEYS.imageSource]: params.source.kind === 'dockerfile' ? 'dockerfile' : 'generated',
        [ENVIRONMENT_PROPERTY_KEYS.platform]: params.platform.name,
        [ENVIRONMENT_PROPERTY_KEYS.registeredBy]: `${task.name}@${task.version}`,
      },
    },
    signal,
  );
  info(
    registration.created
      ? `Registered environment version ${registration.version} pointing at ${input.imageName}.`
      : `Environment version ${registration.version} already points at ${input.imageName}: nothing registered.`,
  );
  return registration;
}

/**
 * The version already pointing at the image with the same settings (the one that recorded a reused build first).
 * When versions point at the image with other settings, the log says why a new one is registered.
 */
function reusableVersion(input: RegistrationInput): EnvironmentVersionResource | undefined {
  const recordedBy = input.image.recordedBy;
  const candidates = versionsWithImage(input.versions, input.imageName).sort((a, b) => Number(b === recordedBy) - Number(a === recordedBy));
  const reusable = candidates.find((version) => settingsDifferences(version, input.settings).length === 0);
  if (reusable) return reusable;
  const [newest] = candidates;
  if (newest) {
    info(
      `Environment version ${versionOf(newest)} points at ${input.imageName}, but with other settings (${settingsDifferences(newest, input.settings).join(', ')}): ` +
        'registering a new version, as an environment version never changes.',
    );
  }
  return undefined;
}

function ensureFolder(folder: string): string {
  try {
    fs.mkdirSync(folder, { recursive: true });
    return folder;
  } catch {
    return os.tmpdir();
  }
}
