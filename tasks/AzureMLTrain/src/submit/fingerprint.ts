/**
 * A job's definition fingerprint: what decides whether re-running the task with a YAML that sets `name` may attach to
 * the job an earlier run submitted under that name (same definition) or must fail (Azure ML job names are unique and
 * a submitted job cannot be changed).
 *
 * It covers what Azure ML cannot change on a submitted job: the job body without tags, display name, description and
 * properties (mutable, and lineage tags differ between runs), the anonymous components and environments, the
 * content of every local file or folder the job uploads, and the versions `@latest` resolved to. It is computed
 * before anything is uploaded and stored on the job as the property DEFINITION_HASH_PROPERTY.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { contentHash, listFolderFiles } from '@azureml-mlops/shared';

import type { JobSubmissionPlan } from '../jobSpec';
import { pythonJsonDumps } from '../jobSpec/hashing';

/** Job property holding the fingerprint (a public name: never rename it). */
export const DEFINITION_HASH_PROPERTY = 'azureml-mlops.definition-hash';

/** Job fields Azure ML lets a re-submission change; left out of the fingerprint. */
const MUTABLE_JOB_FIELDS = new Set(['tags', 'displayName', 'description', 'properties']);

export async function definitionFingerprint(plan: JobSubmissionPlan, latest: Readonly<Record<string, string>>): Promise<string> {
  const job = Object.fromEntries(Object.entries(plan.job.properties).filter(([key]) => !MUTABLE_JOB_FIELDS.has(key)));
  const definition = {
    format: 1,
    job,
    components: plan.components.map((c) => ({ placeholder: c.placeholder, name: c.name, spec: c.spec })),
    environments: plan.environments.map((e) => ({ armId: e.armId, body: e.body })),
    uploads: await Promise.all(
      plan.uploads.map(async (u) => ({ placeholder: u.placeholder, datastore: u.datastore ?? null, content: await localContentHash(u.localPath, u.pathKind) })),
    ),
    codes: await Promise.all(plan.codes.map(async (c) => ({ placeholder: c.placeholder, content: await localContentHash(c.localPath, c.pathKind) }))),
    latest,
  };
  return createHash('sha256').update(pythonJsonDumps(definition)).digest('hex');
}

/** The content hash uploadIfChanged gives the same file or folder (its upload folder name). */
export async function localContentHash(localPath: string, kind: 'file' | 'folder'): Promise<string> {
  if (kind === 'folder') return contentHash('folder', listFolderFiles(localPath));
  const size = fs.statSync(localPath).size;
  return contentHash('file', [{ relativePath: path.basename(localPath), absolutePath: localPath, size }]);
}
