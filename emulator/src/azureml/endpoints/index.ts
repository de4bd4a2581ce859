import type { Router } from '../../http/router';
import { registerOnlineDeploymentRoutes } from '../arm/onlineDeployments';
import { registerOnlineEndpointRoutes } from '../arm/onlineEndpoints';
import type { ModelStore } from '../models/store';
import type { Json } from '../resources';
import type { AzureMlService } from '../service';
import { ScoringGateway, type EntraTokenCheck } from '../serving/scoringGateway';
import { ServingDeploymentRuntime } from '../serving/servingRuntime';
import { OnlineEndpointManager } from './manager';
import { deploymentResource, endpointResource, ENDPOINT_API_VERSIONS } from './render';
import { isScoringRuntime, type DeploymentRuntime } from './runtime';

export interface OnlineEndpointsOptions {
  /**
   * What runs deployments (default: ServingDeploymentRuntime, which runs each deployment's scoring script in local
   * inference server processes; RecordingDeploymentRuntime runs nothing).
   */
  readonly runtime?: DeploymentRuntime;
  /** Checks Entra tokens presented to AADToken endpoints (without it, they accept none). */
  readonly verifyEntraToken?: EntraTokenCheck;
}

export interface OnlineEndpointsModule {
  readonly manager: OnlineEndpointManager;
  /** What answers at the endpoints' scoring URIs (the emulator's scoring server hands it every request). */
  readonly scoring: ScoringGateway;
  readonly inspect: {
    /** The endpoint as GET answers it in the newest API version served (with mirrorTraffic), or undefined. */
    onlineEndpoint(name: string): Json | undefined;
    /** Its deployments as GET answers them, oldest first; [] when the endpoint does not exist. */
    onlineDeployments(endpointName: string): Json[];
    /** Scoring requests each deployment answered (routed, mirrored, failed), by deployment name. */
    scoringRequests(endpointName: string): Record<string, { routed: number; mirrored: number; failed: number }>;
    /** Process ids of the inference servers running for an endpoint, by deployment name. */
    inferenceServerPids(endpointName: string): Record<string, number[]>;
  };
  stop(): Promise<void>;
}

/** Online endpoints and deployments of the workspace, their long-running operations, the runtime seam and the scoring front end. */
export function registerOnlineEndpoints(router: Router, svc: AzureMlService, models: ModelStore, options: OnlineEndpointsOptions = {}): OnlineEndpointsModule {
  const runtime = options.runtime ?? new ServingDeploymentRuntime(svc);
  const manager = new OnlineEndpointManager(svc, svc.operations, runtime);
  registerOnlineEndpointRoutes(router, svc, manager);
  registerOnlineDeploymentRoutes(router, svc, manager, models);
  svc.operations.registerRoutes(router);
  const scoring = new ScoringGateway(svc, manager, runtime, options.verifyEntraToken);
  const newest = ENDPOINT_API_VERSIONS[ENDPOINT_API_VERSIONS.length - 1]!;
  return {
    manager,
    scoring,
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
      scoringRequests: (endpointName) => scoring.requestCounts(endpointName),
      inferenceServerPids: (endpointName) => (isScoringRuntime(runtime) ? runtime.processIds(endpointName) : {}),
    },
    stop: () => manager.stop(),
  };
}
