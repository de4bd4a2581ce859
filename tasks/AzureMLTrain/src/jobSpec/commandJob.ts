/** A command job (`type: command`) -> the CommandJob body of API 2022-10-01. */
import type { YamlMapping } from '@azureml-mlops/shared';
import { resolveCode } from './code';
import { checkCommand } from './commandText';
import { type JobTaskInputs, readCommonJobFields } from './commonFields';
import type { PlanContext } from './context';
import { resolveEnvironment } from './environment';
import { COMMAND_JOB_FIELDS, FIELD_ALIASES } from './fields';
import { parseInputs, parseOutputs, restInput, restOutput } from './inputsOutputs';
import { parseDistribution, parseLimits, parseResources } from './jobSettings';
import type { RestCommandJob, RestJobInput, RestJobOutput } from './plan';

export const COMMAND_FIX = 'Add the command to run, e.g. command: python train.py --data ${{inputs.training_data}}.';
export const ENVIRONMENT_FIX =
  'Add the environment, e.g. environment: azureml:my-env:1, or environment: {image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest, conda_file: ./conda.yml}.';

export function buildCommandJob(
  root: YamlMapping,
  context: PlanContext,
  taskInputs: JobTaskInputs,
  specPath: string,
): { name: string | undefined; properties: RestCommandJob } {
  root.rejectUnknownFields(COMMAND_JOB_FIELDS, 'a command job', FIELD_ALIASES);
  const baseDirectory = root.document.directory;
  const common = readCommonJobFields(root, context, taskInputs, specPath);

  const commandValue = root.get('command').required(COMMAND_FIX);
  const rawCommand = commandValue.string(COMMAND_FIX)!;
  if (rawCommand.trim() === '') commandValue.fail('is empty', COMMAND_FIX);
  const environmentValue = root.get('environment').required(ENVIRONMENT_FIX);
  if (!common.computeId) {
    root.get('compute').required('Add the compute cluster to run on, e.g. compute: azureml:cpu-cluster.');
  }

  const code = resolveCode(root.get('code'), context, baseDirectory);
  const environment = resolveEnvironment(environmentValue, context, baseDirectory);
  const inputs = parseInputs(root.get('inputs'), context, baseDirectory, { allowBindings: false });
  const outputs = parseOutputs(root.get('outputs'), { allowBindings: false });
  const command = checkCommand(commandValue, rawCommand, new Set(inputs.keys()), new Set(outputs.keys()), context);
  const environmentVariables = root.get('environment_variables').stringMap('Write environment variables as NAME: value pairs.');

  const restInputs: Record<string, RestJobInput> = {};
  for (const [name, input] of inputs) restInputs[name] = restInput(input);
  const restOutputs: Record<string, RestJobOutput> = {};
  for (const [name, output] of outputs) restOutputs[name] = restOutput(output);

  const properties: RestCommandJob = {
    jobType: 'Command',
    experimentName: common.experimentName,
    ...(common.displayName !== undefined ? { displayName: common.displayName } : {}),
    ...(common.description !== undefined ? { description: common.description } : {}),
    ...(common.tags ? { tags: common.tags } : {}),
    ...(common.properties ? { properties: common.properties } : {}),
    command,
    environmentId: environment.environmentId,
    ...(code ? { codeId: code.codeId } : {}),
    ...(common.computeId ? { computeId: common.computeId } : {}),
    ...(environmentVariables ? { environmentVariables } : {}),
    ...(inputs.size > 0 ? { inputs: restInputs } : {}),
    ...(outputs.size > 0 ? { outputs: restOutputs } : {}),
    ...optional('resources', parseResources(root.get('resources'))?.rest),
    ...optional('limits', parseLimits(root.get('limits'))?.rest),
    ...optional('distribution', parseDistribution(root.get('distribution'))?.rest),
    ...(common.identity ? { identity: common.identity } : {}),
    ...(common.services ? { services: common.services } : {}),
  };
  return { name: common.name, properties };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
