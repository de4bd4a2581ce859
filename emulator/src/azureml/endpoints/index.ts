import type { Router } from '../../http/router';
import { registerOnlineDeploymentRoutes } from '../arm/onlineDeployments';
import { registerOnlineEndpointRoutes } from '../arm/onlineEndpoints';
import { LongRunningOperations } from '../lro';
import type { ModelStore } from '../models/store';
import type { Json } from '../resources';
import type { AzureMlService } from '../service';
import { OnlineEndpointManager } from './manager';
import { deploymentResource, endpointResource, ENDPOINT_API_VERSIONS } from './render';
import { RecordingDeploymentRuntime, type DeploymentRuntime } from './runtime';

export interface OnlineEndpointsOptions {
  /** What runs deployments (default: RecordingDeploymentRuntime, which runs nothing and becomes Healthy after jobStepDelayMs). */
  readonly runtime?: DeploymentRuntime;
}

export interface OnlineEndpointsModule {
  readonly manager: OnlineEndpointManager;
  readonly inspect: {
    /** The endpoint as GET answers it in the newest API version served (with mirrorTraffic), or undefined. */
    onlineEndpoint(name: string): Json | undefined;
    /** Its deployments as GET answers them, oldest first; [] when the endpoint does not exist. */
    onlineDeployments(endpointName: string): Json[];
  };
  stop(): Promise<void>;
}

/** Online endpoints and deployments of the workspace, their long-running operations, and the runtime seam. */
export function registerOnlineEndpoints(router: Router, svc: AzureMlService, models: ModelStore, options: OnlineEndpointsOptions = {}): OnlineEndpointsModule {
  const operations = new LongRunningOperations(svc);
  const manager = new OnlineEndpointManager(svc, operations, options.runtime ?? new RecordingDeploymentRuntime(svc.ctx.config.jobStepDelayMs));
  registerOnlineEndpointRoutes(router, svc, manager);
  registerOnlineDeploymentRoutes(router, svc, manager, models);
  operations.registerRoutes(router, ENDPOINT_API_VERSIONS);
  const newest = ENDPOINT_API_VERSIONS[ENDPOINT_API_VERSIONS.length - 1]!;
  return {
    manager,
    inspect: {
      onlineEndpoint: (name) => {
        const endpoint = manager.find(name);
        return endpoint ? structuredClone(endpointResource(svc, endpoint, newest)) : undefined;
      },
      onlineDeployments: (endpointName) => {
        const endpoint = manager.find(endpointName);
        if (!endpoint) return [];
        return [...endpoint.deployments.values()]
          .sort((a, b) => a.systemData.createdAt.localeCompare(b.systemData.createdAt))
          .map((d) => structuredClone(deploymentResource(svc, endpoint, d)));
      },
    },
    stop: () => manager.stop(),
  };
}
