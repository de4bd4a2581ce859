/**
 * resolveDeployment: the deployment's references checked against the workspace and turned into ARM ids. Reads come
 * first (endpoint kind, existing deployment, model, environment, code version, Kubernetes compute); a wrong
 * reference fails there, before anything is created. Only then is local code uploaded (by content hash: unchanged
 * code is neither uploaded nor registered again, and the same code asset as AzureMLTrain@1's is used) and an inline
 * environment registered.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';

import type { WorkspaceClient } from '../azure/workspace';
import { getIfExists, listAll, listForMessage } from '../azureml/resources';
import { InputError } from '../pipeline/errors';
import { info } from '../pipeline/logging';
import { contentHash } from '../storage/contentHash';
import { listFolderFiles } from '../storage/fileSet';
import { uploadIfChanged } from '../storage/upload';
import type { DeployWorkspace } from './arm';
import { readDeployment } from './deployments';
import { checkEndpointCompatible, kubernetesComputeId, readEndpoint } from './endpoints';
import { DEFAULT_DEPLOYMENT_INPUT_NAMES } from './deploymentSpec';
import type { CodeSpec, DeploymentInputNames, DeploymentSpec, EndpointSpec, EnvironmentSpec, JsonObject, ModelSpec, ResolvedDeployment, SpecValue } from './types';

export type ResolveWorkspace = DeployWorkspace & Pick<WorkspaceClient, 'defaultDatastore'>;

export interface ResolveOptions {
  /** The endpoint the deployment goes to: its kind and Kubernetes compute are checked too, before anything is written. */
  readonly endpoint?: EndpointSpec;
  /** Input names for messages about what is missing (default: AzureMLDeployQA@1's). */
  readonly inputNames?: Partial<DeploymentInputNames>;
}

interface VersionResource {
  readonly id?: string;
  readonly name?: string;
  readonly properties?: { readonly modelType?: string; readonly latestVersion?: string | null; readonly image?: string; readonly codeUri?: string };
}

/** What needs writing once every read has passed. */
interface PendingWrites {
  code?: { readonly localPath: string; readonly armId: string; readonly source: SpecValue };
  environment?: { readonly armId: string; readonly body: JsonObject };
}

export async function resolveDeployment(workspace: ResolveWorkspace, spec: DeploymentSpec, signal: AbortSignal, options: ResolveOptions = {}): Promise<ResolvedDeployment> {
  const names: DeploymentInputNames = { ...DEFAULT_DEPLOYMENT_INPUT_NAMES, ...(options.inputNames ?? {}) };
  const notes: string[] = [];
  const pending: PendingWrites = {};

  await checkTarget(workspace, spec, options.endpoint, names, signal);

  const model = spec.model ? await resolveModel(workspace, spec.model, signal) : undefined;
  if (model) notes.push(`Model: ${model.label}${model.modelType ? ` (${model.modelType})` : ''}`);
  const noEnvironmentNeeded = model?.modelType !== undefined && /^(mlflow_?model|triton_?model)$/i.test(model.modelType);
  if (!spec.environment && (!noEnvironmentNeeded || spec.code)) {
    throw new InputError(
      names.environment,
      spec.code ? 'a value is required: the scoring script runs in an environment' : 'a value is required: only mlflow_model and triton_model models deploy without an environment',
      `Set '${names.environment}' to the environment built for scoring (e.g. $(buildImage.EnvironmentId) or azureml:<name>:<version>), or environment in the deployment YAML`,
    );
  }
  if (!spec.code && !noEnvironmentNeeded) {
    throw new InputError(
      names.codePath,
      'a value is required: a model that is not an mlflow_model or triton_model is served by a scoring script',
      `Set '${names.codePath}' and '${names.scoringScript}' (or code_configuration in the deployment YAML) to the folder and file of the scoring script`,
    );
  }
  const environmentId = spec.environment ? await resolveEnvironment(workspace, spec.environment, pending, signal) : undefined;
  if (environmentId) notes.push(`Environment: ${assetLabel(environmentId)}${pending.environment ? ' (inline; registered now)' : ''}`);
  const codeId = spec.code ? await resolveCode(workspace, spec.code, spec.scoringScript!, pending, signal) : undefined;

  // Every reference is valid: now write what is missing.
  if (pending.code) {
    const datastore = await workspace.defaultDatastore(signal);
    const upload = await uploadIfChanged(datastore.containerClient, pending.code.localPath, { abortSignal: signal });
    info(upload.uploaded ? `Scoring code: uploaded ${upload.fileCount} file(s) to ${datastore.name}/${upload.blobPath}.` : `Scoring code: already uploaded to ${datastore.name}/${upload.blobPath}.`);
    await workspace.armRequest('PUT', pending.code.armId, { properties: { codeUri: upload.blobUri, isAnonymous: true } }, { abortSignal: signal });
    notes.push(`Code: ${path.basename(pending.code.localPath)} registered as code ${assetLabel(pending.code.armId)}`);
  } else if (codeId && spec.code?.kind === 'local') {
    notes.push(`Code: ${path.basename(spec.code.path)} unchanged (code ${assetLabel(codeId)})`);
  } else if (codeId) {
    notes.push(`Code: ${assetLabel(codeId)}`);
  }
  if (pending.environment) await workspace.armRequest('PUT', pending.environment.armId, pending.environment.body, { abortSignal: signal });

  const body: JsonObject = structuredClone(spec.body);
  const properties = (body['properties'] ??= {}) as JsonObject;
  if (model) properties['model'] = model.id;
  if (environmentId) properties['environmentId'] = environmentId;
  if (codeId) properties['codeConfiguration'] = { codeId, scoringScript: spec.scoringScript!.value.replace(/^\.\//, '') };
  for (const note of notes) info(note);
  return {
    name: spec.name,
    endpointName: spec.endpointName,
    computeType: spec.computeType,
    body,
    ...(model ? { model: { id: model.id, ...(model.name ? { name: model.name } : {}), ...(model.version ? { version: model.version } : {}), ...(model.modelType ? { modelType: model.modelType } : {}) } } : {}),
    ...(environmentId ? { environmentId } : {}),
    ...(codeId ? { codeId } : {}),
    notes,
  };
}

/** The endpoint (existing or to be) and the existing deployment accept this deployment. */
async function checkTarget(workspace: ResolveWorkspace, spec: DeploymentSpec, endpoint: EndpointSpec | undefined, names: DeploymentInputNames, signal: AbortSignal): Promise<void> {
  if (endpoint && endpoint.computeType !== spec.computeType) {
    throw new InputError(
      names.computeType,
      `the endpoint '${endpoint.name}' is ${endpoint.computeType} but the deployment is ${spec.computeType}`,
      `A deployment is of the kind of its endpoint: make both managed, or both Kubernetes${spec.file ? ` (type: in ${spec.file})` : ''}`,
    );
  }
  const existingEndpoint = await readEndpoint(workspace, spec.endpointName, signal);
  if (endpoint && existingEndpoint) checkEndpointCompatible(workspace, existingEndpoint, endpoint);
  if (!endpoint && existingEndpoint) {
    const compute = (existingEndpoint.properties as JsonObject | undefined)?.['compute'];
    const kind = typeof compute === 'string' && compute ? 'Kubernetes' : 'Managed';
    if (kind !== spec.computeType) {
      throw new InputError(names.computeType, `the endpoint '${spec.endpointName}' is a ${kind} endpoint but the deployment is ${spec.computeType}`, `Make the deployment ${kind}`);
    }
  }
  const computeId = endpoint && kubernetesComputeId(workspace, endpoint);
  if (endpoint?.kubernetesCompute && computeId) {
    const compute = await getIfExists<{ properties?: { computeType?: string } }>(workspace, computeId, signal);
    const name = computeId.split('/').pop()!;
    if (!compute) {
      const all = await listAll<{ name?: string; properties?: { computeType?: string } }>(workspace, `${workspace.workspaceArmPath}/computes`, signal).catch(() => undefined);
      const kubernetes = (all ?? []).filter((c) => c.properties?.computeType === 'Kubernetes').flatMap((c) => (c.name ? [c.name] : []));
      return endpoint.kubernetesCompute.fail(
        `names the compute '${name}', which does not exist in the workspace`,
        kubernetes.length > 0 ? `Kubernetes computes of the workspace: ${listForMessage(kubernetes)}` : 'Attach the Kubernetes cluster to the workspace first (Compute > Kubernetes clusters)',
      );
    }
    if (compute.properties?.computeType !== 'Kubernetes') {
      endpoint.kubernetesCompute.fail(`names '${name}', a ${compute.properties?.computeType ?? 'non-Kubernetes'} compute`, 'Name a Kubernetes compute attached to the workspace');
    }
  }
  if (existingEndpoint) {
    const existing = await readDeployment(workspace, spec.endpointName, spec.name, signal);
    const before = (existing?.properties as JsonObject | undefined)?.['instanceType'];
    if (typeof before === 'string' && spec.instanceType && before.toLowerCase() !== spec.instanceType.value.toLowerCase()) {
      spec.instanceType.fail(
        `is '${spec.instanceType.value}', but the deployment '${spec.name}' exists with ${before}, and the instance type of a deployment never changes`,
        `Keep ${before}, or deploy under another deployment name (then move the traffic to it and delete '${spec.name}')`,
      );
    }
  }
}

interface ResolvedModel {
  readonly id: string;
  readonly label: string;
  readonly name?: string;
  readonly version?: string;
  readonly modelType?: string;
}

async function resolveModel(workspace: ResolveWorkspace, model: ModelSpec, signal: AbortSignal): Promise<ResolvedModel> {
  if (model.kind === 'registry') return { id: model.reference, label: model.reference };
  let name: string;
  let version: string;
  if (model.kind === 'armId') {
    checkSameWorkspace(workspace, model.armId, model.source, 'model');
    const match = /\/models\/([^/]+)\/versions\/([^/]+)$/i.exec(model.armId)!;
    [name, version] = [match[1]!, match[2]!];
  } else {
    name = model.name;
    version = model.version;
  }
  const containerPath = `${workspace.workspaceArmPath}/models/${encodeURIComponent(name)}`;
  if (version === 'latest') {
    const container = await getIfExists<VersionResource>(workspace, containerPath, signal);
    const latest = container?.properties?.latestVersion;
    if (!latest) return missingAsset(workspace, model.source, 'model', 'models', name, undefined, signal);
    version = latest;
  }
  const found = await getIfExists<VersionResource>(workspace, `${containerPath}/versions/${encodeURIComponent(version)}`, signal);
  if (!found) return missingAsset(workspace, model.source, 'model', 'models', name, version, signal);
  return { id: found.id ?? `${containerPath}/versions/${version}`, label: `${name}:${version}`, name, version, ...(found.properties?.modelType ? { modelType: found.properties.modelType } : {}) };
}

async function resolveEnvironment(workspace: ResolveWorkspace, environment: EnvironmentSpec, pending: PendingWrites, signal: AbortSignal): Promise<string> {
  if (environment.kind === 'registry') return environment.reference;
  if (environment.kind === 'inline') {
    const version = anonymousEnvironmentVersion(environment.image, environment.condaFile);
    const armId = `${workspace.workspaceArmPath}/environments/${ANONYMOUS_ENVIRONMENT_NAME}/versions/${version}`;
    if (!(await getIfExists(workspace, armId, signal))) {
      pending.environment = {
        armId,
        body: {
          properties: {
            image: environment.image,
            ...(environment.condaFile !== undefined ? { condaFile: environment.condaFile } : {}),
            ...(environment.osType ? { osType: environment.osType } : {}),
            isAnonymous: true,
          },
        },
      };
    }
    return armId;
  }
  return resolveVersioned(workspace, environment, 'environment', 'environments', signal);
}

async function resolveCode(workspace: ResolveWorkspace, code: CodeSpec, scoringScript: SpecValue, pending: PendingWrites, signal: AbortSignal): Promise<string> {
  if (code.kind !== 'local') return resolveVersioned(workspace, code, 'code', 'codes', signal);
  const files = listFolderFiles(code.path);
  const script = scoringScript.value.replace(/^\.\//, '').split(path.sep).join('/');
  if (!files.some((file) => file.relativePath === script)) {
    scoringScript.fail(
      `is '${scoringScript.value}', which would not be uploaded from ${code.path}: it is excluded by a .amlignore or .gitignore there`,
      'Remove the pattern that excludes it from the ignore file',
    );
  }
  const hash = await contentHash('folder', files);
  // Anonymous code assets are named after their content, as AzureMLTrain@1 (and azure-ai-ml) name them.
  const armId = `${workspace.workspaceArmPath}/codes/${uuidOf(hash)}/versions/1`;
  if (!(await getIfExists(workspace, armId, signal))) pending.code = { localPath: code.path, armId, source: code.source };
  return armId;
}

/** A workspace asset version named by `azureml:<name>:<version>`, `@latest` or its ARM id: its ARM id, checked to exist. */
async function resolveVersioned(
  workspace: ResolveWorkspace,
  asset: Extract<EnvironmentSpec | CodeSpec, { kind: 'workspace' | 'armId' }>,
  what: string,
  collection: 'environments' | 'codes',
  signal: AbortSignal,
): Promise<string> {
  let name: string;
  let version: string;
  if (asset.kind === 'armId') {
    checkSameWorkspace(workspace, asset.armId, asset.source, what);
    const match = new RegExp(`/${collection}/([^/]+)/versions/([^/]+)$`, 'i').exec(asset.armId)!;
    [name, version] = [match[1]!, match[2]!];
  } else {
    name = asset.name;
    version = asset.version;
  }
  const containerPath = `${workspace.workspaceArmPath}/${collection}/${encodeURIComponent(name)}`;
  if (version === 'latest') {
    const container = await getIfExists<VersionResource>(workspace, containerPath, signal);
    const latest = container?.properties?.latestVersion;
    if (!latest) return missingAsset(workspace, asset.source, what, collection, name, undefined, signal);
    version = latest;
  }
  const found = await getIfExists<VersionResource>(workspace, `${containerPath}/versions/${encodeURIComponent(version)}`, signal);
  if (!found) return missingAsset(workspace, asset.source, what, collection, name, version, signal);
  return found.id ?? `${containerPath}/versions/${version}`;
}

function checkSameWorkspace(workspace: ResolveWorkspace, armId: string, source: SpecValue, what: string): void {
  if (!armId.toLowerCase().startsWith(`${workspace.workspaceArmPath.toLowerCase()}/`)) {
    source.fail(`is the ${what} '${armId}' of another workspace`, `A deployment uses the ${what}s of its own workspace (${workspace.workspaceArmPath.split('/').pop()}) or of a registry: register it in this workspace first`);
  }
}

/** The error for a missing asset version: which versions exist, or that the asset does not exist at all. */
async function missingAsset(
  workspace: ResolveWorkspace,
  source: SpecValue,
  what: string,
  collection: 'models' | 'environments' | 'codes',
  name: string,
  version: string | undefined,
  signal: AbortSignal,
): Promise<never> {
  const versions = await listAll<{ name?: string }>(workspace, `${workspace.workspaceArmPath}/${collection}/${encodeURIComponent(name)}/versions?$orderBy=createdtime%20desc&$top=10`, signal, 1).catch(() => []);
  const existing = versions.flatMap((v) => (v.name ? [v.name] : []));
  const problem = version === undefined ? `names the ${what} '${name}@latest', but the workspace has no version of it` : `names the ${what} ${name}:${version}, which does not exist in the workspace`;
  const fix =
    existing.length > 0
      ? `Versions of '${name}': ${existing.join(', ')}`
      : what === 'model'
        ? `The workspace has no model '${name}': register it first (AzureMLRegisterModel@1), or check the name`
        : `The workspace has no ${what} '${name}': ${what === 'environment' ? 'build it first (AzureMLBuildImage@1), or check the name' : 'check the name'}`;
  return source.fail(problem, fix);
}

/** `name:version` of an asset ARM id (the id itself for other references). */
function assetLabel(id: string): string {
  const match = /\/(?:models|environments|codes)\/([^/]+)\/versions\/([^/]+)$/i.exec(id);
  return match ? `${match[1]}:${match[2]}` : id;
}

/** Inline environments are registered under this name, as azure-ai-ml does. */
export const ANONYMOUS_ENVIRONMENT_NAME = 'CliV2AnonymousEnvironment';

/**
 * Version of an anonymous environment built from an image, as azure-ai-ml computes it (so a re-run, or the CLI, finds
 * the same version): md5 of the image; with a conda file, Python's `md5(image).join(md5(conda))`; then md5 of that.
 */
export function anonymousEnvironmentVersion(image: string, condaFile: string | undefined): string {
  const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
  let hash = md5(image);
  if (condaFile !== undefined) hash = Array.from(md5(condaFile)).join(hash);
  return md5(hash);
}

/** The first 128 bits of a content hash, shown as a UUID (the name of an anonymous code asset). */
export function uuidOf(hash: string): string {
  const hex = /^[0-9a-f]{32,}$/i.test(hash) ? hash.toLowerCase() : createHash('sha256').update(hash).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
