/**
 * Every input of AzureMLTrain@1, read and validated in one place. Problems are InputErrors naming the input;
 * nothing here touches the network, so a bad input fails the task before anything happens on the Azure side.
 */
import * as path from 'node:path';

import {
  type AgentEnvironment,
  type AzureRmConnection,
  InputError,
  InputReader,
  lineageTags,
  parseOverrides,
  readAzureRmConnectionInput,
  readWorkspaceInputs,
  taskLibEnvironment,
} from '@azureml-mlops/shared';

import { EXPERIMENT_NAME_PATTERN, type WorkspaceScope } from './jobSpec';

/** Input names, as task.json declares them (messages and tests use these). */
export const INPUTS = {
  connection: 'azureSubscription',
  resourceGroup: 'resourceGroup',
  workspace: 'workspace',
  jobFile: 'jobFile',
  overrides: 'overrides',
  experimentName: 'experimentName',
  displayName: 'displayName',
  tags: 'tags',
  jobName: 'jobName',
  wait: 'wait',
  timeoutMinutes: 'timeoutMinutes',
  cancelOnPipelineCancel: 'cancelOnPipelineCancel',
  streamLogs: 'streamLogs',
} as const;

/**
 * The longest timeout accepted: 24 days, just under what a Node.js timer can wait (2^31 - 1 ms). Longer waits are
 * better bounded by the pipeline job's own timeout (timeoutInMinutes: 0 for none).
 */
export const MAX_TIMEOUT_MINUTES = 34_560;

/** A job to submit from its az ml YAML. */
export interface SubmitJob {
  readonly kind: 'submit';
  /** Absolute path of the job YAML. */
  readonly jobFile: string;
  /** The YAML as messages name it: relative to the sources folder when inside it. */
  readonly jobFileDisplayName: string;
  /** The overrides input as written (one path=value per line), syntax already checked. */
  readonly overrides: string | undefined;
  readonly experimentName: string | undefined;
  readonly displayName: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** A job submitted earlier (by this task, the CLI or the studio) to wait for. */
export interface AttachToJob {
  readonly kind: 'attach';
  readonly jobName: string;
}

export interface TrainParameters {
  readonly connection: AzureRmConnection;
  /** Where the job goes: from the inputs, else from a connection scoped to an Azure ML workspace. */
  readonly workspace: WorkspaceScope;
  readonly job: SubmitJob | AttachToJob;
  readonly wait: boolean;
  /** 0: no timeout. */
  readonly timeoutMinutes: number;
  readonly cancelOnPipelineCancel: boolean;
  readonly streamLogs: boolean;
  /** Build, repository, commit... tags added to every job (shared lineageTags). */
  readonly lineageTags: Readonly<Record<string, string>>;
}

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
/** Inputs that shape a new job, so they mean nothing when re-attaching to one. */
const SUBMISSION_ONLY_INPUTS = [INPUTS.overrides, INPUTS.experimentName, INPUTS.displayName, INPUTS.tags] as const;

export function readParameters(env: AgentEnvironment = taskLibEnvironment): TrainParameters {
  const inputs = new InputReader(env);
  const connection = readAzureRmConnectionInput(INPUTS.connection, env);
  const workspace: WorkspaceScope = readWorkspaceInputs(inputs, connection, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace });

  const jobFile = inputs.path(INPUTS.jobFile, { kind: 'file' });
  const jobName = inputs.optionalString(INPUTS.jobName);
  if (jobFile !== undefined && jobName !== undefined) {
    throw new InputError(
      INPUTS.jobName,
      `both '${INPUTS.jobFile}' and '${INPUTS.jobName}' are set, but the task either submits a new job or re-attaches to an existing one`,
      `Keep '${INPUTS.jobFile}' to submit the YAML as a new job, or keep '${INPUTS.jobName}' to wait for the job already submitted, not both`,
    );
  }
  if (jobFile === undefined && jobName === undefined) {
    throw new InputError(
      INPUTS.jobFile,
      'a value is required',
      `Set '${INPUTS.jobFile}' to the job YAML to submit (e.g. jobs/train.yml), or '${INPUTS.jobName}' to re-attach to a job already submitted`,
    );
  }

  let job: SubmitJob | AttachToJob;
  if (jobName !== undefined) {
    if (!JOB_NAME.test(jobName)) {
      throw new InputError(INPUTS.jobName, `'${jobName}' is not a valid Azure ML job name`, 'Copy the job name from Azure ML studio (Jobs > the job > Name): letters, digits, - and _');
    }
    for (const input of SUBMISSION_ONLY_INPUTS) {
      if (inputs.optionalString(input) !== undefined) {
        throw new InputError(
          input,
          `applies only when submitting a job from '${INPUTS.jobFile}', but '${INPUTS.jobName}' re-attaches to the job '${jobName}', which was submitted already`,
          `Remove '${input}', or submit a new job with '${INPUTS.jobFile}' instead of '${INPUTS.jobName}'`,
        );
      }
    }
    job = { kind: 'attach', jobName };
  } else {
    job = readSubmission(inputs, env, jobFile as string);
  }

  const wait = inputs.boolean(INPUTS.wait, true);
  const timeoutMinutes = inputs.integer(INPUTS.timeoutMinutes, 0, { min: 0, max: MAX_TIMEOUT_MINUTES });
  const cancelOnPipelineCancel = inputs.boolean(INPUTS.cancelOnPipelineCancel, true);
  const streamLogs = inputs.boolean(INPUTS.streamLogs, true);

  return {
    connection,
    workspace,
    job,
    wait,
    timeoutMinutes,
    cancelOnPipelineCancel,
    streamLogs,
    lineageTags: lineageTags(env),
  };
}

function readSubmission(inputs: InputReader, env: AgentEnvironment, jobFile: string): SubmitJob {
  const overrides = inputs.optionalString(INPUTS.overrides);
  // Syntax now (one path=value per line); the values are checked against the YAML by the planner.
  if (overrides !== undefined) parseOverrides(overrides, INPUTS.overrides);

  const experimentName = inputs.optionalString(INPUTS.experimentName);
  if (experimentName !== undefined && !EXPERIMENT_NAME_PATTERN.test(experimentName)) {
    throw new InputError(
      INPUTS.experimentName,
      `'${experimentName}' is not a valid experiment name`,
      'Use up to 255 letters, digits, ., - and _, starting with a letter or digit',
    );
  }
  const tags = inputs.keyValueRecord(INPUTS.tags);
  return {
    kind: 'submit',
    jobFile,
    jobFileDisplayName: displayPath(jobFile, env),
    overrides,
    experimentName,
    displayName: inputs.optionalString(INPUTS.displayName),
    tags,
  };
}

/** `jobs/train.yml` for a file inside the sources folder; the absolute path otherwise. */
function displayPath(file: string, env: AgentEnvironment): string {
  const root = env.getVariable('System.DefaultWorkingDirectory') ?? env.getVariable('Build.SourcesDirectory');
  if (!root) return file;
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}
