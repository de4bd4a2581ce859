/**
 * What the service connection's identity needs on a container registry, operation by operation: a refusal (401/403)
 * becomes one message naming the missing action and the built-in role that grants it, instead of the SDK's error.
 */
import { type AzureRmConnection, isRestError, TaskError } from '@azureml-mlops/shared';

/** The roles that grant what the task does on a registry (besides Owner and Contributor). */
const TASKS_ROLE = 'Container Registry Tasks Contributor (or Contributor)';
const IMPORT_ROLE = 'Container Registry Data Importer and Data Reader (or Contributor)';

/** Each registry operation: what it does (for the message) and the action it needs. */
export const REGISTRY_PERMISSIONS = {
  upload: { doing: 'get an upload location for the build context from', action: 'Microsoft.ContainerRegistry/registries/listBuildSourceUploadUrl/action', role: TASKS_ROLE },
  schedule: { doing: 'schedule builds (ACR Tasks runs) in', action: 'Microsoft.ContainerRegistry/registries/scheduleRun/action', role: TASKS_ROLE },
  readRun: { doing: 'read the status of runs of', action: 'Microsoft.ContainerRegistry/registries/runs/read', role: TASKS_ROLE },
  readLog: { doing: 'read the build logs of', action: 'Microsoft.ContainerRegistry/registries/runs/listLogSasUrl/action', role: TASKS_ROLE },
  cancel: { doing: 'cancel runs of', action: 'Microsoft.ContainerRegistry/registries/runs/cancel/action', role: TASKS_ROLE },
  import: { doing: 'import images (to tag an image built before) into', action: 'Microsoft.ContainerRegistry/registries/importImage/action', role: IMPORT_ROLE },
} as const;

export type RegistryOperationName = keyof typeof REGISTRY_PERMISSIONS;

/** The service connection's identity was refused an operation on the registry (401/403). */
export class RegistryPermissionError extends TaskError {
  constructor(
    message: string,
    readonly operation: RegistryOperationName,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryPermissionError';
  }
}

/** `error` as a RegistryPermissionError when it is a 401/403 from the registry; else undefined. */
export function permissionError(error: unknown, operation: RegistryOperationName, registryName: string, connection: Pick<AzureRmConnection, 'id' | 'clientId'>): RegistryPermissionError | undefined {
  if (!isRestError(error) || (error.statusCode !== 401 && error.statusCode !== 403)) return undefined;
  const { doing, action, role } = REGISTRY_PERMISSIONS[operation];
  const who = `The service connection '${connection.id}'${connection.clientId ? ` (client id ${connection.clientId})` : ''}`;
  return new RegistryPermissionError(
    `${who} may not ${doing} the container registry '${registryName}' (HTTP ${error.statusCode}${error.code ? ` ${error.code}` : ''}): its identity lacks ${action}. ` +
      `Give it the ${role} role on the registry (a new role assignment takes a few minutes to apply).`,
    operation,
    { cause: error },
  );
}
