import { randomUUID } from 'node:crypto';
import type { DevOpsContext } from '../api';
import { signJwt } from '../identity/jwt';
import type { SigningKey } from '../identity/signingKey';

export const ORGANIZATION_NAME = 'mlops-org';
export const PROJECT_NAME = 'mlops';
/** Name of the AzureRM workload identity service connection in the emulated project. */
export const FEDERATED_CONNECTION_NAME = 'azureml-workload-identity';

/**
 * The emulated Azure DevOps organization: one project, one running job (the plan and job a task runs in), its
 * System.AccessToken, and the service connections registered through `connectionEnv`.
 */
export class DevOpsOrganization {
  readonly organizationId = randomUUID();
  readonly projectId = randomUUID();
  readonly planId = randomUUID();
  readonly jobId = randomUUID();
  readonly hostType = 'build' as const;
  /** Workload identity connections by id: what the OIDC endpoint will mint tokens for. */
  private readonly federatedConnections = new Map<string, string>();
  /** System.AccessToken: a JWT like the agent's (so azure-devops-node-api's getHandlerFromToken picks a bearer handler). */
  readonly accessToken: string;

  constructor(
    /** Emulator URL with trailing slash. */
    private readonly baseUrl: string,
    readonly signingKey: SigningKey,
  ) {
    const now = Math.floor(Date.now() / 1000);
    this.accessToken = signJwt(
      { nameid: randomUUID(), scp: 'app_token', aui: randomUUID(), sid: this.jobId, iss: 'app.vstoken.visualstudio.com', aud: `app.vstoken.visualstudio.com|vso:${this.organizationId}`, nbf: now, exp: now + 48 * 3600 },
      signingKey,
    );
  }

  /** Azure DevOps' OIDC issuer for service connections of this organization. */
  get issuer(): string {
    return `https://vstoken.dev.azure.com/${this.organizationId}`;
  }

  /** Subject of the workload identity connection's tokens: sc://<org>/<project>/<connection name>. */
  get federatedSubject(): string {
    return `sc://${ORGANIZATION_NAME}/${PROJECT_NAME}/${FEDERATED_CONNECTION_NAME}`;
  }

  get collectionUri(): string {
    return `${this.baseUrl}devops/${ORGANIZATION_NAME}/`;
  }

  /** System.OidcRequestUri as the agent sets it for the running job. */
  get oidcRequestUri(): string {
    return `${this.collectionUri}${this.projectId}/_apis/distributedtask/hubs/${this.hostType}/plans/${this.planId}/jobs/${this.jobId}/oidctoken`;
  }

  get context(): DevOpsContext {
    return {
      collectionUri: this.collectionUri,
      projectId: this.projectId,
      projectName: PROJECT_NAME,
      planId: this.planId,
      jobId: this.jobId,
      hostType: this.hostType,
      accessToken: this.accessToken,
    };
  }

  registerFederatedConnection(connectionId: string): void {
    this.federatedConnections.set(connectionId.toLowerCase(), FEDERATED_CONNECTION_NAME);
  }

  federatedConnectionName(connectionId: string): string | undefined {
    return this.federatedConnections.get(connectionId.toLowerCase());
  }
}
