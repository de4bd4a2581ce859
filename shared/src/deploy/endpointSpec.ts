/**
 * loadEndpointSpec: an online endpoint from `az ml online-endpoint` YAML (managedOnlineEndpoint and
 * kubernetesOnlineEndpoint schemas, accepted as they are) and/or task inputs, checked offline. Inputs win over the
 * file; every problem names the input, or the file, field and line.
 */
import { InputError } from '../pipeline/errors';
import { inputValue, yamlValue } from './specValue';
import type { ComputeType, EndpointAuthMode, EndpointInputNames, EndpointSpec, JsonObject, SpecValue } from './types';
import { enabledDisabled, identityOf, loadSpecYaml, refuseOverridesWithoutFile, schemaKind, setIfDefined, textMap, trafficMap } from './yamlFields';

export const DEFAULT_ENDPOINT_INPUT_NAMES: EndpointInputNames = {
  file: 'endpointFile',
  overrides: 'endpointOverrides',
  name: 'endpointName',
  computeType: 'computeType',
  kubernetesCompute: 'kubernetesCompute',
  authMode: 'authMode',
};

/** Online endpoint names become DNS labels: 3 to 32 letters, digits and '-', starting with a letter. */
export const ENDPOINT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/;
const ENDPOINT_NAME_FIX = "Use 3 to 32 letters, digits and '-', starting with a letter and not ending with '-' (it becomes part of the scoring URL)";

const AUTH_MODES: Readonly<Record<string, EndpointAuthMode>> = { key: 'Key', aml_token: 'AMLToken', amltoken: 'AMLToken', aad_token: 'AADToken', aadtoken: 'AADToken' };
const AUTH_FIX = 'Use key, aml_token or aad_token';

/** Fields of the managed and Kubernetes online endpoint schemas. */
const ENDPOINT_FIELDS = ['$schema', 'name', 'description', 'tags', 'properties', 'auth_mode', 'identity', 'traffic', 'mirror_traffic', 'public_network_access', 'compute', 'kind'];
/** Fields `az ml online-endpoint show` writes, set by the service: accepted and ignored, so its output can be fed back. */
const READ_ONLY_FIELDS = ['id', 'location', 'provisioning_state', 'scoring_uri', 'openapi_uri', 'swagger_uri', 'type', 'resourceGroup', 'resource_group'];

export interface LoadEndpointOptions {
  /** Inputs that win over the YAML. */
  readonly name?: string;
  readonly computeType?: ComputeType;
  /** The attached Kubernetes compute (name, azureml:name or ARM id). */
  readonly kubernetesCompute?: string;
  /** key | aml_token | aad_token (or Key | AMLToken | AADToken). */
  readonly authMode?: string;
  /** `path=value` lines applied to the YAML as `az ml --set` does (needs a file). */
  readonly overrides?: string;
  /** How messages name the file (default: the path as given). */
  readonly displayName?: string;
  readonly inputNames?: Partial<EndpointInputNames>;
}

/** Reads the endpoint spec: every problem is an InputError (or YamlSpecError) naming its source; no network. */
export function loadEndpointSpec(file: string | undefined, options: LoadEndpointOptions = {}): EndpointSpec {
  const names: EndpointInputNames = { ...DEFAULT_ENDPOINT_INPUT_NAMES, ...(options.inputNames ?? {}) };
  const body: JsonObject = {};
  let nameSource: SpecValue | undefined = options.name !== undefined ? inputValue(names.name, options.name) : undefined;
  let computeType = options.computeType;
  let compute: SpecValue | undefined = options.kubernetesCompute !== undefined ? inputValue(names.kubernetesCompute, options.kubernetesCompute) : undefined;
  let authMode: EndpointAuthMode | undefined;
  let traffic: Record<string, number> | undefined;
  let mirrorTraffic: Record<string, number> | undefined;
  let displayName: string | undefined;
  let appliedOverrides: EndpointSpec['appliedOverrides'] = [];

  if (file === undefined) {
    refuseOverridesWithoutFile(options.overrides, names.overrides, names.file);
  } else {
    const loaded = loadSpecYaml(file, { fileInput: names.file, overridesInput: names.overrides, overrides: options.overrides, displayName: options.displayName });
    const root = loaded.root;
    displayName = loaded.document.displayName;
    appliedOverrides = loaded.appliedOverrides;
    root.rejectUnknownFields([...ENDPOINT_FIELDS, ...READ_ONLY_FIELDS], 'an online endpoint', { auth: 'auth_mode', authMode: 'auth_mode' });
    const kind = schemaKind(root);
    if (kind === 'batchendpoint') root.get('$schema').fail('is the schema of a batch endpoint', 'This task deploys online endpoints: give a managedOnlineEndpoint or kubernetesOnlineEndpoint YAML.');

    const nameField = root.get('name');
    const yamlName = nameField.string('Give the endpoint name as text.');
    if (nameSource === undefined && yamlName !== undefined) nameSource = yamlValue(nameField, yamlName);

    setIfDefined(body, ['properties', 'description'], root.get('description').string('Write the description as text.'));
    setIfDefined(body, ['tags'], textMap(root.get('tags'), 'tags'));
    setIfDefined(body, ['properties', 'properties'], textMap(root.get('properties'), 'properties'));
    setIfDefined(body, ['properties', 'publicNetworkAccess'], enabledDisabled(root.get('public_network_access'), 'Write public_network_access: enabled or disabled.'));
    setIfDefined(body, ['identity'], identityOf(root.get('identity')));
    const kindText = root.get('kind').string('Write kind as text.');
    if (kindText !== undefined) body['kind'] = kindText;

    const authField = root.get('auth_mode');
    const authText = authField.string(`${AUTH_FIX}.`);
    if (authText !== undefined) {
      authMode = AUTH_MODES[authText.toLowerCase()];
      if (!authMode) authField.fail(`is '${authText}'`, `${AUTH_FIX}.`);
    }
    traffic = trafficMap(root.get('traffic'));
    mirrorTraffic = trafficMap(root.get('mirror_traffic'));

    const computeField = root.get('compute');
    const computeText = computeField.string('Name the attached Kubernetes compute, e.g. compute: azureml:k8s-compute.');
    if (compute === undefined && computeText !== undefined) compute = yamlValue(computeField, computeText);
    if (computeType === undefined && (computeText !== undefined || kind === 'kubernetesonlineendpoint')) computeType = 'Kubernetes';
  }

  if (options.authMode !== undefined) {
    authMode = AUTH_MODES[options.authMode.toLowerCase()] ?? (['Key', 'AMLToken', 'AADToken'] as const).find((m) => m.toLowerCase() === options.authMode!.toLowerCase());
    if (!authMode) throw new InputError(names.authMode, `'${options.authMode}' is not an authentication mode of online endpoints`, AUTH_FIX);
  }
  if (authMode !== undefined) setIfDefined(body, ['properties', 'authMode'], authMode);

  if (nameSource === undefined) {
    throw new InputError(names.name, 'a value is required', `Set '${names.name}', or give the endpoint YAML ('${names.file}') with its name`);
  }
  if (!ENDPOINT_NAME_PATTERN.test(nameSource.value)) nameSource.fail(`'${nameSource.value}' is not a valid online endpoint name`, ENDPOINT_NAME_FIX);

  computeType ??= 'Managed';
  if (computeType === 'Kubernetes') {
    if (!compute) {
      throw new InputError(names.kubernetesCompute, 'a value is required for a Kubernetes online endpoint', 'Name the Kubernetes compute attached to the workspace (Compute > Kubernetes clusters in Azure ML studio)');
    }
    const computeName = compute.value.replace(/^azureml:/i, '').split('/').pop() ?? '';
    if (!/^[A-Za-z][A-Za-z0-9_-]{1,254}$/.test(computeName)) compute.fail(`'${compute.value}' is not a compute name`, 'Give the name of the attached Kubernetes compute, e.g. k8s-compute');
  } else if (compute && options.computeType === 'Managed') {
    compute.fail('names a Kubernetes compute, but the endpoint is Managed', `Remove it, or set '${names.computeType}' to Kubernetes`);
  } else if (compute) {
    computeType = 'Kubernetes';
  }
  if (mirrorTraffic && Object.values(mirrorTraffic).some((p) => p > 0) && computeType === 'Kubernetes') {
    throw new InputError(names.file, 'mirror_traffic is set, but Kubernetes online endpoints cannot mirror traffic', 'Remove mirror_traffic');
  }

  return {
    name: nameSource.value,
    computeType,
    ...(computeType === 'Kubernetes' && compute ? { kubernetesCompute: compute } : {}),
    ...(authMode ? { authMode } : {}),
    body,
    ...(traffic ? { traffic } : {}),
    ...(mirrorTraffic ? { mirrorTraffic } : {}),
    ...(displayName ? { file: displayName } : {}),
    appliedOverrides,
  };
}
