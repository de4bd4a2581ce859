/**
 * A pipeline job (`type: pipeline`) -> the PipelineJob body of API 2022-10-01, its steps serialized as
 * azure-ai-ml does (see PipelineChildJob), each step pointing at an anonymous command component.
 */
import { suggestFieldName, type YamlMapping, type YamlValue } from '@azureml-mlops/shared';
import { resolveCode } from './code';
import { checkCommand } from './commandText';
import { COMMAND_FIX, ENVIRONMENT_FIX } from './commandJob';
import { type JobTaskInputs, readCommonJobFields, rejectNotInApiVersion } from './commonFields';
import { ANONYMOUS_COMPONENT_NAME, type ComponentDefinition, loadComponentFile, readComponentDefinition, withoutUndefined } from './component';
import type { PlanContext } from './context';
import { resolveEnvironment } from './environment';
import { COMPONENT_STEP_FIELDS, FIELD_ALIASES, INLINE_STEP_FIELDS, PIPELINE_JOB_FIELDS, PIPELINE_SETTINGS_FIELDS, UNSUPPORTED_JOB_TYPES } from './fields';
import { nodeInput, nodeOutput, type ParsedInput, type ParsedOutput, parseInputs, parseOutputs, restInput, restOutput } from './inputsOutputs';
import { parseDistribution, parseIdentity, parseLimits, parseResources, parseServices } from './jobSettings';
import type { PipelineChildJob, RestJobInput, RestJobOutput, RestPipelineJob } from './plan';
import { resolveAssetReference, resolveCompute, resolveDatastore } from './references';

const STEP_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const JOB_SOURCE = 'YAML.JOB';

/** What is known of a step before its inputs are read (bindings to it are checked against this). */
interface Step {
  readonly name: string;
  readonly mapping: YamlMapping;
  /** 'inline': command/code/environment on the step; 'definition': component from a file or inline; 'registered': azureml: reference. */
  readonly kind: 'inline' | 'definition' | 'registered';
  readonly definition?: ComponentDefinition;
  /** ARM id or placeholder of a registered component. */
  readonly componentId?: string;
  readonly outputs: ReadonlyMap<string, ParsedOutput>;
  /** Output name -> type; undefined when unknown (registered components). */
  readonly outputTypes: ReadonlyMap<string, string> | undefined;
  inputs?: Map<string, ParsedInput>;
  /** Steps whose outputs this step reads, with the binding that reads them. */
  readonly dependsOn: Map<string, YamlValue>;
}

export function buildPipelineJob(
  root: YamlMapping,
  context: PlanContext,
  taskInputs: JobTaskInputs,
  specPath: string,
): { name: string | undefined; properties: RestPipelineJob } {
  root.rejectUnknownFields(PIPELINE_JOB_FIELDS, 'a pipeline job', FIELD_ALIASES);
  rejectNotInApiVersion(root);
  const baseDirectory = root.document.directory;
  const common = readCommonJobFields(root, context, taskInputs, specPath);

  const pipelineInputs = parseInputs(root.get('inputs'), context, baseDirectory, { allowBindings: false, allowDotsInNames: true });
  const pipelineOutputs = parseOutputs(root.get('outputs'), { allowBindings: false });
  const settingsValue = root.get('settings');
  const settings = readSettings(settingsValue, context);

  const jobsValue = root.get('jobs').required('Add the steps of the pipeline under jobs, e.g. jobs: {train: {type: command, command: ..., environment: ...}}.');
  const jobsMapping = jobsValue.mapping('Write jobs as a mapping of step names to steps.')!;
  if (jobsMapping.entries().length === 0) throw jobsValue.error('has no steps', 'Add at least one step under jobs.');

  const steps = new Map<string, Step>();
  for (const entry of jobsMapping.entries()) steps.set(entry.key, readStep(entry.key, entry.value, context, pipelineOutputs));
  for (const step of steps.values()) {
    step.inputs = parseInputs(step.mapping.get('inputs'), context, step.mapping.document.directory, { allowBindings: true });
    checkInputBindings(step, steps, pipelineInputs);
    checkStepInputsAgainstDefinition(step);
  }
  rejectCycles(steps);
  checkNodeSetting(settingsValue, 'on_init', steps);
  checkNodeSetting(settingsValue, 'on_finalize', steps);

  const hasDefaultCompute = common.computeId !== undefined || settings.default_compute !== undefined;
  const jobs: Record<string, PipelineChildJob> = {};
  for (const step of steps.values()) jobs[step.name] = buildChildJob(step, context, pipelineInputs, steps, hasDefaultCompute);

  const inputs: Record<string, RestJobInput> = {};
  for (const [name, input] of pipelineInputs) inputs[name] = restInput(input);
  const outputs: Record<string, RestJobOutput> = {};
  for (const [name, output] of pipelineOutputs) outputs[name] = restOutput(output);

  const properties: RestPipelineJob = {
    jobType: 'Pipeline',
    experimentName: common.experimentName,
    ...(common.displayName !== undefined ? { displayName: common.displayName } : {}),
    ...(common.description !== undefined ? { description: common.description } : {}),
    ...(common.tags ? { tags: common.tags } : {}),
    ...(common.properties ? { properties: common.properties } : {}),
    ...(common.computeId ? { computeId: common.computeId } : {}),
    settings: { ...settings, _source: JOB_SOURCE },
    ...(pipelineInputs.size > 0 ? { inputs } : {}),
    ...(pipelineOutputs.size > 0 ? { outputs } : {}),
    jobs,
    ...(common.identity ? { identity: common.identity } : {}),
    ...(common.services ? { services: common.services } : {}),
  };
  return { name: common.name, properties };
}

/** settings: known keys typed and resolved to ARM ids; other keys passed through (the CLI does), with a hint. */
function readSettings(value: YamlValue, context: PlanContext): Record<string, unknown> {
  const mapping = value.mapping('Write settings as a mapping, e.g. settings: {default_compute: azureml:cpu-cluster}.');
  const result: Record<string, unknown> = {};
  if (!mapping) return result;
  for (const entry of mapping.entries()) {
    const field = entry.key;
    if (PIPELINE_SETTINGS_FIELDS.includes(field)) continue;
    const suggestion = suggestFieldName(field, PIPELINE_SETTINGS_FIELDS);
    context.warn(
      `settings.${field} (line ${entry.value.line() ?? '?'}) is not a setting this task knows; it was passed to Azure ML as is.${suggestion ? ` Did you mean '${suggestion}'?` : ''}`,
    );
    result[field] = entry.value.toJS();
  }
  const defaultCompute = resolveCompute(mapping.get('default_compute'), context);
  if (defaultCompute) result.default_compute = defaultCompute;
  const defaultDatastore = resolveDatastore(mapping.get('default_datastore'), context);
  if (defaultDatastore) result.default_datastore = defaultDatastore;
  for (const field of ['continue_on_step_failure', 'force_rerun']) {
    const flag = mapping.get(field).boolean(`Write ${field}: true or false.`);
    if (flag !== undefined) result[field] = flag;
  }
  for (const field of ['on_init', 'on_finalize']) {
    const node = mapping.get(field).string(`Give the name of a step, e.g. ${field}: setup.`);
    if (node !== undefined) result[field] = node;
  }
  return result;
}

function checkNodeSetting(settingsValue: YamlValue, field: string, steps: ReadonlyMap<string, Step>): void {
  if (settingsValue.kind !== 'mapping') return;
  const value = settingsValue.mapping('')!.get(field);
  const name = value.kind === 'string' ? (value.scalar() as string) : undefined;
  if (name !== undefined && !steps.has(name)) throw value.error(`names the step '${name}', which is not under jobs`, `Use one of: ${[...steps.keys()].join(', ')}.`);
}

function readStep(name: string, value: YamlValue, context: PlanContext, pipelineOutputs: ReadonlyMap<string, ParsedOutput>): Step {
  if (!STEP_NAME.test(name)) {
    throw value.error(`is named '${name}', which is not a valid step name`, 'Use letters, digits and underscores, starting with a letter or underscore.');
  }
  const mapping = value.mapping('Write the step as a mapping, e.g. {type: command, command: ..., environment: ...}.');
  if (!mapping) return value.fail('is empty', 'Define the step: type, command, environment, inputs...');
  const typeValue = mapping.get('type');
  const type = typeValue.string('Write type: command.')?.toLowerCase() ?? 'command';
  if (type !== 'command') {
    const known = UNSUPPORTED_JOB_TYPES[type];
    throw typeValue.error(
      known ? `is '${type}': ${known} are not supported by this task, which runs command steps` : type === 'pipeline' ? "is 'pipeline': nested pipelines are not supported by this task" : `is '${type}', which is not a step type`,
      'Use command steps (type: command), or submit this pipeline with `az ml job create`.',
    );
  }
  rejectNotInApiVersion(mapping);
  const componentValue = mapping.get('component');
  const outputs = parseOutputs(mapping.get('outputs'), { allowBindings: true });
  // Also checks that outputs bound to the pipeline name pipeline outputs.
  const declaredOutputTypes = outputTypes(outputs, pipelineOutputs);
  const dependsOn = new Map<string, YamlValue>();

  if (componentValue.isEmpty) {
    mapping.rejectUnknownFields(INLINE_STEP_FIELDS, 'a command step', FIELD_ALIASES);
    mapping.get('command').required(COMMAND_FIX);
    mapping.get('environment').required(ENVIRONMENT_FIX);
    return { name, mapping, kind: 'inline', outputs, outputTypes: declaredOutputTypes, dependsOn };
  }

  mapping.rejectUnknownFields(COMPONENT_STEP_FIELDS, 'a step that runs a component', FIELD_ALIASES);
  for (const field of ['command', 'code', 'environment']) {
    const misplaced = mapping.get(field);
    if (misplaced.kind !== 'absent') throw misplaced.error('cannot be set on a step that runs a component', `Set ${field} in the component, or remove component: to define the step inline.`);
  }
  const componentFix = 'Write component: ./components/train.yml, component: azureml:train:1, or an inline component definition.';
  if (componentValue.kind === 'mapping') {
    const definition = readComponentDefinition(componentValue.mapping('')!, context);
    checkOutputsAgainstDefinition(outputs, definition);
    return { name, mapping, kind: 'definition', definition, outputs, outputTypes: definition.outputs, dependsOn };
  }
  const text = componentValue.string(componentFix)!.trim();
  if (/^azureml:\/\//i.test(text)) {
    return { name, mapping, kind: 'registered', componentId: text, outputs, outputTypes: undefined, dependsOn };
  }
  if (text.startsWith('azureml:')) {
    const componentId = resolveAssetReference(componentValue, text, 'components', context, 'the component', 'azureml:train:1');
    return { name, mapping, kind: 'registered', componentId, outputs, outputTypes: undefined, dependsOn };
  }
  const definition = readComponentDefinition(loadComponentFile(componentValue, text), context);
  checkOutputsAgainstDefinition(outputs, definition);
  return { name, mapping, kind: 'definition', definition, outputs, outputTypes: definition.outputs, dependsOn };
}

/** Output types of an inline step: declared type, or the type of the pipeline output it is bound to. */
function outputTypes(outputs: ReadonlyMap<string, ParsedOutput>, pipelineOutputs: ReadonlyMap<string, ParsedOutput>): Map<string, string> {
  const types = new Map<string, string>();
  for (const [name, output] of outputs) {
    if (output.kind === 'binding') {
      const match = /^parent\.outputs\.([A-Za-z0-9_]+)$/.exec(output.target);
      if (!match) {
        throw output.source.error(`binds to ${output.expression}; a step output can only be bound to a pipeline output`, 'Write ${{parent.outputs.<name>}} with a name declared under the pipeline outputs.');
      }
      const pipelineOutput = pipelineOutputs.get(match[1]!);
      if (!pipelineOutput) {
        throw output.source.error(
          `binds to ${output.expression}, but the pipeline has no output '${match[1]}'`,
          pipelineOutputs.size > 0 ? `Use one of: ${[...pipelineOutputs.keys()].join(', ')}, or declare it under the pipeline outputs.` : `Declare it under the pipeline outputs, e.g. outputs: {${match[1]}: {type: uri_folder}}.`,
        );
      }
      types.set(name, pipelineOutput.kind === 'data' ? pipelineOutput.type : 'uri_folder');
    } else {
      types.set(name, output.kind === 'data' ? output.type : 'uri_folder');
    }
  }
  return types;
}

function checkOutputsAgainstDefinition(outputs: ReadonlyMap<string, ParsedOutput>, definition: ComponentDefinition): void {
  for (const [name, output] of outputs) {
    if (!definition.outputs.has(name)) {
      throw output.source.error(`is not an output of the component (defined at line ${definition.source.line() ?? '?'} of ${definition.source.document.displayName})`, outputsHint(definition.outputs));
    }
  }
}

/** Every `${{...}}` of the step's inputs must name a pipeline input or an output of another step. */
function checkInputBindings(step: Step, steps: ReadonlyMap<string, Step>, pipelineInputs: ReadonlyMap<string, ParsedInput>): void {
  for (const input of step.inputs!.values()) {
    if (input.kind !== 'binding') continue;
    const target = input.target;
    const parentInput = /^parent\.inputs\.(.+)$/.exec(target);
    if (parentInput) {
      if (!pipelineInputs.has(parentInput[1]!)) {
        throw input.source.error(
          `binds to ${input.expression}, but the pipeline has no input '${parentInput[1]}'`,
          pipelineInputs.size > 0 ? `Use one of: ${[...pipelineInputs.keys()].join(', ')}, or declare it under the pipeline inputs.` : `Declare it under the pipeline inputs, e.g. inputs: {${parentInput[1]}: ...}.`,
        );
      }
      continue;
    }
    const stepOutput = /^parent\.jobs\.([^.]+)\.(inputs|outputs)\.([^.]+)$/.exec(target);
    if (!stepOutput) {
      throw input.source.error(`binds to ${input.expression}, which is not a binding this task understands`, 'Write ${{parent.inputs.<name>}} or ${{parent.jobs.<step>.outputs.<name>}}.');
    }
    const [, sourceName, direction, outputName] = stepOutput as unknown as [string, string, string, string];
    const source = steps.get(sourceName);
    if (!source) {
      throw input.source.error(`binds to ${input.expression}, but there is no step '${sourceName}'`, `Use one of the steps under jobs: ${[...steps.keys()].join(', ')}.`);
    }
    if (direction === 'inputs') {
      throw input.source.error(`binds to ${input.expression}, an input of another step`, `Bind to what feeds it instead (the pipeline input or step output it is bound to), or to \${{parent.jobs.${sourceName}.outputs.<name>}}.`);
    }
    if (source.outputTypes && !source.outputTypes.has(outputName)) {
      throw input.source.error(`binds to ${input.expression}, but step '${sourceName}' has no output '${outputName}'`, outputsHint(source.outputTypes));
    }
    if (!step.dependsOn.has(sourceName)) step.dependsOn.set(sourceName, input.source);
  }
}

function outputsHint(outputs: ReadonlyMap<string, string>): string {
  return outputs.size > 0 ? `Its outputs are: ${[...outputs.keys()].join(', ')}.` : 'It declares no outputs; declare the output under its outputs.';
}

/** For component steps: inputs must exist in the component; required ones must be set. */
function checkStepInputsAgainstDefinition(step: Step): void {
  const definition = step.definition;
  if (!definition) return;
  for (const [name, input] of step.inputs!) {
    const inputDefinition = definition.inputs.get(name);
    const where = `the component (line ${definition.source.line() ?? '?'} of ${definition.source.document.displayName})`;
    if (!inputDefinition) {
      const inputs = [...definition.inputs.keys()];
      throw input.source.error(`is not an input of ${where}`, inputs.length > 0 ? `Its inputs are: ${inputs.join(', ')}.` : 'The component declares no inputs.');
    }
    const isLiteralType = ['string', 'integer', 'number', 'boolean'].includes(inputDefinition.type);
    if (input.kind === 'data' && isLiteralType) throw input.source.error(`is data, but the component input '${name}' is a ${inputDefinition.type}`, 'Give a value instead.');
    if (input.kind === 'literal' && !isLiteralType) throw input.source.error(`is a value, but the component input '${name}' is ${inputDefinition.type} data`, `Give data, e.g. {type: ${inputDefinition.type}, path: azureml:my-data:1}.`);
    if (input.kind === 'literal' && !literalFits(input.type, inputDefinition.type)) {
      throw input.source.error(`is ${input.source.describe()}, but the component input '${name}' is a ${inputDefinition.type}`, `Give a ${inputDefinition.type}.`);
    }
  }
  for (const [name, inputDefinition] of definition.inputs) {
    if (inputDefinition.required && !step.inputs!.has(name)) {
      throw step.mapping.error(
        `does not set the input '${name}' of its component (line ${inputDefinition.source.line() ?? '?'} of ${definition.source.document.displayName}), which has no default`,
        `Add it under inputs, e.g. inputs: {${name}: ...}.`,
      );
    }
  }
}

function literalFits(given: string, expected: string): boolean {
  if (expected === 'string') return true;
  if (expected === 'number') return given === 'number' || given === 'integer';
  return given === expected;
}

/** Steps must form a graph without loops; the error names the loop and the binding that closes it. */
function rejectCycles(steps: ReadonlyMap<string, Step>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    trail.push(name);
    const step = steps.get(name)!;
    for (const [dependency, binding] of step.dependsOn) {
      if (state.get(dependency) === 'visiting') {
        const loop = [...trail.slice(trail.indexOf(dependency)), dependency];
        const description = loop.length === 2 ? `step '${name}' reads its own output` : `the steps form a cycle (${[...loop].reverse().join(' -> ')})`;
        throw binding.error(`reads the output of step '${dependency}', but ${description}`, 'Remove one of these bindings: each step can only read outputs of steps that run before it.');
      }
      if (!state.has(dependency)) visit(dependency);
    }
    trail.pop();
    state.set(name, 'done');
  };
  for (const name of steps.keys()) if (!state.has(name)) visit(name);
}

function buildChildJob(
  step: Step,
  context: PlanContext,
  pipelineInputs: ReadonlyMap<string, ParsedInput>,
  steps: ReadonlyMap<string, Step>,
  hasDefaultCompute: boolean,
): PipelineChildJob {
  const mapping = step.mapping;
  const computeId = resolveCompute(mapping.get('compute'), context);
  if (!computeId && !hasDefaultCompute) {
    throw mapping.error('has no compute', 'Set compute on the step, or compute (or settings.default_compute) on the pipeline, e.g. compute: azureml:cpu-cluster.');
  }
  const componentId = componentIdOf(step, context, pipelineInputs, steps);
  const inputs: Record<string, unknown> = {};
  for (const [name, input] of step.inputs!) inputs[name] = nodeInput(input);
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of step.outputs) {
    const rest = nodeOutput(output);
    if (rest) outputs[name] = rest;
  }
  const isComponentStep = step.kind !== 'inline';
  return withoutUndefined({
    name: step.name,
    type: 'command',
    display_name: mapping.get('display_name').text('Write the display name as text.'),
    tags: mapping.get('tags').stringMap('Write tags as name: value pairs.'),
    properties: mapping.get('properties').stringMap('Write properties as name: value pairs.'),
    computeId,
    inputs,
    outputs,
    environment_variables: mapping.get('environment_variables').stringMap('Write environment variables as NAME: value pairs.'),
    limits: parseLimits(mapping.get('limits'))?.node,
    // Inline steps carry resources and distribution in their component (azure-ai-ml's CommandJob._to_component).
    resources: isComponentStep ? parseResources(mapping.get('resources'))?.node : undefined,
    distribution: isComponentStep ? parseDistribution(mapping.get('distribution'))?.node : undefined,
    services: parseServices(mapping.get('services'))?.node,
    identity: parseIdentity(mapping.get('identity'))?.node,
    _source: JOB_SOURCE,
    componentId,
  }) as PipelineChildJob;
}

function componentIdOf(step: Step, context: PlanContext, pipelineInputs: ReadonlyMap<string, ParsedInput>, steps: ReadonlyMap<string, Step>): string {
  if (step.kind === 'registered') return step.componentId!;
  const usedBy = step.mapping.pathText;
  if (step.kind === 'definition') {
    const spec = step.definition!.spec(context);
    return context.addComponent({ name: ANONYMOUS_COMPONENT_NAME, spec, ...descriptionAndTags(spec), usedBy: [usedBy] });
  }
  return context.addComponent({ name: ANONYMOUS_COMPONENT_NAME, spec: inlineStepSpec(step, context, pipelineInputs, steps), usedBy: [usedBy] });
}

function descriptionAndTags(spec: Record<string, unknown>): { description?: string; tags?: Record<string, string> } {
  return withoutUndefined({ description: spec.description, tags: spec.tags }) as { description?: string; tags?: Record<string, string> };
}

/**
 * The anonymous component of an inline step (azure-ai-ml CommandJob._to_component): its command, code,
 * environment, resources and distribution, and input/output definitions inferred from what the step binds.
 */
function inlineStepSpec(step: Step, context: PlanContext, pipelineInputs: ReadonlyMap<string, ParsedInput>, steps: ReadonlyMap<string, Step>): Record<string, unknown> {
  const mapping = step.mapping;
  const baseDirectory = mapping.document.directory;
  const commandValue = mapping.get('command');
  const command = checkCommand(commandValue, commandValue.string(COMMAND_FIX)!, new Set(step.inputs!.keys()), new Set(step.outputs.keys()), context);
  const code = resolveCode(mapping.get('code'), context, baseDirectory);
  const environment = resolveEnvironment(mapping.get('environment'), context, baseDirectory);
  const inputs: Record<string, unknown> = {};
  for (const [name, input] of step.inputs!) inputs[name] = inputDefinitionFor(input, pipelineInputs, steps);
  const outputs: Record<string, unknown> = {};
  for (const [name, type] of step.outputTypes!) outputs[name] = { type };
  return withoutUndefined({
    name: ANONYMOUS_COMPONENT_NAME,
    type: 'command',
    description: mapping.get('description').string('Write the description as text.'),
    tags: mapping.get('tags').stringMap('Write tags as name: value pairs.'),
    is_deterministic: true,
    command,
    code: code?.componentReference,
    environment: environment.componentReference,
    resources: parseResources(mapping.get('resources'))?.yaml,
    distribution: parseDistribution(mapping.get('distribution'))?.yaml,
    inputs,
    outputs,
    _source: JOB_SOURCE,
  });
}

/** azure-ai-ml's ComponentTranslatableMixin._to_component_input: literal -> its type and default; binding -> the bound value's type. */
function inputDefinitionFor(input: ParsedInput, pipelineInputs: ReadonlyMap<string, ParsedInput>, steps: ReadonlyMap<string, Step>): Record<string, unknown> {
  switch (input.kind) {
    case 'literal':
      return { type: input.type, default: input.value };
    case 'data':
      return { type: input.type };
    default: {
      const parentInput = /^parent\.inputs\.(.+)$/.exec(input.target);
      if (parentInput) {
        const bound = pipelineInputs.get(parentInput[1]!)!;
        return { type: bound.kind === 'literal' ? bound.type : bound.kind === 'data' ? bound.type : 'uri_folder' };
      }
      const [, sourceName, , outputName] = /^parent\.jobs\.([^.]+)\.(outputs)\.([^.]+)$/.exec(input.target)!;
      return { type: steps.get(sourceName!)?.outputTypes?.get(outputName!) ?? 'uri_folder' };
    }
  }
}
