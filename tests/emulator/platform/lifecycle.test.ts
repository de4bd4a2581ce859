import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulator } from '@azureml-mlops/emulator';
import { emulatorRequest } from '../../support/emulatorHttp';

describe('emulator platform: lifecycle', function () {
  this.timeout(60_000);
  let stateDir: string;

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'emulator-state-'));
  });
  after(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('runs two emulators side by side; stop removes a temporary state folder and keeps a given one, and its CA', async () => {
    const [temporary, kept] = await Promise.all([startEmulator(), startEmulator({ stateDir })]);
    const keptCa = await readFile(kept.caCertPath, 'utf8');
    try {
      assert.notEqual(temporary.url, kept.url);
      assert.notEqual(temporary.proxyUrl, kept.proxyUrl);
      assert.match(temporary.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
      assert.match(temporary.proxyUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(temporary.resourceGroup, 'mlops-rg');
      assert.equal(temporary.workspaceName, 'mlops-ws');
      assert.equal(kept.caCertPath, join(stateDir, 'tls', 'ca.pem'));
      assert.equal((await emulatorRequest(temporary, 'GET', `${temporary.tenantId}/v2.0/.well-known/openid-configuration`)).status, 200);
      // Each emulator has its own CA: one does not trust the other's server certificate.
      await assert.rejects(emulatorRequest({ url: temporary.url, caCertPath: kept.caCertPath }, 'GET', `${temporary.tenantId}/v2.0/.well-known/openid-configuration`));
    } finally {
      await Promise.all([temporary.stop(), kept.stop()]);
    }
    assert.equal(existsSync(dirname(dirname(temporary.caCertPath))), false, 'temporary state folder removed');
    assert.equal(existsSync(kept.caCertPath), true, 'a caller-owned state folder is kept');
    await assert.rejects(emulatorRequest(temporary, 'GET', `${temporary.tenantId}/v2.0/.well-known/openid-configuration`), 'nothing listens after stop');
    await temporary.stop(); // a second stop is harmless

    const restarted = await startEmulator({ stateDir });
    try {
      assert.equal(await readFile(restarted.caCertPath, 'utf8'), keptCa, 'a CA trusted once stays valid');
      assert.equal((await emulatorRequest(restarted, 'GET', `${restarted.tenantId}/v2.0/.well-known/openid-configuration`)).status, 200);
    } finally {
      await restarted.stop();
    }
  });

  it('rejects invalid options with a message naming the option', async () => {
    await assert.rejects(startEmulator({ accessTokenLifetimeSeconds: 0 }), /EmulatorOptions\.accessTokenLifetimeSeconds must be a positive whole number/);
    await assert.rejects(startEmulator({ jobStepDelayMs: -1 }), /EmulatorOptions\.jobStepDelayMs must be zero or more/);
  });

  it("leaves no Azurite behind when the emulator's process is killed outright (SIGKILL: no exit hook runs)", async function () {
    const script = `require(${JSON.stringify(require.resolve('@azureml-mlops/emulator'))}).startEmulator().then(() => process.stdout.write('ready\\n'));`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      parent.stdout.once('data', () => resolve());
      parent.once('exit', (code) => reject(new Error(`the emulator's process exited with ${code} before it was ready`)));
    });
    const azurite = childrenOf(parent.pid!).filter((pid) => commandLine(pid).includes('azurite'));
    assert.equal(azurite.length, 1, 'one Azurite child');
    parent.kill('SIGKILL');
    for (let i = 0; i < 500 && processExists(azurite[0]!); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(processExists(azurite[0]!), false, 'Azurite exited with the process that started it');
  });
});

/** Pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
