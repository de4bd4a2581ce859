import { describeError, type LogChunk, LogLineReader, type MlflowRun, neutralizeAgentCommands, type RunDetails, stepNameOf } from '@azureml-mlops/shared';

import type { JobWorkspace } from './jobResource';
import { selectStreamedLogs, type StreamedLogFile } from './logFiles';
import { isTerminalStatus } from './statuses';
import type { WaitPrinter } from './waitLog';

/** What one round of log streaming saw. */
export interface StreamRound {
  /** A pipeline step changed status (the poll schedule starts over). */
  readonly changed: boolean;
  /** Lines printed. */
  readonly lines: number;
}

/** Streams a job's logs while it runs (command job: its processes; pipeline job: every step's processes). */
export interface JobLogStreamer {
  poll(signal: AbortSignal): Promise<StreamRound>;
  /** After the job's terminal status: one last read of every log, then the last lines that had no newline. */
  finish(signal: AbortSignal): Promise<void>;
}

interface FollowedFile {
  nextByte: number;
  readonly reader: LogLineReader;
  readonly process?: string;
  warned: boolean;
}

/**
 * Follows the log files of one run (a job or a pipeline step): each round reads the run details (the SAS URLs of its
 * log files; the shared client registers them as secrets, and they are never printed) and the bytes added to each
 * file since the last round, printing complete lines only.
 */
export class RunLogFollower {
  private readonly files = new Map<string, FollowedFile>();
  private detailsWarned = false;

  constructor(
    private readonly workspace: JobWorkspace,
    readonly runId: string,
    /** Step name shown before each line of a pipeline step; undefined for a command job. */
    private readonly step: string | undefined,
    private readonly printer: WaitPrinter,
  ) {}

  /** The run's details, or undefined when they could not be read this round (warned once; the next round tries again). */
  async details(signal: AbortSignal): Promise<RunDetails | undefined> {
    try {
      return await this.workspace.runHistory.getRunDetails(this.runId, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      this.reportProblem(`Could not read the log list of ${this.describeRun()}: ${describeError(error)}. Log streaming goes on.`, !this.detailsWarned);
      this.detailsWarned = true;
      return undefined;
    }
  }

  /** Reads what was added to each streamed log of `details` and prints the complete lines; returns how many. */
  async read(details: RunDetails | undefined, signal: AbortSignal): Promise<number> {
    if (!details) return 0;
    signal.throwIfAborted();
    const streamed = selectStreamedLogs(Object.keys(details.logFiles));
    // Fetched in parallel, printed in file order.
    const chunks = await Promise.all(streamed.map((file) => this.fetch(file, details.logFiles[file.path]!, signal)));
    let printed = 0;
    streamed.forEach((file, index) => {
      const chunk = chunks[index];
      if (!chunk) return;
      const followed = this.followed(file);
      followed.nextByte = chunk.nextByte;
      for (const line of followed.reader.push(chunk.data)) printed += this.print(followed, line);
    });
    return printed;
  }

  /** Prints the last line of each file that never got its newline (once the run is over). */
  flush(): number {
    let printed = 0;
    for (const followed of this.files.values()) for (const line of followed.reader.end()) printed += this.print(followed, line);
    return printed;
  }

  private async fetch(file: StreamedLogFile, sasUrl: string, signal: AbortSignal): Promise<LogChunk | undefined> {
    const followed = this.followed(file);
    try {
      return await this.workspace.runHistory.readLogFile(sasUrl, followed.nextByte, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      this.reportProblem(`Could not read ${file.path} of ${this.describeRun()}: ${describeError(error)}. Log streaming goes on; the whole log is in Azure ML studio.`, !followed.warned);
      followed.warned = true;
      return undefined;
    }
  }

  private followed(file: StreamedLogFile): FollowedFile {
    let followed = this.files.get(file.path);
    if (!followed) {
      followed = { nextByte: 0, reader: new LogLineReader(), process: file.process, warned: false };
      this.files.set(file.path, followed);
    }
    return followed;
  }

  private print(file: FollowedFile, line: string): number {
    const prefix = [this.step === undefined ? '' : `[${this.step}]`, file.process === undefined ? '' : `[${file.process}]`].filter((p) => p !== '').join(' ');
    const text = neutralizeAgentCommands(line);
    this.printer.output(prefix === '' ? text : `${prefix} ${text}`.trimEnd());
    return 1;
  }

  private reportProblem(message: string, first: boolean): void {
    if (first) this.printer.warning(message);
    else this.printer.debug(message);
  }

  private describeRun(): string {
    return this.step === undefined ? `job '${this.runId}'` : `step '${this.step}' (run ${this.runId})`;
  }
}

/** The logs of a command job (every process). */
export class CommandJobLogStreamer implements JobLogStreamer {
  private readonly follower: RunLogFollower;

  constructor(workspace: JobWorkspace, jobName: string, printer: WaitPrinter) {
    this.follower = new RunLogFollower(workspace, jobName, undefined, printer);
  }

  async poll(signal: AbortSignal): Promise<StreamRound> {
    const lines = await this.follower.read(await this.follower.details(signal), signal);
    return { changed: false, lines };
  }

  async finish(signal: AbortSignal): Promise<void> {
    await this.follower.read(await this.follower.details(signal), signal);
    this.follower.flush();
  }
}

interface FollowedStep {
  readonly name: string;
  readonly follower: RunLogFollower;
  status?: string;
  done: boolean;
}

/**
 * The logs of a pipeline job: its steps are child runs (MLflow `tags.mlflow.parentRunId = '<job>'`), found as they
 * appear; each step's lines are prefixed with `[<step name>]`, and its status changes are single lines.
 */
export class PipelineJobLogStreamer implements JobLogStreamer {
  private experimentId?: string;
  private readonly steps = new Map<string, FollowedStep>();
  private discoveryWarned = false;

  constructor(
    private readonly workspace: JobWorkspace,
    private readonly jobName: string,
    private readonly printer: WaitPrinter,
  ) {}

  async poll(signal: AbortSignal): Promise<StreamRound> {
    await this.discoverSteps(signal);
    let changed = false;
    let lines = 0;
    for (const step of this.steps.values()) {
      if (step.done) continue;
      signal.throwIfAborted();
      const round = await this.pollStep(step, signal);
      changed ||= round.changed;
      lines += round.lines;
    }
    return { changed, lines };
  }

  async finish(signal: AbortSignal): Promise<void> {
    await this.poll(signal);
    // Steps whose run details could not be read one last time still print what they had.
    for (const step of this.steps.values()) if (!step.done) step.follower.flush();
  }

  private async pollStep(step: FollowedStep, signal: AbortSignal): Promise<StreamRound> {
    const details = await step.follower.details(signal);
    const status = details?.status;
    const changed = status !== undefined && status !== step.status;
    const previous = step.status;
    if (changed) step.status = status;
    const announce = (): void => {
      if (changed && !(previous === undefined && status === 'NotStarted')) {
        this.printer.status(previous === undefined || previous === 'NotStarted' ? `Step '${step.name}': ${status}` : `Step '${step.name}': ${previous} → ${status}`);
      }
    };
    // A step's start is announced before its lines, its end after them.
    const terminal = isTerminalStatus(status);
    if (!terminal) announce();
    let lines = await step.follower.read(details, signal);
    if (terminal) {
      lines += step.follower.flush();
      step.done = true;
      announce();
    }
    return { changed, lines };
  }

  private async discoverSteps(signal: AbortSignal): Promise<void> {
    let runs: MlflowRun[];
    try {
      if (this.experimentId === undefined) {
        const parent = await this.workspace.mlflow.getRun(this.jobName, signal);
        if (!parent) return;
        this.experimentId = parent.info.experiment_id;
      }
      runs = await this.workspace.mlflow.searchRuns({ experimentIds: [this.experimentId], parentRunId: this.jobName, abortSignal: signal });
    } catch (error) {
      if (signal.aborted) throw error;
      const message = `Could not list the steps of pipeline job '${this.jobName}': ${describeError(error)}. Log streaming goes on.`;
      if (this.discoveryWarned) this.printer.debug(message);
      else this.printer.warning(message);
      this.discoveryWarned = true;
      return;
    }
    for (const run of runs) {
      const runId = run.info.run_id;
      if (this.steps.has(runId)) continue;
      const name = stepNameOf(run);
      this.steps.set(runId, { name, follower: new RunLogFollower(this.workspace, runId, name, this.printer), done: false });
    }
  }
}

