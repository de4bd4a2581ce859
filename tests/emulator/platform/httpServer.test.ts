import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultInjector } from '@azureml-mlops/emulator/dist/http/faults';
import { EmulatorHttpError, Router } from '@azureml-mlops/emulator/dist/http/router';
import { EmulatorServer } from '@azureml-mlops/emulator/dist/http/server';
import { TrafficRecorder } from '@azureml-mlops/emulator/dist/http/traffic';
import { AccessTokens } from '@azureml-mlops/emulator/dist/identity/accessTokens';
import { createSigningKey } from '@azureml-mlops/emulator/dist/identity/signingKey';
import { issueEndpointTls, prepareStorageTls } from '@azureml-mlops/emulator/dist/tls/certificates';
import { emulatorRequest, type HttpAnswer } from '../../support/emulatorHttp';

interface ArmError {
  error: { code: string; message: string };
}

const TENANT = '0f6c1b2a-3d4e-4f50-8a6b-7c8d9e0f1a2b';
const SUB = '11111111-2222-4333-8444-555555555555';

/**
 * The contract the platform gives route modules (the Azure ML module registers its routes this way): route kinds,
 * api-version negotiation, error envelopes and body serialisation, checked on a router of test routes.
 */
describe('emulator platform: HTTPS server and route kinds', function () {
  this.timeout(30_000);
  let stateDir: string;
  let server: EmulatorServer;
  let target: { url: string; caCertPath: string };
  let token: string;
  let foreignAudienceToken: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'emulator-server-test-'));
    const storageTls = await prepareStorageTls(stateDir);
    const [endpointTls, signingKey] = await Promise.all([issueEndpointTls(storageTls.ca), createSigningKey('test signing')]);
    const router = new Router();
    let tokens: AccessTokens | undefined;
    server = new EmulatorServer({
      router,
      faults: new FaultInjector(),
      traffic: new TrafficRecorder(),
      tls: endpointTls.server,
      authenticate: (authorization, kind) => tokens!.validate(authorization, kind),
      defaultApiVersions: ['2022-10-01'],
      location: 'westeurope',
      debug: () => undefined,
    });
    const url = await server.listen();
    tokens = new AccessTokens(TENANT, url, 3600, signingKey);
    token = tokens.issue('test-client', url).token;
    foreignAudienceToken = tokens.issue('test-client', 'https://vault.azure.net').token;
    target = { url, caCertPath: storageTls.caCertPath };

    const widgets = '/subscriptions/:subscriptionId/providers/Microsoft.Test/widgets/:name';
    router.add('GET', widgets, { kind: 'arm' }, (req) => ({ status: 200, body: { name: req.params['name'], caller: req.principal?.clientId } }));
    router.add('PUT', widgets, { kind: 'arm' }, (req) => ({ status: 201, body: req.json() }));
    router.add('GET', '/subscriptions/:subscriptionId/providers/Microsoft.Test/gadgets/:name', { kind: 'arm', apiVersions: ['2021-04-01', '2022-10-01'] }, () => ({ status: 200, body: {} }));
    router.add('POST', `${widgets}/fail`, { kind: 'arm' }, () => {
      throw new EmulatorHttpError(409, 'Conflict', 'The widget is busy.', { 'Retry-After': '3' });
    });
    router.add('GET', `${widgets}/crash`, { kind: 'arm' }, () => {
      throw new Error('internal detail that must not leak');
    });
    router.add('GET', '/data/:id', { kind: 'dataPlane' }, (req) => ({ status: 200, body: { id: req.params['id'], caller: req.principal?.clientId } }));
    router.add('GET', '/open/text', { kind: 'open' }, () => ({ status: 200, body: 'hello' }));
    router.add('GET', '/open/bytes', { kind: 'open' }, () => ({ status: 200, headers: { 'Content-Type': 'application/zip' }, body: Buffer.from([0, 1, 2, 255]) }));
  });

  after(async () => {
    await server?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  const get = (path: string, bearer?: string): Promise<HttpAnswer> => emulatorRequest(target, 'GET', path, bearer ? { bearer } : {});

  it('serves an arm route with a valid token and the accepted api-version, giving the handler the caller', async () => {
    const answer = await get(`subscriptions/${SUB}/providers/Microsoft.Test/widgets/w%201?api-version=2022-10-01`, token);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { name: 'w 1', caller: 'test-client' });
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
  });

  it('rejects an api-version the route does not accept, listing the ones it does, as ARM does', async () => {
    const answer = await get(`subscriptions/${SUB}/providers/Microsoft.Test/widgets/w1?api-version=2099-01-01`, token);
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json<ArmError>().error, {
      code: 'NoRegisteredProviderFound',
      message:
        "No registered resource provider found for location 'westeurope' and API version '2099-01-01' for type 'widgets'. " +
        "The supported api-versions are '2022-10-01'. The supported locations are 'westeurope'.",
    });
    assert.equal((await get(`subscriptions/${SUB}/providers/Microsoft.Test/gadgets/g1?api-version=2021-04-01`, token)).status, 200);
    const other = await get(`subscriptions/${SUB}/providers/Microsoft.Test/gadgets/g1?api-version=2020-01-01`, token);
    assert.match(other.json<ArmError>().error.message, /The supported api-versions are '2021-04-01, 2022-10-01'\./);
  });

  it('rejects a token issued for another audience', async () => {
    const answer = await get(`subscriptions/${SUB}/providers/Microsoft.Test/widgets/w1?api-version=2022-10-01`, foreignAudienceToken);
    assert.equal(answer.status, 401);
    assert.equal(answer.json<ArmError>().error.code, 'InvalidAuthenticationTokenAudience');
  });

  it('turns an EmulatorHttpError into the ARM envelope with its status and headers', async () => {
    const answer = await emulatorRequest(target, 'POST', `subscriptions/${SUB}/providers/Microsoft.Test/widgets/w1/fail?api-version=2022-10-01`, { bearer: token });
    assert.equal(answer.status, 409);
    assert.deepEqual(answer.json(), { error: { code: 'Conflict', message: 'The widget is busy.' } });
    assert.equal(answer.headers['retry-after'], '3');
  });

  it('answers an unexpected exception with 500 and a generic message', async () => {
    const answer = await get(`subscriptions/${SUB}/providers/Microsoft.Test/widgets/w1/crash?api-version=2022-10-01`, token);
    assert.equal(answer.status, 500);
    assert.equal(answer.json<ArmError>().error.code, 'InternalServerError');
    assert.doesNotMatch(answer.text, /internal detail/);
  });

  it('answers a body that is not JSON with 400 InvalidRequestContent, and passes JSON through', async () => {
    const path = `subscriptions/${SUB}/providers/Microsoft.Test/widgets/w1?api-version=2022-10-01`;
    const bad = await emulatorRequest(target, 'PUT', path, { bearer: token, body: '{ not json', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json<ArmError>().error.code, 'InvalidRequestContent');
    const good = await emulatorRequest(target, 'PUT', path, { bearer: token, body: '{"properties":{"a":1}}', headers: { 'content-type': 'application/json' } });
    assert.equal(good.status, 201);
    assert.deepEqual(good.json(), { properties: { a: 1 } });
  });

  it('answers a method the path does not support with 405', async () => {
    const answer = await emulatorRequest(target, 'DELETE', `subscriptions/${SUB}/providers/Microsoft.Test/widgets/w1?api-version=2022-10-01`, { bearer: token });
    assert.equal(answer.status, 405);
    assert.equal(answer.json<ArmError>().error.code, 'MethodNotAllowed');
  });

  it('requires a bearer token but no api-version on dataPlane routes', async () => {
    const anonymous = await get('data/42');
    assert.equal(anonymous.status, 401);
    const answer = await get('data/42', token);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.json(), { id: '42', caller: 'test-client' });
  });

  it('sends strings and buffers as they are, and answers an unknown path with 404', async () => {
    const text = await get('open/text');
    assert.equal(text.text, 'hello');
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      httpsGet(new URL('open/bytes', target.url), { ca: readFileSync(target.caCertPath) }, (res) => {
          assert.equal(res.headers['content-type'], 'application/zip');
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        }).on('error', reject);
    });
    assert.deepEqual([...bytes], [0, 1, 2, 255]);
    assert.equal((await get('open/missing')).status, 404);
    const malformed = await get(`subscriptions/${SUB}/providers/Microsoft.Test/widgets/%E0%A4%A?api-version=2022-10-01`, token);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json<ArmError>().error.code, 'InvalidUri');
  });
});
