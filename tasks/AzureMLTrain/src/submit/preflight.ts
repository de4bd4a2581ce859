/**
 * Checks what can be checked cheaply (reads only) before anything is created on the Azure side, so that a bad
 * reference fails the task with one clear error and leaves nothing half-done: the computes, the registered assets
 * (`azureml:name:version` and `@latest`), environments the YAML defines under a name that is taken, datastores named
 * by inputs, local folders with nothing to upload, and a job `name` that is taken.
 */
import {
  type ArmResource,
  getIfExists,
  info,
  type JobResource,
  lastSegment,
  listFolderFiles,
  listForMessage,
  listNames,
  type WorkspaceClient,
} from '@azureml-mlops/shared';
import { parse as parseYaml } from 'yaml';

import type { AssetReference, AssetType, JobSubmissionPlan, PlannedEnvironment } from '../jobSpec';
import { pythonJsonDumps } from '../jobSpec/hashing';
import { INPUTS } from '../parameters';
import { DEFINITION_HASH_PROPERTY, definitionFingerprint } from './fingerprint';
import type { SpecLocator } from './specLocator';

export interface PreflightResult {
  /** Placeholder -> ARM id of the version each `@latest` reference resolved to. */
  readonly latest: Readonly<Record<string, string>>;
  /** ARM ids of the planned environments that exist already (they are not PUT again). */
  readonly existingEnvironments: ReadonlySet<string>;
  /** The definition fingerprint, computed when the YAML names the job. */
  readonly fingerprint?: string;
  /** The job the YAML names, when it exists with the same definition: attach to it instead of submitting. */
  readonly existingJob?: JobResource;
}

const ASSET_LABEL: Record<AssetType, { readonly label: string; readonly create: string }> = {
  environments: { label: 'the environment', create: 'az ml environment create' },
  data: { label: 'the data asset', create: 'az ml data create' },
  components: { label: 'the component', create: 'az ml component create' },
  codes: { label: 'the code asset', create: 'az ml code create' },
  models: { label: 'the model', create: 'az ml model create' },
};

export async function preflight(
  workspace: WorkspaceClient,
  plan: JobSubmissionPlan,
  locator: SpecLocator,
  signal: AbortSignal,
): Promise<PreflightResult> {
  const latest: Record<string, string> = {};
  const existingEnvironments = new Set<string>();
  const context: CheckContext = { workspace, plan, locator, signal };

  // Independent reads run together; the first failure in this (stable) order is the one reported.
  const checks: Array<Promise<void>> = [
    ...computeReferences(plan).map(([armId, paths]) => checkCompute(context, armId, paths)),
    ...plan.assets.map((asset) => checkAsset(context, asset, latest)),
    ...plan.environments.map((environment) => checkEnvironment(context, environment, existingEnvironments)),
    ...datastoreReferences(plan).map(([name, paths]) => checkDatastore(context, name, paths)),
    checkLocalFolders(context),
  ];
  const settled = await Promise.allSettled(checks);
  const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;

  if (plan.jobName === undefined) return { latest, existingEnvironments };
  const fingerprint = await definitionFingerprint(plan, latest);
  const existingJob = await checkJobName(context, plan.jobName, fingerprint);
  return { latest, existingEnvironments, fingerprint, ...(existingJob ? { existingJob } : {}) };
}

interface CheckContext {
  readonly workspace: WorkspaceClient;
  readonly plan: JobSubmissionPlan;
  readonly locator: SpecLocator;
  readonly signal: AbortSignal;
}

/** Compute ARM id -> the YAML fields that name it. */
function computeReferences(plan: JobSubmissionPlan): Array<[string, string[]]> {
  const references = new Map<string, string[]>();
  const add = (armId: unknown, yamlPath: string): void => {
    if (typeof armId !== 'string' || armId === '') return;
    const key = armId.toLowerCase();
    const entry = references.get(key) ?? [armId];
    entry.push(yamlPath);
    references.set(key, entry);
  };
  const job = plan.job.properties;
  add(job.computeId, 'compute');
  if (job.jobType === 'Pipeline') {
    add(job.settings['default_compute'], 'settings.default_compute');
    for (const [step, child] of Object.entries(job.jobs)) add(child['computeId'], `jobs.${step}.compute`);
  }
  return [...references.values()].map(([armId, ...paths]) => [armId!, paths]);
}

async function checkCompute(context: CheckContext, armId: string, paths: readonly string[]): Promise<void> {
  const { workspace, plan, signal } = context;
  const name = lastSegment(armId);
  const compute = await getIfExists<ArmResource<{ computeType?: string; provisioningState?: string }>>(workspace, armId, signal);
  if (compute) {
    info(`Compute '${name}': ${compute.properties?.computeType ?? 'found'}${compute.properties?.provisioningState ? `, ${compute.properties.provisioningState}` : ''}.`);
    return;
  }
  const existing = await listNames(workspace, `${plan.workspaceId}/computes`, signal);
  const fix =
    existing === undefined
      ? 'Check the name in Azure ML studio (Compute > Compute clusters)'
      : existing.length === 0
        ? 'The workspace has no compute yet: create a compute cluster (Azure ML studio > Compute > Compute clusters) and name it here'
        : `Computes in the workspace: ${listForMessage(existing)}. Use one of them, or create the compute first (Azure ML studio > Compute)`;
  throw context.locator.errorAt(paths, `names the compute '${name}', which does not exist in the Azure ML workspace '${workspaceName(plan)}'`, fix);
}

async function checkAsset(context: CheckContext, asset: AssetReference, latest: Record<string, string>): Promise<void> {
  const { workspace, plan, signal, locator } = context;
  const { label, create } = ASSET_LABEL[asset.assetType];
  const containerId = `${plan.workspaceId}/${asset.assetType}/${asset.name}`;
  if (asset.kind === 'latest') {
    const container = await getIfExists<ArmResource<{ latestVersion?: string | null }>>(workspace, containerId, signal);
    const version = container?.properties?.latestVersion;
    if (!version) {
      throw locator.errorAt(
        asset.usedBy,
        `refers to the latest version of ${label} '${asset.name}', which does not exist in the Azure ML workspace '${workspaceName(plan)}'`,
        `Register it first (${create}), or fix the name`,
      );
    }
    latest[asset.placeholder] = `${containerId}/versions/${version}`;
    info(`${capitalized(label)} '${asset.name}'@latest: version ${version}.`);
    return;
  }
  if (await getIfExists(workspace, asset.armId, signal)) {
    info(`${capitalized(label)} '${asset.name}' version ${asset.version}: found.`);
    return;
  }
  const versions = await listNames(workspace, `${containerId}/versions`, signal);
  if (versions === undefined || versions.length === 0) {
    throw locator.errorAt(
      asset.usedBy,
      `refers to ${label} '${asset.name}', which does not exist in the Azure ML workspace '${workspaceName(plan)}'`,
      `Register it first (${create}), or fix the name`,
    );
  }
  throw locator.errorAt(
    asset.usedBy,
    `refers to version '${asset.version}' of ${label} '${asset.name}', which does not exist in the Azure ML workspace '${workspaceName(plan)}'`,
    `Versions of '${asset.name}': ${listForMessage(versions)}. Use one of them, or azureml:${asset.name}@latest`,
  );
}

interface EnvironmentProperties {
  readonly image?: string | null;
  readonly condaFile?: string | null;
}

/** An environment the YAML defines inline: created later when absent; a named one that exists must be the same. */
async function checkEnvironment(context: CheckContext, environment: PlannedEnvironment, existing: Set<string>): Promise<void> {
  const found = await getIfExists<ArmResource<EnvironmentProperties>>(context.workspace, environment.armId, context.signal);
  if (!found) return;
  existing.add(environment.armId);
  // Anonymous environments are versioned by their content: the same version is the same environment.
  if (environment.anonymous) return;
  const wanted = environment.body.properties;
  const registered = found.properties ?? {};
  if (registered.image === wanted.image && sameConda(registered.condaFile ?? undefined, wanted.condaFile)) return;
  throw context.locator.errorAt(
    environment.usedBy,
    `defines the environment '${environment.name}' version '${environment.version}', which is already registered in the workspace with another definition (image ${registered.image ?? 'none'})`,
    `A registered environment version cannot change: give this definition a new version, or use the registered one as environment: azureml:${environment.name}:${environment.version}`,
  );
}

function sameConda(registered: string | undefined, wanted: string | undefined): boolean {
  if (registered === undefined || wanted === undefined) return registered === wanted;
  try {
    return pythonJsonDumps(parseYaml(registered)) === pythonJsonDumps(parseYaml(wanted));
  } catch {
    return registered.trim() === wanted.trim();
  }
}

/** Datastore name -> YAML fields of inputs uploaded to it (the default datastore needs no check). */
function datastoreReferences(plan: JobSubmissionPlan): Array<[string, string[]]> {
  const references = new Map<string, string[]>();
  for (const upload of plan.uploads) {
    if (upload.datastore === undefined) continue;
    const paths = references.get(upload.datastore) ?? [];
    for (const usedBy of upload.usedBy) paths.push(`${usedBy}.datastore`, usedBy);
    references.set(upload.datastore, paths);
  }
  return [...references];
}

async function checkDatastore(context: CheckContext, name: string, paths: readonly string[]): Promise<void> {
  const { workspace, plan, signal } = context;
  if (await getIfExists(workspace, `${plan.workspaceId}/datastores/${name}`, signal)) return;
  const existing = await listNames(workspace, `${plan.workspaceId}/datastores`, signal);
  throw context.locator.errorAt(
    paths,
    `names the datastore '${name}', which does not exist in the Azure ML workspace '${workspaceName(plan)}'`,
    existing && existing.length > 0 ? `Datastores in the workspace: ${listForMessage(existing)}. Use one of them, or leave datastore out to use the default one` : 'Leave datastore out to use the default one',
  );
}

/** A folder left empty by its ignore rules would be uploaded as nothing: the job would fail much later. */
async function checkLocalFolders(context: CheckContext): Promise<void> {
  const { plan, locator } = context;
  const folders = [
    ...plan.codes.map((code) => ({ ...code, paths: code.usedBy, what: 'code' })),
    ...plan.uploads.map((upload) => ({ ...upload, paths: upload.usedBy.flatMap((p) => [`${p}.path`, p]), what: 'input data' })),
  ];
  for (const folder of folders) {
    if (folder.pathKind !== 'folder') continue;
    if (listFolderFiles(folder.localPath).length > 0) continue;
    throw locator.errorAt(
      folder.paths,
      `is the folder '${folder.localPath}', which has no file to upload as ${folder.what}: it is empty, or .amlignore/.gitignore exclude every file in it`,
      'Point it at the folder that holds the files, or fix the ignore rules',
    );
  }
}

/**
 * A YAML `name` that is taken: the same definition (a re-run of the same pipeline step) attaches to that job; any
 * other definition is an error, because Azure ML job names are unique and a submitted job cannot be changed.
 */
async function checkJobName(context: CheckContext, name: string, fingerprint: string): Promise<JobResource | undefined> {
  const { workspace, plan, signal, locator } = context;
  const existing = await getIfExists<JobResource>(workspace, `${plan.workspaceId}/jobs/${name}`, signal);
  if (!existing) return undefined;
  if (existing.properties?.properties?.[DEFINITION_HASH_PROPERTY] === fingerprint) return existing;
  const status = existing.properties?.status ? ` (status ${existing.properties.status})` : '';
  throw locator.errorAt(
    ['name'],
    `is '${name}', but the Azure ML workspace '${workspaceName(plan)}' already has a job with that name${status} and another definition; job names are unique and a submitted job cannot be changed`,
    `To wait for that job, set the task input '${INPUTS.jobName}: ${name}' instead of '${INPUTS.jobFile}'; to submit this YAML as a new job, change name or remove it (the task then generates a unique name)`,
  );
}

function capitalized(label: string): string {
  const text = label.replace(/^the /, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function workspaceName(plan: JobSubmissionPlan): string {
  return lastSegment(plan.workspaceId);
}
