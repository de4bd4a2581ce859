/**
 * model.json: everything a later stage (or a release pipeline) needs to deploy exactly the registered version, and to
 * trace it back. Built from the version as the service returns it, so it also tells the truth about a version
 * registered by an earlier run. `schemaVersion` changes only when a field changes meaning; fields are only added.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { metricsFromModelProperties, type ModelVersionResource } from '@azureml-mlops/shared';

import { LINEAGE_KEYS } from './lineage';

export const MODEL_JSON_FILE = 'model.json';

export interface ModelManifest {
  readonly schemaVersion: 1;
  readonly name: string;
  readonly version: string;
  /** ARM id of the model version. */
  readonly id: string;
  /** `azureml:<name>:<version>`, as job and deployment YAML reference it. */
  readonly reference: string;
  readonly type: string;
  /** Where the model's files are (the service's modelUri). */
  readonly uri: string;
  readonly description: string | null;
  readonly studioUrl: string;
  /** True when the version existed before this run (same source). */
  readonly alreadyRegistered: boolean;
  readonly createdAt: string | null;
  readonly workspace: {
    readonly subscriptionId: string;
    readonly resourceGroup: string;
    readonly name: string;
    readonly id: string;
    readonly location: string | null;
    readonly tenantId: string;
  };
  readonly job: { readonly name: string; readonly experiment: string | null; readonly output: string | null } | null;
  readonly lineage: {
    readonly source: string | null;
    readonly sourceKind: string | null;
    readonly contentHash: string | null;
    readonly dataInputs: Readonly<Record<string, string>>;
    readonly metrics: Readonly<Record<string, number>>;
    readonly tags: Readonly<Record<string, string>>;
    readonly properties: Readonly<Record<string, string>>;
  };
}

export interface ManifestContext {
  readonly name: string;
  readonly version: string;
  readonly model: ModelVersionResource;
  readonly alreadyRegistered: boolean;
  readonly studioUrl: string;
  readonly workspace: ModelManifest['workspace'];
}

export function buildModelManifest(context: ManifestContext): ModelManifest {
  const { model, name, version } = context;
  const properties = { ...(model.properties?.properties ?? {}) };
  const tags = { ...(model.properties?.tags ?? {}) };
  const jobName = model.properties?.jobName || properties[LINEAGE_KEYS.jobName] || null;
  const dataInputs: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (key.startsWith(LINEAGE_KEYS.inputPrefix)) dataInputs[key.slice(LINEAGE_KEYS.inputPrefix.length)] = value;
  }
  return {
    schemaVersion: 1,
    name,
    version,
    id: model.id ?? `${context.workspace.id}/models/${name}/versions/${version}`,
    reference: `azureml:${name}:${version}`,
    type: model.properties?.modelType ?? 'custom_model',
    uri: model.properties?.modelUri ?? '',
    description: model.properties?.description ?? null,
    studioUrl: context.studioUrl,
    alreadyRegistered: context.alreadyRegistered,
    createdAt: model.systemData?.createdAt ?? null,
    workspace: context.workspace,
    job: jobName ? { name: jobName, experiment: properties[LINEAGE_KEYS.experiment] ?? null, output: properties[LINEAGE_KEYS.jobOutput] ?? null } : null,
    lineage: {
      source: properties[LINEAGE_KEYS.source] ?? null,
      sourceKind: properties[LINEAGE_KEYS.sourceKind] ?? null,
      contentHash: properties[LINEAGE_KEYS.contentHash] ?? null,
      dataInputs,
      metrics: metricsFromModelProperties(properties),
      tags: sortedRecord(tags),
      properties: sortedRecord(properties),
    },
  };
}

/**
 * Writes model.json into a folder of its own under `tempDirectory` (the agent uploads the artifact after the task's
 * command, so the file must stay; a second registration in the same job must not overwrite it). Returns its path.
 */
export function writeModelManifest(tempDirectory: string, manifest: ModelManifest): string {
  const folder = path.join(tempDirectory, `azureml-register-model-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, MODEL_JSON_FILE);
  fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  return file;
}

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
