import { startEmulator, type Emulator, type EmulatorOptions } from '@azureml-mlops/emulator';

let shared: Promise<Emulator> | undefined;
const dedicated = new Map<string, Promise<Emulator>>();

/**
 * The emulator shared by every test file of one mocha process, started on first use and stopped by the root hook
 * in tests/support/hooks.ts. Its traffic is validated against the REST specification by tests/contract at the end
 * of the run, so never call `clearTraffic()` on it: remember `traffic.length` before an action and slice instead.
 */
export function sharedEmulator(): Promise<Emulator> {
  shared ??= startEmulator();
  return shared;
}

/** Whether a test file has started the shared emulator. */
export function sharedEmulatorStarted(): boolean {
  return shared !== undefined;
}

/**
 * An emulator of its own for tests that need other options (short token lifetimes, Retry-After) or that send
 * deliberately invalid traffic: one per `name` and mocha process, stopped by the root hook like the shared one.
 */
export function dedicatedEmulator(name: string, options: EmulatorOptions = {}): Promise<Emulator> {
  let emulator = dedicated.get(name);
  if (!emulator) {
    emulator = startEmulator(options);
    dedicated.set(name, emulator);
  }
  return emulator;
}

/** Stops every emulator this module started (the root afterAll hook calls it). */
export async function stopAllEmulators(): Promise<void> {
  const starting = [...(shared ? [shared] : []), ...dedicated.values()];
  shared = undefined;
  dedicated.clear();
  await Promise.all(
    starting.map(async (promise) => {
      const emulator = await promise.catch(() => undefined);
      await emulator?.stop();
    }),
  );
}

// Also stop them when this module is loaded by spec files run without the root hooks file (e.g. `npx mocha <one file>`):
// a hook registered while mocha loads spec files belongs to the root suite and runs after every test.
if (typeof after === 'function') after(stopAllEmulators);
