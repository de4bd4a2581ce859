/**
 * For mock-runner (L0) tests: a task's entry point reaches its workspace through shared's workspaceConnector, which
 * calls openWorkspace inside shared (where a module mock cannot reach). This adds a workspaceConnector to a mock of
 * '@azureml-mlops/shared' that goes through the mock's own openWorkspace, as the real one goes through the real one.
 */
interface OpenWorkspaceOptions {
  readonly connection: never;
  readonly resourceGroup?: string;
  readonly workspaceName?: string;
}

interface WorkspaceTarget {
  readonly connection: unknown;
  readonly workspace: { readonly resourceGroup: string; readonly workspaceName: string };
}

export function withFakeWorkspaceConnector<T extends { openWorkspace: (options: OpenWorkspaceOptions) => Promise<unknown> }>(sharedMock: T): T {
  return {
    ...sharedMock,
    workspaceConnector: (target: WorkspaceTarget) => () =>
      sharedMock.openWorkspace({ connection: target.connection as never, resourceGroup: target.workspace.resourceGroup, workspaceName: target.workspace.workspaceName }),
  };
}
