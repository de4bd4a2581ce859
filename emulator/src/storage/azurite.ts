import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';

export interface AzuriteOptions {
  /** Folder for Azurite's metadata and blob data. */
  readonly location: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly accountName: string;
  readonly accountKey: string;
  readonly debug: (message: string) => void;
}

export interface AzuriteProcess {
  /** HTTPS port of the blob service on 127.0.0.1. */
  readonly port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** Children still running, killed if this process exits without stopping them (e.g. a test run aborted). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts Azurite's blob service over HTTPS on a free port of 127.0.0.1, with one account whose key is not the
 * well-known development key, and waits until it listens.
 */
export async function startAzurite(options: AzuriteOptions): Promise<AzuriteProcess> {
  await mkdir(options.location, { recursive: true });
  const args = [
    // Azurite runs inside a host that exits when our end of its stdin closes (see azuriteHost.ts).
    require.resolve('./azuriteHost'),
    require.resolve('azurite/dist/src/blob/main.js'),
    '--blobHost', '127.0.0.1',
    '--blobPort', '0',
    '--location', options.location,
    '--cert', options.certPath,
    '--key', options.keyPath,
    // The SDK may speak a newer storage service version than this Azurite knows; the operations we use are the same.
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--silent',
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, AZURITE_ACCOUNTS: `${options.accountName}:${options.accountKey}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  installExitHook();
  running.add(child);
  child.once('exit', () => running.delete(child));

  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within ${START_TIMEOUT_MS / 1000} s.${tail(output)}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const listening = /successfully listens on https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (listening) {
        cleanup();
        resolve(Number(listening[1]));
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`Azurite exited with code ${code} before listening.${tail(output)}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (error: Error): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
  // Keep draining its output so a chatty Azurite never blocks on a full pipe.
  child.stdout!.on('data', () => undefined);
  child.stderr!.on('data', (chunk: Buffer) => options.debug(`azurite: ${chunk.toString('utf8').trimEnd()}`));
  options.debug(`Azurite blob service on https://127.0.0.1:${port}`);

  return {
    port,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function tail(output: string): string {
  const trimmed = output.trim();
  return trimmed ? ` Output: ${trimmed.slice(-2000)}` : '';
}
