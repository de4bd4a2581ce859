import type { Router } from '../http/router';
import type { EmulatorContext } from '../context';
import type { EmulatorInspector } from '../api';
import { registerAssetRoutes } from './arm/assets';
import { registerJobRoutes } from './arm/jobs';
import { modelVersionResource, registerModelRoutes } from './arm/models';
import { registerWorkspaceRoutes } from './arm/workspace';
import { registerDiscoveryRoute } from './dataplane/discovery';
import { registerHistoryRoutes } from './dataplane/history';
import { registerMlflowRoutes } from './dataplane/mlflow';
import { registerOnlineEndpoints } from './endpoints';
import type { EntraTokenCheck, ScoringGateway } from './serving/scoringGateway';
import { JobManager } from './jobs/manager';
import { ModelStore } from './models/store';
import { AzureMlService } from './service';
import { latestMetrics } from './tracking';

/** What the Azure ML module gives back to the emulator assembly. */
export interface AzureMlModule {
  readonly inspect: Pick<
    EmulatorInspector,
    'job' | 'jobNames' | 'metrics' | 'modelVersions' | 'onlineEndpoint' | 'onlineDeployments' | 'scoringRequests' | 'inferenceServerPids'
  >;
  /** The online endpoints' front end: the scoring server hands it every request to a scoring host. */
  readonly scoring: ScoringGateway;
  stop(): Promise<void>;
}

export interface AzureMlOptions {
  /** Checks Entra tokens presented at the scoring URI of AADToken endpoints. */
  readonly verifyEntraToken?: EntraTokenCheck;
}

/**
 * The Azure Machine Learning service of the emulator: the ARM API 2022-10-01 of one workspace (workspace, computes,
 * datastores, code/environment/data/component assets, jobs that really run locally, models, online endpoints and
 * deployments) and its data plane (discovery, MLflow tracking, run history). Everything is in memory except logs and
 * outputs, which go to storage.
 */
export function registerAzureMl(router: Router, ctx: EmulatorContext, options: AzureMlOptions = {}): AzureMlModule {
  const svc = new AzureMlService(ctx);
  const jobs = new JobManager(svc);
  const models = new ModelStore();
  registerWorkspaceRoutes(router, svc);
  registerAssetRoutes(router, svc);
  registerJobRoutes(router, svc, jobs);
  registerModelRoutes(router, svc, models);
  const endpoints = registerOnlineEndpoints(router, svc, models, { ...(options.verifyEntraToken ? { verifyEntraToken: options.verifyEntraToken } : {}) });
  registerDiscoveryRoute(router, svc);
  registerMlflowRoutes(router, svc);
  registerHistoryRoutes(router, svc);
  return {
    scoring: endpoints.scoring,
    inspect: {
      job: (name) => {
        const job = svc.jobs.get(name);
        return job ? jobs.resource(job) : undefined;
      },
      jobNames: () => [...svc.jobs.keys()],
      metrics: (runId) => {
        const run = svc.tracking.run(runId);
        return run ? Object.fromEntries(latestMetrics(run).map((m) => [m.key, m.value])) : {};
      },
      modelVersions: (name) => {
        const container = models.container(name);
        return container ? [...container.versions.values()].sort((a, b) => a.seq - b.seq).map((v) => structuredClone(modelVersionResource(svc, v))) : [];
      },
      onlineEndpoint: (name) => endpoints.inspect.onlineEndpoint(name),
      onlineDeployments: (endpointName) => endpoints.inspect.onlineDeployments(endpointName),
      scoringRequests: (endpointName) => endpoints.inspect.scoringRequests(endpointName),
      inferenceServerPids: (endpointName) => endpoints.inspect.inferenceServerPids(endpointName),
    },
    stop: async () => {
      await Promise.all([jobs.stop(), endpoints.stop()]);
    },
  };
}
