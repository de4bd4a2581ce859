import type { LogChunk, MlflowRun, RunDetails, SearchRunsOptions } from '@azureml-mlops/shared';
import { AzureRequestError } from '@azureml-mlops/shared';

import type * as WaitModule from '../../../tasks/AzureMLTrain/src/wait';
import type { Clock, JobWorkspace, WaitLog } from '../../../tasks/AzureMLTrain/src/wait';
import { findInRepository } from './support';

/** The wait module from the task's tsc output (see support.ts for why it is required this way). */
export const wait: typeof WaitModule = require(findInRepository('tasks/AzureMLTrain/dist/wait/index.js'));
/** An internal module of the wait folder, from the task's tsc output. */
export function waitInternal<T>(name: string): T {
  return require(findInRepository(`tasks/AzureMLTrain/dist/wait/${name}.js`)) as T;
}

/**
 * Virtual time: `sleep` advances it at once (after letting other promise callbacks run). `onSleep` sees each
 * requested duration before time moves; `blockSleeps` makes every later sleep wait until its signal aborts.
 */
export class FakeClock implements Clock {
  time = 0;
  readonly sleeps: number[] = [];
  onSleep?: (ms: number) => void;
  blockSleeps = false;

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    this.onSleep?.(ms);
    if (this.blockSleeps) {
      await new Promise<void>((_resolve, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    this.time += ms;
  }
}

/** Everything the wait wrote, in order; groups as `GROUP <title>` / `ENDGROUP`. */
export class RecordingLog implements WaitLog {
  readonly lines: string[] = [];
  readonly debugs: string[] = [];

  info(line: string): void {
    this.lines.push(line);
  }

  warning(message: string): void {
    this.lines.push(`WARNING: ${message}`);
  }

  debug(message: string): void {
    this.debugs.push(message);
  }

  startGroup(title: string): () => void {
    this.lines.push(`GROUP ${title}`);
    return () => this.lines.push('ENDGROUP');
  }

  get warnings(): string[] {
    return this.lines.filter((l) => l.startsWith('WARNING: '));
  }

  /** Lines of job output (inside groups). */
  get output(): string[] {
    const out: string[] = [];
    let inGroup = false;
    for (const line of this.lines) {
      if (line.startsWith('GROUP ')) inGroup = true;
      else if (line === 'ENDGROUP') inGroup = false;
      else if (inGroup) out.push(line);
    }
    return out;
  }
}

/** A run (a job, or a pipeline step) whose status and logs follow virtual time. */
export interface FakeRunSpec {
  /** [from ms, status], in time order; the status at t is the last entry at or before t. */
  readonly statuses: ReadonlyArray<readonly [number, string]>;
  /** Log path -> [from ms, text appended], in time order; the file exists from its first chunk on. */
  readonly logs?: Readonly<Record<string, ReadonlyArray<readonly [number, string]>>>;
  /** Run history error message once the run is terminal. */
  readonly error?: string;
  readonly metrics?: Readonly<Record<string, number>>;
  /** Pipeline steps: the MLflow run name, and when the step becomes visible to a search. */
  readonly stepName?: string;
  readonly appearsAt?: number;
}

export interface FakeJobSpec extends FakeRunSpec {
  readonly jobType?: 'Command' | 'Pipeline';
  readonly outputs?: Record<string, { uri: string | null; jobOutputType?: string }>;
  readonly steps?: Readonly<Record<string, FakeRunSpec>>;
  /** After a cancel request, when (ms later) the job reports Canceled (default 0: at once). */
  readonly canceledAfterMs?: number;
}

export const JOB = 'sharp_lemon_42';
export const STUDIO = `https://ml.azure.com/runs/${JOB}?wsid=/subscriptions/s/resourcegroups/rg/workspaces/ws`;
const TERMINAL = ['Completed', 'Failed', 'Canceled', 'NotResponding', 'Paused'];

/**
 * An in-memory Azure ML workspace for the wait: ARM GET/cancel of one job, run history details and log reads,
 * MLflow runs and child runs. Every call is recorded in `calls` (`GET job`, `POST cancel`, `details <run>`,
 * `read <run>/<path>@<offset>`, `getRun <run>`, `searchRuns <parent>`) with the virtual time in `callTimes`.
 */
export class FakeWorkspace implements JobWorkspace {
  readonly workspaceArmPath = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
  readonly resourceGroup = 'rg';
  readonly workspaceName = 'ws';
  readonly calls: string[] = [];
  readonly callTimes: number[] = [];
  cancelledAt?: number;
  /** Errors thrown by the next job GETs, in order (an undefined entry lets that GET succeed). */
  getJobErrors: Array<Error | undefined> = [];
  /** Error of every cancel request, when set. */
  cancelError?: Error;
  /** Called on each job GET with its number (1-based), before it answers. */
  onGetJob?: (count: number) => void;
  /** Log reads of these paths fail. */
  readonly failingLogs = new Set<string>();
  private getJobCount = 0;

  constructor(
    private readonly clock: FakeClock,
    readonly spec: FakeJobSpec,
  ) {}

  readonly armRequest = (async (method: string, path: string) => {
    const jobPath = `${this.workspaceArmPath}/jobs/${JOB}`;
    if (method === 'GET' && path === jobPath) {
      this.record('GET job');
      this.getJobCount += 1;
      this.onGetJob?.(this.getJobCount);
      const error = this.getJobErrors.shift();
      if (error) throw error;
      return { status: 200, headers: undefined, body: this.jobResource() };
    }
    if (method === 'POST' && path === `${jobPath}/cancel`) {
      this.record('POST cancel');
      if (this.cancelError) throw this.cancelError;
      const status = this.statusOf(this.spec, JOB);
      if (TERMINAL.includes(status)) {
        throw new AzureRequestError('POST', `https://management.azure.com${path}/cancel`, 400, 'UserError', `Job ${JOB} has already finished with status ${status}.`);
      }
      this.cancelledAt ??= this.clock.now();
      return { status: 202, headers: undefined, body: undefined };
    }
    throw new Error(`unexpected ARM call ${method} ${path}`);
  }) as unknown as JobWorkspace['armRequest'];

  readonly runHistory: JobWorkspace['runHistory'] = {
    getRunDetails: async (runId: string): Promise<RunDetails | undefined> => {
      this.record(`details ${runId}`);
      const run = this.run(runId);
      if (!run) return undefined;
      const status = this.statusOf(run, runId);
      const now = this.clock.now();
      const logFiles: Record<string, string> = {};
      for (const [path, chunks] of Object.entries(run.logs ?? {})) {
        if (chunks.length > 0 && chunks[0]![0] <= now) logFiles[path] = `https://acct.blob.core.windows.net/azureml/ExperimentRun/dcid.${runId}/${path}?sig=secret`;
      }
      return {
        runId,
        status,
        startTimeUtc: new Date(Date.UTC(2024, 0, 1, 0, 0, 0)).toISOString(),
        ...(TERMINAL.includes(status) ? { endTimeUtc: new Date(Date.UTC(2024, 0, 1, 0, 5, 0)).toISOString() } : {}),
        ...(TERMINAL.includes(status) && run.error ? { error: { error: { code: 'UserError', message: run.error } } } : {}),
        logFiles,
      };
    },
    readLogFile: async (sasUrl: string, fromByte: number): Promise<LogChunk> => {
      const match = /dcid\.([^/]+)\/(.+)\?/.exec(sasUrl)!;
      const [runId, path] = [match[1]!, match[2]!];
      this.record(`read ${runId}/${path}@${fromByte}`);
      if (this.failingLogs.has(path)) throw new Error(`GET ${path} failed with HTTP 503`);
      const content = Buffer.from(this.logContent(this.run(runId)!, path), 'utf8');
      const data = content.subarray(Math.min(fromByte, content.length));
      return { data, nextByte: fromByte + data.length };
    },
  };

  readonly mlflow: JobWorkspace['mlflow'] = {
    getRun: async (runId: string): Promise<MlflowRun | undefined> => {
      this.record(`getRun ${runId}`);
      const run = this.run(runId);
      return run ? this.mlflowRun(runId, run) : undefined;
    },
    searchRuns: async (options: SearchRunsOptions): Promise<MlflowRun[]> => {
      this.record(`searchRuns ${options.parentRunId}`);
      if (options.parentRunId !== JOB) return [];
      const now = this.clock.now();
      return Object.entries(this.spec.steps ?? {})
        .filter(([, step]) => (step.appearsAt ?? 0) <= now)
        .map(([runId, step]) => this.mlflowRun(runId, step));
    },
  };

  /** Calls made from index `from` on. */
  callsSince(from: number): string[] {
    return this.calls.slice(from);
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }

  private record(call: string): void {
    this.calls.push(call);
    this.callTimes.push(this.clock.now());
  }

  private run(runId: string): FakeRunSpec | undefined {
    return runId === JOB ? this.spec : this.spec.steps?.[runId];
  }

  private statusOf(run: FakeRunSpec, runId: string): string {
    const now = this.clock.now();
    const isJob = runId === JOB;
    let status = 'NotStarted';
    for (const [from, value] of run.statuses) if (from <= now) status = value;
    if (isJob && this.cancelledAt !== undefined && !TERMINAL.includes(status)) {
      return now >= this.cancelledAt + (this.spec.canceledAfterMs ?? 0) ? 'Canceled' : 'CancelRequested';
    }
    return status;
  }

  private logContent(run: FakeRunSpec, path: string): string {
    const now = this.clock.now();
    return (run.logs?.[path] ?? [])
      .filter(([from]) => from <= now)
      .map(([, text]) => text)
      .join('');
  }

  private jobResource(): unknown {
    return {
      name: JOB,
      properties: {
        jobType: this.spec.jobType ?? 'Command',
        status: this.statusOf(this.spec, JOB),
        services: { Studio: { endpoint: STUDIO }, Tracking: { endpoint: 'azureml://tracking' } },
        outputs: {
          default: { jobOutputType: 'uri_folder', uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${JOB}` },
          ...(this.spec.outputs ?? {}),
        },
      },
    };
  }

  private mlflowRun(runId: string, run: FakeRunSpec): MlflowRun {
    return {
      info: { run_id: runId, experiment_id: '7', ...(run.stepName ? { run_name: run.stepName } : {}) },
      data: {
        metrics: Object.entries(run.metrics ?? {}).map(([key, value]) => ({ key, value, timestamp: 0, step: 0 })),
        tags: [
          ...(run.stepName ? [{ key: 'mlflow.runName', value: run.stepName }] : []),
          ...(runId === JOB ? [] : [{ key: 'mlflow.parentRunId', value: JOB }]),
        ],
      },
    };
  }
}

export const DEFAULT_OPTIONS: WaitModule.WaitOptions = { timeoutMinutes: 0, streamLogs: true, cancelOnPipelineCancel: true };

/** Runs waitForJob on the fakes; returns the outcome or the error. */
export async function runWait(
  workspace: FakeWorkspace,
  clock: FakeClock,
  log: RecordingLog,
  options: Partial<WaitModule.WaitOptions> = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<WaitModule.JobOutcome> {
  return wait.waitForJob(workspace, JOB, { ...DEFAULT_OPTIONS, ...options }, signal, { clock, log });
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
