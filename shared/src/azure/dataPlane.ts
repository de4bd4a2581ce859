import { TaskError } from '../pipeline/errors';
import { debug } from '../pipeline/logging';
import { sendJsonRequest, SendRequest } from './rest';

/** Regional Azure ML service hosts from the workspace's discovery document (no trailing slash). */
export interface ServiceEndpoints {
  readonly api?: string;
  readonly history: string;
  readonly experimentation?: string;
  readonly modelmanagement?: string;
  readonly [service: string]: string | undefined;
}

/**
 * The workspace's data-plane hosts, read once from `workspace.properties.discoveryUrl` (anonymous GET, as the
 * Azure ML SDKs do) and cached for the life of the client.
 */
export class DataPlaneDiscovery {
  private cached?: Promise<ServiceEndpoints>;

  constructor(
    private readonly discoveryUrl: string | undefined,
    private readonly sendAnonymous: SendRequest,
    private readonly workspaceLabel: string,
  ) {}

  endpoints(abortSignal?: AbortSignal): Promise<ServiceEndpoints> {
    if (!this.cached) {
      this.cached = this.discover(abortSignal);
      // A failed discovery is not cached: the next caller tries again.
      this.cached.catch(() => (this.cached = undefined));
    }
    return this.cached;
  }

  private async discover(abortSignal?: AbortSignal): Promise<ServiceEndpoints> {
    if (!this.discoveryUrl) {
      throw new TaskError(`The Azure ML workspace ${this.workspaceLabel} reports no discovery URL, so its data plane (runs, metrics, logs) cannot be reached.`);
    }
    const response = await sendJsonRequest<Record<string, unknown>>(this.sendAnonymous, 'GET', this.discoveryUrl, { abortSignal });
    const endpoints: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.body ?? {})) {
      if (typeof value === 'string' && /^https?:\/\//i.test(value)) endpoints[name] = value.replace(/\/+$/, '');
    }
    if (!endpoints.history) {
      throw new TaskError(`The discovery document of the Azure ML workspace ${this.workspaceLabel} has no 'history' service URL.`);
    }
    debug(`Azure ML data plane: history ${endpoints.history}`);
    return endpoints as ServiceEndpoints;
  }
}

/** `subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}` (no leading slash). */
export function workspaceScopePath(subscriptionId: string, resourceGroup: string, workspaceName: string): string {
  return (
    `subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${encodeURIComponent(workspaceName)}`
  );
}
