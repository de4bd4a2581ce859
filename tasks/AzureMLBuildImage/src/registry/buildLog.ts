/**
 * An ACR run's log, followed while the run goes: the bytes added to the log blob since the last read (a Range read
 * through the SAS link), printed as complete lines in a collapsible group. The last lines are kept, so that a failed
 * build's error can be quoted in the task's one error line.
 */
import { debug, describeError, info, type LogChunk, LogLineReader, neutralizeAgentCommands, startGroup, warning } from '@azureml-mlops/shared';

import { RegistryPermissionError } from './permissions';

/** Where the wait writes: the task log, or a recorder in tests. */
export interface BuildLogOutput {
  info(line: string): void;
  warning(message: string): void;
  debug(message: string): void;
  /** Opens a collapsible group; returns its closer. */
  startGroup(title: string): () => void;
}

export const taskLog: BuildLogOutput = { info, warning, debug, startGroup };

/** Reads a log blob from a byte on (shared RunHistoryClient.readLogFile: Range request, agent proxy, SAS as secret). */
export type ReadLog = (sasUrl: string, fromByte: number, signal: AbortSignal) => Promise<LogChunk>;

/** Lines kept for the failure message. */
const TAIL_LINES = 200;

export class BuildLogFollower {
  private readonly lines = new LogLineReader();
  private nextByte = 0;
  private link: string | undefined;
  private warned = false;
  /** The identity may not read run logs: not asked again. */
  private denied = false;
  private closeGroup: (() => void) | undefined;
  private stopped = false;
  readonly tail: string[] = [];

  constructor(
    private readonly getLink: (signal: AbortSignal) => Promise<string>,
    private readonly readLog: ReadLog,
    private readonly output: BuildLogOutput,
    private readonly groupTitle: string,
    /** False: lines are kept for the failure message, not printed. */
    private readonly print: boolean,
  ) {}

  /** Reads what was added since the last call and prints the complete lines; returns how many. */
  async poll(signal: AbortSignal): Promise<number> {
    if (this.denied) return 0;
    let chunk: LogChunk;
    try {
      this.link ??= await this.getLink(signal);
      chunk = await this.readLog(this.link, this.nextByte, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof RegistryPermissionError) {
        // Not worth failing the build for: it goes on, without its log in the task's.
        this.denied = true;
        this.output.warning(`${error.message} The build goes on without its log here; the whole log is in the registry's run history.`);
        return 0;
      }
      // The log may not exist yet (a queued run), or its link expired: ask again next time.
      this.link = undefined;
      const message = `Could not read the build log: ${describeError(error)}. The wait goes on; the whole log is in the registry's run history.`;
      if (this.warned) this.output.debug(message);
      else this.output.warning(message);
      this.warned = true;
      return 0;
    }
    this.nextByte = chunk.nextByte;
    const lines = this.lines.push(chunk.data);
    for (const line of lines) this.emit(line);
    return lines.length;
  }

  /** Once the run is over: the last line that had no newline. */
  flush(): void {
    for (const line of this.lines.end()) this.emit(line);
    this.endGroup();
  }

  endGroup(): void {
    this.closeGroup?.();
    this.closeGroup = undefined;
  }

  /** Nothing more is printed (a read in flight when the pipeline was cancelled must not print after the messages). */
  stop(): void {
    this.endGroup();
    this.stopped = true;
  }

  private emit(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (!this.print || this.stopped) return;
    this.closeGroup ??= this.output.startGroup(this.groupTitle);
    this.output.info(neutralizeAgentCommands(line));
  }
}

/**
 * The line of a failed build's log that says what went wrong, in Docker's or ACR's words: a COPY/ADD failure, a parse
 * error, a command that failed, a context that could not be prepared; else the last line mentioning an error.
 */
export function failureLineOf(lines: readonly string[]): string | undefined {
  const specific = /^(COPY failed|ADD failed|Error response from daemon|dockerfile parse error|unable to prepare context|failed to download|The command '.*' returned a non-zero code|error (checking|building|pulling)|failed to (solve|compute)|ERROR:)/i;
  const found = lines.find((line) => specific.test(line.trim()));
  if (found) return found.trim();
  const generic = [...lines].reverse().find((line) => /\berror\b/i.test(line) && !/^Run ID:/.test(line) && !/^failed to run step/i.test(line));
  return generic?.trim();
}
