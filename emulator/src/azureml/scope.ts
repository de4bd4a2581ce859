import type { EmulatorConfig } from '../context';
import { EmulatorHttpError } from '../http/router';

export const PROVIDER = 'Microsoft.MachineLearningServices';

/** The one workspace the emulator serves, and the identifiers derived from it. */
export class WorkspaceScope {
  /** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}` */
  readonly armId: string;
  /** `W` of docs/architecture.md: the ARM id without its leading slash, as data-plane URLs embed it. */
  readonly path: string;

  constructor(readonly config: EmulatorConfig) {
    this.armId = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/${PROVIDER}/workspaces/${config.workspaceName}`;
    this.path = this.armId.slice(1);
  }

  /** Stable workspace GUID (properties.workspaceId). */
  get workspaceId(): string {
    return this.config.workspaceId;
  }

  get name(): string {
    return this.config.workspaceName;
  }

  get location(): string {
    return this.config.location;
  }

  /** Production host of the workspace's region, as the service embeds it in azureml:// URIs. */
  get regionalHost(): string {
    return `${this.config.location}.api.azureml.ms`;
  }

  childId(collection: string, name: string): string {
    return `${this.armId}/${collection}/${name}`;
  }

  computeId(name: string): string {
    return this.childId('computes', name);
  }

  /** MLflow tracking URI as the service reports it (workspace property mlFlowTrackingUri). */
  get mlflowTrackingUri(): string {
    return `azureml://${this.regionalHost}/mlflow/v1.0/${this.path}`;
  }

  /** ml.azure.com link to a run, as services.Studio.endpoint carries it. */
  studioUrl(runId: string): string {
    const wsid = `/subscriptions/${this.config.subscriptionId}/resourcegroups/${this.config.resourceGroup}/workspaces/${this.config.workspaceName}`;
    return `https://ml.azure.com/runs/${encodeURIComponent(runId)}?wsid=${wsid}&tid=${this.config.tenantId}`;
  }

  /**
   * Checks the subscription, resource group and workspace of a request, answering as ARM does when one is unknown.
   * ARM resource names are case-insensitive.
   */
  assertWorkspace(params: Record<string, string>): void {
    this.assertResourceGroup(params);
    const ws = params['workspaceName'] ?? '';
    if (!sameName(ws, this.config.workspaceName)) {
      throw new EmulatorHttpError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/workspaces/${ws}' under resource group '${params['resourceGroupName']}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
  }

  assertResourceGroup(params: Record<string, string>): void {
    this.assertSubscription(params);
    const rg = params['resourceGroupName'] ?? '';
    if (!sameName(rg, this.config.resourceGroup)) {
      throw new EmulatorHttpError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
    }
  }

  assertSubscription(params: Record<string, string>): void {
    const sub = params['subscriptionId'] ?? '';
    if (!sameName(sub, this.config.subscriptionId)) {
      throw new EmulatorHttpError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    }
  }
}

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Route template prefix of everything under the workspace. */
export const WORKSPACE_ROUTE = `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${PROVIDER}/workspaces/:workspaceName`;
