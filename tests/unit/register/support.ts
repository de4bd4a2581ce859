import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ModelVersionResource } from '@azureml-mlops/shared';

/** A file of the repository, looked for upwards from here, then from the working directory. */
export function findInRepository(relative: string): string {
  for (let folder = __dirname; ; folder = path.dirname(folder)) {
    const candidate = path.join(folder, relative);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(folder) === folder) return path.resolve(relative);
  }
}

/** A module of the task's tsc output (tests compile to tests/dist, the task to tasks/AzureMLRegisterModel/dist). */
export function taskModule<T>(relative: string): T {
  return require(findInRepository(`tasks/AzureMLRegisterModel/dist/${relative}.js`)) as T;
}

export const WS = '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1';

interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

/**
 * A ModelAccess over an in-memory model registry with the service's rules (a version never changes: 409; the container
 * suggests nextVersion), recording every request. `beforePut` may answer a PUT first (e.g. a 409 race).
 */
export function fakeRegistry(seed: Record<string, ModelVersionResource> = {}, beforePut?: (path: string) => Answer | undefined) {
  const versions = new Map<string, ModelVersionResource>(Object.entries(seed));
  const requests: string[] = [];
  let clock = 0;
  const headers = {} as never;
  const workspace = {
    workspaceArmPath: WS,
    async armRequest<T>(method: string, armPath: string, body?: unknown, options: { allowedStatuses?: readonly number[] } = {}) {
      const [full, query = ''] = armPath.split('?') as [string, string?];
      const relative = decodeURIComponent(full.slice(WS.length + 1));
      requests.push(`${method} ${relative}${query ? `?${decodeURIComponent(query)}` : ''}`);
      const respond = (answer: Answer) => {
        if (answer.status >= 400 && !(options.allowedStatuses ?? []).includes(answer.status)) throw Object.assign(new Error(`HTTP ${answer.status}`), { status: answer.status });
        return { status: answer.status, headers, body: answer.body as T };
      };
      const listMatch = /^models\/([^/]+)\/versions$/.exec(relative);
      const containerMatch = /^models\/([^/]+)$/.exec(relative);
      const own = (name: string) => [...versions.entries()].filter(([key]) => key.startsWith(`models/${name}/versions/`));
      if (method === 'GET' && listMatch) return respond({ status: 200, body: { value: own(listMatch[1]!).map(([, v]) => v) } });
      if (method === 'GET' && containerMatch) {
        const mine = own(containerMatch[1]!);
        if (mine.length === 0) return respond({ status: 404 });
        const numbers = mine.map(([key]) => Number(key.split('/').pop())).filter(Number.isFinite);
        return respond({ status: 200, body: { name: containerMatch[1], properties: { nextVersion: String(Math.max(0, ...numbers) + 1) } } });
      }
      if (method === 'GET') return respond(versions.has(relative) ? { status: 200, body: versions.get(relative) } : { status: 404 });
      if (method === 'PUT') {
        const early = beforePut?.(relative);
        if (early) return respond(early);
        if (versions.has(relative)) return respond({ status: 409 });
        const created: ModelVersionResource = {
          id: `${WS}/${relative}`,
          name: relative.split('/').pop()!,
          properties: (body as { properties: ModelVersionResource['properties'] }).properties,
          systemData: { createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, clock++)).toISOString() },
        };
        versions.set(relative, created);
        return respond({ status: 201, body: created });
      }
      return respond({ status: 405 });
    },
  };
  return { workspace, versions, requests };
}

/** A model version as the service returns it. */
export function version(name: string, number: string, properties: Record<string, string>, modelType = 'custom_model', createdAt = '2025-01-01T00:00:00Z'): ModelVersionResource {
  return {
    id: `${WS}/models/${name}/versions/${number}`,
    name: number,
    properties: { modelType, modelUri: 'azureml://jobs/j/outputs/model/paths/', properties },
    systemData: { createdAt },
  };
}
