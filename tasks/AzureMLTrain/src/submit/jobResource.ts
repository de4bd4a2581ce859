/** The parts of an Azure ML job resource (API 2022-10-01) the task reads, and what it derives from them. */
import type { WorkspaceClient } from '@azureml-mlops/shared';

export interface JobResource {
  readonly id?: string;
  readonly name?: string;
  readonly properties?: {
    readonly jobType?: string;
    readonly status?: string;
    readonly experimentName?: string;
    readonly displayName?: string | null;
    readonly properties?: Readonly<Record<string, string>> | null;
    readonly services?: Readonly<Record<string, { readonly endpoint?: string | null } | null>> | null;
  };
}

/**
 * The job's page in Azure ML studio: the Studio service endpoint the service reports, else the link the studio
 * itself uses (`https://ml.azure.com/runs/<name>?wsid=<workspace ARM id>&tid=<tenant>`).
 */
export function studioUrl(job: JobResource, name: string, workspace: WorkspaceClient): string {
  const endpoint = job.properties?.services?.['Studio']?.endpoint;
  if (endpoint && /^https:\/\//i.test(endpoint)) return endpoint;
  const query = new URLSearchParams({ wsid: workspace.workspaceArmPath, tid: workspace.connection.tenantId });
  return `https://ml.azure.com/runs/${encodeURIComponent(name)}?${query.toString()}`;
}

/** The job's status as reported, or 'Unknown' when the resource has none. */
export function statusOf(job: JobResource | undefined): string {
  return job?.properties?.status || 'Unknown';
}
