/**
 * An offline stand-in for what the BuildImage task reaches: the workspace (models, environment versions with the
 * service's rules), its datastores, the ACR management client (registries, quick builds, runs, import) and the blob
 * upload of the context. Every call is written to a JSON file, so the mocha side can assert what the task did (and did
 * not do) on the "Azure side".
 */
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { type BuildImageScenario, DIGEST, FAKE_REGISTRY, type FakeRegistry, type FakeResource, registryId, SAS_SIGNATURE, WORKSPACE_ARM_PATH } from './scenario';
import { fakeWorkspaceClient, NO_HEADERS } from '../../support/fakeWorkspaceClient';
import { JsonRecorder } from '../../support/jsonRecorder';

export interface FakeRecord {
  /** Workspace ARM calls: method, path relative to the workspace (no query), status, body. */
  arm: Array<{ method: string; path: string; status: number; body?: unknown }>;
  /** ACR management calls: operation, the client's subscription, the registry, the request. */
  acr: Array<{ operation: string; subscriptionId: string; registry?: string; body?: unknown }>;
  /** Uploaded contexts: the archive's entries and, when there is one at the root, the Dockerfile. */
  uploads: Array<{ url: string; entries: string[]; dockerfile?: string; files: Record<string, string> }>;
}

export class Recorder extends JsonRecorder<FakeRecord> {
  constructor(file: string) {
    super(file, { arm: [], acr: [], uploads: [] });
  }
}

type MakeRestError = (status: number, code: string, message: string) => Error;

/** The ACR run of the scenario: statuses one read after the other, a log line added with each. */
class FakeRun {
  private reads = 0;
  log = '';
  cancelled = false;

  constructor(
    readonly runId: string,
    readonly imageNames: readonly string[],
    private readonly behaviour: NonNullable<BuildImageScenario['run']>,
    private readonly loginServer: string,
  ) {}

  read(): { runId: string; status: string; outputImages: unknown[]; runErrorMessage?: string } {
    const index = Math.min(this.reads, this.behaviour.statuses.length - 1);
    this.reads += 1;
    const line = this.behaviour.log?.[index];
    if (line !== undefined && !this.log.includes(`${line}\n`)) this.log += `${line}\n`;
    const status = this.cancelled ? 'Canceled' : this.behaviour.statuses[index]!;
    const outputImages =
      status === 'Succeeded'
        ? this.imageNames.map((name) => ({ registry: this.loginServer, repository: name.slice(0, name.lastIndexOf(':')), tag: name.slice(name.lastIndexOf(':') + 1), digest: DIGEST }))
        : [];
    return { runId: this.runId, status, outputImages, ...(status === 'Failed' ? { runErrorMessage: 'failed during run, err: exit status 1' } : {}) };
  }
}

export function createFakes(scenario: BuildImageScenario, recorder: Recorder, makeRestError: MakeRestError) {
  const store = new Map<string, FakeResource>(Object.entries(scenario.resources ?? {}));
  const registries = scenario.registries ?? [FAKE_REGISTRY];
  const runs = new Map<string, FakeRun>();
  let conflictsLeft = scenario.conflictingPuts ?? 0;
  let clock = Date.parse('2025-01-01T00:00:00Z');

  async function armRequest(method: string, armPath: string, body?: unknown, options: { allowedStatuses?: readonly number[] } = {}) {
    const [withoutQuery] = armPath.split('?') as [string];
    if (!withoutQuery.toLowerCase().startsWith(WORKSPACE_ARM_PATH.toLowerCase())) throw new Error(`The fake workspace got a request outside the workspace: ${withoutQuery}`);
    const relative = decodeURIComponent(withoutQuery.slice(WORKSPACE_ARM_PATH.length).replace(/^\/+/, ''));
    const answer = (status: number, responseBody?: unknown) => {
      recorder.record.arm.push({ method, path: relative, status, ...(body !== undefined ? { body } : {}) });
      recorder.save();
      if (status >= 400 && !(options.allowedStatuses ?? []).includes(status)) throw makeRestError(status, status === 404 ? 'ResourceNotFound' : 'UserError', `The fake answered ${status} for '${relative}'.`);
      return { status, headers: NO_HEADERS, body: responseBody };
    };
    const resource = (key: string, value: FakeResource) => ({ id: `${WORKSPACE_ARM_PATH}/${key}`, ...value });
    const versionsOf = (kind: string, name: string) => [...store.entries()].filter(([key]) => key.startsWith(`${kind}/${name}/versions/`));

    if (method === 'GET') {
      const list = /^(models|environments)\/([^/]+)\/versions$/.exec(relative);
      if (list) return answer(200, { value: versionsOf(list[1]!, list[2]!).map(([key, v]) => resource(key, { ...v, name: key.split('/').pop()! })) });
      const container = /^(models|environments)\/([^/]+)$/.exec(relative);
      if (container) {
        const versions = versionsOf(container[1]!, container[2]!);
        if (versions.length === 0) return answer(404);
        const numbers = versions.map(([key]) => Number(key.split('/').pop())).filter(Number.isFinite);
        return answer(200, resource(relative, { name: container[2]!, properties: { nextVersion: String(Math.max(0, ...numbers) + 1) } }));
      }
      const found = store.get(relative);
      return found ? answer(200, resource(relative, { ...found, name: relative.split('/').pop()! })) : answer(404);
    }
    if (method === 'PUT' && /^environments\/[^/]+\/versions\/[^/]+$/.test(relative)) {
      const given = ((body as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
      if (conflictsLeft > 0 && !store.has(relative)) {
        conflictsLeft -= 1;
        store.set(relative, { properties: { image: 'someone.azurecr.io/else@sha256:0000' }, systemData: { createdAt: new Date(clock++).toISOString() } });
        return answer(409);
      }
      const existing = store.get(relative);
      if (existing) return answer(409);
      const created: FakeResource = { properties: given, systemData: { createdAt: new Date(clock++).toISOString() } };
      store.set(relative, created);
      return answer(201, resource(relative, { ...created, name: relative.split('/').pop()! }));
    }
    return answer(405);
  }

  const blobs = new Map<string, string>(Object.entries(scenario.blobs ?? {}));
  const containerFor = (datastore: string) => ({
    listBlobsFlat: (options: { prefix?: string } = {}) =>
      (async function* () {
        for (const name of [...blobs.keys()].sort()) {
          if (!name.startsWith(`${datastore}/`)) continue;
          const inside = name.slice(datastore.length + 1);
          if (inside.startsWith(options.prefix ?? '')) yield { name: inside };
        }
      })(),
    getBlobClient: (name: string) => ({
      exists: async () => blobs.has(`${datastore}/${name}`),
      downloadToFile: async (target: string) => fs.writeFileSync(target, blobs.get(`${datastore}/${name}`) ?? ''),
    }),
  });

  const workspaceRegistry = scenario.workspaceRegistry === undefined ? registryId(FAKE_REGISTRY) : scenario.workspaceRegistry;

  /** The ACR management client (@azure/arm-containerregistry) of one subscription. */
  class FakeContainerRegistryManagementClient {
    readonly pipeline = { removePolicy: () => undefined, addPolicy: () => undefined };

    constructor(
      _credential: unknown,
      readonly subscriptionId: string,
    ) {}

    find(resourceGroup: string, name: string): FakeRegistry | undefined {
      return registries.find((r) => r.subscriptionId === this.subscriptionId && r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase() && r.name.toLowerCase() === name.toLowerCase());
    }

    call(operation: string, registry?: string, body?: unknown): void {
      recorder.record.acr.push({ operation, subscriptionId: this.subscriptionId, ...(registry ? { registry } : {}), ...(body !== undefined ? { body } : {}) });
      recorder.save();
      if (scenario.denied?.includes(operation)) {
        // As ARM words it; the task must not pass this on as it is.
        throw makeRestError(
          403,
          'AuthorizationFailed',
          `The client 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' with object id '0000' does not have authorization to perform action 'Microsoft.ContainerRegistry/...' over scope '/subscriptions/${this.subscriptionId}/resourceGroups/x/providers/Microsoft.ContainerRegistry/registries/${registry}' or the scope is invalid.`,
        );
      }
    }

    registryResource(r: FakeRegistry) {
      return { id: registryId(r), name: r.name, loginServer: `${r.name}.azurecr.io` };
    }

    readonly registries = {
      get: async (resourceGroup: string, name: string) => {
        this.call('registries.get', name);
        const found = this.find(resourceGroup, name);
        if (!found) throw makeRestError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerRegistry/registries/${name}' under resource group '${resourceGroup}' was not found.`);
        return this.registryResource(found);
      },
      list: () => {
        this.call('registries.list');
        const mine = registries.filter((r) => r.subscriptionId === this.subscriptionId).map((r) => this.registryResource(r));
        return (async function* () {
          yield* mine;
        })();
      },
      getBuildSourceUploadUrl: async (_resourceGroup: string, name: string) => {
        this.call('registries.getBuildSourceUploadUrl', name);
        return { uploadUrl: `https://acrl0.blob.core.windows.net/sources/source/ctx.tar.gz?sv=2021-08-06&sp=cw&sig=${SAS_SIGNATURE}`, relativePath: 'source/ctx.tar.gz' };
      },
      beginScheduleRun: async (_resourceGroup: string, name: string, request: { imageNames: string[] }) => {
        this.call('registries.beginScheduleRun', name, request);
        const run = new FakeRun(`ca${runs.size + 1}`, request.imageNames, scenario.run ?? { statuses: ['Queued', 'Running', 'Succeeded'], log: ['Queued', 'Step 1/1 : FROM x', 'Run ID: ca1 was successful'] }, `${name}.azurecr.io`);
        runs.set(run.runId, run);
        const first = { runId: run.runId, status: 'Queued', outputImages: [] };
        return { getResult: () => first, pollUntilDone: async () => first };
      },
      beginImportImageAndWait: async (_resourceGroup: string, name: string, parameters: unknown) => {
        this.call('registries.beginImportImageAndWait', name, parameters);
        if (scenario.importFails) throw makeRestError(404, 'NotFound', 'The source image was not found.');
      },
    };

    readonly runs = {
      get: async (_resourceGroup: string, name: string, runId: string) => {
        if (scenario.denied?.includes('runs.get')) this.call('runs.get', name);
        return runs.get(runId)!.read();
      },
      getLogSasUrl: async (_resourceGroup: string, name: string, runId: string) => {
        this.call('runs.getLogSasUrl', name);
        return { logLink: `https://acrl0.blob.core.windows.net/logs/${runId}/rawtext.log?sv=2021-08-06&sp=r&sig=${SAS_SIGNATURE}` };
      },
      beginCancel: async (_resourceGroup: string, name: string, runId: string) => {
        this.call('runs.beginCancel', name);
        runs.get(runId)!.cancelled = true;
        return {};
      },
    };
  }

  /** Reads a run's log from a byte on, as RunHistoryClient.readLogFile does through a SAS URL. */
  const readLogFile = async (url: string, fromByte: number) => {
    const runId = /\/logs\/([^/]+)\//.exec(url)?.[1] ?? '';
    const bytes = Buffer.from(runs.get(runId)?.log ?? '', 'utf8');
    const data = bytes.subarray(Math.min(fromByte, bytes.length));
    return { data, nextByte: fromByte + data.length };
  };

  /** @azure/storage-blob's BlockBlobClient, for the context upload. */
  class FakeBlockBlobClient {
    constructor(readonly url: string) {}

    async uploadFile(file: string) {
      const tar = gunzipSync(fs.readFileSync(file));
      const files = tarFiles(tar);
      recorder.record.uploads.push({ url: this.url.split('?')[0]!, entries: Object.keys(files), ...(files['Dockerfile'] !== undefined ? { dockerfile: files['Dockerfile'] } : {}), files });
      recorder.save();
      return {};
    }
  }

  return {
    workspace: (connection: unknown) => {
      const client = fakeWorkspaceClient(connection, armRequest);
      return {
        arm: {},
        credential: {},
        httpOptions: { userAgentPrefix: 'l0', retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 } },
        ...client,
        workspace: { ...client.workspace, ...(workspaceRegistry ? { containerRegistry: workspaceRegistry } : {}) },
        runHistory: { readLogFile },
        defaultDatastore: async () => ({ name: 'workspaceblobstore', containerClient: containerFor('workspaceblobstore') }),
      };
    },
    openDatastore: async (_arm: unknown, _rg: string, _ws: string, name: string | undefined) => ({ name: name ?? 'workspaceblobstore', containerClient: containerFor(name ?? 'workspaceblobstore') }),
    ContainerRegistryManagementClient: FakeContainerRegistryManagementClient,
    BlockBlobClient: FakeBlockBlobClient,
  };
}

/** The regular files of a tar and their text. */
export function tarFiles(tar: Buffer): Record<string, string> {
  const files: Record<string, string> = {};
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number): string => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim(), 8);
    files[name] = tar.subarray(offset + 512, offset + 512 + size).toString('utf8');
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

