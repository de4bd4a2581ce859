/**
 * An offline stand-in for the workspace client the Register task gets from shared's openWorkspace: an in-memory ARM
 * store (jobs, model containers and versions, with the service's rules: a version never changes, 409 otherwise; the
 * container's nextVersion; the list API's properties filter), MLflow runs with metrics, and one blob datastore.
 * Every ARM call and uploaded blob is written to a JSON file, so the mocha side can assert what the task did (and did
 * not do) on the "Azure side".
 */
import type { FakeResource, RegisterScenario } from './scenario';
import { WORKSPACE_ARM_PATH } from './scenario';
import { fakeDefaultDatastore, fakeWorkspaceClient, type MakeArmError, NO_HEADERS } from '../../support/fakeWorkspaceClient';
import { JsonRecorder } from '../../support/jsonRecorder';

export interface ArmCall {
  readonly method: string;
  /** ARM path relative to the workspace, without query, e.g. `models/m/versions/1`. */
  readonly path: string;
  readonly query: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface FakeRecord {
  calls: ArmCall[];
  /** Blob names written to the datastore. */
  uploads: string[];
  /** Model versions at the end, by `name:version`. */
  models: Record<string, { properties: Record<string, unknown> }>;
}

export class Recorder extends JsonRecorder<FakeRecord> {
  constructor(file: string) {
    super(file, { calls: [], uploads: [], models: {} });
  }
}

const IMMUTABLE_EXCEPT = new Set(['description', 'tags', 'isArchived']);

function immutablePart(properties: Record<string, unknown>): string {
  const kept = Object.entries(properties).filter(([key]) => !IMMUTABLE_EXCEPT.has(key));
  return JSON.stringify(Object.fromEntries(kept.sort(([a], [b]) => a.localeCompare(b))));
}

export function createFakeWorkspace(scenario: RegisterScenario, connection: unknown, recorder: Recorder, makeError: MakeArmError, makeTaskError: (message: string) => Error) {
  const store = new Map<string, FakeResource>();
  for (const [key, resource] of Object.entries(scenario.resources ?? {})) store.set(key, resource);
  let clock = Date.parse('2025-01-01T00:00:00Z');
  let conflictsLeft = scenario.conflictingPuts ?? 0;
  const saveModels = (): void => {
    recorder.record.models = {};
    for (const [key, resource] of store) {
      const match = /^models\/([^/]+)\/versions\/([^/]+)$/.exec(key);
      if (match) recorder.record.models[`${match[1]}:${match[2]}`] = { properties: resource.properties ?? {} };
    }
    recorder.save();
  };
  saveModels();

  const versionsOf = (model: string): Array<[string, FakeResource]> =>
    [...store.entries()].filter(([key]) => key.startsWith(`models/${model}/versions/`)).map(([key, value]) => [key.split('/').pop()!, value]);

  async function armRequest(method: string, armPath: string, body?: unknown, options: { allowedStatuses?: readonly number[] } = {}) {
    const [withoutQuery, query = ''] = armPath.split('?') as [string, string?];
    if (!withoutQuery.toLowerCase().startsWith(WORKSPACE_ARM_PATH.toLowerCase())) throw new Error(`The fake workspace got a request outside the workspace: ${withoutQuery}`);
    const path = decodeURIComponent(withoutQuery.slice(WORKSPACE_ARM_PATH.length).replace(/^\/+/, ''));
    const answer = (status: number, responseBody?: unknown) => {
      recorder.record.calls.push({ method, path, query, status, ...(body !== undefined ? { body } : {}) });
      recorder.save();
      if (status >= 400 && !(options.allowedStatuses ?? []).includes(status)) {
        const code = status === 404 ? 'ResourceNotFound' : status === 409 ? 'Conflict' : 'BadRequest';
        throw makeError(method, `https://management.azure.com${WORKSPACE_ARM_PATH}/${path}`, status, code, `The fake answered ${status} for '${path}'.`);
      }
      return { status, headers: NO_HEADERS, body: responseBody };
    };
    const resource = (key: string, value: FakeResource) => ({ id: `${WORKSPACE_ARM_PATH}/${key}`, ...value });

    if (method === 'GET') {
      const list = /^models\/([^/]+)\/versions$/.exec(path);
      if (list) {
        const filter = new URLSearchParams(query).get('properties');
        const wanted = (filter ?? '').split(',').filter((pair) => pair !== '').map((pair) => pair.split('=') as [string, string?]);
        const items = versionsOf(list[1]!)
          .filter(([, v]) => wanted.every(([key, value]) => {
            const own = (v.properties?.['properties'] ?? {}) as Record<string, string>;
            return value === undefined ? key in own : own[key] === value;
          }))
          .sort(([, a], [, b]) => (b.systemData?.createdAt ?? '').localeCompare(a.systemData?.createdAt ?? ''))
          .map(([version, v]) => resource(`models/${list[1]}/versions/${version}`, { ...v, name: version }));
        return answer(200, { value: items });
      }
      const container = /^models\/([^/]+)$/.exec(path);
      if (container) {
        const versions = versionsOf(container[1]!);
        if (versions.length === 0) return answer(404);
        const numbers = versions.map(([v]) => v).filter((v) => /^\d+$/.test(v)).map(Number);
        const latest = versions.sort(([, a], [, b]) => (b.systemData?.createdAt ?? '').localeCompare(a.systemData?.createdAt ?? ''))[0]![0];
        return answer(200, resource(path, { name: container[1]!, properties: { latestVersion: latest, nextVersion: String(Math.max(0, ...numbers) + 1) } }));
      }
      const found = store.get(path);
      return found ? answer(200, resource(path, found)) : answer(404);
    }

    if (method === 'PUT') {
      const version = /^models\/([^/]+)\/versions\/([^/]+)$/.exec(path);
      if (!version) return answer(405);
      const given = ((body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<string, unknown>;
      if (conflictsLeft > 0 && !store.has(path)) {
        // Another registration takes this number first, with another model.
        conflictsLeft -= 1;
        store.set(path, { name: version[2], properties: { modelType: 'custom_model', modelUri: 'azureml://jobs/someone-else/outputs/model/paths/', properties: {} }, systemData: { createdAt: new Date(clock++).toISOString() } });
        saveModels();
        return answer(409);
      }
      const existing = store.get(path);
      if (existing) {
        if (immutablePart(existing.properties ?? {}) !== immutablePart(given)) return answer(409);
        return answer(200, resource(path, { ...existing, name: version[2] }));
      }
      const created: FakeResource = { name: version[2], properties: given, systemData: { createdAt: new Date(clock++).toISOString() } };
      store.set(path, created);
      saveModels();
      return answer(201, resource(path, created));
    }
    return answer(405);
  }

  const blobs = new Set<string>(scenario.blobs ?? []);
  const listing = {
    getBlobClient: (name: string) => ({ exists: async () => blobs.has(name) }),
    listBlobsFlat: (options: { prefix?: string } = {}) => ({
      byPage: (settings: { maxPageSize?: number } = {}) =>
        (async function* () {
          const names = [...blobs].filter((name) => name.startsWith(options.prefix ?? '')).sort();
          yield { segment: { blobItems: names.slice(0, settings.maxPageSize ?? 5000).map((name) => ({ name })) } };
        })(),
    }),
  };
  const datastore = fakeDefaultDatastore(
    blobs,
    (name) => {
      recorder.record.uploads.push(name);
      recorder.save();
    },
    listing,
  );

  const mlflow = {
    getRun: async (runId: string) => {
      const metrics = scenario.metrics?.[runId];
      if (!metrics) return undefined;
      return { info: { run_id: runId, experiment_id: '1' }, data: { metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0 })) } };
    },
    searchRuns: async () => [],
  };

  return {
    workspace: {
      arm: {},
      credential: {},
      httpOptions: {},
      ...fakeWorkspaceClient(connection, armRequest),
      mlflow,
      defaultDatastore: async () => datastore,
    },
    openDatastore: async (_arm: unknown, _rg: string, _ws: string, name: string | undefined) => {
      if (scenario.datastoreForbidden) throw makeTaskError(`The service connection may not list the secrets of the datastore '${name}' (HTTP 403 AuthorizationFailed).`);
      if (name !== undefined && name !== 'workspaceblobstore') throw makeTaskError(`The datastore '${name}' was not found.`);
      return datastore;
    },
  };
}
