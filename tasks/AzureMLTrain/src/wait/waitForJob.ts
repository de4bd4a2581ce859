import { CancelledError, describeError, TaskError, type RunDetails } from '@azureml-mlops/shared';

import { cancelJob, type CancelResult } from './cancel';
import { systemClock, untilAborted, type Clock } from './clock';
import { failedStepsText, runErrorText } from './failure';
import { cancelCommand, getJob, isPipelineJob, studioUrlOf, whereToFindJob, type JobResource, type JobWorkspace } from './jobResource';
import { CommandJobLogStreamer, PipelineJobLogStreamer, type JobLogStreamer } from './logStreaming';
import { PollSchedule } from './pollSchedule';
import { isSucceededStatus, isTerminalStatus } from './statuses';
import { taskLog, WaitPrinter, type WaitLog } from './waitLog';

export interface WaitOptions {
  /** 0 = no timeout. */
  readonly timeoutMinutes: number;
  readonly streamLogs: boolean;
  readonly cancelOnPipelineCancel: boolean;
}

export interface JobOutcome {
  /** Terminal status as the service reports it (Completed, Failed, Canceled, NotResponding, Paused...). */
  readonly status: string;
  /** status === 'Completed'. */
  readonly succeeded: boolean;
  /** The service's own error text for a job that did not succeed (run history error; a pipeline's failed steps), when it gives one. */
  readonly failureMessage?: string;
  /** The task cancelled the job after `timeoutMinutes`. */
  readonly timedOut: boolean;
  readonly startedAt?: Date;
  readonly endedAt?: Date;
}

/** Injected in tests: a virtual clock, a log recorder. */
export interface WaitDependencies {
  readonly clock?: Clock;
  readonly log?: WaitLog;
}

/** Status reads that may fail in a row (each already retried by the HTTP pipeline) before the wait gives up. */
export const MAX_CONSECUTIVE_POLL_FAILURES = 5;

/** The pipeline was cancelled: the agent sends SIGTERM 7.5 s after SIGINT, and runTaskMain allows 8 s. */
const CANCEL_AFTER_ABORT = { requestTimeoutMs: 4_000, settleMs: 1_500, pollMs: 250 } as const;
/** Timed out: there is time to see the job stop. */
const CANCEL_AFTER_TIMEOUT = { requestTimeoutMs: 60_000, settleMs: 120_000, pollMs: 2_000 } as const;

/**
 * Waits for an Azure ML job to reach a terminal status, streaming its logs (see pollSchedule.ts for how often it
 * asks). Resolves with the outcome: only Completed is a success, and a job cancelled after `timeoutMinutes` has
 * `timedOut`. When `signal` aborts (the pipeline was cancelled), sends the job's cancel request at once (unless
 * `cancelOnPipelineCancel` is false) and rejects with a CancelledError.
 */
export function waitForJob(
  workspace: JobWorkspace,
  jobName: string,
  options: WaitOptions,
  signal: AbortSignal,
  dependencies: WaitDependencies = {},
): Promise<JobOutcome> {
  return new JobWaiter(workspace, jobName, options, signal, dependencies.clock ?? systemClock, dependencies.log ?? taskLog).run();
}

type PollResult = { readonly outcome: JobOutcome } | { readonly outcome?: undefined; readonly lines: number };

class JobWaiter {
  private readonly printer: WaitPrinter;
  private status?: string;
  private job?: JobResource;
  private streamer?: JobLogStreamer;
  private schedule?: PollSchedule;
  private consecutiveFailures = 0;

  constructor(
    private readonly workspace: JobWorkspace,
    private readonly jobName: string,
    private readonly options: WaitOptions,
    private readonly signal: AbortSignal,
    private readonly clock: Clock,
    private readonly log: WaitLog,
  ) {
    this.printer = new WaitPrinter(log, `Logs of Azure ML job '${jobName}'`);
  }

  async run(): Promise<JobOutcome> {
    const { clock, signal, options } = this;
    const start = clock.now();
    const timeoutMs = options.timeoutMinutes > 0 ? options.timeoutMinutes * 60_000 : undefined;
    const deadline = timeoutMs === undefined ? undefined : start + timeoutMs;
    this.schedule = new PollSchedule(start);
    this.log.info(
      `Waiting for Azure ML job '${this.jobName}' to finish (${timeoutMs === undefined ? 'no timeout' : `timeout: ${minutes(options.timeoutMinutes)}`}).`,
    );
    try {
      // Cancelled before the wait began (e.g. during submission): cancel without a status read first.
      signal.throwIfAborted();
      for (;;) {
        const result = await untilAborted(this.poll(), signal);
        if (result.outcome) return result.outcome;
        const now = clock.now();
        if (deadline !== undefined && now >= deadline) return await this.onTimeout();
        let delay = this.schedule.next(now, result.lines > 0);
        if (deadline !== undefined) delay = Math.min(delay, deadline - now);
        await untilAborted(clock.sleep(delay, signal), signal);
      }
    } catch (error) {
      if (signal.aborted) return await this.onPipelineCancelled();
      throw error;
    } finally {
      this.printer.endGroup();
    }
  }

  /** One round: the job's status, then (while it runs) new log lines; the outcome once it is terminal. */
  private async poll(): Promise<PollResult> {
    const { signal } = this;
    let job: JobResource;
    try {
      job = await getJob(this.workspace, this.jobName, signal);
      this.consecutiveFailures = 0;
    } catch (error) {
      if (signal.aborted) throw error;
      return this.onPollFailure(error);
    }
    signal.throwIfAborted();
    this.job = job;
    if (this.options.streamLogs && !this.streamer) {
      this.streamer = isPipelineJob(job)
        ? new PipelineJobLogStreamer(this.workspace, this.jobName, this.printer)
        : new CommandJobLogStreamer(this.workspace, this.jobName, this.printer);
    }
    const status = job.properties?.status ?? 'Unknown';
    if (isTerminalStatus(status)) return { outcome: await this.finish(status, false) };
    if (status !== this.status) {
      this.printStatus(status);
      this.schedule?.changed(this.clock.now());
    }
    const round = this.streamer ? await this.streamer.poll(signal) : { changed: false, lines: 0 };
    if (round.changed) this.schedule?.changed(this.clock.now());
    return { lines: round.lines };
  }

  private onPollFailure(error: unknown): PollResult {
    this.consecutiveFailures += 1;
    const reason = describeError(error);
    if (this.consecutiveFailures >= MAX_CONSECUTIVE_POLL_FAILURES) {
      throw new TaskError(
        `Lost track of Azure ML job '${this.jobName}': its status could not be read ${this.consecutiveFailures} times in a row. ` +
          `Last error: ${reason} The job may still be running: ${whereToFindJob(this.workspace, this.jobName, studioUrlOf(this.job))}.`,
      );
    }
    this.printer.warning(
      `Could not read the status of Azure ML job '${this.jobName}' (${this.consecutiveFailures} of ${MAX_CONSECUTIVE_POLL_FAILURES} failures in a row allowed): ${reason}`,
    );
    return { lines: 0 };
  }

  /** The job reached a terminal status: last log lines, then the outcome. */
  private async finish(status: string, timedOut: boolean): Promise<JobOutcome> {
    await this.streamer?.finish(this.signal);
    if (status !== this.status) this.printStatus(status);
    this.printer.endGroup();
    return this.outcome(status, timedOut);
  }

  private async outcome(status: string, timedOut: boolean): Promise<JobOutcome> {
    const { signal } = this;
    let details: RunDetails | undefined;
    try {
      details = await this.workspace.runHistory.getRunDetails(this.jobName, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      this.log.debug(`Could not read the run details of job '${this.jobName}': ${describeError(error)}`);
    }
    const succeeded = isSucceededStatus(status);
    let failureMessage: string | undefined;
    if (!succeeded) {
      const steps = this.job && isPipelineJob(this.job) ? await failedStepsText(this.workspace, this.jobName, this.log, signal) : undefined;
      failureMessage = steps ?? runErrorText(details);
    }
    return {
      status,
      succeeded,
      ...(failureMessage === undefined ? {} : { failureMessage }),
      timedOut,
      ...dateField('startedAt', details?.startTimeUtc),
      ...dateField('endedAt', details?.endTimeUtc),
    };
  }

  private printStatus(status: string): void {
    const previous = this.status;
    this.status = status;
    this.printer.status(previous === undefined ? `Azure ML job '${this.jobName}': ${status}` : `Azure ML job '${this.jobName}': ${previous} → ${status}`);
  }

  private async onTimeout(): Promise<JobOutcome> {
    const { jobName, options } = this;
    this.printer.status(`Azure ML job '${jobName}' has not finished within timeoutMinutes (${minutes(options.timeoutMinutes)}): cancelling it.`);
    const result = await cancelJob(this.workspace, jobName, this.clock, CANCEL_AFTER_TIMEOUT);
    if (this.signal.aborted) return this.onPipelineCancelled(result);
    if (result.alreadyFinished) return this.finish(result.status!, false);
    const where = whereToFindJob(this.workspace, jobName, studioUrlOf(this.job));
    if (!result.requested) {
      throw new TaskError(
        `Azure ML job '${jobName}' did not finish within timeoutMinutes (${minutes(options.timeoutMinutes)}), and cancelling it failed: ${result.error} ` +
          `It may still be running: ${where}; cancel it with \`${cancelCommand(this.workspace, jobName)}\`.`,
      );
    }
    if (isTerminalStatus(result.status)) return this.finish(result.status!, true);
    this.printer.warning(`Azure ML job '${jobName}' was asked to cancel and is ${result.status ?? 'CancelRequested'}; Azure ML stops it shortly: ${where}.`);
    return this.outcome(result.status ?? 'CancelRequested', true);
  }

  /**
   * The pipeline was cancelled: cancel the job (or say it keeps running), then reject with CancelledError.
   * `alreadyRequested` is the result of a cancel sent for a timeout just before.
   */
  private async onPipelineCancelled(alreadyRequested?: CancelResult): Promise<never> {
    const { jobName, log, workspace } = this;
    this.printer.stop();
    const studioUrl = studioUrlOf(this.job);
    const where = whereToFindJob(workspace, jobName, studioUrl);
    if (!this.options.cancelOnPipelineCancel) {
      log.warning(
        `The pipeline was cancelled. Azure ML job '${jobName}' keeps running, because cancelOnPipelineCancel is false. ` +
          `Follow it at ${where}; cancel it with \`${cancelCommand(workspace, jobName)}\`.`,
      );
      throw new CancelledError(`The pipeline was cancelled. Azure ML job '${jobName}' keeps running (cancelOnPipelineCancel is false).`);
    }
    log.info(`The pipeline was cancelled: cancelling Azure ML job '${jobName}'.`);
    const result = alreadyRequested ?? (await cancelJob(workspace, jobName, this.clock, CANCEL_AFTER_ABORT));
    if (result.alreadyFinished) {
      log.info(`Azure ML job '${jobName}' had already finished with status ${result.status}.`);
      throw new CancelledError(`The pipeline was cancelled. Azure ML job '${jobName}' had already finished (${result.status}).`);
    }
    if (!result.requested) {
      log.warning(`Could not cancel Azure ML job '${jobName}': ${result.error} It may still be running: cancel it at ${where}, or with \`${cancelCommand(workspace, jobName)}\`.`);
      throw new CancelledError(`The pipeline was cancelled, but cancelling Azure ML job '${jobName}' failed: it may still be running.`);
    }
    if (isTerminalStatus(result.status)) {
      log.info(`Azure ML job '${jobName}' was cancelled because the pipeline was cancelled (status: ${result.status}).${studioUrl ? ` ${studioUrl}` : ''}`);
    } else {
      log.info(`Azure ML job '${jobName}' is being cancelled because the pipeline was cancelled (status: ${result.status ?? 'CancelRequested'}); Azure ML stops it shortly: ${where}.`);
    }
    throw new CancelledError(`The pipeline was cancelled, so Azure ML job '${jobName}' was cancelled too.`);
  }
}

function minutes(value: number): string {
  return `${value} minute${value === 1 ? '' : 's'}`;
}

function dateField<K extends 'startedAt' | 'endedAt'>(key: K, value: string | null | undefined): Partial<Record<K, Date>> {
  if (!value) return {};
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? {} : ({ [key]: date } as Partial<Record<K, Date>>);
}
