import * as assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Emulator } from '@azureml-mlops/emulator';
import { dedicatedEmulator } from '../../support/emulatorFixture';
import { runNodeScript } from '../../support/nodeRunner';

interface BlobResult {
  readonly ok: boolean;
  readonly usedProxy?: boolean;
  readonly armBypassed?: boolean;
  readonly downloaded?: string;
  readonly url?: string;
  readonly writeRefused?: { status?: number; code?: string };
  readonly errorMessage?: string;
}

/** Azurite's published development key: the emulator's account must not use it. */
const WELL_KNOWN_DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The answer line of a raw request to the proxy. */
function proxyAnswer(proxyUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (c: Buffer) => {
      data += c.toString('utf8');
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
  });
}

describe('emulator platform: storage (Azurite behind the agent proxy)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let agentEnv: Record<string, string>;

  before(async () => {
    emulator = await dedicatedEmulator('platform');
    // What a task gets from the agent: the CA and the proxy variables (the connection itself is not needed here).
    const env = emulator.connectionEnv('0d5c1f2e-0000-4000-8000-0000000000b1', 'servicePrincipalSecret');
    agentEnv = { NODE_EXTRA_CA_CERTS: env['NODE_EXTRA_CA_CERTS']!, AGENT_PROXYURL: env['AGENT_PROXYURL']!, AGENT_PROXYBYPASSLIST: env['AGENT_PROXYBYPASSLIST']! };
  });

  it('round-trips a blob through the proxy with a production-style URL and the account key', async () => {
    const { result } = await runNodeScript<BlobResult>('blobRunner.js', {
      ...agentEnv,
      RUNNER_MODE: 'key',
      RUNNER_ACCOUNT: emulator.storage.accountName,
      RUNNER_KEY: emulator.storage.accountKey,
      RUNNER_CONTAINER: emulator.storage.defaultContainer,
      RUNNER_BLOB: 'platform-test/hello world.txt',
      RUNNER_CONTENT: 'hello from a task',
      RUNNER_ARM_URL: emulator.url,
    });
    assert.equal(result.ok, true, result.errorMessage);
    assert.equal(result.usedProxy, true, 'storage traffic goes through the agent proxy');
    assert.equal(result.armBypassed, true, 'the emulator URL is on the bypass list');
    assert.equal(result.downloaded, 'hello from a task');
    assert.equal(result.url, `https://${emulator.storage.accountName}.blob.core.windows.net/${emulator.storage.defaultContainer}/platform-test/hello%20world.txt`);
    // The blob landed in the account the emulator itself reads.
    const names = (await emulator.inspect.datastoreBlobs()).map((b) => b.name);
    assert.ok(names.includes('platform-test/hello world.txt'), names.join(', '));
  });

  it('serves a read-only SAS URL through the proxy and refuses writes with it', async () => {
    const { result: seeded } = await runNodeScript<BlobResult>('blobRunner.js', {
      ...agentEnv,
      RUNNER_MODE: 'key',
      RUNNER_ACCOUNT: emulator.storage.accountName,
      RUNNER_KEY: emulator.storage.accountKey,
      RUNNER_CONTAINER: emulator.storage.artifactsContainer,
      RUNNER_BLOB: 'ExperimentRun/dcid.test/user_logs/std_log.txt',
      RUNNER_CONTENT: 'epoch 1 loss 0.5\n',
    });
    assert.equal(seeded.ok, true, seeded.errorMessage);
    const sasUrl = emulator.storage.readSasUrl(emulator.storage.artifactsContainer, 'ExperimentRun/dcid.test/user_logs/std_log.txt', 300);
    assert.ok(sasUrl.startsWith(emulator.storage.blobUrl(emulator.storage.artifactsContainer, 'ExperimentRun/dcid.test/user_logs/std_log.txt') + '?'));

    const { result } = await runNodeScript<BlobResult>('blobRunner.js', { ...agentEnv, RUNNER_MODE: 'sas', RUNNER_SAS_URL: sasUrl });
    assert.equal(result.ok, true, result.errorMessage);
    assert.equal(result.usedProxy, true);
    assert.equal(result.downloaded, 'epoch 1 loss 0.5\n');
    assert.equal(result.writeRefused?.status, 403);
  });

  it('tunnels only the account host on port 443', async () => {
    const host = `${emulator.storage.accountName}.blob.core.windows.net`;
    assert.equal(await proxyAnswer(emulator.proxyUrl, `CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`), 'HTTP/1.1 200 Connection Established');
    for (const other of ['otheraccount.blob.core.windows.net:443', 'management.azure.com:443', `${host}:80`]) {
      assert.equal(await proxyAnswer(emulator.proxyUrl, `CONNECT ${other} HTTP/1.1\r\nHost: ${other}\r\n\r\n`), 'HTTP/1.1 403 Forbidden', other);
    }
    assert.match(await proxyAnswer(emulator.proxyUrl, `GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`), /^HTTP\/1\.1 405/);
  });

  it('uses a random account key, not Azurite\'s well-known development key', () => {
    assert.notEqual(emulator.storage.accountKey, WELL_KNOWN_DEV_KEY);
    assert.equal(Buffer.from(emulator.storage.accountKey, 'base64').length, 64);
    assert.match(emulator.storage.accountName, /^[a-z0-9]{3,24}$/);
    assert.match(emulator.storage.defaultContainer, /^azureml-blobstore-[0-9a-f-]{36}$/);
  });
});
