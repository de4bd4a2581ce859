import type { MlflowClient, RunHistoryClient, WorkspaceClient } from '@azureml-mlops/shared';

/** What of a WorkspaceClient the wait uses (a WorkspaceClient is one; tests pass a fake). */
export type JobWorkspace = Pick<WorkspaceClient, 'armRequest' | 'workspaceArmPath' | 'resourceGroup' | 'workspaceName'> & {
  readonly mlflow: Pick<MlflowClient, 'getRun' | 'searchRuns'>;
  readonly runHistory: Pick<RunHistoryClient, 'getRunDetails' | 'readLogFile'>;
};

/** The fields of an Azure ML job resource (2022-10-01 JobBase) the wait reads. */
export interface JobResource {
  readonly name?: string;
  readonly properties?: {
    readonly jobType?: string;
    readonly status?: string;
    readonly displayName?: string | null;
    readonly services?: Readonly<Record<string, { readonly endpoint?: string | null } | null>> | null;
    readonly outputs?: Readonly<Record<string, { readonly uri?: string | null; readonly jobOutputType?: string } | null>> | null;
  };
}

export function jobPath(workspace: JobWorkspace, jobName: string): string {
  return `${workspace.workspaceArmPath}/jobs/${encodeURIComponent(jobName)}`;
}

export async function getJob(workspace: JobWorkspace, jobName: string, abortSignal?: AbortSignal): Promise<JobResource> {
  const response = await workspace.armRequest<JobResource>('GET', jobPath(workspace, jobName), undefined, { abortSignal });
  return response.body ?? {};
}

export function isPipelineJob(job: JobResource): boolean {
  return (job.properties?.jobType ?? '').toLowerCase() === 'pipeline';
}

/** The job's page in Azure ML studio, as the service links it. */
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
