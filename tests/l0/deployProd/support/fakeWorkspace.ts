/**
 * An offline stand-in for the workspace the DeployProd task gets from shared's openWorkspace: an in-memory ARM store
 * of one online endpoint with its deployments (the service's traffic rules: live traffic sums to 100 or 0 over
 * deployments that exist, mirror at most 50 % to one deployment without live traffic, a deployment taking traffic is
 * not deleted), model versions (tags can change), environment and code versions. Operations complete at once (no
 * long-running operation headers). Every call and the final state are written to a JSON file for the mocha side.
 */
import * as fs from 'node:fs';

import { type FakeEndpointState, type FakeRecord, type ProdScenario, WORKSPACE_ARM_PATH } from './scenario';
import { fakeWorkspaceClient, type MakeArmError, NO_HEADERS } from '../../support/fakeWorkspaceClient';

export function createFakeWorkspace(scenario: ProdScenario, connection: unknown, makeError: MakeArmError) {
  let endpoint: FakeEndpointState | undefined = scenario.endpoint ? structuredClone(scenario.endpoint) : undefined;
  const models: Record<string, Record<string, string>> = structuredClone({ ...(scenario.models ?? {}) });
  const environments = new Set((scenario.environments ?? []).map((e) => e.toLowerCase()));
  const record: FakeRecord = { calls: [], endpoint, models, smokeTests: [] };
  const counts = new Map<string, number>();
  const save = (): void => {
    record.endpoint = endpoint;
    fs.writeFileSync(scenario.recordFile, JSON.stringify(record));
  };
  save();

  const endpointResource = () => ({
    id: `${WORKSPACE_ARM_PATH}/onlineEndpoints/${endpoint!.name}`,
    name: endpoint!.name,
    location: 'westeurope',
    tags: endpoint!.tags,
    properties: {
      authMode: 'Key',
      provisioningState: endpoint!.provisioningState,
      traffic: endpoint!.traffic,
      mirrorTraffic: endpoint!.mirrorTraffic,
      scoringUri: `https://${endpoint!.name}.westeurope.inference.ml.azure.com/score`,
      ...(endpoint!.compute ? { compute: endpoint!.compute } : {}),
    },
  });
  const deploymentResource = (name: string) => ({
    id: `${WORKSPACE_ARM_PATH}/onlineEndpoints/${endpoint!.name}/deployments/${name}`,
    name,
    location: 'westeurope',
    ...structuredClone(endpoint!.deployments[name]!),
  });

  async function armRequest(method: string, armPath: string, body?: unknown, options: { allowedStatuses?: readonly number[] } = {}) {
    const withoutQuery = armPath.split('?')[0]!;
    if (!withoutQuery.toLowerCase().startsWith(WORKSPACE_ARM_PATH.toLowerCase())) throw new Error(`The fake workspace got a request outside the workspace: ${withoutQuery}`);
    const path = decodeURIComponent(withoutQuery.slice(WORKSPACE_ARM_PATH.length).replace(/^\/+/, ''));
    const answer = (status: number, responseBody?: unknown, message = `The fake answered ${status} for '${path}'.`) => {
      record.calls.push({ method, path, status, ...(body !== undefined ? { body: structuredClone(body) } : {}) });
      save();
      if (status >= 400 && !(options.allowedStatuses ?? []).includes(status)) {
        const code = status === 404 ? 'ResourceNotFound' : status === 409 ? 'Conflict' : 'BadRequest';
        throw makeError(method, `https://management.azure.com${WORKSPACE_ARM_PATH}/${path}`, status, code, message);
      }
      return { status, headers: NO_HEADERS, body: responseBody };
    };

    for (const rule of scenario.refuse ?? []) {
      if (rule.method !== method || !new RegExp(rule.path).test(path)) continue;
      const key = `${rule.method} ${rule.path}`;
      const nth = (counts.get(key) ?? 0) + 1;
      counts.set(key, nth);
      if (nth === (rule.nth ?? 1)) return answer(400, undefined, 'Injected refusal.');
    }

    const e = /^onlineEndpoints\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (e) {
      const [, name, rest] = e;
      const exists = endpoint !== undefined && endpoint.name.toLowerCase() === name!.toLowerCase();
      if (rest === undefined) {
        if (method === 'GET') return exists ? answer(200, endpointResource()) : answer(404);
        if (method === 'PUT') {
          const given = structuredClone(body) as { tags?: Record<string, string>; properties?: { traffic?: Record<string, number>; mirrorTraffic?: Record<string, number>; compute?: string } };
          const candidate: FakeEndpointState = exists
            ? { ...endpoint!, tags: given.tags ?? {}, traffic: given.properties?.traffic ?? {}, mirrorTraffic: given.properties?.mirrorTraffic ?? {} }
            : { name: name!, tags: given.tags ?? {}, provisioningState: 'Succeeded', traffic: given.properties?.traffic ?? {}, mirrorTraffic: given.properties?.mirrorTraffic ?? {}, deployments: {}, ...(given.properties?.compute ? { compute: given.properties.compute } : {}) };
          const problem = trafficProblem(candidate);
          if (problem) return answer(400, undefined, problem);
          endpoint = candidate;
          return answer(exists ? 200 : 201, endpointResource());
        }
        if (method === 'PATCH') {
          if (!exists) return answer(404);
          endpoint!.tags = { ...((body as { tags?: Record<string, string> }).tags ?? {}) };
          return answer(200, endpointResource());
        }
        if (method === 'DELETE') {
          if (!exists) return answer(204);
          endpoint = undefined;
          return answer(200);
        }
      }
      if (!exists) return answer(404);
      if (rest === 'listKeys' && method === 'POST') return answer(200, { primaryKey: 'l0-primary-key', secondaryKey: 'l0-secondary-key' });
      if (rest === 'deployments' && method === 'GET') return answer(200, { value: Object.keys(endpoint!.deployments).map(deploymentResource) });
      const d = /^deployments\/([^/]+)(?:\/(getLogs))?$/.exec(rest ?? '');
      if (d) {
        const [, deployment, action] = d;
        const has = deployment! in endpoint!.deployments;
        if (action === 'getLogs') return has ? answer(200, { content: `2025-01-01 00:00:00,000 I [1] azmlinfsrv - log of ${deployment}\n` }) : answer(404);
        if (method === 'GET') return has ? answer(200, deploymentResource(deployment!)) : answer(404);
        if (method === 'PUT') {
          const given = structuredClone(body as { properties: Record<string, unknown>; sku?: unknown; tags?: Record<string, string> });
          endpoint!.deployments[deployment!] = { ...given, properties: { ...given.properties, provisioningState: 'Succeeded' } };
          return answer(has ? 200 : 201, deploymentResource(deployment!));
        }
        if (method === 'DELETE') {
          if (!has) return answer(204);
          if ((endpoint!.traffic[deployment!] ?? 0) > 0 || (endpoint!.mirrorTraffic[deployment!] ?? 0) > 0) return answer(400, undefined, `The deployment '${deployment}' takes traffic.`);
          delete endpoint!.deployments[deployment!];
          delete endpoint!.traffic[deployment!];
          delete endpoint!.mirrorTraffic[deployment!];
          return answer(200);
        }
      }
      return answer(405);
    }

    const model = /^models\/([^/]+)(?:\/versions(?:\/([^/]+))?)?$/.exec(path);
    if (model) {
      const [, name, version] = model;
      const versions = Object.keys(models).filter((key) => key.startsWith(`${name}:`));
      if (version === undefined) {
        if (path.endsWith('/versions')) return answer(200, { value: versions.map((key) => ({ name: key.split(':')[1] })) });
        return versions.length > 0 ? answer(200, { name, properties: { latestVersion: versions[versions.length - 1]!.split(':')[1] } }) : answer(404);
      }
      const key = `${name}:${version}`;
      if (!(key in models)) return answer(404);
      const resource = () => ({ id: `${WORKSPACE_ARM_PATH}/models/${name}/versions/${version}`, name: version, properties: { modelType: 'custom_model', modelUri: `azureml://jobs/train-${version}/outputs/model/paths/`, tags: models[key], properties: {} } });
      if (method === 'GET') return answer(200, resource());
      if (method === 'PUT') {
        models[key] = { ...((body as { properties?: { tags?: Record<string, string> } }).properties?.tags ?? {}) };
        return answer(200, resource());
      }
    }

    const asset = /^(environments|codes)\/([^/]+)(?:\/versions(?:\/([^/]+))?)?$/.exec(path);
    if (asset && method === 'GET') {
      const [, kind, name, version] = asset;
      if (kind === 'codes') return version ? answer(200, { id: `${WORKSPACE_ARM_PATH}/codes/${name}/versions/${version}`, name: version, properties: {} }) : answer(200, { value: [] });
      if (version === undefined) return answer(200, { value: [...environments].filter((e) => e.startsWith(`${name}:`)).map((e) => ({ name: e.split(':')[1] })) });
      return environments.has(`${name}:${version}`.toLowerCase()) ? answer(200, { id: `${WORKSPACE_ARM_PATH}/environments/${name}/versions/${version}`, name: version, properties: {} }) : answer(404);
    }
    return answer(405);
  }

  return {
    record,
    save,
    workspace: {
      arm: {},
      credential: {},
      httpOptions: {},
      ...fakeWorkspaceClient(connection, armRequest),
      defaultDatastore: async () => {
        throw new Error('The L0 scenarios upload nothing: the scoring code is already registered.');
      },
    },
  };
}

/** The service's traffic rules (Azure ML online endpoints), or undefined when the traffic is valid. */
function trafficProblem(endpoint: FakeEndpointState): string | undefined {
  const sum = Object.values(endpoint.traffic).reduce((a, b) => a + b, 0);
  if (sum !== 0 && sum !== 100) return `Traffic values need to sum to 100: they sum to ${sum}.`;
  for (const name of [...Object.keys(endpoint.traffic), ...Object.keys(endpoint.mirrorTraffic)]) if (!(name in endpoint.deployments)) return `The deployment '${name}' does not exist.`;
  const mirrored = Object.entries(endpoint.mirrorTraffic).filter(([, p]) => p > 0);
  if (mirrored.length > 1) return 'Traffic can be mirrored to one deployment only.';
  for (const [name, percent] of mirrored) {
    if (percent > 50) return 'Mirror traffic is at most 50.';
    if ((endpoint.traffic[name] ?? 0) > 0) return `'${name}' takes live traffic.`;
  }
  return undefined;
}
