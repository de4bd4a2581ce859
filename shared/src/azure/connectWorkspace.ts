/**
 * What every task's entry point does to reach its workspace: a credential from the service connection, with the
 * extension's HTTP settings (retries, user agent, the agent's proxy), then the workspace the inputs name.
 */
import type { WorkspaceInputNames, WorkspaceInputs } from '../azureml/workspaceInputs';
import type { AzureRmConnection } from './connection';
import { createCredential } from './credential';
import { type AzureHttpOptions, createAzureHttpOptions } from './httpPolicies';
import { openWorkspace, type WorkspaceClient } from './workspace';

export interface WorkspaceTarget {
  readonly connection: AzureRmConnection;
  readonly workspace: WorkspaceInputs;
}

/** A `connectWorkspace(abortSignal)` client for `run()`: the task's tests inject another. */
export function workspaceConnector(
  target: WorkspaceTarget,
  inputNames: WorkspaceInputNames,
  httpOptions: AzureHttpOptions = createAzureHttpOptions(),
): (abortSignal: AbortSignal) => Promise<WorkspaceClient> {
  return (abortSignal) =>
    openWorkspace({
      connection: target.connection,
      credential: createCredential(target.connection, { httpOptions }),
      httpOptions,
      resourceGroup: target.workspace.resourceGroup,
      workspaceName: target.workspace.workspaceName,
      inputNames,
      abortSignal,
    });
}
