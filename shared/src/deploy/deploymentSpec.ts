/**
 * loadDeploymentSpec: an online deployment from `az ml online-deployment` YAML (managedOnlineDeployment and
 * kubernetesOnlineDeployment schemas, accepted as they are) and/or task inputs, checked offline: field names and
 * types, units (milliseconds and seconds become ISO durations), local paths (the code folder and the scoring script
 * in it, the conda file). Inputs win over the file; every problem names the input, or the file, field and line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';

import { InputError } from '../pipeline/errors';
import { YamlDocument, type YamlMapping, type YamlValue } from '../yaml';
import { millisecondsToDuration, secondsToDuration } from './durations';
import { environmentSpecOf, modelSpecOf, registeredCodeSpecOf } from './references';
import { inputValue, yamlValue } from './specValue';
import type { CodeSpec, ComputeType, DeploymentInputNames, DeploymentSpec, EnvironmentSpec, JsonObject, ModelSpec, SpecValue } from './types';
import { enabledDisabled, loadSpecYaml, refuseOverridesWithoutFile, schemaKind, setIfDefined, textMap } from './yamlFields';

export const DEFAULT_DEPLOYMENT_INPUT_NAMES: DeploymentInputNames = {
  file: 'deploymentFile',
  overrides: 'deploymentOverrides',
  name: 'deploymentName',
  endpointName: 'endpointName',
  model: 'model',
  environment: 'environment',
  codePath: 'codePath',
  scoringScript: 'scoringScript',
  instanceType: 'instanceType',
  instanceCount: 'instanceCount',
  computeType: 'computeType',
};

/** Deployment names: 3 to 32 letters, digits and '-', starting with a letter. */
export const DEPLOYMENT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/;
const DEPLOYMENT_NAME_FIX = "Use 3 to 32 letters, digits and '-', starting with a letter and not ending with '-', e.g. blue";
/** Instances of one deployment (the service's limit). */
export const MAX_INSTANCE_COUNT = 50;

const DEPLOYMENT_FIELDS = [
  '$schema', 'name', 'endpoint_name', 'type', 'description', 'tags', 'properties', 'model', 'model_mount_path', 'code_configuration',
  'environment', 'environment_variables', 'instance_type', 'instance_count', 'app_insights_enabled', 'scale_settings', 'request_settings',
  'liveness_probe', 'readiness_probe', 'egress_public_network_access', 'resources', 'data_collector', 'private_network_connection',
];
/** Fields `az ml online-deployment show` writes, set by the service: accepted and ignored. */
const READ_ONLY_FIELDS = ['id', 'provisioning_state', 'location', 'resourceGroup', 'resource_group'];
const FIELD_ALIASES = { code: 'code_configuration', scoring_script: 'code_configuration', instanceType: 'instance_type', sku: 'instance_type', instances: 'instance_count' };

export interface LoadDeploymentOptions {
  /** Inputs that win over the YAML. */
  readonly name?: string;
  readonly endpointName?: string;
  /** `name:version`, `azureml:name:version`, `azureml:name@latest`, an ARM id or a registry reference. */
  readonly model?: string;
  /** `name:version`, `azureml:name:version`, `azureml:name@latest`, an ARM id or a registry reference. */
  readonly environment?: string;
  /** The folder of the scoring code (absolute, or relative to the current folder), or azureml:<code>:<version>. */
  readonly codePath?: string;
  /** The scoring script, relative to the code folder. */
  readonly scoringScript?: string;
  readonly instanceType?: string;
  readonly instanceCount?: number;
  readonly computeType?: ComputeType;
  /** When neither the input nor the YAML (type:, $schema) says: usually the endpoint's kind. Default Managed. */
  readonly defaultComputeType?: ComputeType;
  /** `path=value` lines applied to the YAML as `az ml --set` does (needs a file). */
  readonly overrides?: string;
  /** Used when neither the input nor the YAML names the deployment / its endpoint (e.g. 'blue', the endpoint spec's name). */
  readonly defaultName?: string;
  readonly defaultEndpointName?: string;
  /** How messages name the file (default: the path as given). */
  readonly displayName?: string;
  readonly inputNames?: Partial<DeploymentInputNames>;
}

interface Draft {
  name?: SpecValue;
  endpointName?: SpecValue;
  computeType?: ComputeType;
  model?: ModelSpec;
  environment?: EnvironmentSpec;
  code?: CodeSpec;
  scoringScript?: SpecValue;
  instanceType?: SpecValue;
  instanceCount?: number;
  body: JsonObject;
}

/** Reads the deployment spec: every problem is an InputError (or YamlSpecError) naming its source; no network. */
export function loadDeploymentSpec(file: string | undefined, options: LoadDeploymentOptions = {}): DeploymentSpec {
  const names: DeploymentInputNames = { ...DEFAULT_DEPLOYMENT_INPUT_NAMES, ...(options.inputNames ?? {}) };
  const draft: Draft = { body: {} };
  let displayName: string | undefined;
  let appliedOverrides: DeploymentSpec['appliedOverrides'] = [];
  if (file === undefined) {
    refuseOverridesWithoutFile(options.overrides, names.overrides, names.file);
  } else {
    const loaded = loadSpecYaml(file, { fileInput: names.file, overridesInput: names.overrides, overrides: options.overrides, displayName: options.displayName });
    displayName = loaded.document.displayName;
    appliedOverrides = loaded.appliedOverrides;
    readYaml(loaded.root, draft, options);
  }
  applyInputs(options, names, draft);

  const nameFrom: DeploymentSpec['nameFrom'] = draft.name === undefined ? 'default' : options.name !== undefined ? 'input' : 'file';
  const name = draft.name ?? (options.defaultName !== undefined ? inputValue(names.name, options.defaultName) : undefined);
  if (!name) throw new InputError(names.name, 'a value is required', `Set '${names.name}' (e.g. blue), or give the deployment YAML ('${names.file}') with its name`);
  if (!DEPLOYMENT_NAME_PATTERN.test(name.value)) name.fail(`'${name.value}' is not a valid online deployment name`, DEPLOYMENT_NAME_FIX);
  const endpointName = draft.endpointName ?? (options.defaultEndpointName !== undefined ? inputValue(names.endpointName, options.defaultEndpointName) : undefined);
  if (!endpointName) throw new InputError(names.endpointName, 'a value is required', `Set '${names.endpointName}', or endpoint_name in the deployment YAML ('${names.file}')`);

  const computeType = draft.computeType ?? options.defaultComputeType ?? 'Managed';
  if (computeType === 'Managed') {
    if (!draft.instanceType) {
      throw new InputError(names.instanceType, 'a value is required for a managed online deployment', `Set '${names.instanceType}' (or instance_type in the deployment YAML) to a VM size such as Standard_DS3_v2`);
    }
    if (!/^Standard_[A-Za-z0-9_]+$/i.test(draft.instanceType.value)) {
      draft.instanceType.fail(`'${draft.instanceType.value}' is not an Azure VM size`, 'Give a VM size supported by managed online endpoints, such as Standard_DS3_v2, Standard_F4s_v2 or Standard_E4s_v3');
    }
  } else if (draft.instanceType && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(draft.instanceType.value)) {
    draft.instanceType.fail(`'${draft.instanceType.value}' is not an instance type name`, 'Give an instance type of the Kubernetes compute (default: defaultinstancetype)');
  }
  if (draft.instanceType) setIfDefined(draft.body, ['properties', 'instanceType'], draft.instanceType.value);
  if (draft.instanceCount !== undefined) setIfDefined(draft.body, ['sku'], { name: 'Default', capacity: draft.instanceCount });
  setIfDefined(draft.body, ['properties', 'endpointComputeType'], computeType);
  if (computeType === 'Managed' && (draft.body['properties'] as JsonObject | undefined)?.['containerResourceRequirements'] !== undefined) {
    throw new InputError(names.file, 'resources (CPU, memory and GPU requests and limits) is set, but they apply to Kubernetes deployments only', 'Remove resources: a managed deployment gets the resources of its instance_type');
  }
  const scaleSettings = (draft.body['properties'] as JsonObject | undefined)?.['scaleSettings'] as JsonObject | undefined;
  if (computeType === 'Managed' && scaleSettings?.['scaleType'] === 'TargetUtilization') {
    // The service refuses it only after the code upload and the endpoint creation: say so before anything happens.
    throw new InputError(
      names.file,
      'scale_settings type target_utilization is set, but it applies to Kubernetes deployments only',
      'Remove scale_settings (or write type: default): a managed deployment scales with instance_count, or with Azure Monitor autoscale rules',
    );
  }

  if (draft.code && !draft.scoringScript) {
    throw new InputError(names.scoringScript, 'a value is required when scoring code is given', `Set '${names.scoringScript}' (or code_configuration.scoring_script) to the script's path inside the code folder, e.g. score.py`);
  }
  if (draft.scoringScript && !draft.code) {
    draft.scoringScript.fail('is set, but there is no code folder to find it in', `Set '${names.codePath}' (or code_configuration.code) to the folder that holds the scoring script`);
  }
  if (draft.code?.kind === 'local' && draft.scoringScript) checkScoringScript(draft.code.path, draft.scoringScript);

  return {
    name: name.value,
    nameFrom,
    endpointName: endpointName.value,
    computeType,
    ...(draft.model ? { model: draft.model } : {}),
    ...(draft.environment ? { environment: draft.environment } : {}),
    ...(draft.code ? { code: draft.code } : {}),
    ...(draft.scoringScript ? { scoringScript: draft.scoringScript } : {}),
    ...(draft.instanceType ? { instanceType: draft.instanceType } : {}),
    body: draft.body,
    ...(displayName ? { file: displayName } : {}),
    appliedOverrides,
  };
}

/** The YAML's fields; a reference that an input replaces (model, environment, code) is not checked. */
function readYaml(root: YamlMapping, draft: Draft, options: LoadDeploymentOptions): void {
  root.rejectUnknownFields([...DEPLOYMENT_FIELDS, ...READ_ONLY_FIELDS], 'an online deployment', FIELD_ALIASES);
  const kind = schemaKind(root);
  if (kind === 'batchdeployment' || kind === 'modelbatchdeployment' || kind === 'pipelinecomponentbatchdeployment') {
    root.get('$schema').fail('is the schema of a batch deployment', 'This task deploys online deployments: give a managedOnlineDeployment or kubernetesOnlineDeployment YAML.');
  }
  const text = (key: string, fix: string): SpecValue | undefined => {
    const field = root.get(key);
    const value = field.string(fix);
    return value === undefined ? undefined : yamlValue(field, value);
  };
  draft.name = text('name', 'Give the deployment name as text, e.g. name: blue.');
  draft.endpointName = text('endpoint_name', 'Give the endpoint name as text.');

  const typeField = root.get('type');
  const typeText = typeField.string('Write type: managed or type: kubernetes.');
  if (typeText !== undefined) {
    if (/^managed$/i.test(typeText)) draft.computeType = 'Managed';
    else if (/^kubernetes$/i.test(typeText)) draft.computeType = 'Kubernetes';
    else typeField.fail(`is '${typeText}'`, 'Write type: managed or type: kubernetes.');
  } else if (kind === 'kubernetesonlinedeployment') draft.computeType = 'Kubernetes';
  else if (kind === 'managedonlinedeployment') draft.computeType = 'Managed';

  const body = draft.body;
  setIfDefined(body, ['properties', 'description'], root.get('description').string('Write the description as text.'));
  setIfDefined(body, ['tags'], textMap(root.get('tags'), 'tags'));
  setIfDefined(body, ['properties', 'properties'], textMap(root.get('properties'), 'properties'));
  setIfDefined(body, ['properties', 'environmentVariables'], textMap(root.get('environment_variables'), 'environment variables'));
  setIfDefined(body, ['properties', 'modelMountPath'], root.get('model_mount_path').string('Write the mount path as text, e.g. /var/azureml-app/model.'));
  setIfDefined(body, ['properties', 'appInsightsEnabled'], root.get('app_insights_enabled').boolean('Write app_insights_enabled: true or false.'));
  setIfDefined(body, ['properties', 'egressPublicNetworkAccess'], enabledDisabled(root.get('egress_public_network_access'), 'Write egress_public_network_access: enabled or disabled.'));
  const privateNetwork = root.get('private_network_connection').boolean('Write private_network_connection: true or false.');
  if (privateNetwork !== undefined && (body['properties'] as JsonObject | undefined)?.['egressPublicNetworkAccess'] === undefined) {
    // The older name of egress_public_network_access (true: no public egress).
    setIfDefined(body, ['properties', 'egressPublicNetworkAccess'], privateNetwork ? 'Disabled' : 'Enabled');
  }
  const collector = root.get('data_collector');
  if (!collector.isEmpty) {
    collector.fail('is not supported: data collection needs an Azure ML API version newer than 2022-10-01, which this task uses', 'Remove data_collector, or configure data collection with az ml after the deployment.');
  }

  const instanceType = root.get('instance_type');
  const instanceTypeText = instanceType.string('Give the VM size as text, e.g. instance_type: Standard_DS3_v2.');
  if (instanceTypeText !== undefined) draft.instanceType = yamlValue(instanceType, instanceTypeText);
  const countField = root.get('instance_count');
  const count = countField.integer(`Give a whole number of instances from 1 to ${MAX_INSTANCE_COUNT}.`, { min: 1 });
  if (count !== undefined && count > MAX_INSTANCE_COUNT) countField.fail(`must be at most ${MAX_INSTANCE_COUNT}, not ${count}`, `Give a whole number of instances from 1 to ${MAX_INSTANCE_COUNT}.`);
  draft.instanceCount = count;

  setIfDefined(body, ['properties', 'requestSettings'], requestSettingsOf(root.get('request_settings')));
  setIfDefined(body, ['properties', 'livenessProbe'], probeOf(root.get('liveness_probe')));
  setIfDefined(body, ['properties', 'readinessProbe'], probeOf(root.get('readiness_probe')));
  setIfDefined(body, ['properties', 'scaleSettings'], scaleSettingsOf(root.get('scale_settings')));
  setIfDefined(body, ['properties', 'containerResourceRequirements'], resourcesOf(root.get('resources')));

  const model = root.get('model');
  if (options.model !== undefined) {
    // Replaced by the input.
  } else if (model.kind === 'mapping') {
    model.fail('is an inline model: this task deploys registered models only', 'Register the model first (AzureMLRegisterModel@1) and write model: azureml:<name>:<version>, or set the task\'s model input.');
  } else {
    const reference = model.string('Write model: azureml:<name>:<version>.');
    if (reference !== undefined) draft.model = modelSpecOf(yamlValue(model, reference), false);
  }

  const environment = root.get('environment');
  if (options.environment !== undefined) {
    // Replaced by the input.
  } else if (environment.kind === 'mapping') draft.environment = inlineEnvironmentOf(environment.mapping('')!);
  else {
    const reference = environment.string('Write environment: azureml:<name>:<version>, or an inline environment with image and conda_file.');
    if (reference !== undefined) draft.environment = environmentSpecOf(yamlValue(environment, reference), false);
  }

  const codeConfiguration = root.get('code_configuration').mapping('Write code_configuration: {code: ./score, scoring_script: score.py}.');
  if (codeConfiguration) {
    codeConfiguration.rejectUnknownFields(['code', 'scoring_script'], 'code_configuration');
    const code = codeConfiguration.get('code');
    const codeText = code.required('Give the folder of the scoring code, e.g. code: ./score.').string('Give the folder of the scoring code as text.')!;
    if (options.codePath === undefined) draft.code = codeSpecOf(yamlValue(code, codeText), root.document.directory);
    const script = codeConfiguration.get('scoring_script');
    const scriptText = script.required('Give the scoring script inside the code folder, e.g. scoring_script: score.py.').string('Give the scoring script as text.')!;
    draft.scoringScript = yamlValue(script, scriptText);
  }
}

function applyInputs(options: LoadDeploymentOptions, names: DeploymentInputNames, draft: Draft): void {
  if (options.name !== undefined) draft.name = inputValue(names.name, options.name);
  if (options.endpointName !== undefined) draft.endpointName = inputValue(names.endpointName, options.endpointName);
  if (options.computeType !== undefined) draft.computeType = options.computeType;
  if (options.model !== undefined) draft.model = modelSpecOf(inputValue(names.model, options.model), true);
  if (options.environment !== undefined) draft.environment = environmentSpecOf(inputValue(names.environment, options.environment), true);
  if (options.codePath !== undefined) draft.code = codeSpecOf(inputValue(names.codePath, options.codePath), process.cwd());
  if (options.scoringScript !== undefined) draft.scoringScript = inputValue(names.scoringScript, options.scoringScript);
  if (options.instanceType !== undefined) draft.instanceType = inputValue(names.instanceType, options.instanceType);
  if (options.instanceCount !== undefined) {
    if (!Number.isInteger(options.instanceCount) || options.instanceCount < 1 || options.instanceCount > MAX_INSTANCE_COUNT) {
      throw new InputError(names.instanceCount, `${options.instanceCount} is not an instance count`, `Use a whole number from 1 to ${MAX_INSTANCE_COUNT}`);
    }
    draft.instanceCount = options.instanceCount;
  }
}

/** A local code folder (checked to exist) or a registered code version. */
function codeSpecOf(source: SpecValue, baseDirectory: string): CodeSpec {
  const registered = registeredCodeSpecOf(source);
  if (registered) return registered;
  if (/^(git\+|https?:\/\/)/i.test(source.value)) {
    source.fail(`is '${source.value}': code from a Git repository or a web URL is not supported`, 'The pipeline has checked out your repository: give the folder of the scoring code, e.g. ./score');
  }
  const text = source.value.startsWith('file:') ? source.value.slice('file:'.length) : source.value;
  const absolute = path.resolve(baseDirectory, text);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(absolute);
  } catch {
    return source.fail(`is '${source.value}', which does not exist (looked for ${absolute})`, `Give the folder of the scoring code${baseDirectory ? `; relative paths start at ${baseDirectory}` : ''}`);
  }
  if (!stat.isDirectory()) {
    source.fail(`is '${source.value}', a file, but the folder of the scoring code is expected`, 'Give the folder that holds the scoring script, and the script\'s name separately (scoring script)');
  }
  return { kind: 'local', path: absolute, source };
}

/** The scoring script must be a file inside the code folder. */
function checkScoringScript(codeFolder: string, script: SpecValue): void {
  const relative = script.value.replace(/^\.\//, '');
  const absolute = path.resolve(codeFolder, relative);
  const inside = path.relative(codeFolder, absolute);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    script.fail(`is '${script.value}', which is outside the code folder ${codeFolder}`, 'Give the script\'s path relative to the code folder, e.g. score.py');
  }
  if (!fs.existsSync(absolute) || !fs.statSync(absolute).isFile()) {
    const found = safeList(codeFolder).filter((name) => name.endsWith('.py'));
    script.fail(
      `is '${script.value}', which is not a file in the code folder ${codeFolder}`,
      found.length > 0 ? `Python files there: ${found.slice(0, 10).join(', ')}` : 'Give the script\'s path relative to the code folder, e.g. score.py',
    );
  }
}

function safeList(folder: string): string[] {
  try {
    return fs.readdirSync(folder).sort();
  } catch {
    return [];
  }
}

const INLINE_ENVIRONMENT_FIELDS = ['$schema', 'image', 'conda_file', 'name', 'version', 'description', 'tags', 'os_type', 'inference_config', 'build'];

/** An inline environment `{image, conda_file}`: registered as an anonymous version named by its content. */
function inlineEnvironmentOf(mapping: YamlMapping): EnvironmentSpec {
  mapping.rejectUnknownFields(INLINE_ENVIRONMENT_FIELDS, 'an inline environment');
  const build = mapping.get('build');
  if (!build.isEmpty) {
    build.fail('is not supported (building an image from a Docker context)', 'Build and register the environment first (AzureMLBuildImage@1) and reference it as azureml:<name>:<version>, or use image: with conda_file:.');
  }
  const image = mapping.get('image').required('Give the Docker image, e.g. image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest.').string('Give the image name as text.')!;
  const osField = mapping.get('os_type');
  const osText = osField.string('Write os_type: linux or windows.');
  if (osText !== undefined && !/^(linux|windows)$/i.test(osText)) osField.fail(`is '${osText}'`, 'Write os_type: linux or windows.');
  const condaFile = condaFileOf(mapping.get('conda_file'));
  return {
    kind: 'inline',
    image,
    ...(condaFile !== undefined ? { condaFile } : {}),
    ...(osText ? { osType: /^windows$/i.test(osText) ? 'Windows' : 'Linux' } : {}),
    source: yamlValue(mapping, image),
  } as EnvironmentSpec;
}

/** The conda specification as the service stores it: YAML text with sorted keys (as azure-ai-ml dumps it). */
function condaFileOf(value: YamlValue): string | undefined {
  if (value.isEmpty) return undefined;
  let content: unknown;
  if (value.kind === 'mapping') content = value.toJS();
  else {
    const text = value.string('Give the path of the conda file, e.g. conda_file: ./conda.yml, or write it inline.')!;
    const absolute = path.resolve(value.document.directory, text);
    if (!fs.existsSync(absolute) || !fs.statSync(absolute).isFile()) {
      value.fail(`is '${text}', which is not a file (looked for ${absolute})`, 'Give the conda file\'s path relative to the deployment YAML.');
    }
    content = YamlDocument.load(absolute, { inputName: value.document.inputName, displayName: value.document.displayNameFor(absolute) }).root().toJS();
  }
  return stringify(content, { sortMapEntries: true, indentSeq: false, singleQuote: true, lineWidth: 0 });
}

function requestSettingsOf(value: YamlValue): JsonObject | undefined {
  const fix = 'Write request_settings with request_timeout_ms, max_concurrent_requests_per_instance and max_queue_wait_ms.';
  const mapping = value.mapping(fix);
  if (!mapping) return undefined;
  mapping.rejectUnknownFields(['request_timeout_ms', 'max_concurrent_requests_per_instance', 'max_queue_wait_ms'], 'request_settings');
  const result: JsonObject = {};
  const timeout = mapping.get('request_timeout_ms').integer('Give the timeout in milliseconds, e.g. 5000.', { min: 1 });
  if (timeout !== undefined) result['requestTimeout'] = millisecondsToDuration(timeout);
  const concurrent = mapping.get('max_concurrent_requests_per_instance').integer('Give a whole number, e.g. 1.', { min: 1 });
  if (concurrent !== undefined) result['maxConcurrentRequestsPerInstance'] = concurrent;
  const queueWait = mapping.get('max_queue_wait_ms').integer('Give the wait in milliseconds, e.g. 500.', { min: 0 });
  if (queueWait !== undefined) result['maxQueueWait'] = millisecondsToDuration(queueWait);
  return result;
}

function probeOf(value: YamlValue): JsonObject | undefined {
  const fix = 'Write the probe with initial_delay, period and timeout (seconds), success_threshold and failure_threshold.';
  const mapping = value.mapping(fix);
  if (!mapping) return undefined;
  mapping.rejectUnknownFields(['initial_delay', 'period', 'timeout', 'success_threshold', 'failure_threshold', 'method', 'path', 'port', 'scheme'], value.pathText);
  const result: JsonObject = {};
  const seconds = (key: string, api: string, min: number): void => {
    const n = mapping.get(key).integer(`Give ${key} in whole seconds.`, { min });
    if (n !== undefined) result[api] = secondsToDuration(n);
  };
  seconds('initial_delay', 'initialDelay', 0);
  seconds('period', 'period', 1);
  seconds('timeout', 'timeout', 1);
  for (const [key, api] of [['success_threshold', 'successThreshold'], ['failure_threshold', 'failureThreshold']] as const) {
    const n = mapping.get(key).integer('Give a whole number of probes.', { min: 1 });
    if (n !== undefined) result[api] = n;
  }
  for (const key of ['method', 'path', 'port', 'scheme']) {
    if (!mapping.get(key).isEmpty) mapping.get(key).fail('is for custom containers, which are not in Azure ML API 2022-10-01', 'Remove it: the inference server answers the probes itself.');
  }
  return result;
}

function scaleSettingsOf(value: YamlValue): JsonObject | undefined {
  const fix = 'Write scale_settings: {type: default}, or type: target_utilization with min_instances, max_instances, polling_interval and target_utilization_percentage (Kubernetes).';
  const mapping = value.mapping(fix);
  if (!mapping) return undefined;
  mapping.rejectUnknownFields(['type', 'min_instances', 'max_instances', 'polling_interval', 'target_utilization_percentage'], 'scale_settings');
  const type = mapping.get('type').required(fix).string(fix)!;
  if (/^default$/i.test(type)) return { scaleType: 'Default' };
  if (!/^target_utilization$/i.test(type)) mapping.get('type').fail(`is '${type}'`, fix);
  const result: JsonObject = { scaleType: 'TargetUtilization' };
  const min = mapping.get('min_instances').integer('Give a whole number of instances.', { min: 0 });
  const max = mapping.get('max_instances').integer('Give a whole number of instances.', { min: 1 });
  const polling = mapping.get('polling_interval').integer('Give the polling interval in whole seconds.', { min: 1 });
  const target = mapping.get('target_utilization_percentage').integer('Give a percentage from 1 to 100.', { min: 1 });
  if (min !== undefined) result['minInstances'] = min;
  if (max !== undefined) result['maxInstances'] = max;
  if (min !== undefined && max !== undefined && min > max) mapping.get('min_instances').fail(`(${min}) is more than max_instances (${max})`, 'Make min_instances at most max_instances.');
  if (polling !== undefined) result['pollingInterval'] = secondsToDuration(polling);
  if (target !== undefined) result['targetUtilizationPercentage'] = target;
  return result;
}

/** Kubernetes `resources: {requests: {cpu, memory, nvidia.com/gpu}, limits: {...}}` as containerResourceRequirements. */
function resourcesOf(value: YamlValue): JsonObject | undefined {
  const fix = 'Write resources: {requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "2", memory: 2Gi, nvidia.com/gpu: "1"}}.';
  const mapping = value.mapping(fix);
  if (!mapping) return undefined;
  mapping.rejectUnknownFields(['requests', 'limits'], 'resources');
  const part = (key: string): JsonObject | undefined => {
    const settings = mapping.get(key).mapping(fix);
    if (!settings) return undefined;
    settings.rejectUnknownFields(['cpu', 'memory', 'nvidia.com/gpu', 'gpu'], `resources.${key}`);
    const result: JsonObject = {};
    for (const [yamlKey, api] of [['cpu', 'cpu'], ['memory', 'memory'], ['nvidia.com/gpu', 'gpu'], ['gpu', 'gpu']] as const) {
      const text = settings.get(yamlKey).text(fix);
      if (text !== undefined) result[api] = text;
    }
    return result;
  };
  const result: JsonObject = {};
  const requests = part('requests');
  const limits = part('limits');
  if (requests) result['containerResourceRequests'] = requests;
  if (limits) result['containerResourceLimits'] = limits;
  return result;
}
