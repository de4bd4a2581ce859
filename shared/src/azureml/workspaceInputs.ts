/**
 * The resourceGroup and workspace inputs every Azure ML task has: checked offline, defaulted from a service connection
 * scoped to an Azure ML workspace, and refused when they name another workspace than such a connection can reach.
 */
import type { AzureRmConnection } from '../azure/connection';
import { InputError } from '../pipeline/errors';
import type { InputReader } from '../pipeline/inputs';

export interface WorkspaceInputs {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
}

export interface WorkspaceInputNames {
  readonly resourceGroup: string;
  readonly workspace: string;
}

/** ARM resource group names: letters, digits, '_', '-', '.', '(' and ')', at most 90, not ending with '.'. */
export const RESOURCE_GROUP_NAME = /^[-\p{L}\p{N}_.()]{0,89}[-\p{L}\p{N}_()]$/u;
/** Azure ML workspace names: 3 to 33 letters, digits, '-' and '_', starting with a letter or digit. */
export const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$/;

export function readWorkspaceInputs(
  inputs: InputReader,
  connection: AzureRmConnection,
  names: WorkspaceInputNames = { resourceGroup: 'resourceGroup', workspace: 'workspace' },
): WorkspaceInputs {
  const scope = connection.workspaceScope;
  const resourceGroup = inputs.optionalString(names.resourceGroup);
  const workspaceName = inputs.optionalString(names.workspace);
  if (resourceGroup !== undefined && !RESOURCE_GROUP_NAME.test(resourceGroup)) {
    throw new InputError(names.resourceGroup, `'${resourceGroup}' is not a valid resource group name`, "Use up to 90 letters, digits, '_', '-', '.', '(' and ')', not ending with '.'");
  }
  if (workspaceName !== undefined && !WORKSPACE_NAME.test(workspaceName)) {
    throw new InputError(
      names.workspace,
      `'${workspaceName}' is not a valid Azure ML workspace name`,
      "Use 3 to 33 letters, digits, '-' and '_', starting with a letter or digit (the name, not the id or URL)",
    );
  }
  // A connection scoped to a workspace can only reach that workspace: naming another one is a mistake to report now.
  if (scope) {
    if (resourceGroup !== undefined && resourceGroup.toLowerCase() !== scope.resourceGroup.toLowerCase()) {
      throw scopedConnectionMismatch(names.resourceGroup, resourceGroup, connection);
    }
    if (workspaceName !== undefined && workspaceName.toLowerCase() !== scope.workspaceName.toLowerCase()) {
      throw scopedConnectionMismatch(names.workspace, workspaceName, connection);
    }
  }
  const finalResourceGroup = resourceGroup ?? scope?.resourceGroup;
  const finalWorkspace = workspaceName ?? scope?.workspaceName;
  const fixMissing = (input: string): string =>
    `Set '${input}', or use a service connection scoped to the Azure ML workspace (its scope level 'Machine Learning Workspace')`;
  if (finalResourceGroup === undefined) throw new InputError(names.resourceGroup, 'a value is required', fixMissing(names.resourceGroup));
  if (finalWorkspace === undefined) throw new InputError(names.workspace, 'a value is required', fixMissing(names.workspace));
  return { subscriptionId: connection.subscriptionId, resourceGroup: finalResourceGroup, workspaceName: finalWorkspace };
}

function scopedConnectionMismatch(input: string, value: string, connection: AzureRmConnection): InputError {
  const scope = connection.workspaceScope!;
  return new InputError(
    input,
    `is '${value}', but the service connection '${connection.id}' is scoped to the Azure ML workspace '${scope.workspaceName}' in resource group '${scope.resourceGroup}' and can reach no other`,
    `Remove '${input}' to use the connection's workspace, or choose a connection scoped to the subscription`,
  );
}
