import * as assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { Emulator } from '@azureml-mlops/emulator';
import jwt from 'jsonwebtoken';
import { dedicatedEmulator } from '../../support/emulatorFixture';
import { armAccessToken, emulatorRequest, jwtClaims, workspacePath } from '../../support/emulatorHttp';

interface ArmError {
  error: { code: string; message: string };
}

/** A resource type the emulator does not serve: ARM authenticates and checks api-version before looking it up. */
function unservedPath(emulator: Emulator, name = 'widget1'): string {
  return `subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.Contoso/widgets/${name}`;
}

describe('emulator platform: ARM front door, faults and traffic', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let token: string;

  before(async () => {
    emulator = await dedicatedEmulator('platform');
    token = await armAccessToken(emulator);
  });
  afterEach(() => emulator.faults.clear());

  describe('authentication', () => {
    it('answers 401 AuthenticationFailed with a Bearer challenge when the Authorization header is missing', async () => {
      const answer = await emulatorRequest(emulator, 'GET', `${workspacePath(emulator)}?api-version=2022-10-01`);
      assert.equal(answer.status, 401);
      assert.equal(answer.json<ArmError>().error.code, 'AuthenticationFailed');
      assert.match(String(answer.headers['www-authenticate']), new RegExp(`^Bearer authorization_uri="${emulator.url}${emulator.tenantId}", error="invalid_token"`));
    });

    it('answers 401 InvalidAuthenticationToken for a token the tenant did not sign', async () => {
      const forgedKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const claims = { ...jwtClaims(token) };
      const forged = jwt.sign(claims, forgedKey, { algorithm: 'RS256' });
      for (const bearer of [forged, 'not-a-jwt']) {
        const answer = await emulatorRequest(emulator, 'GET', `${workspacePath(emulator)}?api-version=2022-10-01`, { bearer });
        assert.equal(answer.status, 401);
        assert.deepEqual(answer.json<ArmError>().error, { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' });
      }
    });

    it('answers 401 ExpiredAuthenticationToken once the token has expired', async () => {
      const shortLived = await dedicatedEmulator('short-lived', { accessTokenLifetimeSeconds: 1, oidcTokenLifetimeSeconds: 1 });
      const shortToken = await armAccessToken(shortLived);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const answer = await emulatorRequest(shortLived, 'GET', `${workspacePath(shortLived)}?api-version=2022-10-01`, { bearer: shortToken });
      assert.equal(answer.status, 401);
      const error = answer.json<ArmError>().error;
      assert.equal(error.code, 'ExpiredAuthenticationToken');
      assert.match(error.message, /^The access token expiry UTC time '.+' is earlier than current UTC time '.+'\.$/);
      assert.match(String(answer.headers['www-authenticate']), /error="invalid_token"/);
    });
  });

  describe('ARM conventions', () => {
    it('requires api-version', async () => {
      const answer = await emulatorRequest(emulator, 'GET', unservedPath(emulator), { bearer: token });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.json<ArmError>().error, {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      });
    });

    it('rejects an api-version the Azure ML routes do not serve, naming the resource type and the supported versions', async () => {
      const answer = await emulatorRequest(emulator, 'GET', `${workspacePath(emulator)}/jobs?api-version=2023-04-01`, { bearer: token });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.json<ArmError>().error, {
        code: 'NoRegisteredProviderFound',
        message:
          "No registered resource provider found for location 'westeurope' and API version '2023-04-01' for type 'workspaces/jobs'. " +
          "The supported api-versions are '2022-10-01'. The supported locations are 'westeurope'.",
      });
    });

    it('answers an unknown resource type with 404 InvalidResourceType in the ARM envelope', async () => {
      const answer = await emulatorRequest(emulator, 'GET', `${unservedPath(emulator)}?api-version=2022-10-01`, { bearer: token });
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.json<ArmError>().error, {
        code: 'InvalidResourceType',
        message: "The resource type 'widgets' could not be found in the namespace 'Microsoft.Contoso' for api version '2022-10-01'.",
      });
    });

    it('gives every answer a request id and keeps the caller correlation id', async () => {
      const answer = await emulatorRequest(emulator, 'GET', `${unservedPath(emulator)}?api-version=2022-10-01`, {
        bearer: token,
        headers: { 'x-ms-correlation-request-id': 'c2f1e8b0-1111-4222-8333-944455556666' },
      });
      assert.match(String(answer.headers['x-ms-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(answer.headers['x-ms-correlation-request-id'], 'c2f1e8b0-1111-4222-8333-944455556666');
    });
  });

  describe('traffic', () => {
    it('records each exchange with parsed JSON bodies and unredacted headers', async () => {
      const before = emulator.traffic.length;
      await emulatorRequest(emulator, 'PUT', `${unservedPath(emulator, 'recorded')}?api-version=2022-10-01`, {
        bearer: token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ properties: { size: 3 } }),
      });
      const recorded = emulator.traffic.slice(before);
      assert.equal(recorded.length, 1);
      const exchange = recorded[0]!;
      assert.equal(exchange.method, 'PUT');
      assert.equal(exchange.url, `${emulator.url}${unservedPath(emulator, 'recorded')}?api-version=2022-10-01`);
      assert.equal(exchange.kind, 'arm');
      assert.deepEqual(exchange.requestBody, { properties: { size: 3 } });
      assert.equal(exchange.requestHeaders['authorization'], `Bearer ${token}`);
      assert.equal(exchange.status, 404);
      assert.equal((exchange.responseBody as ArmError).error.code, 'InvalidResourceType');
      assert.equal(exchange.responseHeaders['content-type'], 'application/json; charset=utf-8');
    });

    it('records the route template and kind of routed exchanges', async () => {
      const before = emulator.traffic.length;
      await emulatorRequest(emulator, 'GET', `${emulator.tenantId}/v2.0/.well-known/openid-configuration`);
      const [exchange] = emulator.traffic.slice(before);
      assert.equal(exchange!.routeTemplate, '/:tenant/v2.0/.well-known/openid-configuration');
      assert.equal(exchange!.kind, 'open');
      assert.equal((exchange!.responseBody as { issuer: string }).issuer, `${emulator.url}${emulator.tenantId}/v2.0`);
    });

    it('empties the log on clearTraffic', async () => {
      await emulatorRequest(emulator, 'GET', `${emulator.tenantId}/v2.0/.well-known/openid-configuration`);
      const log = emulator.traffic;
      emulator.clearTraffic();
      assert.equal(log.length, 0);
      await emulatorRequest(emulator, 'GET', `${emulator.tenantId}/v2.0/.well-known/openid-configuration`);
      assert.equal(emulator.traffic.length, 1, 'the same log keeps recording');
    });
  });

  describe('fault injection', () => {
    const metadata = (e: Emulator) => `${e.tenantId}/v2.0/.well-known/openid-configuration`;

    it('answers 429 with Retry-After for the matching request only, then serves normally', async () => {
      emulator.faults.add({ path: '/.well-known/openid-configuration', fault: { type: 'status', status: 429, retryAfterSeconds: 7 } });
      const throttled = await emulatorRequest(emulator, 'GET', metadata(emulator));
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers['retry-after'], '7');
      assert.equal(throttled.json<ArmError>().error.code, 'TooManyRequests');
      assert.equal((await emulatorRequest(emulator, 'GET', metadata(emulator))).status, 200);
    });

    it('answers 503 as many times as asked, only for the given method and path pattern', async () => {
      emulator.faults.add({ method: 'PUT', path: /\/widgets\/flaky$/, fault: { type: 'status', status: 503 }, times: 2 });
      const put = () => emulatorRequest(emulator, 'PUT', `${unservedPath(emulator, 'flaky')}?api-version=2022-10-01`, { bearer: token, body: '{}' });
      assert.equal((await emulatorRequest(emulator, 'GET', `${unservedPath(emulator, 'flaky')}?api-version=2022-10-01`, { bearer: token })).status, 404);
      assert.equal((await put()).status, 503);
      const second = await put();
      assert.equal(second.status, 503);
      assert.equal(second.headers['retry-after'], undefined, 'no Retry-After unless asked');
      assert.equal((await put()).status, 404);
    });

    it('drops the connection without an answer', async () => {
      const before = emulator.traffic.length;
      emulator.faults.add({ path: '/.well-known/openid-configuration', fault: { type: 'drop' } });
      await assert.rejects(emulatorRequest(emulator, 'GET', metadata(emulator)), (error: NodeJS.ErrnoException) => {
        assert.ok(['ECONNRESET', 'EPIPE'].includes(error.code ?? '') || /socket hang up/.test(error.message), error.message);
        return true;
      });
      assert.equal(emulator.traffic[before]!.status, 0, 'a dropped exchange is recorded with status 0');
      assert.equal((await emulatorRequest(emulator, 'GET', metadata(emulator))).status, 200);
    });

    it('delays the answer: a later request overtakes the delayed one', async () => {
      emulator.faults.add({ path: '/v2.0/.well-known/openid-configuration', fault: { type: 'delay', delayMs: 1500 } });
      const finished: string[] = [];
      const delayed = emulatorRequest(emulator, 'GET', metadata(emulator)).then((a) => {
        finished.push('delayed');
        return a;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const prompt = emulatorRequest(emulator, 'GET', metadata(emulator)).then((a) => {
        finished.push('prompt');
        return a;
      });
      const [delayedAnswer, promptAnswer] = await Promise.all([delayed, prompt]);
      assert.deepEqual(finished, ['prompt', 'delayed']);
      assert.equal(delayedAnswer.status, 200, 'a delay still answers normally');
      assert.equal(promptAnswer.status, 200);
    });
  });
});
