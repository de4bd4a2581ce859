/**
 * Executes a checked JobSubmissionPlan (see jobSpec/plan.ts for the steps): uploads local inputs and code (by content
 * hash: unchanged content is not uploaded again), registers code versions, environments and anonymous components
 * that do not exist yet, then PUTs the job as a raw ARM request (pipeline child jobs must reach the service as
 * written, not reshaped by the SDK's serializer).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';

import {
  getIfExists,
  type JobResource,
  putResource,
  AzureRequestError,
  type DatastoreContainer,
  info,
  openDatastore,
  TaskError,
  uploadIfChanged,
  type UploadResult,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { type JobBody, type JobSubmissionPlan, materializeSubmission } from '../jobSpec';
import { DEFINITION_HASH_PROPERTY } from './fingerprint';
import type { PreflightResult } from './preflight';

export interface ExecutedPlan {
  readonly name: string;
  readonly job: JobResource;
}

export async function executePlan(
  workspace: WorkspaceClient,
  plan: JobSubmissionPlan,
  checked: PreflightResult,
  signal: AbortSignal,
): Promise<ExecutedPlan> {
  const resolved: Record<string, string> = { ...checked.latest };
  const datastores = new DatastoreCache(workspace, signal);

  for (const upload of plan.uploads) {
    const datastore = await datastores.open(upload.datastore);
    const result = await uploadIfChanged(datastore.containerClient, upload.localPath, { abortSignal: signal });
    logUpload(upload.usedBy.join(', '), upload.localPath, result, datastore.name);
    resolved[upload.placeholder] = `azureml://datastores/${datastore.name}/paths/${result.blobPath}`;
  }

  for (const code of plan.codes) {
    const datastore = await datastores.open(undefined);
    const result = await uploadIfChanged(datastore.containerClient, code.localPath, { abortSignal: signal });
    logUpload(code.usedBy.join(', '), code.localPath, result, datastore.name);
    // Anonymous code assets are named after their content, as azure-ai-ml names them: the same code, the same asset.
    const armId = `${plan.workspaceId}/codes/${uuidOf(result.hash)}/versions/1`;
    const created = await createIfAbsent(workspace, armId, { properties: { codeUri: result.blobUri, isAnonymous: true } }, signal);
    info(`${code.usedBy.join(', ')}: code version ${armId.slice(plan.workspaceId.length + 1)} ${created ? 'registered' : 'already registered'}.`);
    resolved[code.placeholder] = armId;
  }

  for (const environment of plan.environments) {
    const label = `Environment ${environment.name}:${environment.version}`;
    if (checked.existingEnvironments.has(environment.armId)) {
      info(`${label}: already registered.`);
      continue;
    }
    await putResource(workspace, environment.armId, environment.body, signal);
    info(`${label}: registered (image ${environment.body.properties.image}).`);
  }

  const materialized = materializeSubmission(plan, resolved);
  for (const component of materialized.components) {
    const created = await createIfAbsent(workspace, component.armId, component.body, signal);
    info(`${component.usedBy.join(', ')}: component ${component.name}:${component.version} ${created ? 'registered' : 'already registered'}.`);
  }

  const name = plan.jobName ?? generateJobName(plan.job.properties.experimentName);
  const body = withDefinitionHash(materialized.job, checked.fingerprint);
  let job: JobResource | undefined;
  try {
    job = await putResource<JobResource>(workspace, `${plan.workspaceId}/jobs/${name}`, body, signal);
  } catch (error) {
    if (error instanceof AzureRequestError && error.status === 409) {
      throw new TaskError(
        `Azure ML refused the job '${name}': a job with that name was submitted with another definition while this task was preparing it. ` +
          'Change or remove name in the YAML, or re-attach to that job with the jobName input.',
        { cause: error },
      );
    }
    throw error;
  }
  return { name, job: job ?? { name } };
}

/** GET, then PUT when absent (404). Returns true when it created the resource. */
async function createIfAbsent(workspace: WorkspaceClient, armId: string, body: unknown, signal: AbortSignal): Promise<boolean> {
  if (await getIfExists(workspace, armId, signal)) return false;
  await putResource(workspace, armId, body, signal);
  return true;
}

class DatastoreCache {
  private readonly opened = new Map<string, Promise<DatastoreContainer>>();

  constructor(
    private readonly workspace: WorkspaceClient,
    private readonly signal: AbortSignal,
  ) {}

  open(name: string | undefined): Promise<DatastoreContainer> {
    if (name === undefined) return this.workspace.defaultDatastore(this.signal);
    let datastore = this.opened.get(name);
    if (!datastore) {
      const { arm, resourceGroup, workspaceName, credential, httpOptions } = this.workspace;
      datastore = openDatastore(arm, resourceGroup, workspaceName, name, credential, httpOptions, this.signal);
      this.opened.set(name, datastore);
    }
    return datastore;
  }
}

/** `inputs.diabetes: uploaded diabetes.csv (1 file, 18.2 KiB) to workspaceblobstore/LocalUpload/<hash>/diabetes.csv.` */
function logUpload(usedBy: string, localPath: string, result: UploadResult, datastore: string): void {
  const size = `${result.fileCount} file${result.fileCount === 1 ? '' : 's'}, ${formatBytes(result.totalBytes)}`;
  const where = `${datastore}/${result.blobPath}`;
  info(
    result.uploaded
      ? `${usedBy}: uploaded ${path.basename(localPath)} (${size}) to ${where}.`
      : `${usedBy}: ${path.basename(localPath)} is unchanged (${size}), already uploaded to ${where}: nothing uploaded.`,
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** The first 128 bits of a content hash, shown as a UUID. */
function uuidOf(hash: string): string {
  const hex = /^[0-9a-f]{32,}$/i.test(hash) ? hash.toLowerCase() : createHash('sha256').update(hash).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A new job name when the YAML has none: the experiment name (readable in lists) and 10 random letters and digits,
 * as the CLI's generated names end, e.g. `diabetes-ridge_k3j9x0q2ab`.
 */
export function generateJobName(experimentName: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const random = Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
  const stem = experimentName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 200);
  return stem ? `${stem}_${random}` : random;
}

function withDefinitionHash(job: JobBody, fingerprint: string | undefined): JobBody {
  if (fingerprint === undefined) return job;
  const properties = { ...(job.properties.properties ?? {}), [DEFINITION_HASH_PROPERTY]: fingerprint };
  return { properties: { ...job.properties, properties } } as JobBody;
}
