/**
 * An offline stand-in for the Azure ML workspace client the Train task gets from shared's openWorkspace: an in-memory
 * ARM store (computes, assets, jobs) and an in-memory default datastore. Every ARM call and uploaded blob is
 * recorded in a JSON file, so the mocha side can assert what the task did (and did not do) on the "Azure side".
 */
import { fakeDefaultDatastore, fakeWorkspaceClient, NO_HEADERS, WORKSPACE_ARM_PATH } from '../../support/fakeWorkspaceClient';
import { JsonRecorder } from '../../support/jsonRecorder';

/** Resources of a scenario, by ARM path relative to the workspace (e.g. `computes/cpu-cluster`, `jobs/x`). */
export type SeededResources = Record<string, { readonly name?: string; readonly properties?: Record<string, unknown> }>;

export interface ArmCall {
  readonly method: string;
  /** ARM path relative to the workspace, e.g. `jobs/my-job`, `codes/<id>/versions/1`. */
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface FakeRecord {
  calls: ArmCall[];
  /** Blob names written to the default datastore. */
  blobs: string[];
  /** Arguments of each waitForJob call. */
  waits: Array<{ readonly jobName: string; readonly options: unknown }>;
}

export interface FakeWorkspaceOptions {
  readonly connection: unknown;
  readonly computes: readonly string[];
  readonly resources: SeededResources;
}

export class Recorder extends JsonRecorder<FakeRecord> {
  constructor(file: string) {
    super(file, { calls: [], blobs: [], waits: [] });
  }
}

interface RestLikeError extends Error {
  status: number;
}

/** The parts of WorkspaceClient the Train task uses before waiting (waiting is faked separately). */
export function createFakeWorkspace(options: FakeWorkspaceOptions, recorder: Recorder, makeError: (method: string, url: string, status: number, code: string, message: string) => RestLikeError) {
  const store = new Map<string, { name?: string; properties?: Record<string, unknown> }>();
  for (const compute of options.computes) store.set(`computes/${compute}`.toLowerCase(), { name: compute, properties: { computeType: 'AmlCompute', provisioningState: 'Succeeded' } });
  for (const [key, resource] of Object.entries(options.resources)) store.set(key.toLowerCase(), resource);

  const relative = (armPath: string): string => {
    const withoutQuery = armPath.split('?')[0]!;
    const prefix = WORKSPACE_ARM_PATH.toLowerCase();
    const lower = withoutQuery.toLowerCase();
    if (!lower.startsWith(prefix)) throw new Error(`The fake workspace got a request outside the workspace: ${withoutQuery}`);
    return withoutQuery.slice(prefix.length).replace(/^\/+/, '');
  };

  async function armRequest(method: string, armPath: string, body?: unknown, requestOptions: { allowedStatuses?: readonly number[] } = {}) {
    const path = relative(armPath);
    const key = path.toLowerCase();
    const answer = (status: number, responseBody?: unknown) => {
      recorder.record.calls.push({ method, path, status, ...(body !== undefined ? { body } : {}) });
      recorder.save();
      if (status >= 400 && !(requestOptions.allowedStatuses ?? []).includes(status)) {
        throw makeError(method, `https://management.azure.com${WORKSPACE_ARM_PATH}/${path}`, status, 'ResourceNotFound', `The resource '${path}' was not found.`);
      }
      return { status, headers: NO_HEADERS, body: responseBody };
    };
    if (method === 'GET') {
      const found = store.get(key);
      if (found) return answer(200, { id: `${WORKSPACE_ARM_PATH}/${path}`, ...found });
      // A collection: its direct children.
      const children = [...store.entries()].filter(([k]) => k.startsWith(`${key}/`) && !k.slice(key.length + 1).includes('/'));
      if (/(^|\/)(computes|datastores|versions)$/.test(key)) return answer(200, { value: children.map(([, v]) => v) });
      return answer(404, { error: { code: 'ResourceNotFound', message: 'not found' } });
    }
    if (method === 'PUT') {
      const name = path.split('/').pop()!;
      const given = (body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      const isJob = /^jobs\/[^/]+$/.test(key);
      const existing = store.get(key);
      const properties = isJob
        ? { ...given, status: 'NotStarted', services: { Studio: { endpoint: `https://ml.azure.com/runs/${name}?wsid=${WORKSPACE_ARM_PATH}` } } }
        : given;
      store.set(key, { name, properties });
      return answer(existing ? 200 : 201, { id: `${WORKSPACE_ARM_PATH}/${path}`, name, properties });
    }
    return answer(405);
  }

  const blobs = new Set<string>();
  const datastore = fakeDefaultDatastore(blobs, (name) => {
    recorder.record.blobs.push(name);
    recorder.save();
  });

  return {
    ...fakeWorkspaceClient(options.connection, armRequest),
    defaultDatastore: async () => datastore,
  };
}
