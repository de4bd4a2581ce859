import * as fs from 'node:fs';
import * as path from 'node:path';

import * as tl from 'azure-pipelines-task-lib/task';

import { AgentEnvironment, isDebugEnabled, taskLibEnvironment } from './agentEnvironment';
import { CancelledError, isAbortError, TaskError } from './errors';
import { describeError } from './describeError';
import { readTaskIdentity, setCurrentTask } from './taskIdentity';

export interface RunTaskOptions {
  /** Absolute path of the task's task.json (`path.join(__dirname, 'task.json')` in a bundle). */
  readonly taskJsonPath: string;
  /**
   * Time allowed, after the first SIGINT/SIGTERM, for `main` to wind down (e.g. cancel the Azure ML job) before
   * the task reports Cancelled and exits anyway. The agent sends SIGINT, SIGTERM 7.5 s later and kills the
   * process 2.5 s after that, so the default leaves ~2 s of margin.
   */
  readonly cancellationGraceMs?: number;
  /** Exit the process when done (default true); false only for in-process callers that exit themselves. */
  readonly exitProcess?: boolean;
  readonly env?: AgentEnvironment;
}

const DEFAULT_CANCELLATION_GRACE_MS = 8_000;

/** A task's task.json: beside its bundle (the packaged task), or one folder up from its tsc output (dist/). */
export function findTaskJson(moduleDirectory: string): string {
  return [moduleDirectory, path.dirname(moduleDirectory)].map((folder) => path.join(folder, 'task.json')).find((file) => fs.existsSync(file)) ?? path.join(moduleDirectory, 'task.json');
}

/**
 * Runs a task's entry point the way every task in this extension behaves:
 * - task-lib messages come from the task.json (`setResourcePath`);
 * - the first SIGINT or SIGTERM aborts `signal` so `main` can cancel what it started; a second signal, or the
 *   grace period running out, ends the process at once with a Cancelled result;
 * - a TaskError/InputError becomes one `##[error]` line with its message and a Failed result; any other error
 *   too, with its stack only when System.Debug is true; an abort becomes a Cancelled result;
 * - the process exits when done even if sockets or timers are still open.
 */
export async function runTaskMain(options: RunTaskOptions, main: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const env = options.env ?? taskLibEnvironment;
  const exitProcess = options.exitProcess ?? true;
  const controller = new AbortController();
  let finished = false;

  const finish = async (code: number): Promise<void> => {
    if (finished) return;
    finished = true;
    process.exitCode = code;
    if (exitProcess) {
      await flushStdout();
      process.exit(code);
    }
  };

  const reportCancelled = (message: string): void => {
    tl.setResult(tl.TaskResult.Cancelled, message);
  };

  let graceTimer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (finished) return;
    if (!controller.signal.aborted) {
      console.log(`Received ${signal}: cancelling. The task stops what it started before it exits.`);
      controller.abort(new CancelledError(`The task was cancelled (${signal}).`));
      graceTimer = setTimeout(() => {
        reportCancelled('The task was cancelled; it did not finish winding down in time.');
        void finish(1);
      }, options.cancellationGraceMs ?? DEFAULT_CANCELLATION_GRACE_MS);
      return;
    }
    // The agent's second signal: there are about 2.5 s left before it kills us.
    reportCancelled(`The task was cancelled (${signal}).`);
    void finish(1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onUnhandled = (error: unknown): void => {
    reportFailure(error, env, controller.signal);
    void finish(1);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);

  // Keeps the event loop alive while main awaits something with no handle of its own (e.g. only the abort
  // signal), so a cancellation signal can still arrive and be handled.
  const keepAlive = setInterval(() => undefined, 60_000);
  let exitCode = 0;
  try {
    tl.setResourcePath(options.taskJsonPath, true);
    setCurrentTask(readTaskIdentity(options.taskJsonPath));
    await main(controller.signal);
    if (controller.signal.aborted) {
      // main wound down cleanly after cancellation: still never report success for a cancelled run.
      const reason = controller.signal.reason;
      reportCancelled(reason instanceof CancelledError ? reason.message : 'The task was cancelled.');
      exitCode = 1;
    }
  } catch (error) {
    reportFailure(error, env, controller.signal);
    exitCode = 1;
  } finally {
    clearInterval(keepAlive);
    if (graceTimer) clearTimeout(graceTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  }
  await finish(exitCode);
}

/** Sets the task result for an error thrown by a task, following the rules in runTaskMain. */
export function reportFailure(error: unknown, env: AgentEnvironment = taskLibEnvironment, signal?: AbortSignal): void {
  if (error instanceof CancelledError || (signal?.aborted && isAbortError(error))) {
    const reason: unknown = signal?.reason;
    const message =
      error instanceof CancelledError ? error.message : reason instanceof CancelledError ? reason.message : 'The task was cancelled.';
    tl.setResult(tl.TaskResult.Cancelled, message);
    return;
  }
  if (error instanceof TaskError) {
    tl.setResult(tl.TaskResult.Failed, error.message);
    return;
  }
  const message = describeError(error);
  if (isDebugEnabled(env) && error instanceof Error && error.stack) {
    // Debug lines, not the error issue: the issue stays one readable line.
    for (const line of error.stack.split('\n')) tl.debug(line);
  }
  tl.setResult(tl.TaskResult.Failed, message);
}

function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.writableLength === 0) {
      resolve();
      return;
    }
    process.stdout.write('', () => resolve());
  });
}
