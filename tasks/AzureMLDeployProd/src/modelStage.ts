/**
 * The model version in production carries the tag `stage=production`; the version it replaced, if it carried that
 * tag, gets `stage=archived` (MLflow's stages: a version promoted to Production archives the one before). Model
 * version tags can change at any time: the version is PUT back as it was, with only its tags changed.
 *
 * Tagging comes after the rollout: a failure here is a warning, never a reason to roll back.
 */
import { describeError, getModelVersion, type ModelVersionResource, parseModelReference, withoutReadOnly, type WorkspaceClient } from '@azureml-mlops/shared';

export const STAGE_TAG = 'stage';
export const PRODUCTION = 'production';
export const ARCHIVED = 'archived';

type ModelWorkspace = Pick<WorkspaceClient, 'armRequest' | 'workspaceArmPath'>;

/** name and version of a model id of THIS workspace; undefined for registry models and other workspaces. */
export function workspaceModel(workspace: Pick<WorkspaceClient, 'workspaceArmPath'>, modelId: string | null | undefined): { name: string; version: string } | undefined {
  if (!modelId || !modelId.toLowerCase().startsWith(`${workspace.workspaceArmPath.toLowerCase()}/models/`)) return undefined;
  const reference = parseModelReference(modelId);
  return reference && 'version' in reference ? reference : undefined;
}

export interface StageOutcome {
  /** What was done or found, one line each, for the log and the summary. */
  readonly notes: string[];
  readonly warnings: string[];
}

/**
 * Tags the model version `productionModelId` with stage=production (nothing written when it has it already) and moves
 * `previousModelId` from stage=production to stage=archived when it is another version.
 */
export async function markProductionModel(workspace: ModelWorkspace, productionModelId: string | null | undefined, previousModelId: string | null | undefined, signal: AbortSignal): Promise<StageOutcome> {
  const outcome: StageOutcome = { notes: [], warnings: [] };
  const current = workspaceModel(workspace, productionModelId);
  if (!current) {
    if (productionModelId) outcome.notes.push(`The model ${productionModelId} is not a model of this workspace: it is not tagged.`);
    return outcome;
  }
  await setStage(workspace, current, PRODUCTION, undefined, outcome, signal);
  const previous = workspaceModel(workspace, previousModelId);
  if (previous && !(previous.name.toLowerCase() === current.name.toLowerCase() && previous.version.toLowerCase() === current.version.toLowerCase())) {
    await setStage(workspace, previous, ARCHIVED, PRODUCTION, outcome, signal);
  }
  return outcome;
}

async function setStage(
  workspace: ModelWorkspace,
  model: { name: string; version: string },
  stage: string,
  onlyFrom: string | undefined,
  outcome: StageOutcome,
  signal: AbortSignal,
): Promise<void> {
  const label = `${model.name}:${model.version}`;
  try {
    const version = await getModelVersion(workspace, model.name, model.version, signal);
    if (!version) {
      outcome.notes.push(`The model version ${label} no longer exists: it is not tagged.`);
      return;
    }
    const tags = { ...(version.properties?.tags ?? {}) };
    if (tags[STAGE_TAG] === stage) {
      outcome.notes.push(`The model version ${label} is already tagged ${STAGE_TAG}=${stage}.`);
      return;
    }
    if (onlyFrom !== undefined && tags[STAGE_TAG] !== onlyFrom) return;
    tags[STAGE_TAG] = stage;
    await workspace.armRequest('PUT', version.id ?? `${workspace.workspaceArmPath}/models/${encodeURIComponent(model.name)}/versions/${encodeURIComponent(model.version)}`, bodyWithTags(version, tags), {
      abortSignal: signal,
    });
    outcome.notes.push(`Tagged the model version ${label} ${STAGE_TAG}=${stage}.`);
  } catch (error) {
    if (signal.aborted) throw error;
    outcome.warnings.push(`The model version ${label} could not be tagged ${STAGE_TAG}=${stage}: ${describeError(error)}`);
  }
}

/** The version as the service answered it, read-only fields left out, with new tags (anything else would be refused). */
function bodyWithTags(version: ModelVersionResource, tags: Record<string, string>): unknown {
  const body = withoutReadOnly(version);
  const properties = (body['properties'] ?? {}) as Record<string, unknown>;
  return { ...body, properties: { ...properties, tags } };
}
