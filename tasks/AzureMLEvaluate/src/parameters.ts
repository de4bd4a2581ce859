/**
 * Every input of AzureMLEvaluate@1, read and validated in one place. Problems are InputErrors naming the input;
 * nothing here touches the network, so a bad input fails the task before any Azure call.
 */
import {
  type AgentEnvironment,
  type AzureRmConnection,
  InputError,
  InputReader,
  readAzureRmConnectionInput,
  readWorkspaceInputs,
  taskLibEnvironment,
  type WorkspaceInputs,
} from '@azureml-mlops/shared';

import { type MetricRule, parseRules, parseThresholds } from './rules';

/** Input names, as task.json declares them (messages and tests use these). */
export const INPUTS = {
  connection: 'azureSubscription',
  resourceGroup: 'resourceGroup',
  workspace: 'workspace',
  jobName: 'jobName',
  pipelineStep: 'pipelineStep',
  baseline: 'baseline',
  endpointName: 'endpointName',
  modelName: 'modelName',
  baselineTag: 'baselineTag',
  thresholds: 'thresholds',
  rules: 'rules',
  allowTie: 'allowTie',
  onReject: 'onReject',
} as const;

export const BASELINE_CHOICES = ['auto', 'production', 'taggedModel', 'latestVersion', 'threshold'] as const;
export type BaselineChoice = (typeof BASELINE_CHOICES)[number];
export const ON_REJECT_CHOICES = ['skip', 'fail'] as const;
export type OnReject = (typeof ON_REJECT_CHOICES)[number];

/** The tag a `taggedModel` baseline carries when `baselineTag` is empty. */
export const DEFAULT_BASELINE_TAG = { key: 'stage', value: 'production' } as const;

export interface ModelTag {
  readonly key: string;
  /** Undefined: the tag with any value. */
  readonly value?: string;
}

/** What the candidate is compared with. `chosenBy: 'auto'` when `baseline: auto` picked the mode. */
export type BaselineSpec =
  | { readonly kind: 'production'; readonly endpointName: string; readonly modelName?: string; readonly chosenBy: 'input' | 'auto' }
  | { readonly kind: 'taggedModel'; readonly modelName: string; readonly tag: ModelTag }
  | { readonly kind: 'latestVersion'; readonly modelName: string; readonly chosenBy: 'input' | 'auto' }
  | { readonly kind: 'threshold'; readonly thresholds: Readonly<Record<string, number>> };

export interface EvaluateParameters {
  readonly connection: AzureRmConnection;
  readonly workspace: WorkspaceInputs;
  /** The candidate job (normally AzureMLTrain's JobName output). */
  readonly jobName: string;
  /** For a pipeline job: the step whose metrics are judged. */
  readonly pipelineStep?: string;
  readonly baseline: BaselineSpec;
  readonly rules: readonly MetricRule[];
  readonly allowTie: boolean;
  readonly onReject: OnReject;
}

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
/** Pipeline step names are the keys under `jobs:` in the pipeline YAML. */
const STEP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;
/** Online endpoint names: 3 to 32 letters, digits and '-', starting with a letter, not ending with '-'. */
const ENDPOINT_NAME = /^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/;
const MODEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
/** A pipeline variable the agent could not expand reaches the task as written: `$(train.JobName)`. */
const UNEXPANDED_MACRO = /^\$\([^)]+\)$/;

export function readParameters(env: AgentEnvironment = taskLibEnvironment): EvaluateParameters {
  const inputs = new InputReader(env);
  const connection = readAzureRmConnectionInput(INPUTS.connection, env);
  const workspace = readWorkspaceInputs(inputs, connection, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace });

  const jobName = readJobName(inputs);
  const pipelineStep = inputs.optionalString(INPUTS.pipelineStep);
  if (pipelineStep !== undefined) {
    checkNotMacro(INPUTS.pipelineStep, pipelineStep);
    if (!STEP_NAME.test(pipelineStep)) {
      throw new InputError(INPUTS.pipelineStep, `'${pipelineStep}' is not a valid pipeline step name`, 'Use the step\'s key under jobs: in the pipeline YAML (e.g. train)');
    }
  }

  const rules = parseRules(inputs.optionalString(INPUTS.rules), INPUTS.rules);
  const baseline = readBaseline(inputs, rules);
  const allowTie = inputs.boolean(INPUTS.allowTie, false);
  const onReject = inputs.enumValue(INPUTS.onReject, ON_REJECT_CHOICES, 'skip');

  return { connection, workspace, jobName, ...(pipelineStep !== undefined ? { pipelineStep } : {}), baseline, rules, allowTie, onReject };
}

function readJobName(inputs: InputReader): string {
  const jobName = inputs.requiredString(INPUTS.jobName, {
    fix: `Set '${INPUTS.jobName}' to the candidate job, normally the JobName output of the AzureMLTrain step (e.g. $(train.JobName))`,
  });
  checkNotMacro(INPUTS.jobName, jobName);
  if (!JOB_NAME.test(jobName)) {
    throw new InputError(INPUTS.jobName, `'${jobName}' is not a valid Azure ML job name`, 'Copy the job name from Azure ML studio (Jobs > the job > Name): letters, digits, - and _');
  }
  return jobName;
}

function readBaseline(inputs: InputReader, rules: readonly MetricRule[]): BaselineSpec {
  const choice = inputs.enumValue(INPUTS.baseline, BASELINE_CHOICES, 'auto');
  const endpointName = readName(inputs, INPUTS.endpointName, ENDPOINT_NAME, "Use the online endpoint's name: 3 to 32 letters, digits and '-', starting with a letter");
  const modelName = readModelName(inputs);
  const tagText = inputs.optionalString(INPUTS.baselineTag);
  const thresholdsText = inputs.optionalString(INPUTS.thresholds);

  let kind: BaselineSpec['kind'];
  if (choice === 'auto') {
    if (endpointName !== undefined) kind = 'production';
    else if (modelName !== undefined) kind = 'latestVersion';
    else if (thresholdsText !== undefined) {
      throw new InputError(INPUTS.baseline, `is 'auto', which never compares with '${INPUTS.thresholds}'`, `Set '${INPUTS.baseline}' to threshold to judge the candidate against the thresholds`);
    } else {
      throw new InputError(
        INPUTS.baseline,
        `is 'auto', but neither '${INPUTS.endpointName}' nor '${INPUTS.modelName}' is set, so there is nothing to compare the candidate with`,
        `Set '${INPUTS.endpointName}' (compare with the model in production on that online endpoint), or '${INPUTS.modelName}' (compare with its newest version), or set '${INPUTS.baseline}' to threshold and give '${INPUTS.thresholds}'`,
      );
    }
  } else {
    kind = choice;
  }
  const chosenBy = choice === 'auto' ? 'auto' : 'input';

  // Inputs the chosen baseline does not use are refused: they would be silently ignored otherwise.
  const refuseUnused = (input: string, value: string | undefined, usedBy: readonly BaselineSpec['kind'][]): void => {
    if (value === undefined || usedBy.includes(kind)) return;
    const modes = usedBy.length > 1 ? `${usedBy.slice(0, -1).join(', ')} or ${usedBy[usedBy.length - 1]}` : usedBy[0]!;
    throw new InputError(
      input,
      `is set, but only the baseline ${modes} uses it, and '${INPUTS.baseline}' is ${describeChoice(choice, kind)}`,
      `Remove '${input}', or set '${INPUTS.baseline}' to ${modes}`,
    );
  };
  refuseUnused(INPUTS.endpointName, endpointName, ['production']);
  refuseUnused(INPUTS.modelName, modelName, ['production', 'taggedModel', 'latestVersion']);
  refuseUnused(INPUTS.baselineTag, tagText, ['taggedModel']);
  refuseUnused(INPUTS.thresholds, thresholdsText, ['threshold']);

  switch (kind) {
    case 'production':
      if (endpointName === undefined) throw required(INPUTS.endpointName, "the online endpoint whose live model is the baseline (the deployment that takes the most traffic)");
      return { kind, endpointName, ...(modelName !== undefined ? { modelName } : {}), chosenBy };
    case 'taggedModel':
      if (modelName === undefined) throw required(INPUTS.modelName, `the registered model whose newest version tagged ${tagText ?? `${DEFAULT_BASELINE_TAG.key}=${DEFAULT_BASELINE_TAG.value}`} is the baseline`);
      return { kind, modelName, tag: tagText === undefined ? DEFAULT_BASELINE_TAG : parseTag(tagText) };
    case 'latestVersion':
      if (modelName === undefined) throw required(INPUTS.modelName, 'the registered model whose newest version is the baseline');
      return { kind, modelName, chosenBy };
    case 'threshold':
      return { kind, thresholds: readThresholds(thresholdsText, rules) };
  }
}

function describeChoice(choice: BaselineChoice, kind: BaselineSpec['kind']): string {
  return choice === 'auto' ? `'auto' (here: ${kind})` : `'${choice}'`;
}

function required(input: string, what: string): InputError {
  return new InputError(input, `a value is required with this '${INPUTS.baseline}'`, `Set '${input}' to ${what}`);
}

function readName(inputs: InputReader, input: string, pattern: RegExp, fix: string): string | undefined {
  const value = inputs.optionalString(input);
  if (value === undefined) return undefined;
  checkNotMacro(input, value);
  if (!pattern.test(value)) throw new InputError(input, `'${value}' is not a valid name`, fix);
  return value;
}

function readModelName(inputs: InputReader): string | undefined {
  const value = inputs.optionalString(INPUTS.modelName);
  if (value === undefined) return undefined;
  checkNotMacro(INPUTS.modelName, value);
  const bare = value.replace(/^azureml:/i, '').split(/[:@]/)[0]!;
  if (bare !== value && MODEL_NAME.test(bare)) {
    throw new InputError(INPUTS.modelName, `'${value}' is a model reference, but a model name is expected`, `Write just the name, '${bare}': the baseline chooses the version`);
  }
  if (!MODEL_NAME.test(value)) {
    throw new InputError(INPUTS.modelName, `'${value}' is not a valid model name`, "Use letters, digits, '_', '-' and '.', starting with a letter, digit or '_'");
  }
  return value;
}

/** `stage=production`, or `approved` for the tag with any value. */
function parseTag(text: string): ModelTag {
  const equals = text.indexOf('=');
  const key = (equals < 0 ? text : text.slice(0, equals)).trim();
  const value = equals < 0 ? undefined : text.slice(equals + 1).trim();
  const fix = `Write one tag as key=value (e.g. ${DEFAULT_BASELINE_TAG.key}=${DEFAULT_BASELINE_TAG.value}), or just key for the tag with any value`;
  if (key === '') throw new InputError(INPUTS.baselineTag, `'${text}' has no tag name`, fix);
  if (/[,\r\n]/.test(text)) throw new InputError(INPUTS.baselineTag, `'${text}' is not one tag`, fix);
  if (value === '') throw new InputError(INPUTS.baselineTag, `'${text}' has no value after '='`, fix);
  return value === undefined ? { key } : { key, value };
}

/** Threshold mode: one threshold per rule, and no threshold without a rule (a typo in either would go unnoticed). */
function readThresholds(text: string | undefined, rules: readonly MetricRule[]): Record<string, number> {
  const thresholds = parseThresholds(text, INPUTS.thresholds);
  if (thresholds.length === 0) {
    throw new InputError(INPUTS.thresholds, `a value is required with '${INPUTS.baseline}' threshold`, `Give one metric=value per line for each metric of '${INPUTS.rules}', e.g. ${rules[0]!.metric}=0.5`);
  }
  const values: Record<string, number> = {};
  for (const threshold of thresholds) {
    if (!rules.some((rule) => rule.metric === threshold.metric)) {
      throw new InputError(
        INPUTS.thresholds,
        `line ${threshold.line} gives a threshold for '${threshold.metric}', but no rule judges that metric (rules: ${rules.map((r) => r.metric).join(', ')})`,
        `Add a rule '${threshold.metric}:lower' or '${threshold.metric}:higher' to '${INPUTS.rules}', or remove the line`,
      );
    }
    values[threshold.metric] = threshold.value;
  }
  for (const rule of rules) {
    if (values[rule.metric] === undefined) {
      throw new InputError(INPUTS.thresholds, `has no threshold for '${rule.metric}' (line ${rule.line} of '${INPUTS.rules}')`, `Add a line ${rule.metric}=<value>`);
    }
  }
  return values;
}

function checkNotMacro(input: string, value: string): void {
  if (UNEXPANDED_MACRO.test(value)) {
    throw new InputError(
      input,
      `is '${value}', a pipeline variable that is not set (the agent passes it unexpanded)`,
      `Check the variable's name; for an output of an earlier step, that the step has a name (e.g. name: train) and ran before this one in the same job, or use dependencies/stageDependencies across jobs`,
    );
  }
}
