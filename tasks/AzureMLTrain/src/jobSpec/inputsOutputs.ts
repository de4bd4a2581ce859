/**
 * Job inputs and outputs: literals, data (local paths to upload, data assets, datastore and web URIs) and,
 * in pipelines, bindings (`${{parent.inputs.x}}`, `${{parent.jobs.step.outputs.o}}`, `${{parent.outputs.o}}`).
 */
import type { YamlMapping, YamlValue } from '@azureml-mlops/shared';
import type { PlanContext } from './context';
import { FIELD_ALIASES } from './fields';
import type { DataType, RestInputDeliveryMode, RestJobInput, RestJobOutput, RestOutputDeliveryMode } from './plan';
import { literalType, type LiteralType, pythonStr } from './pythonValues';
import { isArmId, isRemoteUri, resolveAssetReference, resolveLocalPath } from './references';

export const DATA_TYPES: readonly DataType[] = ['uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'];
const MODEL_TYPES: readonly DataType[] = ['custom_model', 'mlflow_model', 'triton_model'];
const BINDING = /^\$\{\{\s*([^{}]+?)\s*\}\}$/;

const INPUT_MODES: Record<string, RestInputDeliveryMode> = {
  ro_mount: 'ReadOnlyMount',
  mount: 'ReadOnlyMount',
  download: 'Download',
  direct: 'Direct',
  eval_mount: 'EvalMount',
  eval_download: 'EvalDownload',
};
const OUTPUT_MODES: Record<string, RestOutputDeliveryMode> = { rw_mount: 'ReadWriteMount', mount: 'ReadWriteMount', upload: 'Upload' };

export type ParsedInput =
  | { readonly kind: 'literal'; readonly value: string; readonly type: LiteralType; readonly source: YamlValue }
  | { readonly kind: 'binding'; readonly expression: string; readonly target: string; readonly mode?: RestInputDeliveryMode; readonly source: YamlValue }
  | {
      readonly kind: 'data';
      readonly type: DataType;
      readonly uri: string;
      readonly mode?: RestInputDeliveryMode;
      readonly description?: string;
      readonly source: YamlValue;
    };

export type ParsedOutput =
  | { readonly kind: 'data'; readonly type: DataType; readonly uri?: string; readonly mode?: RestOutputDeliveryMode; readonly description?: string; readonly source: YamlValue }
  | { readonly kind: 'binding'; readonly expression: string; readonly target: string; readonly mode?: RestOutputDeliveryMode; readonly source: YamlValue }
  /** `name:` with no value: a uri_folder output the service places. */
  | { readonly kind: 'default'; readonly source: YamlValue };

export interface IoOptions {
  /** Pipelines: bindings allowed; command jobs: not. */
  readonly allowBindings: boolean;
  /** Top-level pipeline inputs may contain dots (parameter groups). */
  readonly allowDotsInNames?: boolean;
}

export function parseInputs(value: YamlValue, context: PlanContext, baseDirectory: string, options: IoOptions): Map<string, ParsedInput> {
  const result = new Map<string, ParsedInput>();
  const mapping = value.mapping('Write inputs as a mapping of input names to values, e.g. inputs: {alpha: 0.5}.');
  if (!mapping) return result;
  for (const entry of mapping.entries()) {
    checkIoName(entry.value, entry.key, options.allowDotsInNames ?? false);
    result.set(entry.key, parseInput(entry.value, context, baseDirectory, options));
  }
  return result;
}

export function parseOutputs(value: YamlValue, options: IoOptions): Map<string, ParsedOutput> {
  const result = new Map<string, ParsedOutput>();
  const mapping = value.mapping('Write outputs as a mapping of output names to outputs, e.g. outputs: {model: {type: uri_folder}}.');
  if (!mapping) return result;
  for (const entry of mapping.entries()) {
    checkIoName(entry.value, entry.key, false);
    result.set(entry.key, parseOutput(entry.value, options));
  }
  return result;
}

function checkIoName(value: YamlValue, name: string, allowDots: boolean): void {
  const pattern = allowDots ? /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/ : /^[A-Za-z_][A-Za-z0-9_]*$/;
  if (!pattern.test(name)) {
    value.fail(`has the name '${name}', which is not a valid input or output name`, 'Use letters, digits and underscores, starting with a letter or underscore.');
  }
}

function parseInput(value: YamlValue, context: PlanContext, baseDirectory: string, options: IoOptions): ParsedInput {
  switch (value.kind) {
    case 'string': {
      const text = value.scalar() as string;
      const binding = parseBinding(value, text, options);
      if (binding) return { kind: 'binding', expression: text.trim(), target: binding, source: value };
      // The API requires a literal to hold at least one letter, digit or underscore.
      if (!/[A-Za-z0-9_]/.test(text)) value.fail(`is '${text}', which Azure ML does not accept as a value (it needs at least one letter, digit or underscore)`, 'Give a value, or remove the input.');
      return { kind: 'literal', value: text, type: 'string', source: value };
    }
    case 'number':
    case 'boolean':
      return { kind: 'literal', value: pythonStr(value), type: literalType(value), source: value };
    case 'mapping':
      return parseInputMapping(value.mapping('')!, context, baseDirectory, options);
    case 'null':
      return value.fail('has no value', 'Give a value (e.g. alpha: 0.5) or a data input (e.g. {type: uri_file, path: ./data.csv}), or remove the input.');
    default:
      return value.fail(`must be a value or a data input, not ${value.describe()}`, 'Write e.g. alpha: 0.5 or data: {type: uri_folder, path: azureml:my-data:1}.');
  }
}

function parseInputMapping(mapping: YamlMapping, context: PlanContext, baseDirectory: string, options: IoOptions): ParsedInput {
  if (mapping.has('value')) {
    mapping.rejectUnknownFields(['value', 'description'], 'a literal input', FIELD_ALIASES);
    const literal = mapping.get('value');
    if (literal.kind === 'string' || literal.kind === 'number' || literal.kind === 'boolean') return parseInput(literal, context, baseDirectory, options);
    return literal.fail(`must be a single value, not ${literal.describe()}`, 'Write e.g. {value: 0.5}.');
  }
  const typeValue = mapping.get('type');
  const typeText = typeValue.string(`Write one of ${DATA_TYPES.join(', ')}.`) ?? 'uri_folder';
  if (['string', 'integer', 'number', 'boolean'].includes(typeText)) {
    typeValue.fail(`is '${typeText}', which declares a component input; a job input takes its value directly`, 'Write the value itself, e.g. alpha: 0.5.');
  }
  if (!DATA_TYPES.includes(typeText as DataType)) typeValue.fail(`is '${typeText}', which is not an input type`, `Write one of ${DATA_TYPES.join(', ')}.`);
  const type = typeText as DataType;
  mapping.rejectUnknownFields(['type', 'path', 'mode', 'datastore', 'description'], `a ${type} input`, FIELD_ALIASES);
  const mode = inputMode(mapping.get('mode'), type);
  const description = mapping.get('description').string('Write the description as text.');
  const pathValue = mapping.get('path').required(`Add the data location, e.g. path: ${type === 'uri_file' ? './data/train.csv' : 'azureml:my-data:1'}.`);
  const pathText = pathValue.string('Give the path or URI as text.')!.trim();
  const binding = parseBinding(pathValue, pathText, options);
  if (binding) return { kind: 'binding', expression: pathText, target: binding, ...(mode ? { mode } : {}), source: pathValue };
  const datastore = mapping.get('datastore').string('Give the datastore name, e.g. datastore: workspaceblobstore.');
  const uri = dataUri(pathValue, pathText, type, datastore, context, baseDirectory);
  return { kind: 'data', type, uri, ...(mode ? { mode } : {}), ...(description !== undefined ? { description } : {}), source: pathValue };
}

/** Where the data is: remote URIs pass through, `azureml:` assets resolve to ARM ids, local paths are uploaded. */
function dataUri(value: YamlValue, text: string, type: DataType, datastore: string | undefined, context: PlanContext, baseDirectory: string): string {
  if (isRemoteUri(text)) return text;
  if (text.startsWith('azureml:')) {
    const isModel = MODEL_TYPES.includes(type);
    return resolveAssetReference(value, text, isModel ? 'models' : 'data', context, isModel ? 'the model' : 'the data asset', isModel ? 'azureml:my-model:1' : 'azureml:my-data:1');
  }
  if (isArmId(text)) return text;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !text.startsWith('file:')) {
    value.fail(`is '${text}', a URI scheme Azure ML does not read`, 'Use azureml://datastores/<datastore>/paths/<path>, https://, wasbs://, abfss://, an azureml:<name>:<version> data asset or a local path.');
  }
  const local = resolveLocalPath(value, text, baseDirectory, 'the input');
  if (type === 'uri_file' && local.kind !== 'file') {
    value.fail(`is the folder '${text}', but the input type is uri_file`, `Use type: uri_folder for a folder, or give the path of a file inside '${text}'.`);
  }
  if ((type === 'uri_folder' || type === 'mltable') && local.kind !== 'folder') {
    value.fail(`is the file '${text}', but the input type is ${type}`, type === 'mltable' ? 'Give the folder that holds the MLTable file.' : 'Use type: uri_file for a single file, or give its folder.');
  }
  return context.addUpload(local.absolutePath, local.kind, datastore, value.parent?.pathText ?? value.pathText);
}

function inputMode(value: YamlValue, type: DataType): RestInputDeliveryMode | undefined {
  const allowed = type === 'mltable' ? ['ro_mount', 'download', 'direct', 'eval_mount', 'eval_download'] : ['ro_mount', 'download', 'direct'];
  const fix = `Write one of ${allowed.join(', ')}.`;
  const text = value.string(fix);
  if (text === undefined) return undefined;
  const mode = INPUT_MODES[text.toLowerCase()];
  if (!mode || (!allowed.includes(text.toLowerCase()) && text.toLowerCase() !== 'mount')) {
    value.fail(`is '${text}', which is not a mode of a ${type} input`, fix);
  }
  return mode;
}

function parseOutput(value: YamlValue, options: IoOptions): ParsedOutput {
  if (value.isEmpty) return { kind: 'default', source: value };
  if (value.kind === 'string') {
    const text = (value.scalar() as string).trim();
    const binding = parseBinding(value, text, options);
    if (binding) return { kind: 'binding', expression: text, target: binding, source: value };
    return value.fail(`is the text '${text}'; an output is a mapping`, 'Write e.g. model: {type: uri_folder} (or leave it empty for a default output).');
  }
  const mapping = value.mapping('Write e.g. model: {type: uri_folder}.')!;
  const typeValue = mapping.get('type');
  const typeText = typeValue.string(`Write one of ${DATA_TYPES.join(', ')}.`) ?? 'uri_folder';
  if (!DATA_TYPES.includes(typeText as DataType)) typeValue.fail(`is '${typeText}', which is not an output type`, `Write one of ${DATA_TYPES.join(', ')}.`);
  const type = typeText as DataType;
  mapping.rejectUnknownFields(['type', 'path', 'mode', 'description', 'name', 'version'], `a ${type} output`, FIELD_ALIASES);
  for (const field of ['name', 'version']) {
    const registration = mapping.get(field);
    if (registration.kind !== 'absent') {
      registration.fail('(registering an output as a data asset) is not in Azure ML API 2022-10-01, which this task uses', 'Remove it and register the output afterwards, e.g. with the AzureMLRegisterModel task.');
    }
  }
  const mode = outputMode(mapping.get('mode'));
  const description = mapping.get('description').string('Write the description as text.');
  const pathValue = mapping.get('path');
  const pathText = pathValue.string('Give the output location as a URI, e.g. azureml://datastores/workspaceblobstore/paths/models/.')?.trim();
  if (pathText !== undefined) {
    const binding = parseBinding(pathValue, pathText, options);
    if (binding) return { kind: 'binding', expression: pathText, target: binding, ...(mode ? { mode } : {}), source: pathValue };
    if (!isRemoteUri(pathText)) {
      pathValue.fail(`is '${pathText}', but an output path must be a datastore URI`, 'Write e.g. path: azureml://datastores/workspaceblobstore/paths/outputs/model/, or remove path to let Azure ML choose.');
    }
  }
  return { kind: 'data', type, ...(pathText !== undefined ? { uri: pathText } : {}), ...(mode ? { mode } : {}), ...(description !== undefined ? { description } : {}), source: mapping };
}

function outputMode(value: YamlValue): RestOutputDeliveryMode | undefined {
  const fix = 'Write mode: rw_mount or upload.';
  const text = value.string(fix);
  if (text === undefined) return undefined;
  if (text.toLowerCase() === 'direct') value.fail("is 'direct', an output mode that is not in Azure ML API 2022-10-01, which this task uses", fix);
  const mode = OUTPUT_MODES[text.toLowerCase()];
  if (!mode) value.fail(`is '${text}', which is not an output mode`, fix);
  return mode;
}

/**
 * Returns the binding target (e.g. `parent.inputs.alpha`) when the text is a `${{...}}` expression.
 * Refused in command jobs, which have no parent to bind to.
 */
function parseBinding(value: YamlValue, text: string, options: IoOptions): string | undefined {
  const match = BINDING.exec(text.trim());
  if (!match) {
    if (text.includes('${{')) {
      value.fail(`contains '${text}', which is not a single binding expression`, 'Write the whole value as one expression, e.g. ${{parent.inputs.alpha}}.');
    }
    return undefined;
  }
  if (!options.allowBindings) {
    value.fail(`is the binding ${text}, but bindings only exist between the steps of a pipeline job`, 'Give a value or a data input here.');
  }
  return match[1]!;
}

// ---- REST forms ----

/** camelCase, for a job's own inputs. */
export function restInput(input: ParsedInput): RestJobInput {
  switch (input.kind) {
    case 'literal':
      return { jobInputType: 'literal', value: input.value };
    case 'binding':
      return { jobInputType: 'literal', value: input.expression, ...(input.mode ? { mode: input.mode } : {}) } as RestJobInput;
    default:
      return { jobInputType: input.type, uri: input.uri, ...(input.mode ? { mode: input.mode } : {}), ...(input.description ? { description: input.description } : {}) };
  }
}

/** snake_case, for a pipeline step's inputs (azure-ai-ml sends the REST model's attribute names). */
export function nodeInput(input: ParsedInput): Record<string, unknown> {
  switch (input.kind) {
    case 'literal':
      return { job_input_type: 'literal', value: input.value };
    case 'binding':
      return { job_input_type: 'literal', value: input.expression, ...(input.mode ? { mode: input.mode } : {}) };
    default:
      return { job_input_type: input.type, uri: input.uri, ...(input.mode ? { mode: input.mode } : {}), ...(input.description ? { description: input.description } : {}) };
  }
}

export function restOutput(output: ParsedOutput): RestJobOutput {
  if (output.kind === 'data') {
    return { jobOutputType: output.type, ...(output.uri ? { uri: output.uri } : {}), ...(output.mode ? { mode: output.mode } : {}), ...(output.description ? { description: output.description } : {}) };
  }
  return { jobOutputType: 'uri_folder' };
}

/** A step's output; undefined for a default output (azure-ai-ml leaves unconfigured outputs out). */
export function nodeOutput(output: ParsedOutput): Record<string, unknown> | undefined {
  switch (output.kind) {
    case 'default':
      return undefined;
    case 'binding':
      return { value: output.expression, type: 'literal', ...(output.mode ? { mode: output.mode } : {}) };
    default:
      return { job_output_type: output.type, ...(output.uri ? { uri: output.uri } : {}), ...(output.mode ? { mode: output.mode } : {}), ...(output.description ? { description: output.description } : {}) };
  }
}
