/**
 * Watching the new deployment while it receives mirrored or live traffic. Mirrored requests are answered by the old
 * deployment (their answers from the new one are discarded by the service), so the only evidence of a failure is in
 * the new deployment's inference server log and state: new error lines, or a state other than Succeeded.
 */

/** What the watch reads. */
export interface WatchSources {
  /** The inference server log (its last lines); undefined when it cannot be read. */
  readLog(signal: AbortSignal): Promise<string | undefined>;
  /** The deployment's provisioning state; undefined when it no longer exists. */
  readState(signal: AbortSignal): Promise<string | undefined>;
}

export interface WatchClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Poll interval: often enough to stop a bad mirror early, rarely enough to stay far below ARM's read limits. */
export const WATCH_POLL_MS = 5_000;

/**
 * Error lines of an Azure ML inference server log: its records at level E(rror) or C(ritical)
 * (`2024-05-01 10:00:00,123 E [42] azmlinfsrv - Encountered Exception: ...`) and Python tracebacks.
 */
export function errorLines(log: string | undefined): string[] {
  if (!log) return [];
  return log
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => /\s[EC] \[\d+\]\s/.test(line) || /Traceback \(most recent call last\)/.test(line) || /\b(ERROR|CRITICAL)\b/.test(line));
}

/**
 * Watches `deployment` for `durationMs` (at least one check at the end). Resolves with the problem seen (new error
 * lines since the watch began, or a state other than Succeeded), or undefined when all was well.
 */
export async function watchDeployment(
  deployment: string,
  sources: WatchSources,
  durationMs: number,
  signal: AbortSignal,
  clock: WatchClock,
  pollMs = WATCH_POLL_MS,
): Promise<string | undefined> {
  const seen = new Set(errorLines(await sources.readLog(signal)));
  const end = clock.now() + durationMs;
  for (;;) {
    const remaining = end - clock.now();
    if (remaining > 0) await clock.sleep(Math.min(pollMs, remaining), signal);
    const state = await sources.readState(signal);
    if (state === undefined) return `the deployment '${deployment}' no longer exists`;
    if (state.toLowerCase() !== 'succeeded') return `the deployment '${deployment}' is ${state}`;
    const fresh = errorLines(await sources.readLog(signal)).filter((line) => !seen.has(line));
    if (fresh.length > 0) {
      const first = fresh[0]!.length > 300 ? `${fresh[0]!.slice(0, 297)}...` : fresh[0]!;
      return `the inference server of '${deployment}' logged ${fresh.length} error line${fresh.length === 1 ? '' : 's'} while it received traffic, first: ${first}`;
    }
    if (remaining <= 0 || clock.now() >= end) return undefined;
  }
}
