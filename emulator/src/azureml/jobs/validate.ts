import { badRequest, notFound, userError } from '../errors';
import { parseAssetRef, parseComputeRef, type AssetKind, type WorkspaceCoordinates } from '../refs';
import { isObject, type Json } from '../resources';
import { sameName } from '../scope';
import type { AzureMlService } from '../service';
import type { AssetVersion, StoredAssetKind } from '../assets';
import {
  INPUT_TYPES,
  OUTPUT_TYPES,
  type AssetInput,
  type CommandDefinition,
  type Distribution,
  type JobInput,
  type JobOutput,
  type OutputType,
  type PipelineDefinition,
  type StepDefinition,
  type StepInput,
  type StepOutput,
} from './model';

/** What a valid job PUT body describes. */
export type ValidatedJob =
  | { readonly jobType: 'Command'; readonly command: CommandDefinition; readonly computeName: string; readonly experimentName: string }
  | { readonly jobType: 'Pipeline'; readonly pipeline: PipelineDefinition; readonly computeName: string; readonly experimentName: string };

const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/;
const IO_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const INPUT_REF = /\$\{\{\s*inputs\.([^\s}]+)\s*\}\}/g;
const OUTPUT_REF = /\$\{\{\s*outputs\.([^\s}]+)\s*\}\}/g;
const OPTIONAL_BLOCK = /\$\[\[([\s\S]*?)\]\]/g;
const PARENT_INPUT = /^\$\{\{\s*parent\.inputs\.([A-Za-z0-9_]+)\s*\}\}$/;
const STEP_OUTPUT = /^\$\{\{\s*parent\.jobs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_]+)\s*\}\}$/;
const PARENT_OUTPUT = /^\$\{\{\s*parent\.outputs\.([A-Za-z0-9_]+)\s*\}\}$/;

export function validateJobName(name: string): void {
  if (!JOB_NAME.test(name)) {
    throw badRequest(
      `The job name '${name}' is not valid: it must start with a letter or digit and contain only letters, digits, '-' and '_' (at most 255 characters).`,
    );
  }
}

/** Validates a job PUT body like the service: shape first, then every referenced compute and asset. */
export function validateJob(svc: AzureMlService, props: Json): ValidatedJob {
  const jobType = props['jobType'];
  for (const key of ['displayName', 'description', 'experimentName']) {
    if (props[key] !== undefined && props[key] !== null && typeof props[key] !== 'string') throw badRequest(`properties.${key} must be a string.`);
  }
  stringMap(props, 'tags', 'properties');
  stringMap(props, 'properties', 'properties');
  const identity = props['identity'];
  if (identity !== undefined && identity !== null) {
    if (!isObject(identity) || !['Managed', 'AMLToken', 'UserIdentity'].includes(String(identity['identityType']))) {
      throw badRequest("properties.identity.identityType must be 'Managed', 'AMLToken' or 'UserIdentity'.");
    }
  }
  const experimentName = typeof props['experimentName'] === 'string' && props['experimentName'].trim() !== '' ? props['experimentName'] : 'Default';
  if (jobType === 'Command') {
    const computeName = resolveCompute(svc, props['computeId'], 'properties.computeId');
    return { jobType, computeName, experimentName, command: commandDefinition(svc, props, computeName, 'properties') };
  }
  if (jobType === 'Pipeline') {
    const settings = isObject(props['settings']) ? props['settings'] : {};
    const defaultCompute = props['computeId'] ?? settings['default_compute'] ?? settings['defaultCompute'];
    const computeName = defaultCompute === undefined || defaultCompute === null ? '' : resolveCompute(svc, defaultCompute, 'properties.computeId');
    return { jobType, computeName, experimentName, pipeline: pipelineDefinition(svc, props, computeName, settings) };
  }
  if (typeof jobType === 'string' && ['AutoML', 'Sweep'].includes(jobType)) {
    throw badRequest(`Job type '${jobType}' is not supported by the emulator: submit a Command or Pipeline job.`);
  }
  throw badRequest(`properties.jobType must be 'Command' or 'Pipeline', got ${JSON.stringify(jobType ?? null)}.`);
}

function commandDefinition(svc: AzureMlService, props: Json, computeName: string, where: string): CommandDefinition {
  const command = props['command'];
  if (typeof command !== 'string' || command.trim() === '') throw badRequest(`${where}.command is required: the command line the job runs.`);
  const environmentId = props['environmentId'];
  if (typeof environmentId !== 'string' || environmentId.trim() === '') throw badRequest(`${where}.environmentId is required: the environment the job runs in.`);
  resolveAsset(svc, environmentId, 'environments', `${where}.environmentId`);
  const codeId = optionalText(props, 'codeId', where);
  const codeUri = codeId === undefined ? undefined : resolveCodeUri(svc, codeId, `${where}.codeId`);
  const inputs = jobInputs(svc, props['inputs'], `${where}.inputs`);
  const outputs = jobOutputs(props['outputs'], `${where}.outputs`);
  checkCommandReferences(command, Object.keys(inputs), Object.keys(outputs), `${where}.command`);
  const limits = commandLimits(props['limits'], `${where}.limits`);
  return {
    command,
    codeId,
    codeUri,
    environmentId,
    computeName,
    inputs,
    outputs,
    environmentVariables: stringMap(props, 'environmentVariables', where) ?? {},
    distribution: distribution(props['distribution'], `${where}.distribution`),
    instanceCount: instanceCount(props['resources'], `${where}.resources`),
    ...limits,
  };
}

function pipelineDefinition(svc: AzureMlService, props: Json, computeName: string, settings: Json): PipelineDefinition {
  const inputs = jobInputs(svc, props['inputs'], 'properties.inputs');
  const outputs = jobOutputs(props['outputs'], 'properties.outputs');
  const jobs = props['jobs'];
  if (!isObject(jobs) || Object.keys(jobs).length === 0) throw badRequest('properties.jobs is required: a pipeline job needs at least one step.');
  const steps = new Map<string, StepDefinition>();
  for (const [stepName, step] of Object.entries(jobs)) {
    if (!/^[A-Za-z0-9_-]+$/.test(stepName)) throw badRequest(`properties.jobs: the step name '${stepName}' may only contain letters, digits, '-' and '_'.`);
    if (!isObject(step)) throw badRequest(`properties.jobs.${stepName} must be an object.`);
    steps.set(stepName, stepDefinition(svc, stepName, step, computeName, inputs, outputs));
  }
  for (const step of steps.values()) {
    for (const [inputName, input] of Object.entries(step.inputs)) {
      if (input.kind !== 'stepOutput') continue;
      const producer = steps.get(input.step);
      if (!producer) throw badRequest(`properties.jobs.${step.name}.inputs.${inputName} binds to the step '${input.step}', which the pipeline does not have.`);
      if (!producer.outputs[input.output]) {
        throw badRequest(`properties.jobs.${step.name}.inputs.${inputName} binds to the output '${input.output}' of step '${input.step}', which that step does not have.`);
      }
    }
  }
  const continueOnStepFailure = settings['continue_on_step_failure'] === true || settings['continueOnStepFailure'] === true;
  return { inputs, outputs, steps: topologicalOrder(steps), continueOnStepFailure };
}

function stepDefinition(
  svc: AzureMlService,
  stepName: string,
  step: Json,
  pipelineCompute: string,
  pipelineInputs: Readonly<Record<string, JobInput>>,
  pipelineOutputs: Readonly<Record<string, JobOutput>>,
): StepDefinition {
  const where = `properties.jobs.${stepName}`;
  const type = step['type'] ?? step['jobType'];
  if (typeof type !== 'string' || type.toLowerCase() !== 'command') {
    throw badRequest(`${where}.type '${String(type ?? '')}' is not supported by the emulator: pipeline steps must be command jobs.`);
  }
  const stepCompute = step['computeId'] ?? step['compute'];
  const computeName = stepCompute === undefined || stepCompute === null ? pipelineCompute : resolveCompute(svc, stepCompute, `${where}.computeId`);
  if (!computeName) throw badRequest(`${where} has no compute: set properties.computeId (or settings.default_compute) of the pipeline, or computeId of the step.`);

  // A step runs a registered (often anonymous) component version, or carries its command inline.
  const componentId = optionalText(step, 'componentId', where);
  let spec: Json;
  if (componentId !== undefined) {
    const version = resolveAsset(svc, componentId, 'components', `${where}.componentId`);
    spec = isObject(version?.properties['componentSpec']) ? version.properties['componentSpec'] : {};
  } else {
    spec = {};
  }
  const command = (step['command'] ?? spec['command']) as unknown;
  if (typeof command !== 'string' || command.trim() === '') throw badRequest(`${where} needs a componentId or an inline command.`);
  const environmentId = (step['environmentId'] ?? spec['environment']) as unknown;
  if (typeof environmentId !== 'string' || environmentId.trim() === '') throw badRequest(`${where} has no environment (environmentId, or the component's environment).`);
  resolveAsset(svc, environmentId, 'environments', `${where} environment`);
  const codeRef = (step['codeId'] ?? spec['code']) as unknown;
  if (codeRef !== undefined && codeRef !== null && typeof codeRef !== 'string') throw badRequest(`${where}: the code reference must be a string.`);
  const codeUri = typeof codeRef === 'string' ? resolveCodeUri(svc, codeRef, `${where} code`) : undefined;

  const specInputs = isObject(spec['inputs']) ? spec['inputs'] : {};
  const specOutputs = isObject(spec['outputs']) ? spec['outputs'] : {};
  const given = step['inputs'] === undefined || step['inputs'] === null ? {} : step['inputs'];
  if (!isObject(given)) throw badRequest(`${where}.inputs must be an object.`);
  const inputs: Record<string, StepInput> = {};
  const dependsOn = new Set<string>();
  for (const [name, raw] of Object.entries(given)) {
    const declared = specInputs[name];
    if (componentId !== undefined && !isObject(declared)) throw badRequest(`${where}.inputs.${name}: the component has no input named '${name}'.`);
    const declaredType = isObject(declared) ? String(declared['type'] ?? '') : '';
    const input = stepInput(svc, raw, declaredType, pipelineInputs, `${where}.inputs.${name}`);
    if (input.kind === 'stepOutput') dependsOn.add(input.step);
    inputs[name] = input;
  }
  for (const [name, declared] of Object.entries(specInputs)) {
    if (inputs[name] || !isObject(declared)) continue;
    const fallback = declared['default'];
    if (fallback !== undefined && fallback !== null) {
      inputs[name] = { kind: 'value', input: componentDefault(declared, fallback) };
    } else if (declared['optional'] !== true) {
      throw badRequest(`${where}: the component input '${name}' is required but the step does not provide it.`);
    }
  }
  const outputs: Record<string, StepOutput> = {};
  const givenOutputs = step['outputs'] === undefined || step['outputs'] === null ? {} : step['outputs'];
  if (!isObject(givenOutputs)) throw badRequest(`${where}.outputs must be an object.`);
  for (const [name, declared] of Object.entries(specOutputs)) {
    outputs[name] = { type: outputTypeOf(isObject(declared) ? declared['type'] : undefined, `${where} component output ${name}`) };
  }
  for (const [name, raw] of Object.entries(givenOutputs)) {
    if (componentId !== undefined && !outputs[name]) throw badRequest(`${where}.outputs.${name}: the component has no output named '${name}'.`);
    outputs[name] = stepOutput(raw, outputs[name]?.type, pipelineOutputs, `${where}.outputs.${name}`);
  }
  checkCommandReferences(command, Object.keys({ ...specInputs, ...inputs }), Object.keys(outputs), `${where} command`);

  const limits = commandLimits(step['limits'], `${where}.limits`);
  const template: Omit<CommandDefinition, 'inputs' | 'outputs'> = {
    command,
    codeId: typeof codeRef === 'string' ? codeRef : undefined,
    codeUri,
    environmentId,
    computeName,
    environmentVariables: {
      ...(stringMap(spec, 'environment_variables', `${where} component`) ?? {}),
      ...(stringMap(step, 'environment_variables', where) ?? {}),
      ...(stringMap(step, 'environmentVariables', where) ?? {}),
    },
    distribution: distribution(step['distribution'] ?? spec['distribution'], `${where}.distribution`),
    instanceCount: instanceCount(step['resources'] ?? spec['resources'], `${where}.resources`),
    ...limits,
  };
  return { name: stepName, componentId, template, inputs, outputs, dependsOn: [...dependsOn], submitted: step };
}

function stepInput(svc: AzureMlService, raw: unknown, declaredType: string, pipelineInputs: Readonly<Record<string, JobInput>>, where: string): StepInput {
  // The SDK writes child inputs as REST objects; YAML-style scalars are accepted too.
  const obj: Json = isObject(raw) ? raw : { jobInputType: 'literal', value: raw };
  const value = obj['value'] ?? obj['path'] ?? obj['uri'];
  if (typeof value === 'string') {
    const parent = PARENT_INPUT.exec(value);
    if (parent) {
      if (!pipelineInputs[parent[1]!]) throw badRequest(`${where} binds to the pipeline input '${parent[1]}', which the pipeline does not have.`);
      return { kind: 'parentInput', name: parent[1]! };
    }
    const producer = STEP_OUTPUT.exec(value);
    if (producer) {
      const type = assetTypeOf(declaredType) ?? 'uri_folder';
      return { kind: 'stepOutput', step: producer[1]!, output: producer[2]!, type };
    }
  }
  const typeText = obj['jobInputType'] ?? obj['job_input_type'] ?? obj['type'];
  if ((typeText === undefined || typeText === 'literal') && assetTypeOf(declaredType) && typeof value === 'string') {
    return { kind: 'value', input: jobInput(svc, { jobInputType: assetTypeOf(declaredType), uri: value, mode: obj['mode'] }, where) };
  }
  return { kind: 'value', input: jobInput(svc, { ...obj, jobInputType: typeText ?? 'literal' }, where) };
}

function stepOutput(raw: unknown, declaredType: OutputType | undefined, pipelineOutputs: Readonly<Record<string, JobOutput>>, where: string): StepOutput {
  const obj: Json = isObject(raw) ? raw : { value: raw };
  const value = obj['value'] ?? obj['path'];
  if (typeof value === 'string') {
    const bound = PARENT_OUTPUT.exec(value);
    if (!bound) throw badRequest(`${where}: '${value}' is not an output binding; use \${{parent.outputs.<name>}}.`);
    const parentOutput = pipelineOutputs[bound[1]!];
    if (!parentOutput) throw badRequest(`${where} binds to the pipeline output '${bound[1]}', which the pipeline does not have.`);
    return { type: declaredType ?? parentOutput.type, parentOutput: bound[1]!, uri: parentOutput.uri, mode: parentOutput.mode };
  }
  const output = jobOutput({ ...obj, jobOutputType: obj['jobOutputType'] ?? obj['job_output_type'] ?? obj['type'] ?? declaredType }, where);
  return { type: output.type, uri: output.uri, mode: output.mode };
}

function componentDefault(declared: Json, fallback: unknown): JobInput {
  const type = assetTypeOf(String(declared['type'] ?? ''));
  if (type && typeof fallback === 'string') return { type, uri: fallback };
  return { type: 'literal', value: String(fallback) };
}

function assetTypeOf(type: string): AssetInput['type'] | undefined {
  const t = type.toLowerCase();
  return (INPUT_TYPES as readonly string[]).includes(t) && t !== 'literal' ? (t as AssetInput['type']) : undefined;
}

function outputTypeOf(type: unknown, where: string): OutputType {
  const t = typeof type === 'string' ? type.toLowerCase() : 'uri_folder';
  if (!(OUTPUT_TYPES as readonly string[]).includes(t)) throw badRequest(`${where}: output type '${String(type)}' must be one of ${OUTPUT_TYPES.join(', ')}.`);
  return t as OutputType;
}

/** Orders steps so producers come before consumers; a cycle is a 400. */
function topologicalOrder(steps: Map<string, StepDefinition>): StepDefinition[] {
  const ordered: StepDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (step: StepDefinition, path: string[]): void => {
    const s = state.get(step.name);
    if (s === 'done') return;
    if (s === 'visiting') throw badRequest(`The pipeline steps depend on each other in a cycle: ${[...path, step.name].join(' -> ')}.`);
    state.set(step.name, 'visiting');
    for (const dep of step.dependsOn) visit(steps.get(dep)!, [...path, step.name]);
    state.set(step.name, 'done');
    ordered.push(step);
  };
  for (const step of steps.values()) visit(step, []);
  return ordered;
}

function jobInputs(svc: AzureMlService, raw: unknown, where: string): Record<string, JobInput> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw badRequest(`${where} must be an object.`);
  const out: Record<string, JobInput> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!IO_NAME.test(name)) throw badRequest(`${where}: the input name '${name}' may only contain letters, digits and '_' and must not start with a digit.`);
    out[name] = jobInput(svc, value, `${where}.${name}`);
  }
  return out;
}

function jobInput(svc: AzureMlService, raw: unknown, where: string): JobInput {
  if (!isObject(raw)) throw badRequest(`${where} must be an object with a jobInputType.`);
  const typeText = raw['jobInputType'] ?? raw['job_input_type'];
  const type = typeof typeText === 'string' ? typeText.toLowerCase() : '';
  if (!(INPUT_TYPES as readonly string[]).includes(type)) {
    throw badRequest(`${where}.jobInputType must be one of ${INPUT_TYPES.join(', ')}, got ${JSON.stringify(typeText ?? null)}.`);
  }
  if (type === 'literal') {
    const value = raw['value'];
    if (value === undefined || value === null) throw badRequest(`${where}.value is required for a literal input.`);
    if (typeof value === 'object') throw badRequest(`${where}.value must be a string.`);
    return { type: 'literal', value: String(value) };
  }
  const uri = raw['uri'];
  if (typeof uri !== 'string' || uri.trim() === '') throw badRequest(`${where}.uri is required for a ${type} input.`);
  const mode = raw['mode'];
  if (mode !== undefined && mode !== null && !['ReadOnlyMount', 'ReadWriteMount', 'Download', 'Direct', 'EvalMount', 'EvalDownload'].includes(String(mode))) {
    throw badRequest(`${where}.mode '${String(mode)}' is not a valid input delivery mode.`);
  }
  if (type === 'uri_file' || type === 'uri_folder' || type === 'mltable') {
    const ref = dataAssetRef(uri);
    if (ref !== undefined) resolveAsset(svc, uri, 'data', `${where}.uri`);
  }
  return { type: type as AssetInput['type'], uri, ...(typeof mode === 'string' ? { mode } : {}) };
}

function jobOutputs(raw: unknown, where: string): Record<string, JobOutput> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw badRequest(`${where} must be an object.`);
  const out: Record<string, JobOutput> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!IO_NAME.test(name)) throw badRequest(`${where}: the output name '${name}' may only contain letters, digits and '_' and must not start with a digit.`);
    // The service's implicit output: clients that PUT back a GET answer send it along.
    if (name === 'default') continue;
    if (!isObject(value)) throw badRequest(`${where}.${name} must be an object with a jobOutputType.`);
    out[name] = jobOutput(value, `${where}.${name}`);
  }
  return out;
}

function jobOutput(raw: Json, where: string): JobOutput {
  const typeText = raw['jobOutputType'] ?? raw['job_output_type'];
  const type = typeof typeText === 'string' ? typeText.toLowerCase() : '';
  if (!(OUTPUT_TYPES as readonly string[]).includes(type)) {
    throw badRequest(`${where}.jobOutputType must be one of ${OUTPUT_TYPES.join(', ')}, got ${JSON.stringify(typeText ?? null)}.`);
  }
  const mode = raw['mode'];
  if (mode !== undefined && mode !== null && !['ReadWriteMount', 'Upload', 'Direct'].includes(String(mode))) {
    throw badRequest(`${where}.mode '${String(mode)}' is not a valid output delivery mode (ReadWriteMount or Upload).`);
  }
  const uri = raw['uri'];
  if (uri !== undefined && uri !== null && typeof uri !== 'string') throw badRequest(`${where}.uri must be a string.`);
  return { type: type as OutputType, ...(typeof uri === 'string' && uri !== '' ? { uri } : {}), ...(typeof mode === 'string' ? { mode } : {}) };
}

/** Every `${{inputs.x}}` / `${{outputs.x}}` outside an optional `$[[...]]` block must name a declared input/output. */
function checkCommandReferences(command: string, inputs: readonly string[], outputs: readonly string[], where: string): void {
  const required = command.replace(OPTIONAL_BLOCK, '');
  for (const m of required.matchAll(INPUT_REF)) {
    if (!inputs.includes(m[1]!)) throw badRequest(`${where} references \${{inputs.${m[1]}}}, but there is no input named '${m[1]}'.`);
  }
  for (const m of command.matchAll(OUTPUT_REF)) {
    if (!outputs.includes(m[1]!)) throw badRequest(`${where} references \${{outputs.${m[1]}}}, but there is no output named '${m[1]}'.`);
  }
}

function distribution(raw: unknown, where: string): Distribution | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw badRequest(`${where} must be an object.`);
  const typeText = String(raw['distributionType'] ?? raw['type'] ?? '');
  const type = (['PyTorch', 'Mpi', 'TensorFlow'] as const).find((t) => t.toLowerCase() === typeText.toLowerCase());
  if (!type) throw badRequest(`${where}.distributionType must be PyTorch, Mpi or TensorFlow, got '${typeText}'.`);
  if (type === 'TensorFlow') {
    return {
      type,
      workerCount: positiveInt(raw['workerCount'] ?? raw['worker_count'], 1, `${where}.workerCount`),
      parameterServerCount: positiveInt(raw['parameterServerCount'] ?? raw['parameter_server_count'], 0, `${where}.parameterServerCount`, true),
    };
  }
  return { type, processCountPerInstance: positiveInt(raw['processCountPerInstance'] ?? raw['process_count_per_instance'], 1, `${where}.processCountPerInstance`) };
}

function instanceCount(raw: unknown, where: string): number {
  if (raw === undefined || raw === null) return 1;
  if (!isObject(raw)) throw badRequest(`${where} must be an object.`);
  return positiveInt(raw['instanceCount'] ?? raw['instance_count'], 1, `${where}.instanceCount`);
}

function positiveInt(raw: unknown, fallback: number, where: string, allowZero = false): number {
  if (raw === undefined || raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 64) throw badRequest(`${where} must be a whole number between ${allowZero ? 0 : 1} and 64, got ${JSON.stringify(raw)}.`);
  return n;
}

function commandLimits(raw: unknown, where: string): { timeoutSeconds?: number; timeout?: string } {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw badRequest(`${where} must be an object.`);
  const timeout = raw['timeout'];
  if (timeout === undefined || timeout === null) return {};
  if (typeof timeout !== 'string') throw badRequest(`${where}.timeout must be an ISO 8601 duration such as 'PT30M'.`);
  const seconds = parseDuration(timeout);
  if (seconds === undefined || seconds <= 0) throw badRequest(`${where}.timeout '${timeout}' is not a positive ISO 8601 duration such as 'PT30M'.`);
  return { timeoutSeconds: seconds, timeout };
}

/** ISO 8601 duration (days and time part) in seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
}

function stringMap(obj: Json, key: string, where: string): Record<string, string> | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest(`${where}.${key} must be an object of strings.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') throw badRequest(`${where}.${key}.${k} must be a string.`);
    out[k] = String(v);
  }
  return out;
}

function optionalText(obj: Json, key: string, where: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`${where}.${key} must be a non-empty string.`);
  return value;
}

/** The compute a computeId names; unknown computes are refused at submission as the service does. */
export function resolveCompute(svc: AzureMlService, raw: unknown, where: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw badRequest(`${where} is required: the compute target the job runs on.`);
  const ref = parseComputeRef(raw);
  if (!ref) throw badRequest(`${where} '${raw}' is not a compute name or a compute resource id.`);
  if (ref.workspace) checkSameWorkspace(svc, ref.workspace, raw, where);
  const compute = svc.findCompute(ref.name);
  if (!compute) {
    const known = [...svc.computes.keys()].join(', ');
    throw userError(400, `Compute '${ref.name}' was not found in workspace '${svc.scope.name}' (${where}). Computes in the workspace: ${known}.`);
  }
  return String(compute['name']);
}

function checkSameWorkspace(svc: AzureMlService, ws: WorkspaceCoordinates, raw: string, where: string): void {
  const cfg = svc.scope.config;
  if (!sameName(ws.subscriptionId, cfg.subscriptionId) || !sameName(ws.resourceGroup, cfg.resourceGroup) || !sameName(ws.workspaceName, cfg.workspaceName)) {
    throw badRequest(`${where} '${raw}' refers to another workspace; jobs can only use resources of workspace '${cfg.workspaceName}'.`);
  }
}

/** Resolves a workspace asset reference (404 naming it when missing); registry assets are accepted as they are. */
export function resolveAsset(svc: AzureMlService, raw: string, kind: StoredAssetKind, where: string): AssetVersion | undefined {
  const ref = parseAssetRef(raw, kind);
  if (!ref) throw badRequest(`${where} '${raw}' is not a valid ${kindLabel(kind)} reference (expected an ARM id such as azureml:/subscriptions/…/${kind}/<name>/versions/<version>, or azureml:<name>:<version>).`);
  if (ref.scope === 'registry') return undefined;
  if (ref.workspace) checkSameWorkspace(svc, ref.workspace, raw, where);
  const store = svc.assets[kind];
  const version = store.resolve(ref);
  if (!version) throw notFound(`${where}: ${store.describe(ref)} was not found in workspace '${svc.scope.name}'.`);
  return version;
}

function resolveCodeUri(svc: AzureMlService, raw: string, where: string): string {
  if (/^(https?|wasbs?|azureml):\/\//i.test(raw) && !/^azureml:\/\/(locations|registries)\//i.test(raw)) return raw;
  const version = resolveAsset(svc, raw, 'codes', where);
  if (!version) throw badRequest(`${where} '${raw}': code from a registry is not supported by the emulator.`);
  return String(version.properties['codeUri']);
}

/** A data asset reference inside an input URI (as opposed to a storage path), or undefined. */
export function dataAssetRef(uri: string): ReturnType<typeof parseAssetRef> {
  if (/^azureml:\/\/(datastores|subscriptions|jobs)\//i.test(uri) || /^(https?|wasbs?|abfss?):\/\//i.test(uri)) return undefined;
  if (!uri.startsWith('azureml:') && !uri.startsWith('/subscriptions/')) return undefined;
  return parseAssetRef(uri, 'data');
}

function kindLabel(kind: AssetKind): string {
  return kind === 'data' ? 'data asset' : kind.replace(/s$/, '');
}
