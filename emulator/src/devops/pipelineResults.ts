/**
 * What a local pipeline run reports (pipelineRunner.ts): the result of every stage, job and step, the events it
 * emits while running, and how results combine (the worst result of what ran wins, as TaskResult merging does).
 */
import type { JobPlan, ParameterValue, PipelinePlan, StagePlan, StepPlan } from './pipelineModel';

export type UnitResult = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Canceled' | 'Skipped' | 'NotStarted';
export type PipelineResultName = Exclude<UnitResult, 'NotStarted'> | 'WaitingForApproval';

export interface ApprovalRequest {
  readonly stage: string;
  readonly stageDisplayName: string;
  readonly environment: string;
  /** Deployment jobs of the stage that target the environment. */
  readonly jobs: readonly string[];
}


export interface StepRunResult {
  /** The step's `name`, when it has one. */
  readonly name?: string;
  readonly displayName: string;
  readonly kind: 'task' | 'checkout';
  /** `AzureMLTrain@1`, `Bash@3`... */
  readonly task?: string;
  readonly line: number;
  readonly result: UnitResult;
  /** Why it did not run: the condition that was false, `enabled: false`, its job skipped... */
  readonly skipReason?: string;
  readonly timedOut?: boolean;
  /** The step's log as the agent shows it (masked). */
  readonly log: readonly string[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** Output variables by name, secrets as `***`. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Markdown of the summaries the task uploaded (masked). */
  readonly summaries: readonly string[];
  readonly exitCode?: number | null;
}

export interface JobRunResult {
  readonly name: string;
  readonly displayName: string;
  readonly kind: 'job' | 'deployment';
  readonly environment?: string;
  readonly result: UnitResult;
  readonly skipReason?: string;
  readonly timedOut: boolean;
  /** The runner's own lines about the job: variables mapped empty, timeouts, unnamed steps' outputs (masked). */
  readonly messages: readonly string[];
  readonly steps: readonly StepRunResult[];
  /** Output variables as `dependencies.<job>.outputs[...]` keys them, secrets as `***`. */
  readonly outputs: Readonly<Record<string, string>>;
  /** The job's agent work folder (removed after the run unless kept). */
  readonly workFolder?: string;
}

export interface ApprovalRecord {
  readonly environment: string;
  readonly approved: boolean;
}

export interface StageRunResult {
  readonly name: string;
  readonly displayName: string;
  readonly result: UnitResult;
  readonly skipReason?: string;
  readonly approvals: readonly ApprovalRecord[];
  readonly messages: readonly string[];
  readonly jobs: readonly JobRunResult[];
}

export interface PipelineArtifact {
  readonly stage: string;
  readonly job: string;
  readonly step: string;
  readonly name: string;
  readonly path: string;
}

export interface PipelineRunResult {
  readonly file: string;
  readonly result: PipelineResultName;
  /** Set when a stage waits for the approval of environments the runner was not allowed to approve. */
  readonly waitingForApproval?: { readonly stage: string; readonly environments: readonly string[] };
  /** Build.BuildNumber (the run name) at the end of the run. */
  readonly buildNumber: string;
  readonly buildId: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly stages: readonly StageRunResult[];
  readonly buildTags: readonly string[];
  readonly artifacts: readonly PipelineArtifact[];
  readonly workFolder: string;
  readonly workFolderKept: boolean;
}

export type PipelineEvent =
  | { readonly type: 'run-started'; readonly file: string; readonly buildNumber: string; readonly plan: PipelinePlan }
  | { readonly type: 'stage-started'; readonly stage: StagePlan }
  | { readonly type: 'approval'; readonly stage: StagePlan; readonly environment: string; readonly approved: boolean }
  | { readonly type: 'job-started'; readonly stage: StagePlan; readonly job: JobPlan; readonly workFolder: string }
  | { readonly type: 'step-started'; readonly stage: StagePlan; readonly job: JobPlan; readonly step: StepPlan; readonly displayName: string }
  | { readonly type: 'log'; readonly stage: StagePlan; readonly job: JobPlan; readonly line: string }
  | { readonly type: 'step-finished'; readonly stage: StagePlan; readonly job: JobPlan; readonly result: StepRunResult }
  | { readonly type: 'message'; readonly level: 'info' | 'warning' | 'error'; readonly stage?: StagePlan; readonly job?: JobPlan; readonly text: string }
  | { readonly type: 'job-finished'; readonly stage: StagePlan; readonly result: JobRunResult }
  | { readonly type: 'stage-finished'; readonly result: StageRunResult }
  | { readonly type: 'run-finished'; readonly result: PipelineRunResult };

export interface RunningPipeline {
  readonly plan: PipelinePlan;
  readonly result: Promise<PipelineRunResult>;
  /** Cancels the run as a user would: the running task is cancelled like the agent does, then conditions decide. */
  cancel(): void;
}


/** TaskResult order: worse results win (Skipped and NotStarted do not count). */
const RESULT_RANK: Record<'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Canceled', number> = { Succeeded: 0, SucceededWithIssues: 1, Failed: 2, Canceled: 3 };
export type RunningStatus = keyof typeof RESULT_RANK;

export function worse(current: RunningStatus, incoming: UnitResult): RunningStatus {
  if (incoming === 'Skipped' || incoming === 'NotStarted') return current;
  return RESULT_RANK[incoming] > RESULT_RANK[current] ? incoming : current;
}

/** The result of units that ran (skipped ones do not count); Skipped when none ran. */
export function combine(results: readonly UnitResult[]): UnitResult {
  const ran = results.filter((result) => result !== 'Skipped' && result !== 'NotStarted');
  if (ran.length === 0) return results.includes('NotStarted') ? 'NotStarted' : 'Skipped';
  return ran.reduce<RunningStatus>((current, result) => worse(current, result), 'Succeeded');
}

export function isSuccess(result: UnitResult | undefined): boolean {
  return result === 'Succeeded' || result === 'SucceededWithIssues';
}


/** The result of one step, by stage, job and step name (or display name for unnamed steps). */
export function stepResult(result: PipelineRunResult, stage: string, job: string, step: string): StepRunResult | undefined {
  const found = jobResult(result, stage, job);
  return found?.steps.find((candidate) => same(candidate.name ?? '', step)) ?? found?.steps.find((candidate) => candidate.displayName === step);
}

export function jobResult(result: PipelineRunResult, stage: string, job: string): JobRunResult | undefined {
  return result.stages.find((candidate) => same(candidate.name, stage))?.jobs.find((candidate) => same(candidate.name, job));
}


function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
