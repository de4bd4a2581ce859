/**
 * How often the task asks Azure ML about a job it waits for. The interval before the next poll is the smallest of:
 * - 0.5 s × 1.5^n, n = polls since the last change (of the job's or a pipeline step's status);
 * - half the time since the last change (but at least 0.5 s): a change is seen at most 1.5 times as long after the
 *   previous one as it took to happen, e.g. a job that completes 3 s after it started running is seen within 4.5 s;
 * - 15 s; 5 s while log lines are arriving, so streamed logs stay live.
 * Any status change starts over. From a change on: 0.5, 0.5, 0.5, 0.75, 1.1, 1.7, 2.5, 3.8, 5.7, 8.5, 12.8, 15,
 * 15... s, i.e. 15 s after ~30 s without change, then 4 status reads a minute. The emulator's 150 ms status steps
 * are seen within a poll or two.
 */
export interface PollScheduleSettings {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
  /** Largest interval as a fraction of the time since the last change. */
  readonly sinceChangeFraction: number;
  /** Largest interval while the last poll printed new log lines. */
  readonly activeLogsMaxMs: number;
}

export const POLL_SCHEDULE: PollScheduleSettings = {
  initialMs: 500,
  factor: 1.5,
  maxMs: 15_000,
  sinceChangeFraction: 0.5,
  activeLogsMaxMs: 5_000,
};

export class PollSchedule {
  private lastChange: number;
  private pollsSinceChange = 0;

  constructor(
    now: number,
    private readonly settings: PollScheduleSettings = POLL_SCHEDULE,
  ) {
    this.lastChange = now;
  }

  /** Something changed (a status): poll fast again. */
  changed(now: number): void {
    this.lastChange = now;
    this.pollsSinceChange = 0;
  }

  /** Milliseconds to wait before the next poll. */
  next(now: number, logsActive = false): number {
    const { initialMs, factor, maxMs, sinceChangeFraction, activeLogsMaxMs } = this.settings;
    const backoff = initialMs * factor ** this.pollsSinceChange;
    this.pollsSinceChange += 1;
    const sinceChange = Math.max(0, now - this.lastChange) * sinceChangeFraction;
    let interval = Math.min(backoff, Math.max(initialMs, sinceChange), maxMs);
    if (logsActive) interval = Math.min(interval, activeLogsMaxMs);
    return Math.round(Math.max(initialMs, interval));
  }
}
