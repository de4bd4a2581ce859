/** Entry point: job YAML + overrides + task inputs -> JobSubmissionPlan (no network). */
import * as path from 'node:path';
import { applyOverrides, type YamlMapping, YamlDocument } from '@azureml-mlops/shared';
import { buildCommandJob } from './commandJob';
import type { JobTaskInputs } from './commonFields';
import { PlanContext } from './context';
import { UNSUPPORTED_JOB_TYPES } from './fields';
import { buildPipelineJob } from './pipelineJob';
import type { JobSubmissionPlan, WorkspaceScope } from './plan';
import { workspaceArmId } from './references';

export interface BuildPlanOptions extends JobTaskInputs {
  /** Path of the job YAML (absolute, or relative to the working directory). */
  readonly jobFile: string;
  /** How messages name the file (default: jobFile as given). */
  readonly jobFileDisplayName?: string;
  /** The overrides input: one path=value per line. */
  readonly overrides?: string;
  readonly workspace: WorkspaceScope;
  /** Task input names used in error messages. */
  readonly inputNames?: { readonly jobFile?: string; readonly overrides?: string };
}

/**
 * Reads, overrides and validates the job YAML and returns what run.ts must do to submit it.
 * Throws an InputError (YamlSpecError, OverridesSyntaxError) naming the input, the field and its line.
 */
export function buildJobSubmissionPlan(options: BuildPlanOptions): JobSubmissionPlan {
  const document = YamlDocument.load(options.jobFile, {
    inputName: options.inputNames?.jobFile ?? 'jobFile',
    displayName: options.jobFileDisplayName ?? options.jobFile,
  });
  const overrides = options.overrides ? applyOverrides(document, options.overrides, { inputName: options.inputNames?.overrides ?? 'overrides' }) : [];
  const root = document.root();
  const context = new PlanContext(workspaceArmId(options.workspace));
  const jobType = readJobType(root);
  const specPath = path.resolve(options.jobFile);
  const built = jobType === 'Command' ? buildCommandJob(root, context, options, specPath) : buildPipelineJob(root, context, options, specPath);
  return {
    jobType,
    jobName: built.name,
    workspaceId: context.workspaceId,
    specFile: document.displayName,
    assets: context.assets,
    uploads: context.uploads,
    codes: context.codes,
    environments: context.environments,
    components: context.components,
    job: { properties: built.properties },
    warnings: context.warnings,
    overrides,
  };
}

function readJobType(root: YamlMapping): 'Command' | 'Pipeline' {
  const value = root.get('type');
  const fix = 'Write type: command or type: pipeline.';
  const schema = root.get('$schema').kind === 'string' ? String(root.get('$schema').scalar()) : '';
  if (value.kind === 'absent' && (root.has('jobs') || /pipelineJob/i.test(schema))) {
    // The CLI reads a file without type as a command job; a pipeline file then fails on every field.
    value.required('The file has jobs, so it is a pipeline job: add type: pipeline.');
  }
  const type = value.string(fix)?.toLowerCase() ?? 'command';
  if (type === 'command') return 'Command';
  if (type === 'pipeline') return 'Pipeline';
  const unsupported = UNSUPPORTED_JOB_TYPES[type];
  if (unsupported) {
    return value.fail(`is '${type}': ${unsupported} are not supported by the AzureMLTrain task, which runs command and pipeline jobs`, 'Submit this job with `az ml job create`, or rewrite it as a command or pipeline job.');
  }
  return value.fail(`is '${type}', which is not a job type`, fix);
}
