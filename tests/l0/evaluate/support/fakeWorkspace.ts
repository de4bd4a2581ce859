/**
 * An offline stand-in for the workspace client the Evaluate task gets from shared's openWorkspace: ARM reads of
 * seeded resources (collections list their direct children; model version lists honour the `tags` filter) and an
 * MLflow client over seeded runs. Every call is recorded in a JSON file so the mocha side can assert what the task
 * read, and that it wrote nothing.
 */
import * as fs from 'node:fs';

import { type EvaluateScenario, type RecordedCall, type SeededResource, WORKSPACE_ARM_PATH } from './scenario';
import { fakeWorkspaceClient, type MakeArmError, NO_HEADERS } from '../../support/fakeWorkspaceClient';

export function createFakeWorkspace(scenario: EvaluateScenario, connection: unknown, makeError: MakeArmError) {
  const calls: RecordedCall[] = [];
  const record = (call: RecordedCall): void => {
    calls.push(call);
    fs.writeFileSync(scenario.recordFile, JSON.stringify(calls));
  };
  record({ method: 'OPEN', path: '', status: 200 });

  const store = new Map<string, SeededResource>();
  for (const [key, resource] of Object.entries(scenario.resources ?? {})) store.set(key.toLowerCase(), resource);

  const resourceBody = (path: string, resource: SeededResource) => ({ id: `${WORKSPACE_ARM_PATH}/${path}`, name: path.split('/').pop(), ...resource });

  async function armRequest(method: string, armPath: string, _body?: unknown, options: { allowedStatuses?: readonly number[] } = {}) {
    const [withoutQuery, query = ''] = armPath.split('?');
    if (!withoutQuery!.toLowerCase().startsWith(WORKSPACE_ARM_PATH.toLowerCase())) throw new Error(`The fake workspace got a request outside the workspace: ${armPath}`);
    const path = withoutQuery!.slice(WORKSPACE_ARM_PATH.length).replace(/^\/+/, '');
    const key = decodeURIComponent(path).toLowerCase();
    const answer = (status: number, body?: unknown) => {
      record({ method, path: query ? `${decodeURIComponent(path)}?${query}` : decodeURIComponent(path), status });
      if (status >= 400 && !(options.allowedStatuses ?? []).includes(status)) {
        throw makeError(method, `https://management.azure.com${withoutQuery}`, status, 'ResourceNotFound', `The resource '${path}' was not found.`);
      }
      return { status, headers: NO_HEADERS, body };
    };
    if (method !== 'GET') return answer(405);
    const found = store.get(key);
    if (found) return answer(200, resourceBody(decodeURIComponent(path), found));
    if (/\/(versions|deployments)$/.test(key)) {
      let children = [...store.entries()].filter(([k]) => k.startsWith(`${key}/`) && !k.slice(key.length + 1).includes('/'));
      const tags = new URLSearchParams(query).get('tags');
      if (tags) {
        const wanted = tags.split(',').map((t) => t.split('='));
        children = children.filter(([, v]) => wanted.every(([k, value]) => {
          const own = (v.properties?.['tags'] ?? {}) as Record<string, string>;
          return k! in own && (value === undefined || own[k!] === value);
        }));
      }
      if (children.length > 0 || store.has(key.replace(/\/(versions|deployments)$/, ''))) {
        return answer(200, { value: children.map(([k, v]) => resourceBody(k, v)) });
      }
    }
    return answer(404, { error: { code: 'ResourceNotFound', message: 'not found' } });
  }

  const runOf = (runId: string) => {
    const run = scenario.runs?.[runId];
    if (!run) return undefined;
    const tags = [...(run.parent ? [{ key: 'mlflow.parentRunId', value: run.parent }] : []), ...(run.stepName ? [{ key: 'mlflow.runName', value: run.stepName }] : [])];
    return {
      info: { run_id: runId, experiment_id: '1', ...(run.stepName ? { run_name: run.stepName } : {}) },
      data: { metrics: Object.entries(run.metrics).map(([k, value]) => ({ key: k, value, timestamp: 1, step: 0 })), tags },
    };
  };
  const mlflow = {
    getRun: async (runId: string) => {
      const run = runOf(runId);
      record({ method: 'GET', path: `mlflow:runs/get ${runId}`, status: run ? 200 : 404 });
      return run;
    },
    searchRuns: async (options: { parentRunId?: string }) => {
      record({ method: 'POST', path: `mlflow:runs/search parent=${options.parentRunId ?? ''}`, status: 200 });
      return Object.entries(scenario.runs ?? {})
        .filter(([, run]) => run.parent !== undefined && run.parent === options.parentRunId)
        .map(([id]) => runOf(id)!);
    },
  };

  return {
    ...fakeWorkspaceClient(connection, armRequest),
    mlflow,
  };
}
