/**
 * Waits for an ACR run to end, streaming its log, and cancels it when the pipeline is cancelled (SIGINT: the cancel
 * request goes out at once, within the seconds the agent leaves) or when it runs past the task's own deadline.
 */
import { setTimeout as delay } from 'node:timers/promises';

import { CancelledError, describeError, neutralizeAgentCommands, TaskError } from '@azureml-mlops/shared';

import type { BuildRun, RegistryOperations } from './acrClient';
import { BuildLogFollower, type BuildLogOutput, failureLineOf, type ReadLog, taskLog } from './buildLog';
import { RegistryPermissionError } from './permissions';

export interface RunWaitOptions {
  /** The run's own timeout (ACR ends it as Timeout); the task waits a little longer for a queued run. */
  readonly timeoutMinutes: number;
  readonly streamLogs: boolean;
  readonly cancelOnPipelineCancel: boolean;
}

export interface RunOutcome {
  readonly run: BuildRun;
  /** status Succeeded. */
  readonly succeeded: boolean;
  /** The task gave up waiting and cancelled the run. */
  readonly timedOut: boolean;
  /** The log's line saying what went wrong (failed runs). */
  readonly failureLine: string | undefined;
}

/** Time as the wait sees it; injected so tests need not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(Math.max(0, ms), undefined, { signal }),
};

export interface RunWaitDependencies {
  readonly readLog: ReadLog;
  readonly clock?: Clock;
  readonly output?: BuildLogOutput;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled', 'cancelled', 'error', 'timeout']);

export function isTerminalRunStatus(status: string): boolean {
  return TERMINAL.has(status.toLowerCase());
}

/** Status reads that may fail in a row (each already retried by the HTTP pipeline) before the wait gives up. */
export const MAX_CONSECUTIVE_POLL_FAILURES = 5;
/** Polls: from 0.5 s, 1.5 times longer after each poll without news, at most 5 s (a build changes fast). */
const POLL = { initialMs: 500, factor: 1.5, maxMs: 5_000 } as const;
/** Extra wait beyond the run's timeout, for the time it spends queued. */
const QUEUE_GRACE_MS = 10 * 60_000;
/** The pipeline was cancelled: the agent sends SIGTERM 7.5 s after SIGINT. */
const CANCEL_AFTER_ABORT = { requestTimeoutMs: 4_000, settleMs: 1_500, pollMs: 250 } as const;
const CANCEL_AFTER_TIMEOUT = { requestTimeoutMs: 60_000, settleMs: 60_000, pollMs: 2_000 } as const;

export async function waitForBuildRun(
  registry: RegistryOperations,
  started: BuildRun,
  options: RunWaitOptions,
  signal: AbortSignal,
  deps: RunWaitDependencies,
): Promise<RunOutcome> {
  const clock = deps.clock ?? systemClock;
  const output = deps.output ?? taskLog;
  const runId = started.runId;
  const follower = new BuildLogFollower(
    (s) => registry.getLogLink(runId, s),
    deps.readLog,
    output,
    `Build log (ACR run ${runId})`,
    options.streamLogs,
  );
  const deadline = clock.now() + options.timeoutMinutes * 60_000 + QUEUE_GRACE_MS;
  let run = started;
  let status = '';
  let failures = 0;
  let interval: number = POLL.initialMs;
  output.info(`Waiting for ACR run ${runId} in registry ${registry.registry.name} (timeout ${options.timeoutMinutes} minutes).`);

  const announce = (next: string): void => {
    if (next === status) return;
    follower.endGroup();
    output.info(status === '' ? `ACR run ${runId}: ${next}` : `ACR run ${runId}: ${status} → ${next}`);
    status = next;
  };

  try {
    signal.throwIfAborted();
    announce(run.status);
    for (;;) {
      let news = false;
      try {
        const read = await registry.getRun(runId, signal);
        failures = 0;
        run = read;
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof RegistryPermissionError) return await onAccessDenied(error);
        failures += 1;
        if (failures >= MAX_CONSECUTIVE_POLL_FAILURES) {
          throw new TaskError(
            `Lost track of ACR run ${runId}: its status could not be read ${failures} times in a row. Last error: ${describeError(error)} ` +
              `The build may still be running: az acr task logs --registry ${registry.registry.name} --run-id ${runId}`,
          );
        }
        output.warning(`Could not read the status of ACR run ${runId} (${failures} of ${MAX_CONSECUTIVE_POLL_FAILURES} failures in a row allowed): ${describeError(error)}`);
      }
      const terminal = isTerminalRunStatus(run.status);
      if (!terminal && run.status !== status) {
        announce(run.status);
        news = true;
      }
      if (options.streamLogs || terminal) {
        if ((await follower.poll(signal)) > 0) news = true;
      }
      if (terminal) {
        follower.flush();
        announce(run.status);
        const result = outcome(run, false, follower.tail);
        if (!result.succeeded && !options.streamLogs) printTail(output, runId, follower.tail);
        return result;
      }
      if (clock.now() >= deadline) return await onTimeout();
      interval = news ? POLL.initialMs : Math.min(POLL.maxMs, Math.round(interval * POLL.factor));
      await clock.sleep(Math.min(interval, Math.max(0, deadline - clock.now())), signal);
    }
  } catch (error) {
    if (signal.aborted) return await onPipelineCancelled();
    throw error;
  } finally {
    follower.endGroup();
  }

  async function onTimeout(): Promise<RunOutcome> {
    follower.endGroup();
    output.info(`ACR run ${runId} has not finished ${options.timeoutMinutes} minutes after its timeout began: cancelling it.`);
    const result = await cancelRun(registry, runId, clock, CANCEL_AFTER_TIMEOUT);
    if (result.error) {
      throw new TaskError(`ACR run ${runId} did not finish in time, and cancelling it failed: ${result.error} Cancel it with az acr task cancel-run --registry ${registry.registry.name} --run-id ${runId}.`);
    }
    return outcome(result.run ?? run, true, follower.tail);
  }

  /** The run's status may not be read: waiting is pointless, and the run is cancelled so that it pushes nothing. */
  async function onAccessDenied(error: RegistryPermissionError): Promise<never> {
    follower.stop();
    const result = await cancelRun(registry, runId, clock, CANCEL_AFTER_ABORT);
    const after = result.error
      ? `ACR run ${runId} may still be running: az acr task cancel-run --registry ${registry.registry.name} --run-id ${runId}.`
      : `ACR run ${runId} was cancelled.`;
    throw new TaskError(`${error.message} ${after}`, { cause: error });
  }

  async function onPipelineCancelled(): Promise<never> {
    follower.stop();
    const where = `az acr task logs --registry ${registry.registry.name} --run-id ${runId}`;
    if (!options.cancelOnPipelineCancel) {
      output.warning(`The pipeline was cancelled. ACR run ${runId} keeps running, because cancelOnPipelineCancel is false. Follow it with ${where}.`);
      throw new CancelledError(`The pipeline was cancelled. ACR run ${runId} keeps running (cancelOnPipelineCancel is false).`);
    }
    output.info(`The pipeline was cancelled: cancelling ACR run ${runId}.`);
    const result = await cancelRun(registry, runId, clock, CANCEL_AFTER_ABORT);
    if (result.error) {
      output.warning(`Could not cancel ACR run ${runId}: ${result.error} It may still be running: az acr task cancel-run --registry ${registry.registry.name} --run-id ${runId}.`);
      throw new CancelledError(`The pipeline was cancelled, but cancelling ACR run ${runId} failed: it may still be running.`);
    }
    const final = result.run?.status;
    output.info(
      final && isTerminalRunStatus(final)
        ? `ACR run ${runId} was cancelled because the pipeline was cancelled (status: ${final}).`
        : `ACR run ${runId} is being cancelled because the pipeline was cancelled (status: ${final ?? 'unknown'}).`,
    );
    throw new CancelledError(`The pipeline was cancelled, so ACR run ${runId} was cancelled too.`);
  }
}

/** The end of a failed run's log, when it was not streamed: what the error line is quoted from. */
function printTail(output: BuildLogOutput, runId: string, tail: readonly string[]): void {
  const close = output.startGroup(`End of the build log (ACR run ${runId})`);
  for (const line of tail.slice(-40)) output.info(neutralizeAgentCommands(line));
  close();
}

function outcome(run: BuildRun, timedOut: boolean, tail: readonly string[]): RunOutcome {
  const succeeded = run.status.toLowerCase() === 'succeeded';
  return { run, succeeded, timedOut, failureLine: succeeded ? undefined : failureLineOf(tail) };
}

/** Sends the cancel request (bounded by `requestTimeoutMs`), then watches the status for at most `settleMs`. */
async function cancelRun(
  registry: RegistryOperations,
  runId: string,
  clock: Clock,
  settings: { readonly requestTimeoutMs: number; readonly settleMs: number; readonly pollMs: number },
): Promise<{ run?: BuildRun; error?: string }> {
  try {
    await registry.cancelRun(runId, AbortSignal.timeout(settings.requestTimeoutMs));
  } catch (error) {
    return { error: describeError(error) };
  }
  const until = clock.now() + settings.settleMs;
  let last: BuildRun | undefined;
  for (;;) {
    try {
      last = await registry.getRun(runId, AbortSignal.timeout(settings.requestTimeoutMs));
    } catch {
      // The status is a bonus here: the cancel request was accepted.
    }
    if ((last && isTerminalRunStatus(last.status)) || clock.now() >= until) return last ? { run: last } : {};
    await clock.sleep(settings.pollMs, AbortSignal.timeout(settings.pollMs + 1_000));
  }
}
