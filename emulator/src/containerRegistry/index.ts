import type { EmulatorInspector } from '../api';
import type { EmulatorContext } from '../context';
import type { Router } from '../http/router';
import { ImageCatalog } from './catalog';
import { RegistryScope } from './registry';
import { registerRoutes } from './routes';
import { RunManager } from './runs';
import { TaskStorage } from './storage';

export { REGISTRY_API_VERSIONS, TASKS_API_VERSIONS } from './routes';

/** What the container registry module gives back to the emulator assembly. */
export interface ContainerRegistryModule {
  readonly inspect: Pick<EmulatorInspector, 'containerRegistry' | 'containerRegistryRuns' | 'containerRegistryRunLog' | 'containerImages'>;
  stop(): void;
}

/**
 * Azure Container Registry (`Microsoft.ContainerRegistry`) as the tasks use it through ARM: the workspace's registry
 * (GET, list, importImage within the registry) and ACR Tasks quick builds (listBuildSourceUploadUrl, scheduleRun with
 * a DockerBuildRequest, runs get/list/cancel/listLogSasUrl). Builds check the context and record a digest; they build
 * no image (see runs.ts).
 */
export function registerContainerRegistry(router: Router, ctx: EmulatorContext): ContainerRegistryModule {
  const registry = new RegistryScope(ctx.config);
  const storage = new TaskStorage(ctx.storage);
  const catalog = new ImageCatalog();
  const runs = new RunManager(registry, storage, catalog, ctx.config.jobStepDelayMs, ctx.debug);
  registerRoutes(router, { registry, runs, storage, catalog, baseUrl: ctx.baseUrl });
  return {
    inspect: {
      containerRegistry: () => ({ id: registry.id, name: registry.name, loginServer: registry.loginServer }),
      containerRegistryRuns: () =>
        runs.list().map((run) => ({
          ...runs.resource(run),
          request: {
            ...run.request,
            arguments: run.request.arguments.map((a) => ({ ...a, value: a.isSecret ? '***' : a.value })),
          },
        })),
      containerRegistryRunLog: (runId) => runs.readLog(runId),
      containerImages: (repository) => catalog.manifests(repository),
    },
    stop: () => runs.stop(),
  };
}
