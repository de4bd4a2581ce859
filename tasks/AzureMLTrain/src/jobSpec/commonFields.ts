/** Fields every job has (name, display_name, experiment_name, tags...), merged with the task's own inputs. */
import * as path from 'node:path';
import type { YamlMapping } from '@azureml-mlops/shared';
import type { PlanContext } from './context';
import { NOT_IN_API_VERSION, READ_ONLY_FIELDS } from './fields';
import { parseIdentity, parseServices } from './jobSettings';
import type { RestIdentity, RestJobService } from './plan';
import { resolveCompute } from './references';

/** What the task inputs add to the YAML. */
export interface JobTaskInputs {
  /** Input `experimentName` (validated by parameters.ts against EXPERIMENT_NAME_PATTERN): replaces experiment_name. */
  readonly experimentName?: string;
  /** Input `displayName`: replaces display_name. */
  readonly displayName?: string;
  /** Input `tags`: added to the YAML's tags, replacing equal keys. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Lineage tags (build, repository, commit): always added, replacing equal keys. */
  readonly lineageTags?: Readonly<Record<string, string>>;
}

export interface CommonJobFields {
  readonly name: string | undefined;
  readonly displayName: string | undefined;
  readonly experimentName: string;
  readonly description: string | undefined;
  readonly tags: Record<string, string> | undefined;
  readonly properties: Record<string, string> | undefined;
  readonly identity: RestIdentity | undefined;
  readonly services: Record<string, RestJobService> | undefined;
  readonly computeId: string | undefined;
}

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
/** Experiment names Azure ML accepts; parameters.ts checks the experimentName input with it. */
export const EXPERIMENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const EXPERIMENT_NAME = EXPERIMENT_NAME_PATTERN;

export function readCommonJobFields(root: YamlMapping, context: PlanContext, taskInputs: JobTaskInputs, specPath: string): CommonJobFields {
  for (const field of READ_ONLY_FIELDS) {
    const value = root.get(field);
    if (value.kind !== 'absent') context.warn(`${field} (line ${value.line() ?? '?'}) is set by Azure ML and was ignored.`);
  }
  rejectNotInApiVersion(root);

  const nameValue = root.get('name');
  const name = nameValue.text('Give the job name, e.g. name: diabetes-train-001 (or leave it out to let the task generate one).');
  if (name !== undefined && !JOB_NAME.test(name)) {
    nameValue.fail(`is '${name}', which is not a valid job name`, 'Use up to 255 letters, digits, - and _, starting with a letter or digit (or leave name out).');
  }

  const experimentName = taskInputs.experimentName?.trim() || readExperimentName(root) || defaultExperimentName(specPath);

  const displayName = taskInputs.displayName?.trim() || root.get('display_name').text('Write the display name as text.');
  const description = root.get('description').string('Write the description as text.');
  const properties = root.get('properties').stringMap('Write properties as name: value pairs.');
  // The service sets this one itself and refuses it on submission (azure-ai-ml drops it too).
  if (properties) delete properties['_azureml.ComputeTargetType'];

  return {
    name,
    displayName: displayName || undefined,
    experimentName,
    description,
    tags: mergeTags(root, context, taskInputs),
    properties: properties && Object.keys(properties).length > 0 ? properties : undefined,
    identity: parseIdentity(root.get('identity'))?.rest,
    services: parseServices(root.get('services'))?.rest,
    computeId: resolveCompute(root.get('compute'), context),
  };
}

export function rejectNotInApiVersion(mapping: YamlMapping): void {
  for (const [field, reason] of Object.entries(NOT_IN_API_VERSION)) {
    const value = mapping.get(field);
    if (value.kind !== 'absent') value.fail(`is not supported: ${reason}`, `Remove ${field}.`);
  }
}

function readExperimentName(root: YamlMapping): string | undefined {
  const value = root.get('experiment_name');
  const name = value.text('Write the experiment name as text.');
  if (name !== undefined && !EXPERIMENT_NAME.test(name)) {
    value.fail(`is '${name}', which is not a valid experiment name`, 'Use letters, digits, ., - and _, starting with a letter or digit.');
  }
  return name;
}

/**
 * The CLI names the experiment after the current folder when the YAML has none. On an agent that is the
 * sources folder ("s"), so we use the YAML's folder instead: what `cd <folder> && az ml job create` gives.
 */
function defaultExperimentName(specPath: string): string {
  const folder = path.basename(path.dirname(path.resolve(specPath))).replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return folder.slice(0, 255) || 'Default';
}

/** The YAML's tags, then the task's tags input, then the lineage tags (always present, as documented). */
function mergeTags(root: YamlMapping, context: PlanContext, taskInputs: JobTaskInputs): Record<string, string> | undefined {
  const tags: Record<string, string> = { ...(root.get('tags').stringMap('Write tags as name: value pairs, e.g. tags: {team: vision}.') ?? {}) };
  Object.assign(tags, taskInputs.tags ?? {});
  for (const [key, value] of Object.entries(taskInputs.lineageTags ?? {})) {
    if (key in tags && tags[key] !== value) context.warn(`The tag '${key}' is a lineage tag set by the task; its value '${tags[key]}' was replaced by '${value}'.`);
    tags[key] = value;
  }
  return Object.keys(tags).length > 0 ? tags : undefined;
}
