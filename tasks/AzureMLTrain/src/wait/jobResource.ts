import type { JobResource, MlflowClient, RunHistoryClient, WorkspaceClient } from '@azureml-mlops/shared';

export { getJob, isPipelineJob, jobArmPath, type JobResource } from '@azureml-mlops/shared';

/** What of a WorkspaceClient the wait uses (a WorkspaceClient is one; tests pass a fake). */
export type JobWorkspace = Pick<WorkspaceClient, 'armRequest' | 'workspaceArmPath' | 'resourceGroup' | 'workspaceName'> & {
  readonly mlflow: Pick<MlflowClient, 'getRun' | 'searchRuns'>;
  readonly runHistory: Pick<RunHistoryClient, 'getRunDetails' | 'readLogFile'>;
};

/** The job's page in Azure ML studio as the service links it; undefined when the service gave none. */
export function studioUrlOf(job: JobResource | undefined): string | undefined {
  const endpoint = job?.properties?.services?.['Studio']?.endpoint;
  return typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined;
}

/** How a user finds the job again: its studio page, else the az ml command. */
export function whereToFindJob(workspace: JobWorkspace, jobName: string, studioUrl: string | undefined): string {
  const cli = `az ml job show --name ${jobName} --resource-group ${workspace.resourceGroup} --workspace-name ${workspace.workspaceName}`;
  return studioUrl ? `${studioUrl} (or \`${cli}\`)` : `\`${cli}\``;
}

export function cancelCommand(workspace: JobWorkspace, jobName: string): string {
  return `az ml job cancel --name ${jobName} --resource-group ${workspace.resourceGroup} --workspace-name ${workspace.workspaceName}`;
}
