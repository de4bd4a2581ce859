/**
 * Command components of pipeline steps. azure-ai-ml turns every step that is not a registered component
 * into an anonymous command component (name `azureml_anonymous`, version = hash of its spec), registers
 * it, and points the step at it with `componentId`. We do the same for inline steps, for
 * `component: ./file.yml` and for inline `component: {...}` definitions.
 */
import { YamlDocument, type YamlMapping, type YamlValue } from '@azureml-mlops/shared';
import { resolveCode } from './code';
import { checkCommand } from './commandText';
import type { PlanContext } from './context';
import { resolveEnvironment } from './environment';
import { COMMAND_COMPONENT_FIELDS, FIELD_ALIASES, UNSUPPORTED_JOB_TYPES } from './fields';
import { DATA_TYPES } from './inputsOutputs';
import { parseDistribution, parseResources } from './jobSettings';
import { resolveLocalPath } from './references';

export const ANONYMOUS_COMPONENT_NAME = 'azureml_anonymous';
const LITERAL_TYPES = ['string', 'integer', 'number', 'boolean'];
const INPUT_DEFINITION_FIELDS = ['type', 'default', 'optional', 'description', 'min', 'max', 'enum', 'mode'];
const OUTPUT_DEFINITION_FIELDS = ['type', 'description', 'mode'];

export interface InputDefinition {
  readonly type: string;
  /** Neither optional nor defaulted: a step must set it. */
  readonly required: boolean;
  readonly source: YamlValue;
}

/** A command component read from YAML (a component file or an inline `component:` mapping). */
export interface ComponentDefinition {
  readonly source: YamlMapping;
  readonly inputs: ReadonlyMap<string, InputDefinition>;
  readonly outputs: ReadonlyMap<string, string>;
  /** The componentSpec to register (resolves code and environment into the plan). */
  spec(context: PlanContext): Record<string, unknown>;
}

/** Loads `component: ./train.yml` (or `file:./train.yml`), relative to the YAML that references it. */
export function loadComponentFile(value: YamlValue, text: string): YamlMapping {
  const local = resolveLocalPath(value, text, value.document.directory, 'the component file');
  if (local.kind !== 'file') value.fail(`is the folder '${text}', not a component YAML file`, 'Give the path of the component YAML file.');
  const displayName = value.document.displayNameFor(local.absolutePath);
  return YamlDocument.load(local.absolutePath, { inputName: value.document.inputName, displayName }).root();
}

export function readComponentDefinition(mapping: YamlMapping, context: PlanContext): ComponentDefinition {
  const what = 'a command component';
  const typeValue = mapping.get('type');
  const type = typeValue.string('Write type: command.')?.toLowerCase() ?? 'command';
  if (type !== 'command') {
    const known = UNSUPPORTED_JOB_TYPES[type];
    typeValue.fail(
      known ? `is '${type}': ${known} are not supported by this task` : `is '${type}', which is not a component type this task runs`,
      'Use command components (type: command) in pipelines run by this task.',
    );
  }
  mapping.rejectUnknownFields(COMMAND_COMPONENT_FIELDS, what, FIELD_ALIASES);

  const inputs = new Map<string, InputDefinition>();
  for (const entry of mapping.get('inputs').mapping('Write inputs as a mapping of names to definitions, e.g. inputs: {alpha: {type: number, default: 0.5}}.')?.entries() ?? []) {
    inputs.set(entry.key, readInputDefinition(entry.value));
  }
  const outputs = new Map<string, string>();
  for (const entry of mapping.get('outputs').mapping('Write outputs as a mapping of names to definitions, e.g. outputs: {model: {type: uri_folder}}.')?.entries() ?? []) {
    outputs.set(entry.key, readOutputDefinition(entry.value));
  }
  const commandValue = mapping.get('command').required('Add the command the component runs, e.g. command: python train.py --alpha ${{inputs.alpha}}.');
  const command = checkCommand(commandValue, commandValue.string('Write the command as text.')!, new Set(inputs.keys()), new Set(outputs.keys()), context);
  mapping.get('environment').required('Add the environment, e.g. environment: azureml:my-env:1.');

  return {
    source: mapping,
    inputs,
    outputs,
    spec: (planContext) => {
      const baseDirectory = mapping.document.directory;
      const code = resolveCode(mapping.get('code'), planContext, baseDirectory);
      const environment = resolveEnvironment(mapping.get('environment'), planContext, baseDirectory);
      const isDeterministic = mapping.get('is_deterministic').boolean('Write is_deterministic: true or false.');
      const displayName = mapping.get('display_name').text('Write the display name as text.') ?? mapping.get('name').text('Write the name as text.');
      return withoutUndefined({
        name: ANONYMOUS_COMPONENT_NAME,
        type: 'command',
        display_name: displayName,
        description: mapping.get('description').string('Write the description as text.'),
        tags: mapping.get('tags').stringMap('Write tags as name: value pairs.'),
        is_deterministic: isDeterministic ?? true,
        command,
        code: code?.componentReference,
        environment: environment.componentReference,
        environment_variables: mapping.get('environment_variables').stringMap('Write environment variables as NAME: value pairs.'),
        resources: parseResources(mapping.get('resources'))?.yaml,
        distribution: parseDistribution(mapping.get('distribution'))?.yaml,
        inputs: definitionsToSpec(inputs),
        outputs: Object.fromEntries([...outputs].map(([name, outputType]) => [name, { type: outputType }])),
        _source: 'YAML.COMPONENT',
      });
    },
  };
}

function readInputDefinition(value: YamlValue): InputDefinition {
  const fix = 'Write e.g. {type: number, default: 0.5} or {type: uri_folder}.';
  const mapping = value.mapping(fix);
  if (!mapping) return value.fail('has no definition', fix);
  mapping.rejectUnknownFields(INPUT_DEFINITION_FIELDS, 'a component input', FIELD_ALIASES);
  const typeValue = mapping.get('type').required(fix);
  const type = typeValue.string(fix)!;
  if (![...LITERAL_TYPES, ...DATA_TYPES].includes(type)) typeValue.fail(`is '${type}', which is not an input type`, `Write one of ${[...LITERAL_TYPES, ...DATA_TYPES].join(', ')}.`);
  const optional = mapping.get('optional').boolean('Write optional: true or false.') ?? false;
  return { type, required: !optional && mapping.get('default').isEmpty, source: value };
}

function readOutputDefinition(value: YamlValue): string {
  const fix = 'Write e.g. {type: uri_folder}.';
  const mapping = value.mapping(fix);
  if (!mapping) return 'uri_folder';
  mapping.rejectUnknownFields(OUTPUT_DEFINITION_FIELDS, 'a component output', FIELD_ALIASES);
  const typeValue = mapping.get('type');
  const type = typeValue.string(fix) ?? 'uri_folder';
  if (!DATA_TYPES.includes(type as never)) typeValue.fail(`is '${type}', which is not an output type`, `Write one of ${DATA_TYPES.join(', ')}.`);
  return type;
}

/** Input definitions as written, defaults as text (the service keeps them as strings). */
function definitionsToSpec(inputs: ReadonlyMap<string, InputDefinition>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, definition] of inputs) {
    const mapping = definition.source.mapping('')!;
    const spec: Record<string, unknown> = { type: definition.type };
    for (const field of ['default', 'optional', 'description', 'min', 'max', 'enum', 'mode']) {
      const value = mapping.get(field);
      if (value.isEmpty) continue;
      spec[field] = field === 'enum' ? value.sequence('Write enum as a list.')!.map((item) => item.text('Write each value as text.')) : field === 'optional' ? value.boolean('') : value.text(`Write ${field} as a single value.`);
    }
    result[name] = spec;
  }
  return result;
}

export function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}
