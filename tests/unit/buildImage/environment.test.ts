/**
 * AzureMLBuildImage environment versions: when a version that points at the image can be reused (same port, routes
 * and description), and how registration treats a version another run created at the same time.
 */
import assert from 'node:assert/strict';

import { InputError } from '@azureml-mlops/shared';

import type * as EnvironmentModule from '../../../tasks/AzureMLBuildImage/src/environment';
import { taskModule } from './support';

const { registerEnvironmentVersion, settingsDifferences } = taskModule<typeof EnvironmentModule>('environment');

const IMAGE = `reg.azurecr.io/scoring@sha256:${'a'.repeat(64)}`;
const SETTINGS: EnvironmentModule.EnvironmentSettings = {
  description: 'Scoring image',
  inference: { port: 5001, liveness: '/swagger.json', readiness: '/swagger.json', scoring: '/score' },
};

function version(settings: EnvironmentModule.EnvironmentSettings, image = IMAGE): EnvironmentModule.EnvironmentVersionResource {
  const { port } = settings.inference;
  return {
    name: '1',
    properties: {
      image,
      description: settings.description,
      inferenceConfig: {
        livenessRoute: { path: settings.inference.liveness, port },
        readinessRoute: { path: settings.inference.readiness, port },
        scoringRoute: { path: settings.inference.scoring, port },
      },
    },
  };
}

const WS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';

/** A workspace where each listed version already exists (created by another run): PUT answers 409 for them. */
function workspaceWith(existing: Record<string, EnvironmentModule.EnvironmentVersionResource>) {
  const puts: string[] = [];
  const workspace = {
    workspaceArmPath: WS,
    async armRequest<T>(method: string, armPath: string, _body?: unknown, options: { allowedStatuses?: readonly number[] } = {}) {
      const relative = armPath.slice(WS.length + 1).split('?')[0]!;
      const respond = (status: number, body?: unknown) => {
        if (status >= 400 && !(options.allowedStatuses ?? []).includes(status)) throw Object.assign(new Error(`HTTP ${status}`), { name: 'RestError', statusCode: status });
        return { status, headers: {} as never, body: body as T };
      };
      if (method === 'PUT') {
        puts.push(relative);
        return existing[relative] ? respond(409) : respond(201, { name: relative.split('/').pop() });
      }
      if (relative === 'environments/scoring') return respond(200, { name: 'scoring', properties: { nextVersion: '1' } });
      return existing[relative] ? respond(200, existing[relative]) : respond(404);
    },
  };
  return { workspace, puts };
}

const request = (v: string | undefined): EnvironmentModule.EnvironmentRequest => ({ name: 'scoring', version: v, image: IMAGE, ...SETTINGS, tags: {}, properties: {} });

describe('AzureMLBuildImage environment versions', function () {
  it('the same port, routes and description: no difference', function () {
    assert.deepEqual(settingsDifferences(version(SETTINGS), SETTINGS), []);
  });

  it('names each differing setting by its input, with both values', function () {
    const other = version({ description: 'Old text', inference: { port: 8080, liveness: '/health', readiness: '/swagger.json', scoring: '/score' } });
    assert.deepEqual(settingsDifferences(other, SETTINGS), ["inferencePort 8080 (this run: 5001)", "livenessRoute '/health' (this run: '/swagger.json')", "description 'Old text' (this run: 'Scoring image')"]);
  });

  it('a version made without inference routes (e.g. by hand) does not hold these settings', function () {
    const bare: EnvironmentModule.EnvironmentVersionResource = { name: '3', properties: { image: IMAGE, description: 'Scoring image' } };
    assert.deepEqual(settingsDifferences(bare, SETTINGS), [
      'inferencePort none (this run: 5001)',
      "livenessRoute '' (this run: '/swagger.json')",
      "readinessRoute '' (this run: '/swagger.json')",
      "scoringRoute '' (this run: '/score')",
    ]);
  });

  it('a number taken meanwhile by the same image with other settings: the next number is used', async function () {
    const { workspace, puts } = workspaceWith({ 'environments/scoring/versions/1': version({ ...SETTINGS, description: 'Other' }) });
    const registration = await registerEnvironmentVersion(workspace, request(undefined), new AbortController().signal);
    assert.deepEqual(puts, ['environments/scoring/versions/1', 'environments/scoring/versions/2']);
    assert.equal(registration.version, '2');
    assert.equal(registration.created, true);
  });

  it('a number taken meanwhile by the same image and settings: that version is used', async function () {
    const { workspace, puts } = workspaceWith({ 'environments/scoring/versions/1': version(SETTINGS) });
    const registration = await registerEnvironmentVersion(workspace, request(undefined), new AbortController().signal);
    assert.deepEqual(puts, ['environments/scoring/versions/1']);
    assert.deepEqual([registration.version, registration.created], ['1', false]);
  });

  it('an explicit version created meanwhile with other settings: one error naming environmentVersion and the difference', async function () {
    const { workspace } = workspaceWith({ 'environments/scoring/versions/7': version({ ...SETTINGS, inference: { ...SETTINGS.inference, scoring: '/predict' } }) });
    await assert.rejects(
      registerEnvironmentVersion(workspace, request('7'), new AbortController().signal),
      (error: unknown) =>
        error instanceof InputError &&
        /^Input 'environmentVersion': version 7 of the environment 'scoring' already exists with other settings: scoringRoute '\/predict' \(this run: '\/score'\); an environment version never changes\./.test(error.message),
    );
  });
});
