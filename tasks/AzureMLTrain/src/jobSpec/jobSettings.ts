/**
 * resources, limits, distribution, identity and services of a job or step. Each is returned in the forms
 * the API takes: `rest` (camelCase, a job's own properties), `node` (snake_case, inside a pipeline's
 * `jobs`, as azure-ai-ml serializes steps) and, for resources and distribution, `yaml` (component spec).
 */
import type { YamlMapping, YamlValue } from '@azureml-mlops/shared';
import { FIELD_ALIASES } from './fields';
import type { RestDistribution, RestIdentity, RestJobResources, RestJobService } from './plan';

export interface Forms<R> {
  readonly rest: R;
  readonly node: Record<string, unknown>;
  readonly yaml: Record<string, unknown>;
}

const RESOURCES_FIELDS = ['instance_count', 'instance_type', 'shm_size', 'docker_args', 'properties'];
const NEWER_RESOURCES_FIELDS: Record<string, string> = {
  locations: 'resources.locations is not in Azure ML API 2022-10-01',
  max_instance_count: 'resources.max_instance_count is not in Azure ML API 2022-10-01',
};

export function parseResources(value: YamlValue): Forms<RestJobResources> | undefined {
  const mapping = value.mapping('Write resources as a mapping, e.g. resources: {instance_count: 2, instance_type: Standard_NC6}.');
  if (!mapping) return undefined;
  rejectNewerFields(mapping, NEWER_RESOURCES_FIELDS);
  mapping.rejectUnknownFields([...RESOURCES_FIELDS, ...Object.keys(NEWER_RESOURCES_FIELDS)], 'resources', FIELD_ALIASES);
  const instanceCount = mapping.get('instance_count').integer('Give the number of nodes, e.g. instance_count: 2.', { min: 1 });
  const instanceType = mapping.get('instance_type').string('Give a VM size, e.g. instance_type: Standard_DS3_v2.');
  const shmValue = mapping.get('shm_size');
  const shmSize = shmValue.string('Give a size such as 2g or 512m.');
  if (shmSize !== undefined && !/^\d+[bBkKmMgG]$/.test(shmSize)) {
    shmValue.fail(`is '${shmSize}', which is not a size`, 'Write a number followed by b, k, m or g, e.g. shm_size: 8g.');
  }
  const dockerArgs = mapping.get('docker_args').string('Give the extra docker run arguments as one string.');
  const properties = mapping.get('properties').mapping('Write properties as a mapping.')?.toJS() as Record<string, unknown> | undefined;
  const rest: RestJobResources = clean({ instanceCount, instanceType, shmSize, dockerArgs, properties });
  const snake = clean({ instance_count: instanceCount, instance_type: instanceType, shm_size: shmSize, docker_args: dockerArgs, properties });
  return { rest, node: snake, yaml: snake };
}

export function parseLimits(value: YamlValue): Omit<Forms<{ jobLimitsType: 'Command'; timeout?: string }>, 'yaml'> | undefined {
  const mapping = value.mapping('Write limits as a mapping, e.g. limits: {timeout: 7200}.');
  if (!mapping) return undefined;
  mapping.rejectUnknownFields(['timeout'], 'limits of a command job', FIELD_ALIASES);
  const timeoutValue = mapping.get('timeout');
  const timeoutFix = 'Give the maximum run time in seconds, e.g. timeout: 7200 for two hours.';
  let timeout: string | undefined;
  if (!timeoutValue.isEmpty) {
    const seconds = timeoutValue.kind === 'number' || /^\s*[-+]?\d+\s*$/.test(timeoutValue.sourceText()) ? timeoutValue.integer(timeoutFix) : undefined;
    if (seconds === undefined) throw timeoutValue.error(`must be a whole number of seconds, not ${timeoutValue.describe()}`, timeoutFix);
    if (seconds < 1) throw timeoutValue.error(`must be at least 1 second, not ${seconds}`, timeoutFix);
    timeout = secondsToIsoDuration(seconds);
  }
  return {
    rest: clean({ jobLimitsType: 'Command' as const, timeout }),
    node: clean({ job_limits_type: 'Command', timeout }),
  };
}

/** As isodate.duration_isoformat(timedelta(seconds=n)), which azure-ai-ml uses: 7200 -> PT2H, 90000 -> P1DT1H. */
export function secondsToIsoDuration(totalSeconds: number): string {
  const days = Math.floor(totalSeconds / 86400);
  let rest = totalSeconds % 86400;
  const hours = Math.floor(rest / 3600);
  rest %= 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest % 60;
  let text = 'P';
  if (days) text += `${days}D`;
  if (hours || minutes || seconds) {
    text += 'T';
    if (hours) text += `${hours}H`;
    if (minutes) text += `${minutes}M`;
    if (seconds) text += `${seconds}S`;
  }
  return text === 'P' ? 'P0D' : text;
}

const DISTRIBUTION_FIELDS: Record<string, readonly string[]> = {
  pytorch: ['type', 'process_count_per_instance'],
  mpi: ['type', 'process_count_per_instance'],
  tensorflow: ['type', 'worker_count', 'parameter_server_count'],
};

export function parseDistribution(value: YamlValue): Forms<RestDistribution> | undefined {
  const mapping = value.mapping('Write distribution as a mapping, e.g. distribution: {type: pytorch, process_count_per_instance: 4}.');
  if (!mapping) return undefined;
  const typeValue = mapping.get('type').required('Add type: pytorch, mpi or tensorflow.');
  const type = typeValue.string('Write type: pytorch, mpi or tensorflow.')!.toLowerCase();
  if (type === 'ray') typeValue.fail("is 'ray': Ray distribution is not in Azure ML API 2022-10-01, which this task uses", 'Use pytorch, mpi or tensorflow.');
  const fields = DISTRIBUTION_FIELDS[type];
  if (!fields) return typeValue.fail(`is '${type}', which is not a distribution type`, 'Write type: pytorch, mpi or tensorflow.');
  mapping.rejectUnknownFields(fields, `a ${type} distribution`, FIELD_ALIASES);
  const count = (field: string): number | undefined => mapping.get(field).integer(`Give a whole number, e.g. ${field}: 2.`, { min: 0 });
  if (type === 'tensorflow') {
    const workerCount = count('worker_count');
    const parameterServerCount = count('parameter_server_count');
    return {
      rest: clean({ distributionType: 'TensorFlow' as const, workerCount, parameterServerCount }),
      node: clean({ distribution_type: 'TensorFlow', worker_count: workerCount, parameter_server_count: parameterServerCount }),
      yaml: clean({ type, worker_count: workerCount, parameter_server_count: parameterServerCount }),
    };
  }
  const processCountPerInstance = count('process_count_per_instance');
  const distributionType = type === 'mpi' ? ('Mpi' as const) : ('PyTorch' as const);
  return {
    rest: clean({ distributionType, processCountPerInstance }),
    node: clean({ distribution_type: distributionType, process_count_per_instance: processCountPerInstance }),
    yaml: clean({ type, process_count_per_instance: processCountPerInstance }),
  };
}

const IDENTITY_TYPES: Record<string, 'Managed' | 'AMLToken' | 'UserIdentity'> = {
  managed: 'Managed',
  managed_identity: 'Managed',
  aml_token: 'AMLToken',
  user_identity: 'UserIdentity',
};

export function parseIdentity(value: YamlValue): Omit<Forms<RestIdentity>, 'yaml'> | undefined {
  const mapping = value.mapping('Write identity as a mapping, e.g. identity: {type: managed}.');
  if (!mapping) return undefined;
  const typeFix = 'Write type: managed, aml_token or user_identity.';
  const typeValue = mapping.get('type').required(typeFix);
  const typeText = typeValue.string(typeFix)!.toLowerCase();
  const identityType = IDENTITY_TYPES[typeText];
  if (!identityType) return typeValue.fail(`is '${typeText}', which is not an identity type`, typeFix);
  if (identityType !== 'Managed') {
    mapping.rejectUnknownFields(['type'], `a ${typeText} identity`, FIELD_ALIASES);
    return { rest: { identityType }, node: { type: typeText === 'aml_token' ? 'aml_token' : 'user_identity' } };
  }
  mapping.rejectUnknownFields(['type', 'client_id', 'object_id', 'msi_resource_id'], 'a managed identity', { resource_id: 'msi_resource_id' });
  const clientId = mapping.get('client_id').string('Give the client id of the user-assigned identity.');
  const objectId = mapping.get('object_id').string('Give the object id of the user-assigned identity.');
  const resourceId = mapping.get('msi_resource_id').string('Give the ARM resource id of the user-assigned identity.');
  return {
    rest: clean({ identityType, clientId, objectId, resourceId }),
    node: clean({ type: 'managed', client_id: clientId, object_id: objectId, msi_resource_id: resourceId }),
  };
}

const SERVICE_TYPES: Record<string, string> = {
  jupyter_lab: 'JupyterLab',
  jupyterlab: 'JupyterLab',
  ssh: 'SSH',
  tensor_board: 'TensorBoard',
  tensorboard: 'TensorBoard',
  vs_code: 'VSCode',
  vscode: 'VSCode',
  custom: 'Custom',
};
const SERVICE_FIELDS = ['type', 'job_service_type', 'port', 'properties', 'ssh_public_keys', 'log_dir', 'nodes', 'endpoint', 'status', 'error_message'];

export function parseServices(value: YamlValue): Omit<Forms<Record<string, RestJobService>>, 'yaml'> | undefined {
  const mapping = value.mapping('Write services as a mapping of names to services, e.g. services: {my_ssh: {type: ssh}}.');
  if (!mapping) return undefined;
  const rest: Record<string, RestJobService> = {};
  const node: Record<string, unknown> = {};
  for (const entry of mapping.entries()) {
    const service = entry.value.mapping('Write the service as a mapping, e.g. {type: jupyter_lab}.');
    if (!service) continue;
    service.rejectUnknownFields(SERVICE_FIELDS, 'a job service', FIELD_ALIASES);
    if (!service.get('nodes').isEmpty) service.get('nodes').fail('is not in Azure ML API 2022-10-01, which this task uses', 'Remove nodes.');
    const typeValue = service.has('type') ? service.get('type') : service.get('job_service_type');
    const typeFix = 'Write type: jupyter_lab, ssh, tensor_board or vs_code.';
    const typeText = typeValue.string(typeFix);
    const jobServiceType = typeText === undefined ? undefined : (SERVICE_TYPES[typeText.toLowerCase()] ?? typeText);
    const port = service.get('port').integer('Give a port number, e.g. port: 8008.', { min: 1 });
    const properties: Record<string, string> = { ...(service.get('properties').stringMap('Write properties as name: value pairs.') ?? {}) };
    const sshKeys = service.get('ssh_public_keys').string('Give the public key text.');
    if (sshKeys !== undefined) properties.sshPublicKeys = sshKeys;
    const logDir = service.get('log_dir').string('Give the folder of the TensorBoard logs.');
    if (logDir !== undefined) properties.logDir = logDir;
    const props = Object.keys(properties).length > 0 ? properties : undefined;
    rest[entry.key] = clean({ jobServiceType, port, properties: props });
    node[entry.key] = clean({ job_service_type: jobServiceType, port, properties: props });
  }
  return { rest, node };
}

function rejectNewerFields(mapping: YamlMapping, fields: Record<string, string>): void {
  for (const [field, reason] of Object.entries(fields)) {
    const value = mapping.get(field);
    if (value.kind !== 'absent') value.fail(`is not supported: ${reason}, which this task uses`, `Remove ${field}.`);
  }
}

/** Drops undefined members so bodies hold only what the YAML set. */
export function clean<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}
