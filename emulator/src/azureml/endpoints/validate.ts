import type { EmulatorRequest } from '../../http/router';
import { uuidFrom } from '../../config';
import { badRequest, notFound } from '../errors';
import { parseDuration, resolveAsset } from '../jobs/validate';
import type { ModelStore } from '../models/store';
import { parseAssetRef, type WorkspaceCoordinates } from '../refs';
import { isObject, type Json } from '../resources';
import { sameName } from '../scope';
import type { AzureMlService } from '../service';
import type { AuthMode, ComputeType, EndpointRecord, TrafficMap } from './model';
import type { DeploymentSpec } from './runtime';
import { parseTraffic } from './traffic';

/** Endpoint names become DNS labels (`<name>.<region>.inference.ml.azure.com`). */
const ENDPOINT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
const DEPLOYMENT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
const AUTH_MODES: readonly AuthMode[] = ['Key', 'AMLToken', 'AADToken'];
const IDENTITY_TYPES = ['None', 'SystemAssigned', 'UserAssigned', 'SystemAssigned,UserAssigned'];

/** VM sizes managed online deployments run on (the service's supported SKU list, CPU and GPU). */
export const MANAGED_INSTANCE_TYPES: readonly string[] = [
  'Standard_DS1_v2', 'Standard_DS2_v2', 'Standard_DS3_v2', 'Standard_DS4_v2', 'Standard_DS5_v2',
  'Standard_F2s_v2', 'Standard_F4s_v2', 'Standard_F8s_v2', 'Standard_F16s_v2', 'Standard_F32s_v2', 'Standard_F48s_v2', 'Standard_F64s_v2', 'Standard_F72s_v2',
  'Standard_E2s_v3', 'Standard_E4s_v3', 'Standard_E8s_v3', 'Standard_E16s_v3', 'Standard_E32s_v3', 'Standard_E48s_v3', 'Standard_E64s_v3',
  'Standard_NC4as_T4_v3', 'Standard_NC8as_T4_v3', 'Standard_NC16as_T4_v3', 'Standard_NC64as_T4_v3',
  'Standard_NC6s_v3', 'Standard_NC12s_v3', 'Standard_NC24s_v3',
  'Standard_NC24ads_A100_v4', 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', 'Standard_ND96asr_v4', 'Standard_ND96amsr_A100_v4', 'Standard_ND40rs_v2',
];
/** Instances of one managed deployment. */
export const MAX_INSTANCE_COUNT = 50;
/** Managed deployments answer within 3 minutes at most. */
const MAX_MANAGED_REQUEST_TIMEOUT_MS = 180_000;

export function checkEndpointName(name: string): string {
  if (!ENDPOINT_NAME.test(name)) {
    throw badRequest(
      `The endpoint name '${name}' is not valid: it must start with a letter, contain only letters, digits and '-', not end with '-', and be 3 to 32 characters long.`,
    );
  }
  return name;
}

export function checkDeploymentName(name: string): string {
  if (!DEPLOYMENT_NAME.test(name)) {
    throw badRequest(
      `The deployment name '${name}' is not valid: it must start with a letter, contain only letters, digits and '-', not end with '-', and be 3 to 32 characters long.`,
    );
  }
  return name;
}

/** An endpoint PUT body, checked and normalized. */
export interface EndpointInput {
  readonly location: string;
  readonly kind?: string;
  readonly tags: Record<string, string>;
  readonly identity?: Json;
  readonly sku?: Json;
  readonly authMode: AuthMode;
  readonly description: string | null;
  readonly properties: Record<string, string>;
  readonly publicNetworkAccess: string;
  readonly traffic: TrafficMap;
  readonly mirrorTraffic: TrafficMap;
  readonly computeType: ComputeType;
  readonly compute?: string;
  readonly keys?: { readonly primaryKey?: string; readonly secondaryKey?: string };
}

export function parseEndpointBody(svc: AzureMlService, body: unknown): EndpointInput {
  if (!isObject(body) || !isObject(body['properties'])) throw badRequest("The request body of an online endpoint must be a JSON object with 'location' and a 'properties' object.");
  const location = requireLocation(svc, body['location']);
  const props = body['properties'];
  const authMode = AUTH_MODES.find((m) => m.toLowerCase() === String(props['authMode'] ?? '').toLowerCase());
  if (!authMode) throw badRequest(`properties.authMode is required: Key, AMLToken or AADToken, got ${JSON.stringify(props['authMode'] ?? null)}.`);
  const publicNetworkAccess = optionalEnum(props['publicNetworkAccess'], ['Enabled', 'Disabled'], 'properties.publicNetworkAccess') ?? 'Enabled';
  const compute = props['compute'] === undefined || props['compute'] === null ? undefined : kubernetesCompute(svc, props['compute']);
  const keys = props['keys'];
  if (keys !== undefined && keys !== null && (!isObject(keys) || Object.values(keys).some((k) => k !== null && typeof k !== 'string'))) {
    throw badRequest('properties.keys must be { "primaryKey": "...", "secondaryKey": "..." }.');
  }
  return {
    location,
    kind: optionalString(body['kind'], 'kind'),
    tags: stringMap(body['tags'], 'tags'),
    identity: body['identity'] === undefined || body['identity'] === null ? undefined : checkIdentity(body['identity']),
    sku: isObject(body['sku']) ? body['sku'] : undefined,
    authMode,
    description: optionalString(props['description'], 'properties.description') ?? null,
    properties: stringMap(props['properties'], 'properties.properties'),
    publicNetworkAccess,
    traffic: parseTraffic(props['traffic'], 'properties.traffic'),
    mirrorTraffic: parseTraffic(props['mirrorTraffic'], 'properties.mirrorTraffic'),
    computeType: compute ? 'Kubernetes' : 'Managed',
    ...(compute ? { compute } : {}),
    ...(isObject(keys) ? { keys: { primaryKey: keys['primaryKey'] as string | undefined, secondaryKey: keys['secondaryKey'] as string | undefined } } : {}),
  };
}

/** The identity as GET answers it: principal ids (name-based, stable) for system- and user-assigned identities. */
export function resolveIdentity(svc: AzureMlService, resourceId: string, identity: Json | undefined): Json {
  const type = identity ? String(identity['type']) : 'SystemAssigned';
  const out: Json = { type };
  if (type.includes('SystemAssigned')) {
    out['principalId'] = uuidFrom(`${resourceId.toLowerCase()}/identity`);
    out['tenantId'] = svc.scope.config.tenantId;
  }
  const assigned = identity && isObject(identity['userAssignedIdentities']) ? identity['userAssignedIdentities'] : {};
  if (type.includes('UserAssigned')) {
    out['userAssignedIdentities'] = Object.fromEntries(
      Object.keys(assigned).map((id) => [id, { principalId: uuidFrom(`${id.toLowerCase()}/principal`), clientId: uuidFrom(`${id.toLowerCase()}/client`) }]),
    );
  }
  return out;
}

export function checkIdentity(raw: unknown, where = 'identity'): Json {
  if (!isObject(raw)) throw badRequest(`${where} must be an object with a type.`);
  const type = String(raw['type'] ?? '');
  if (!IDENTITY_TYPES.includes(type.replace(/\s+/g, ''))) throw badRequest(`${where}.type must be one of ${IDENTITY_TYPES.join(', ')}, got '${type}'.`);
  const assigned = raw['userAssignedIdentities'];
  if (type.includes('UserAssigned')) {
    if (!isObject(assigned) || Object.keys(assigned).length === 0) throw badRequest(`${where}.userAssignedIdentities must name at least one user-assigned identity (its ARM id) when the type is ${type}.`);
    for (const id of Object.keys(assigned)) {
      if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i.test(id)) {
        throw badRequest(`${where}.userAssignedIdentities: '${id}' is not the ARM id of a user-assigned managed identity.`);
      }
    }
  }
  return { type: type.replace(/\s+/g, ''), ...(isObject(assigned) ? { userAssignedIdentities: assigned } : {}) };
}

/** A deployment PUT body, checked, with every reference resolved. */
export interface DeploymentInput {
  readonly location: string;
  readonly kind?: string;
  readonly tags: Record<string, string>;
  readonly identity?: Json;
  readonly sku: Json;
  /** Properties as GET answers them (defaults filled in), without provisioningState. */
  readonly properties: Json;
  readonly spec: DeploymentSpec;
}

export function parseDeploymentBody(svc: AzureMlService, models: ModelStore, endpoint: EndpointRecord, deploymentName: string, body: unknown): DeploymentInput {
  if (!isObject(body) || !isObject(body['properties'])) throw badRequest("The request body of an online deployment must be a JSON object with 'location' and a 'properties' object.");
  const location = requireLocation(svc, body['location']);
  const props = body['properties'];
  const computeType = computeTypeOf(props['endpointComputeType']);
  if (computeType !== endpoint.computeType) {
    throw badRequest(
      `properties.endpointComputeType is ${computeType}, but endpoint '${endpoint.name}' is a ${endpoint.computeType} online endpoint: ` +
        `a deployment's endpointComputeType must be the kind of its endpoint (${endpoint.computeType}).`,
    );
  }
  const model = resolveModel(svc, models, props['model']);
  const environmentId = optionalString(props['environmentId'], 'properties.environmentId');
  const environment = environmentId === undefined ? undefined : resolveAsset(svc, environmentId, 'environments', 'properties.environmentId');
  const code = codeConfiguration(svc, props['codeConfiguration']);
  const modelType = model.version ? String(model.version.properties['modelType'] ?? 'custom_model').toLowerCase().replace(/_/g, '') : undefined;
  if (!environmentId && modelType !== 'mlflowmodel' && modelType !== 'tritonmodel') {
    throw badRequest(
      'properties.environmentId is required: only deployments of an mlflow_model or triton_model can leave out the environment (and the scoring code). ' +
        'Give the environment the scoring script runs in (an ARM id such as azureml:/subscriptions/.../environments/<name>/versions/<version>).',
    );
  }
  if (code && !environmentId) throw badRequest('properties.codeConfiguration needs properties.environmentId: the scoring script runs in that environment.');

  const sku = isObject(body['sku']) ? body['sku'] : {};
  const instanceCount = instanceCountOf(sku['capacity'], 'sku.capacity');
  const instanceType = instanceTypeOf(svc, endpoint, props['instanceType']);
  const scaleSettings = scaleSettingsOf(props['scaleSettings'], computeType);
  const requestSettings = requestSettingsOf(props['requestSettings'], computeType);
  const livenessProbe = probeOf(props['livenessProbe'], 'properties.livenessProbe');
  const readinessProbe = probeOf(props['readinessProbe'], 'properties.readinessProbe');
  const environmentVariables = stringMap(props['environmentVariables'], 'properties.environmentVariables');
  const appInsightsEnabled = props['appInsightsEnabled'] ?? false;
  if (typeof appInsightsEnabled !== 'boolean') throw badRequest('properties.appInsightsEnabled must be true or false.');

  const properties: Json = {
    description: optionalString(props['description'], 'properties.description') ?? null,
    properties: stringMap(props['properties'], 'properties.properties'),
    codeConfiguration: code ? { codeId: code.id, scoringScript: code.scoringScript } : null,
    environmentId: environmentId ?? null,
    environmentVariables,
    endpointComputeType: computeType,
    model: model.reference ?? null,
    instanceType,
    scaleSettings,
    requestSettings,
    livenessProbe,
    readinessProbe,
    appInsightsEnabled,
    egressPublicNetworkAccess: optionalEnum(props['egressPublicNetworkAccess'], ['Enabled', 'Disabled'], 'properties.egressPublicNetworkAccess') ?? 'Enabled',
  };
  const mountPath = optionalString(props['modelMountPath'], 'properties.modelMountPath');
  if (mountPath !== undefined) properties['modelMountPath'] = mountPath;
  if (computeType === 'Kubernetes' && isObject(props['containerResourceRequirements'])) properties['containerResourceRequirements'] = props['containerResourceRequirements'];

  const spec: DeploymentSpec = {
    endpointName: endpoint.name,
    deploymentName,
    computeType,
    ...(model.version
      ? {
          model: {
            id: model.reference!,
            name: model.version.name,
            version: model.version.version,
            modelType: String(model.version.properties['modelType'] ?? 'custom_model'),
            modelUri: String(model.version.properties['modelUri']),
          },
        }
      : model.reference
        ? { externalModel: model.reference }
        : {}),
    ...(environment
      ? {
          environment: {
            id: environmentId!,
            ...(typeof environment.properties['image'] === 'string' ? { image: environment.properties['image'] } : {}),
            ...(typeof environment.properties['condaFile'] === 'string' ? { condaFile: environment.properties['condaFile'] } : {}),
          },
        }
      : {}),
    ...(code ? { code } : {}),
    environmentVariables,
    instanceType,
    instanceCount,
    requestSettings: {
      requestTimeoutMs: Math.round(parseDuration(String(requestSettings['requestTimeout']))! * 1000),
      maxConcurrentRequestsPerInstance: Number(requestSettings['maxConcurrentRequestsPerInstance']),
    },
    readinessTimeoutMs: probeDeadlineMs(readinessProbe),
  };
  return {
    location,
    kind: optionalString(body['kind'], 'kind'),
    tags: stringMap(body['tags'], 'tags'),
    identity: body['identity'] === undefined || body['identity'] === null ? undefined : checkIdentity(body['identity']),
    sku: { name: typeof sku['name'] === 'string' && sku['name'] !== '' ? sku['name'] : 'Default', ...(sku['tier'] ? { tier: sku['tier'] } : {}), capacity: instanceCount },
    properties,
    spec,
  };
}

export function instanceCountOf(raw: unknown, where: string): number {
  if (raw === undefined || raw === null) return 1;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > MAX_INSTANCE_COUNT) {
    throw badRequest(`${where} (the instance count) must be a whole number between 1 and ${MAX_INSTANCE_COUNT}, got ${JSON.stringify(raw)}.`);
  }
  return raw;
}

function requireLocation(svc: AzureMlService, raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw badRequest(`location is required: the region of the workspace ('${svc.scope.location}').`);
  const normalized = raw.replace(/\s+/g, '').toLowerCase();
  if (normalized !== svc.scope.location.toLowerCase()) {
    throw badRequest(`location '${raw}' is not the region of workspace '${svc.scope.name}' ('${svc.scope.location}'): online endpoints and deployments live in their workspace's region.`);
  }
  return svc.scope.location;
}

function computeTypeOf(raw: unknown): ComputeType {
  if (raw === 'Managed' || raw === 'Kubernetes') return raw;
  if (raw === 'AzureMLCompute') throw badRequest("properties.endpointComputeType 'AzureMLCompute' is for batch deployments: an online deployment is Managed or Kubernetes.");
  throw badRequest(`properties.endpointComputeType is required: Managed or Kubernetes, got ${JSON.stringify(raw ?? null)}.`);
}

/** The Kubernetes compute a Kubernetes endpoint is attached to, as its ARM id. */
function kubernetesCompute(svc: AzureMlService, raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw badRequest('properties.compute must be the ARM id (or name) of an attached Kubernetes compute.');
  const name = raw.trim().replace(/^azureml:/, '').split('/').pop()!;
  const compute = svc.findCompute(name);
  const type = isObject(compute?.['properties']) ? compute['properties']['computeType'] : undefined;
  if (!compute) throw badRequest(`properties.compute: the compute '${name}' does not exist in workspace '${svc.scope.name}'.`);
  if (type !== 'Kubernetes') throw badRequest(`properties.compute: '${name}' is a ${String(type)} compute; a Kubernetes online endpoint needs an attached Kubernetes compute.`);
  return svc.scope.computeId(String(compute['name']));
}

/** The model a deployment serves: a workspace model version (which must exist) or a registry model (taken as is). */
function resolveModel(svc: AzureMlService, models: ModelStore, raw: unknown): { reference?: string; version?: ReturnType<ModelStore['version']> } {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'string' || raw.trim() === '') throw badRequest('properties.model must be the ARM id of a model version (or azureml:<name>:<version>).');
  const ref = parseAssetRef(raw, 'models');
  if (!ref) {
    throw badRequest(
      `properties.model '${raw}' is not a model version reference: use its ARM id (/subscriptions/.../workspaces/<workspace>/models/<name>/versions/<version>) or azureml:<name>:<version>.`,
    );
  }
  if (ref.scope === 'registry') return { reference: raw };
  if (ref.workspace) checkSameWorkspace(svc, ref.workspace, raw, 'properties.model');
  const version = models.resolve(ref);
  if (!version) {
    const what = 'version' in ref ? `${ref.name}:${ref.version}` : `${ref.name}@latest`;
    throw notFound(`properties.model: the model ${what} was not found in workspace '${svc.scope.name}'. Register it first, or check the name and version.`);
  }
  return { reference: raw, version };
}

function checkSameWorkspace(svc: AzureMlService, ws: WorkspaceCoordinates, raw: string, where: string): void {
  const cfg = svc.scope.config;
  if (!sameName(ws.subscriptionId, cfg.subscriptionId) || !sameName(ws.resourceGroup, cfg.resourceGroup) || !sameName(ws.workspaceName, cfg.workspaceName)) {
    throw badRequest(`${where} '${raw}' belongs to another workspace; a deployment can only use assets of workspace '${cfg.workspaceName}' (or of a registry).`);
  }
}

function codeConfiguration(svc: AzureMlService, raw: unknown): DeploymentSpec['code'] {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw badRequest('properties.codeConfiguration must be { "codeId": "<code asset ARM id>", "scoringScript": "<file>" }.');
  const scoringScript = raw['scoringScript'];
  if (typeof scoringScript !== 'string' || scoringScript.trim() === '') {
    throw badRequest('properties.codeConfiguration.scoringScript is required: the scoring script (e.g. score.py) inside the code asset.');
  }
  const codeId = raw['codeId'];
  if (typeof codeId !== 'string' || codeId.trim() === '') throw badRequest('properties.codeConfiguration.codeId is required: the code asset that holds the scoring script.');
  const version = resolveAsset(svc, codeId, 'codes', 'properties.codeConfiguration.codeId');
  if (!version) throw badRequest(`properties.codeConfiguration.codeId '${codeId}': code from a registry is not supported by the emulator.`);
  return { id: codeId, codeUri: String(version.properties['codeUri']), scoringScript };
}

function instanceTypeOf(svc: AzureMlService, endpoint: EndpointRecord, raw: unknown): string {
  if (endpoint.computeType === 'Kubernetes') {
    const compute = svc.findCompute(endpoint.compute!.split('/').pop()!);
    const settings = isObject(compute?.['properties']) && isObject(compute['properties']['properties']) ? compute['properties']['properties'] : {};
    const types = isObject(settings['instanceTypes']) ? Object.keys(settings['instanceTypes']) : [];
    const fallback = String(settings['defaultInstanceType'] ?? 'defaultinstancetype');
    if (raw === undefined || raw === null) return fallback;
    if (typeof raw !== 'string' || !types.some((t) => t.toLowerCase() === raw.toLowerCase())) {
      throw badRequest(`properties.instanceType '${String(raw)}' is not an instance type of the Kubernetes compute: use one of ${types.join(', ')}.`);
    }
    return raw;
  }
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw badRequest('properties.instanceType is required for a managed online deployment: the VM size of its instances, such as Standard_DS3_v2.');
  }
  if (!MANAGED_INSTANCE_TYPES.some((t) => t.toLowerCase() === raw.toLowerCase())) {
    throw badRequest(`The instance type '${raw}' is not supported for managed online deployments. Use a supported VM size, such as Standard_DS3_v2, Standard_F4s_v2 or Standard_E4s_v3.`);
  }
  return raw;
}

function scaleSettingsOf(raw: unknown, computeType: ComputeType): Json {
  if (raw === undefined || raw === null) return computeType === 'Managed' ? { scaleType: 'Default' } : { scaleType: 'TargetUtilization', minInstances: 1, maxInstances: 1, pollingInterval: 'PT1S', targetUtilizationPercentage: 70 };
  if (!isObject(raw)) throw badRequest('properties.scaleSettings must be an object with a scaleType.');
  if (raw['scaleType'] === 'Default') return { scaleType: 'Default' };
  if (raw['scaleType'] !== 'TargetUtilization') throw badRequest(`properties.scaleSettings.scaleType must be Default or TargetUtilization, got ${JSON.stringify(raw['scaleType'] ?? null)}.`);
  if (computeType === 'Managed') throw badRequest('properties.scaleSettings: TargetUtilization scaling is for Kubernetes deployments; a managed deployment uses Default (autoscale it with Azure Monitor).');
  const min = integerIn(raw['minInstances'] ?? 1, 0, MAX_INSTANCE_COUNT, 'properties.scaleSettings.minInstances');
  const max = integerIn(raw['maxInstances'] ?? 1, 1, MAX_INSTANCE_COUNT, 'properties.scaleSettings.maxInstances');
  if (min > max) throw badRequest(`properties.scaleSettings.minInstances (${min}) must not exceed maxInstances (${max}).`);
  return {
    scaleType: 'TargetUtilization',
    minInstances: min,
    maxInstances: max,
    pollingInterval: durationOf(raw['pollingInterval'] ?? 'PT1S', 'properties.scaleSettings.pollingInterval', false),
    targetUtilizationPercentage: integerIn(raw['targetUtilizationPercentage'] ?? 70, 1, 100, 'properties.scaleSettings.targetUtilizationPercentage'),
  };
}

function requestSettingsOf(raw: unknown, computeType: ComputeType): Json {
  if (raw !== undefined && raw !== null && !isObject(raw)) throw badRequest('properties.requestSettings must be an object.');
  const given: Json = isObject(raw) ? raw : {};
  const requestTimeout = durationOf(given['requestTimeout'] ?? 'PT5S', 'properties.requestSettings.requestTimeout', false);
  if (computeType === 'Managed' && parseDuration(requestTimeout)! * 1000 > MAX_MANAGED_REQUEST_TIMEOUT_MS) {
    throw badRequest(`properties.requestSettings.requestTimeout '${requestTimeout}' is longer than the ${MAX_MANAGED_REQUEST_TIMEOUT_MS / 1000} seconds a managed online deployment allows.`);
  }
  return {
    requestTimeout,
    maxConcurrentRequestsPerInstance: integerIn(given['maxConcurrentRequestsPerInstance'] ?? 1, 1, 1000, 'properties.requestSettings.maxConcurrentRequestsPerInstance'),
    maxQueueWait: durationOf(given['maxQueueWait'] ?? 'PT0.5S', 'properties.requestSettings.maxQueueWait', true),
  };
}

/** Liveness and readiness probes, with the service's defaults. */
function probeOf(raw: unknown, where: string): Json {
  if (raw !== undefined && raw !== null && !isObject(raw)) throw badRequest(`${where} must be an object.`);
  const given: Json = isObject(raw) ? raw : {};
  return {
    failureThreshold: integerIn(given['failureThreshold'] ?? 30, 1, 1000, `${where}.failureThreshold`),
    successThreshold: integerIn(given['successThreshold'] ?? 1, 1, 1000, `${where}.successThreshold`),
    timeout: durationOf(given['timeout'] ?? 'PT2S', `${where}.timeout`, false),
    period: durationOf(given['period'] ?? 'PT10S', `${where}.period`, false),
    initialDelay: durationOf(given['initialDelay'] ?? 'PT10S', `${where}.initialDelay`, true),
  };
}

/** How long a container may take to become ready before its probe gives up: initial delay + failureThreshold periods. */
function probeDeadlineMs(probe: Json): number {
  const seconds = (field: string): number => parseDuration(String(probe[field]))!;
  return Math.round((seconds('initialDelay') + Number(probe['failureThreshold']) * seconds('period') + seconds('timeout')) * 1000);
}

function durationOf(raw: unknown, where: string, allowZero: boolean): string {
  const seconds = typeof raw === 'string' ? parseDuration(raw) : undefined;
  if (seconds === undefined || seconds < 0 || (!allowZero && seconds === 0)) {
    throw badRequest(`${where} must be ${allowZero ? 'an' : 'a positive'} ISO 8601 duration such as 'PT10S', got ${JSON.stringify(raw)}.`);
  }
  return raw as string;
}

function integerIn(raw: unknown, min: number, max: number, where: string): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) throw badRequest(`${where} must be a whole number between ${min} and ${max}, got ${JSON.stringify(raw)}.`);
  return raw;
}

function optionalString(raw: unknown, where: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string') throw badRequest(`${where} must be a string.`);
  return raw;
}

function optionalEnum(raw: unknown, values: readonly string[], where: string): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const match = values.find((v) => typeof raw === 'string' && v.toLowerCase() === raw.toLowerCase());
  if (!match) throw badRequest(`${where} must be ${values.join(' or ')}, got ${JSON.stringify(raw)}.`);
  return match;
}

export function stringMap(raw: unknown, where: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw) || Object.values(raw).some((v) => v !== null && typeof v !== 'string')) throw badRequest(`${where} must be an object of string values.`);
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) as Record<string, string>;
}

/** The JSON object body of a PATCH or POST action (an empty body is an empty object). */
export function objectBody(req: EmulatorRequest, what: string): Json {
  const body = req.body.length === 0 ? {} : req.json<unknown>();
  if (!isObject(body)) throw badRequest(`The request body of ${what} must be a JSON object.`);
  return body;
}
