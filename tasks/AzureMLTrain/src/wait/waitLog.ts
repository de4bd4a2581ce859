import { debug, info, startGroup, warning } from '@azureml-mlops/shared';

/** Where the wait writes: the task log (shared's helpers), or a recorder in tests. */
export interface WaitLog {
  info(line: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Opens a collapsible group; returns its closer. */
  startGroup(title: string): () => void;
}

export const taskLog: WaitLog = { info, warning, debug, startGroup };

/**
 * Writes the wait's output: status lines stay visible, streamed job output goes in a collapsible group opened at
 * its first line and closed by the next status line (so a command job reads: Queued, Preparing, Running,
 * [its output], Finalizing, Completed). After `stop()` nothing more is written (a poll still in flight when the
 * pipeline was cancelled must not print after the cancellation messages).
 */
export class WaitPrinter {
  private closeGroup?: () => void;
  private stopped = false;

  constructor(
    readonly log: WaitLog,
    private readonly groupTitle: string,
  ) {}

  status(line: string): void {
    if (this.stopped) return;
    this.endGroup();
    this.log.info(line);
  }

  output(line: string): void {
    if (this.stopped) return;
    this.closeGroup ??= this.log.startGroup(this.groupTitle);
    this.log.info(line);
  }

  warning(message: string): void {
    if (this.stopped) return;
    this.endGroup();
    this.log.warning(message);
  }

  debug(message: string): void {
    this.log.debug(message);
  }

  endGroup(): void {
    this.closeGroup?.();
    this.closeGroup = undefined;
  }

  /** Closes the group and silences the printer for good. */
  stop(): void {
    this.endGroup();
    this.stopped = true;
  }
}
