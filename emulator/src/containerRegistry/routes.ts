import { randomUUID } from 'node:crypto';
import { EmulatorHttpError, type Router } from '../http/router';
import type { ImageCatalog } from './catalog';
import { ACR_PROVIDER, type RegistryScope } from './registry';
import { readDockerBuildRequest, readImportRequest } from './requests';
import { splitImageName, type RunManager, type RunRecord } from './runs';
import type { TaskStorage } from './storage';

/** The api-version of registries (GET, list, importImage) that @azure/arm-containerregistry 11 sends, and a GA one before it. */
export const REGISTRY_API_VERSIONS = ['2025-11-01', '2023-07-01'] as const;
/** The api-version of ACR Tasks (scheduleRun, listBuildSourceUploadUrl, runs): the latest there is. */
export const TASKS_API_VERSIONS = ['2019-06-01-preview'] as const;

const REGISTRIES = { kind: 'arm', apiVersions: REGISTRY_API_VERSIONS } as const;
const TASKS = { kind: 'arm', apiVersions: TASKS_API_VERSIONS } as const;
const REGISTRY_ROUTE = `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${ACR_PROVIDER}/registries/:registryName`;

export interface RouteDependencies {
  readonly registry: RegistryScope;
  readonly runs: RunManager;
  readonly storage: TaskStorage;
  readonly catalog: ImageCatalog;
  readonly baseUrl: string;
}

export function registerRoutes(router: Router, deps: RouteDependencies): void {
  const { registry, runs, storage, catalog } = deps;

  router.add('GET', `/subscriptions/:subscriptionId/providers/${ACR_PROVIDER}/registries`, REGISTRIES, (req) => {
    registry.assertSubscription(req.params);
    return { status: 200, body: { value: [registry.resource()] } };
  });

  router.add('GET', `/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${ACR_PROVIDER}/registries`, REGISTRIES, (req) => {
    registry.assertResourceGroup(req.params);
    return { status: 200, body: { value: [registry.resource()] } };
  });

  router.add('GET', REGISTRY_ROUTE, REGISTRIES, (req) => {
    registry.assertRegistry(req.params);
    return { status: 200, body: registry.resource() };
  });

  router.add('POST', `${REGISTRY_ROUTE}/listBuildSourceUploadUrl`, TASKS, async (req) => {
    registry.assertRegistry(req.params);
    return { status: 200, body: await storage.newSourceUpload() };
  });

  // ACR answers 200 with the queued run: the SDK's poller is done after the first answer.
  router.add('POST', `${REGISTRY_ROUTE}/scheduleRun`, TASKS, async (req) => {
    registry.assertRegistry(req.params);
    const run = await runs.schedule(readDockerBuildRequest(req.json()));
    return { status: 200, body: runs.resource(run) };
  });

  router.add('GET', `${REGISTRY_ROUTE}/runs`, TASKS, (req) => {
    registry.assertRegistry(req.params);
    const filter = parseRunFilter(req.query.get('$filter'));
    const top = req.query.get('$top');
    let found = runs.list().filter(filter);
    if (top !== null) {
      const count = Number(top);
      if (!Number.isInteger(count) || count < 1) throw new EmulatorHttpError(400, 'InvalidParameter', `$top '${top}' must be a positive whole number.`);
      found = found.slice(0, count);
    }
    return { status: 200, body: { value: found.map((run) => runs.resource(run)) } };
  });

  router.add('GET', `${REGISTRY_ROUTE}/runs/:runId`, TASKS, (req) => {
    registry.assertRegistry(req.params);
    return { status: 200, body: runs.resource(requireRun(runs, req.params['runId']!)) };
  });

  router.add('POST', `${REGISTRY_ROUTE}/runs/:runId/listLogSasUrl`, TASKS, (req) => {
    registry.assertRegistry(req.params);
    const run = requireRun(runs, req.params['runId']!);
    return { status: 200, body: { logLink: storage.logUrl(run.runId), logArtifactLink: null } };
  });

  // Cancelling takes effect at once: 200 (the SDK's poller is done); a finished run is left as it is.
  router.add('POST', `${REGISTRY_ROUTE}/runs/:runId/cancel`, TASKS, (req) => {
    registry.assertRegistry(req.params);
    const run = requireRun(runs, req.params['runId']!);
    runs.cancel(run.runId);
    return { status: 200 };
  });

  // Import within the registry (how a tag is added to an image without building it again): 202 with a Location that
  // answers 200 once done, as ARM's asynchronous POST pattern.
  router.add('POST', `${REGISTRY_ROUTE}/importImage`, REGISTRIES, (req) => {
    registry.assertRegistry(req.params);
    const request = readImportRequest(req.json());
    const sameRegistry =
      (request.resourceId !== undefined && request.resourceId.toLowerCase() === registry.id.toLowerCase()) ||
      (request.registryUri !== undefined && request.registryUri.replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase() === registry.loginServer);
    if (!sameRegistry) {
      throw new EmulatorHttpError(400, 'InvalidParameter', `The Azure Container Registry emulator imports only within the registry '${registry.name}': set source.resourceId to its id.`);
    }
    const [repository, reference] = splitReference(request.sourceImage);
    const digest = catalog.resolve(repository, reference);
    if (!digest) {
      throw new EmulatorHttpError(404, 'NotFound', `The source image '${request.sourceImage}' was not found in registry '${registry.name}'.`);
    }
    const targets = (request.targetTags.length > 0 ? request.targetTags : [request.sourceImage.includes('@') ? `${repository}:latest` : request.sourceImage]).map(splitImageName);
    for (const target of targets) {
      const elsewhere = catalog.tagElsewhere(target.repository, target.tag, digest);
      if (elsewhere && !request.force) {
        throw new EmulatorHttpError(409, 'Conflict', `The tag '${target.repository}:${target.tag}' already exists and points at ${elsewhere}: import with mode Force to move it.`);
      }
    }
    for (const target of targets) catalog.push(target.repository, digest, [target.tag], undefined);
    const operationId = randomUUID();
    const apiVersion = req.query.get('api-version') ?? REGISTRY_API_VERSIONS[0];
    return {
      status: 202,
      headers: {
        Location: `${deps.baseUrl.replace(/\/+$/, '')}/subscriptions/${registry.subscriptionId}/providers/${ACR_PROVIDER}/locations/${registry.location}/operationResults/${operationId}?api-version=${apiVersion}`,
      },
    };
  });

  router.add('GET', `/subscriptions/:subscriptionId/providers/${ACR_PROVIDER}/locations/:location/operationResults/:operationId`, REGISTRIES, (req) => {
    registry.assertSubscription(req.params);
    return { status: 200 };
  });
}

function requireRun(runs: RunManager, runId: string): RunRecord {
  const run = runs.get(runId);
  if (!run) throw new EmulatorHttpError(404, 'ResourceNotFound', `The run '${runId}' was not found in the registry.`);
  return run;
}

/** `repo:tag` or `repo@sha256:...`. */
function splitReference(image: string): [string, string] {
  const at = image.indexOf('@');
  if (at > 0) return [image.slice(0, at), image.slice(at + 1)];
  const { repository, tag } = splitImageName(image);
  return [repository, tag];
}

/**
 * The runs list's `$filter`: clauses `<field> eq '<value>'` joined by `and`, for the fields `az acr task list-runs`
 * filters on (RunId, Status, OutputImageManifests as `repo:tag`).
 */
function parseRunFilter(filter: string | null): (run: RunRecord) => boolean {
  if (!filter || filter.trim() === '') return () => true;
  const tests = filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(\w+)\s+eq\s+'([^']*)'\s*$/i.exec(clause);
    if (!match) throw new EmulatorHttpError(400, 'InvalidParameter', `The filter clause '${clause.trim()}' is not supported: use <field> eq '<value>' joined by 'and'.`);
    const field = match[1]!.toLowerCase();
    const value = match[2]!;
    switch (field) {
      case 'runid':
        return (run: RunRecord) => run.runId === value;
      case 'status':
        return (run: RunRecord) => run.status.toLowerCase() === value.toLowerCase();
      case 'outputimagemanifests': {
        const wanted = splitImageName(value);
        return (run: RunRecord) => run.outputImages.some((image) => image.repository === wanted.repository && image.tag === wanted.tag);
      }
      default:
        throw new EmulatorHttpError(400, 'InvalidParameter', `The filter field '${match[1]}' is not supported by the emulator: use RunId, Status or OutputImageManifests.`);
    }
  });
  return (run) => tests.every((test) => test(run));
}
