/**
 * "Registered already?": a model version holds the same model when the task registered it from the same source, with
 * the same model type:
 * - a job output: the same job, output and path inside it (property azureml-mlops.source, the canonical job output URI);
 * - local files: the same content (property azureml-mlops.content-hash), wherever the files were.
 * Versions registered by other means carry no such property and never match: registering again adds the lineage.
 */
import { listModelVersions, type ModelAccess, type ModelType, type ModelVersionResource, sameModelType } from '@azureml-mlops/shared';

import { LINEAGE_KEYS } from './lineage';

export interface SourceIdentity {
  /** Property filter for the list API (values without ',' or '=': job names and hex hashes). */
  readonly filter: Readonly<Record<string, string>>;
  /** The property that must hold `value` on a matching version. */
  readonly key: string;
  readonly value: string;
  readonly modelType: ModelType;
  /** How messages name the source. */
  readonly description: string;
}

export function jobOutputIdentity(jobName: string, uri: string, modelType: ModelType): SourceIdentity {
  return { filter: { [LINEAGE_KEYS.jobName]: jobName }, key: LINEAGE_KEYS.source, value: uri, modelType, description: uri };
}

export function localFilesIdentity(hash: string, displayPath: string, modelType: ModelType): SourceIdentity {
  return {
    filter: { [LINEAGE_KEYS.contentHash]: hash },
    key: LINEAGE_KEYS.contentHash,
    value: hash,
    modelType,
    description: `the files of '${displayPath}' (content hash ${hash.slice(0, 12)})`,
  };
}

/** True when `version` holds the model `identity` describes. */
export function holdsSameModel(version: ModelVersionResource, identity: SourceIdentity): boolean {
  const properties = version.properties?.properties ?? {};
  return properties[identity.key] === identity.value && sameModelType(version.properties?.modelType, identity.modelType);
}

/**
 * The newest version of `modelName` holding the same model, or undefined. The list is filtered by the service, and the
 * match is checked here too, so a service that ignores the filter only makes the call slower.
 */
export async function findSameModel(workspace: ModelAccess, modelName: string, identity: SourceIdentity, signal: AbortSignal): Promise<ModelVersionResource | undefined> {
  const versions = await listModelVersions(workspace, modelName, { properties: identity.filter }, signal);
  return versions.find((version) => holdsSameModel(version, identity));
}

/** What a version holds, for a message: `azureml://jobs/... (custom_model), registered by <build url>`. */
export function describeVersionSource(version: ModelVersionResource): string {
  const properties = version.properties?.properties ?? {};
  const source = properties[LINEAGE_KEYS.source] ?? version.properties?.modelUri ?? 'an unknown source';
  const hash = properties[LINEAGE_KEYS.contentHash];
  const by = properties['azure-pipelines.build-url'];
  return `${source}${hash ? ` (content hash ${hash.slice(0, 12)})` : ''}, ${version.properties?.modelType ?? 'custom_model'}${by ? `, registered by ${by}` : ''}`;
}
