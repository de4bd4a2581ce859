import type { EmulatorConfig } from '../context';
import { EmulatorHttpError } from '../http/router';

export const ACR_PROVIDER = 'Microsoft.ContainerRegistry';

/** The one container registry of the emulated world: the workspace's (its `containerRegistry` property). */
export class RegistryScope {
  readonly name: string;
  readonly resourceGroup: string;
  readonly subscriptionId: string;
  readonly id: string;
  readonly loginServer: string;
  /** Registries were "created" with the workspace, at a fixed time. */
  readonly createdAt = new Date(Date.UTC(2024, 0, 15, 9, 31)).toISOString();

  constructor(readonly config: EmulatorConfig) {
    // Azure ML names the registry it creates for a workspace after the workspace's id; the workspace resource of the
    // emulator reports this same id (tests/emulator/containerRegistry checks they agree).
    this.name = `cr${config.workspaceId.replace(/-/g, '').slice(0, 16)}`;
    this.resourceGroup = config.resourceGroup;
    this.subscriptionId = config.subscriptionId;
    this.id = `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/${ACR_PROVIDER}/registries/${this.name}`;
    this.loginServer = `${this.name}.azurecr.io`;
  }

  get location(): string {
    return this.config.location;
  }

  assertSubscription(params: Record<string, string>): void {
    const subscription = params['subscriptionId'] ?? '';
    if (subscription.toLowerCase() !== this.subscriptionId.toLowerCase()) {
      throw new EmulatorHttpError(404, 'SubscriptionNotFound', `The subscription '${subscription}' could not be found.`);
    }
  }

  assertResourceGroup(params: Record<string, string>): void {
    this.assertSubscription(params);
    const group = params['resourceGroupName'] ?? '';
    if (group.toLowerCase() !== this.resourceGroup.toLowerCase()) {
      throw new EmulatorHttpError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
    }
  }

  /** ARM's answer for any other registry name (names are case-insensitive). */
  assertRegistry(params: Record<string, string>): void {
    this.assertResourceGroup(params);
    const name = params['registryName'] ?? '';
    if (name.toLowerCase() !== this.name.toLowerCase()) {
      throw new EmulatorHttpError(
        404,
        'ResourceNotFound',
        `The Resource '${ACR_PROVIDER}/registries/${name}' under resource group '${params['resourceGroupName']}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
  }

  /** The registry as GET answers it (API 2025-11-01 shape). */
  resource(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      type: `${ACR_PROVIDER}/registries`,
      location: this.location,
      tags: {},
      sku: { name: 'Standard', tier: 'Standard' },
      systemData: {
        createdBy: 'azureml',
        createdByType: 'Application',
        createdAt: this.createdAt,
        lastModifiedBy: 'azureml',
        lastModifiedByType: 'Application',
        lastModifiedAt: this.createdAt,
      },
      properties: {
        loginServer: this.loginServer,
        creationDate: this.createdAt,
        provisioningState: 'Succeeded',
        adminUserEnabled: false,
        policies: {
          quarantinePolicy: { status: 'disabled' },
          trustPolicy: { type: 'Notary', status: 'disabled' },
          retentionPolicy: { days: 7, lastUpdatedTime: this.createdAt, status: 'disabled' },
          exportPolicy: { status: 'enabled' },
          azureADAuthenticationAsArmPolicy: { status: 'enabled' },
        },
        encryption: { status: 'disabled' },
        dataEndpointEnabled: false,
        dataEndpointHostNames: [],
        privateEndpointConnections: [],
        publicNetworkAccess: 'Enabled',
        networkRuleBypassOptions: 'AzureServices',
        zoneRedundancy: 'Disabled',
        anonymousPullEnabled: false,
        roleAssignmentMode: 'LegacyRegistryPermissions',
      },
    };
  }
}
