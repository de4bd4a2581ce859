/**
 * AzureMLTrain black-box: the bundled task, run by the local agent against the emulator, trains the diabetes sample
 * to completion with every authentication scheme of an AzureRM service connection, and keeps working when access and
 * OIDC tokens expire during the wait.
 */
import assert from 'node:assert/strict';

import type { AuthScheme, Emulator, RecordedExchange } from '@azureml-mlops/emulator';

import { dedicatedEmulator, sharedEmulator } from '../../support/emulatorFixture';
import { jwtClaims } from '../../support/emulatorHttp';
import { logOf, runTrainTask, SAMPLE_JOB, type TrainTaskResult } from '../support/trainTask';

function assertTrainedToCompletion(emulator: Emulator, result: TrainTaskResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.equal(result.outputs['JobStatus'], 'Completed');
  const jobName = result.outputs['JobName']!;
  const job = emulator.inspect.job(jobName) as { properties: { status: string } } | undefined;
  assert.equal(job?.properties.status, 'Completed', 'the emulator ran the job to completion');
  const metrics = emulator.inspect.metrics(jobName);
  assert.equal(Number(result.outputs['Metric_mse']), metrics['mse']);
  assert.equal(Number(result.outputs['Metric_r2']), metrics['r2']);
}

function pathOf(exchange: RecordedExchange): string {
  return new URL(exchange.url).pathname;
}

describe('AzureMLTrain black-box: authentication', function () {
  this.timeout(120_000);

  describe('the sample completes with every kind of service connection', function () {
    const schemes: AuthScheme[] = ['servicePrincipalSecret', 'servicePrincipalCertificate', 'workloadIdentity', 'managedIdentity'];
    let emulator: Emulator;
    const results = new Map<string, TrainTaskResult>();

    before(async function () {
      emulator = await sharedEmulator();
      const runs = [
        ...schemes.map(async (scheme) => {
          results.set(scheme, await runTrainTask({ emulator, scheme, connectionId: `auth-${scheme}`, inputs: { jobFile: SAMPLE_JOB } }));
        }),
        (async () => {
          // Scoped to the workspace: no resourceGroup or workspace inputs.
          results.set('scoped', await runTrainTask({ emulator, scopeLevel: 'AzureMLWorkspace', connectionId: 'auth-scoped', inputs: { jobFile: SAMPLE_JOB } }));
        })(),
      ];
      await Promise.all(runs);
    });

    for (const scheme of schemes) {
      it(`${scheme}`, function () {
        assertTrainedToCompletion(emulator, results.get(scheme)!);
      });
    }

    it('a connection scoped to the Azure ML workspace, without resourceGroup and workspace inputs', function () {
      const result = results.get('scoped')!;
      assertTrainedToCompletion(emulator, result);
      assert.match(logOf(result), /Azure ML workspace: mlops-ws \(resource group mlops-rg/);
    });
  });

  describe('workload identity federation with tokens that expire during the job', function () {
    const LIFETIME_SECONDS = 3;
    let emulator: Emulator;
    let result: TrainTaskResult;
    let traffic: readonly RecordedExchange[];

    before(async function () {
      // Slow job steps: the job runs several times longer than either token lives.
      emulator = await dedicatedEmulator('train-wif-short-tokens', {
        accessTokenLifetimeSeconds: LIFETIME_SECONDS,
        oidcTokenLifetimeSeconds: LIFETIME_SECONDS,
        jobStepDelayMs: 1000,
      });
      const start = emulator.traffic.length;
      result = await runTrainTask({ emulator, scheme: 'workloadIdentity', connectionId: 'wif-short', inputs: { jobFile: SAMPLE_JOB } });
      traffic = emulator.traffic.slice(start);
    });

    it('completes', function () {
      assertTrainedToCompletion(emulator, result);
    });

    it('asked Azure DevOps for a fresh OIDC token after the first one expired, and Entra accepted each', function () {
      const oidcTokens = traffic
        .filter((e) => e.method === 'POST' && pathOf(e).endsWith('/oidctoken'))
        .map((e) => (e.responseBody as { oidcToken: string }).oidcToken);
      assert.ok(oidcTokens.length >= 2, `${oidcTokens.length} OIDC token(s) requested`);
      assert.equal(new Set(oidcTokens).size, oidcTokens.length, 'each assertion uses a new OIDC token');
      const first = jwtClaims(oidcTokens[0]!);
      const last = jwtClaims(oidcTokens[oidcTokens.length - 1]!);
      assert.ok(Number(last['iat']) >= Number(first['exp']), 'the last OIDC token was issued after the first had expired');

      const assertions = traffic.filter((e) => pathOf(e).endsWith('/oauth2/v2.0/token'));
      assert.ok(assertions.length >= 2);
      for (const exchange of assertions) {
        assert.equal(exchange.status, 200, JSON.stringify(exchange.responseBody));
        assert.ok(oidcTokens.includes((exchange.requestBody as { client_assertion: string }).client_assertion), 'the assertion is an OIDC token Azure DevOps issued');
      }
    });

    it('used fresh access tokens for Azure ML once the first one expired, and no request was refused', function () {
      const azureMl = traffic.filter((e) => e.kind === 'arm' || e.kind === 'dataPlane');
      assert.ok(azureMl.every((e) => e.status !== 401), 'no expired token reached Azure ML');
      const tokens = [...new Set(azureMl.map((e) => (e.requestHeaders['authorization'] ?? '').replace(/^Bearer /, '')).filter((t) => t !== ''))];
      assert.ok(tokens.length >= 2, `${tokens.length} access token(s) used`);
      const firstExpiry = Number(jwtClaims(tokens[0]!)['exp']);
      assert.ok(tokens.some((token) => Number(jwtClaims(token)['iat']) >= firstExpiry), 'a token issued after the first expired was used');
    });
  });
});
