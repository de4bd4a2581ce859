/**
 * A local runner for an Azure Pipelines YAML file: compiles it (pipelineModel.ts), then runs its stages, jobs and
 * steps in order, each task step by the local agent (agent.ts `startTask`) exactly as the Azure Pipelines agent runs
 * it, passing variables and output variables between steps, jobs and stages, evaluating conditions, asking the caller
 * to approve the environments of deployment jobs, and enforcing timeouts. docs/pipeline-runner.md lists what is
 * supported; everything else is refused by name with its line before anything runs.
 *
 * ```ts
 * import { runPipeline } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
 * import { consoleReporter, formatResultTable } from '@azureml-mlops/emulator/dist/devops/pipelineConsole';
 *
 * const result = await runPipeline({
 *   pipelineFile: 'samples/diabetes/azure-pipelines.yml',   // relative to repositoryRoot
 *   repositoryRoot,                                          // Build.SourcesDirectory of every job
 *   parameters: { modelName: 'diabetes' },                   // overrides of `parameters:` defaults
 *   serviceConnections: (name) => ({ id: name, env: emulator.connectionEnv(name, 'workloadIdentity') }),
 *   approveEnvironments: ['diabetes-qa'],                    // or (request) => boolean | Promise<boolean>
 *   onEvent: consoleReporter(),                              // headers, indented task logs
 * });
 * result.result;                                            // Succeeded | SucceededWithIssues | Failed | Canceled | Skipped | WaitingForApproval
 * stepResult(result, 'CI', 'Train', 'train')?.outputs.JobName;
 * formatResultTable(result).forEach((line) => console.log(line));
 *
 * const running = startPipeline({...}); running.cancel(); await running.result;   // cancels like the agent does
 * const plan = loadPipeline({...});                                                // compile only (throws PipelineDefinitionError)
 * ```
 *
 * How it runs, as Azure Pipelines does:
 * - Stages in dependency order (default: each depends on the previous one), jobs of a stage in dependency order
 *   (default: independent). Units that could run in parallel run one after another, in YAML order; results are the same.
 * - Conditions (default `succeeded()`) see the status of the dependencies (transitively) and, for steps, of the job
 *   so far; a skipped unit records the condition that skipped it. A failed step fails its job; later steps are skipped
 *   unless their condition says otherwise; `continueOnError` turns Failed into SucceededWithIssues.
 * - Variables: predefined (agentEnvironment.ts, with per-job System.StageName/JobName/JobId...), the caller's
 *   `variables`/`secretVariables`, then pipeline, stage and job `variables:` (later wins), `$[ ]` expressions
 *   evaluated when their stage or job starts, `$(macros)` expanded recursively. A step's output variables are
 *   `<step name>.<var>` for later steps of the job and `dependencies.<job>.outputs['<step>.<var>']`,
 *   `stageDependencies.<stage>.<job>.outputs['<step>.<var>']`, `dependencies.<stage>.outputs['<job>.<step>.<var>']`
 *   elsewhere (a deployment job prefixes its job name: `<job>.<step>.<var>`). Secrets stay secret variables and are
 *   masked in everything this runner reports.
 * - A deployment job's environment is an approval gate checked when its stage starts: the runner approves what
 *   `approveEnvironments` allows; otherwise the stage (and what depends on it) waits, and the run ends with
 *   WaitingForApproval, as the service would wait for a person.
 * - `timeoutInMinutes` of a job cancels the running task as the agent does (SIGINT, SIGTERM 7.5 s later, SIGKILL
 *   2.5 s after that); the job ends Canceled. A step's `timeoutInMinutes` fails the step ("The task has timed out.").
 * - Each job gets its own agent work folder under `workFolder`; the sources are `repositoryRoot` itself.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTask, type AgentHandler, type AgentTaskResult, type RunningTask } from './agent';
import { createWorkLayout, defaultVariables, type WorkLayout } from './agentEnvironment';
import { SecretMasker } from './agentMasker';
import { evaluate, ExpressionError, ExpressionObject, toBoolean, toExpressionString, type ExpressionValue, type StatusFunctionName } from './pipelineExpressions';
import { compilePipeline, type ConditionPlan, type JobPlan, type ParameterValue, type PipelinePlan, type ServiceConnection, type StagePlan, type StepPlan, type TaskStepPlan, type VariableDefinition } from './pipelineModel';
import {
  combine, isSuccess, worse, type ApprovalRecord, type ApprovalRequest, type JobRunResult, type PipelineArtifact, type PipelineEvent,
  type PipelineRunResult, type RunningPipeline, type RunningStatus, type StageRunResult, type StepRunResult, type UnitResult,
} from './pipelineResults';
import { TaskCatalog } from './pipelineTasks';
import { formatRunNumber, predefinedRunVariables, VariableSet } from './pipelineVariables';
import { PipelineDefinitionError } from './pipelineYaml';

export { PipelineDefinitionError };
export type { ParameterValue, PipelinePlan, ServiceConnection };
export * from './pipelineResults';

export interface PipelineRunOptions {
  /** The pipeline YAML; a relative path starts at `repositoryRoot`. With `pipelineText`, only names it in messages. */
  readonly pipelineFile: string;
  /** The YAML itself, instead of reading `pipelineFile`. */
  readonly pipelineText?: string;
  /** The repository: Build.SourcesDirectory / System.DefaultWorkingDirectory (and the tasks' cwd) of every job. */
  readonly repositoryRoot: string;
  /** Built task folders (`<Name>/task.json`). Default: `<repositoryRoot>/build/extension/tasks`. */
  readonly tasksDirectory?: string;
  /** Values of the pipeline's `parameters` (by name); checked against their type and `values`. */
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** Variables of the pipeline settings and overrides of predefined ones (e.g. Build.SourceBranch); YAML variables win. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Secret variables of the pipeline settings: SECRET_* for tasks, masked everywhere. */
  readonly secretVariables?: Readonly<Record<string, string>>;
  /** Service connections by the name the YAML uses (`azureSubscription: my-connection`). */
  readonly serviceConnections?: Readonly<Record<string, ServiceConnection>> | ((name: string) => ServiceConnection | undefined);
  /** Environments the runner approves (names, any case), or a function deciding per request. Default: none. */
  readonly approveEnvironments?: readonly string[] | ((request: ApprovalRequest) => boolean | Promise<boolean>);
  /** Root of the jobs' agent work folders. Default: a new temporary folder, removed after the run unless `keepWorkFolder`. */
  readonly workFolder?: string;
  readonly keepWorkFolder?: boolean;
  /** Task handler the agent runs (default Node20_1). */
  readonly handler?: AgentHandler;
  /** Length of a minute for `timeoutInMinutes` (tests shorten it). Default 60000. */
  readonly minuteMs?: number;
  /** Progress: stage/job/step starts and ends, every task log line (masked). See pipelineConsole.ts. */
  readonly onEvent?: (event: PipelineEvent) => void;
}

/** Compiles the pipeline without running it; throws a PipelineDefinitionError for anything it cannot run. */
export function loadPipeline(options: PipelineRunOptions): PipelinePlan {
  return compile(options, predefinedRunVariables(options.repositoryRoot, options.variables));
}

export function runPipeline(options: PipelineRunOptions): Promise<PipelineRunResult> {
  try {
    return startPipeline(options).result;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Compiles (throwing a PipelineDefinitionError synchronously) and starts the run. */
export function startPipeline(options: PipelineRunOptions): RunningPipeline {
  const plan = loadPipeline(options);
  const ownsWorkFolder = options.workFolder === undefined;
  const workFolder = path.resolve(options.workFolder ?? fs.mkdtempSync(path.join(os.tmpdir(), 'azp-pipeline-')));
  fs.mkdirSync(workFolder, { recursive: true });
  const run = new PipelineRun(options, plan, workFolder);
  const result = run.execute().finally(() => {
    if (ownsWorkFolder && !options.keepWorkFolder) fs.rmSync(workFolder, { recursive: true, force: true, maxRetries: 3 });
  });
  return { plan, result, cancel: () => run.cancel() };
}

// ---------------------------------------------------------------------------------------------------------------

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function repositoryRelative(options: PipelineRunOptions, file: string): string {
  const relative = path.relative(path.resolve(options.repositoryRoot), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/** The caller's service connections as a lookup by name (any case). */
function connectionResolver(options: PipelineRunOptions): ((name: string) => ServiceConnection | undefined) | undefined {
  const connections = options.serviceConnections;
  if (connections === undefined) return undefined;
  if (typeof connections === 'function') return connections;
  return (name) => Object.entries(connections).find(([key]) => same(key, name))?.[1];
}

function compile(options: PipelineRunOptions, predefined: Readonly<Record<string, string>>): PipelinePlan {
  const repositoryRoot = path.resolve(options.repositoryRoot);
  const file = path.resolve(repositoryRoot, options.pipelineFile);
  const display = repositoryRelative(options, file);
  let text = options.pipelineText;
  if (text === undefined) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new PipelineDefinitionError(display, undefined, 'the pipeline file does not exist.');
    text = fs.readFileSync(file, 'utf8');
  }
  const tasksDirectory = path.resolve(options.tasksDirectory ?? path.join(repositoryRoot, 'build/extension/tasks'));
  const resolveConnection = connectionResolver(options);
  return compilePipeline({
    file: display,
    text,
    ...(options.parameters ? { parameters: options.parameters } : {}),
    predefinedVariables: predefined,
    catalog: new TaskCatalog(tasksDirectory, repositoryRelative(options, tasksDirectory)),
    ...(resolveConnection ? { resolveConnection } : {}),
  });
}

interface OutputValue {
  readonly value: string;
  readonly secret: boolean;
}

/** What later jobs and stages see of a finished job. */
interface JobRecord {
  readonly name: string;
  readonly result: UnitResult;
  /** Keyed as `dependencies.<job>.outputs[...]` within the stage: `<step>.<var>` (deployment: `<job>.<step>.<var>`). */
  readonly outputs: ReadonlyMap<string, OutputValue & { readonly key: string }>;
}

interface StageRecord {
  readonly name: string;
  readonly result: UnitResult;
  readonly jobs: readonly JobRecord[];
}

/** Per job: cancellation by timeout or by the run, and the step running now. */
class JobControl {
  canceled = false;
  timedOut = false;
  current?: RunningTask;
  private cancelDeadline?: number;

  constructor(private readonly cancelTimeoutMs: number) {}

  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.cancelDeadline = Date.now() + this.cancelTimeoutMs;
    this.current?.cancel();
  }

  /** Time a step that starts after cancellation still has (the job's cancelTimeoutInMinutes). */
  remainingAfterCancel(): number | undefined {
    return this.cancelDeadline === undefined ? undefined : Math.max(0, this.cancelDeadline - Date.now());
  }
}

class PipelineRun {
  private readonly masker = new SecretMasker();
  private readonly minuteMs: number;
  private readonly repositoryRoot: string;
  private readonly catalog: TaskCatalog;
  private readonly stageRecords = new Map<string, StageRecord>();
  private readonly buildTags: string[] = [];
  private readonly artifacts: PipelineArtifact[] = [];
  private readonly runVariables = new VariableSet();
  /** Outputs of every job that ran, by `<stage>/<job>` (lower case). */
  private readonly jobOutputs = new Map<string, Map<string, OutputValue & { key: string }>>();
  private canceled = false;
  private activeJob?: JobControl;
  private buildNumber = '';

  constructor(
    private readonly options: PipelineRunOptions,
    private readonly plan: PipelinePlan,
    private readonly workFolder: string,
  ) {
    this.minuteMs = options.minuteMs ?? 60_000;
    this.repositoryRoot = path.resolve(options.repositoryRoot);
    const tasksDirectory = path.resolve(options.tasksDirectory ?? path.join(this.repositoryRoot, 'build/extension/tasks'));
    this.catalog = new TaskCatalog(tasksDirectory, tasksDirectory);
    for (const value of Object.values(options.secretVariables ?? {})) this.masker.add(value);
  }

  cancel(): void {
    this.canceled = true;
    this.activeJob?.cancel();
  }

  private emit(event: PipelineEvent): void {
    this.options.onEvent?.(event);
  }

  private message(level: 'info' | 'warning' | 'error', text: string, where: { stage?: StagePlan; job?: JobPlan } = {}): string {
    const masked = this.masker.mask(text);
    this.emit({ type: 'message', level, text: masked, ...where });
    return masked;
  }

  async execute(): Promise<PipelineRunResult> {
    // Run-wide variables: predefined (paths of a job come later), the caller's, then the pipeline's.
    for (const [name, value] of Object.entries(predefinedRunVariables(this.options.repositoryRoot, this.options.variables))) this.runVariables.set(name, value);
    for (const [name, value] of Object.entries(this.options.secretVariables ?? {})) this.runVariables.set(name, value, true);
    this.buildNumber = this.formatRunName();
    this.runVariables.set('Build.BuildNumber', this.buildNumber);
    const pipelineNotes: string[] = [];
    this.applyVariables(this.runVariables, this.plan.variables, {}, pipelineNotes);
    this.emit({ type: 'run-started', file: this.plan.file, buildNumber: this.buildNumber, plan: this.plan });
    for (const note of pipelineNotes) this.message('warning', note);

    const stageResults: StageRunResult[] = [];
    const stages = topologicalOrder(this.plan.stages);
    let waiting: PipelineRunResult['waitingForApproval'];
    for (const stage of stages) {
      const result = await this.runStage(stage);
      if (result.approvals.some((approval) => !approval.approved) && !waiting) {
        waiting = { stage: stage.name, environments: result.approvals.filter((approval) => !approval.approved).map((approval) => approval.environment) };
      }
      this.stageRecords.set(stage.name.toLowerCase(), {
        name: stage.name,
        result: result.result,
        jobs: result.jobs.map((job) => ({ name: job.name, result: job.result, outputs: this.jobOutputs.get(`${stage.name}/${job.name}`.toLowerCase()) ?? new Map() })),
      });
      stageResults.push(result);
      this.emit({ type: 'stage-finished', result });
    }
    // Report stages in YAML order.
    stageResults.sort((a, b) => this.plan.stages.findIndex((s) => s.name === a.name) - this.plan.stages.findIndex((s) => s.name === b.name));
    const overall = combine(stageResults.map((stage) => stage.result));
    const result: PipelineRunResult = {
      file: this.plan.file,
      result: waiting ? 'WaitingForApproval' : overall === 'NotStarted' ? 'Skipped' : overall,
      ...(waiting ? { waitingForApproval: waiting } : {}),
      buildNumber: this.buildNumber,
      buildId: this.runVariables.get('Build.BuildId')?.value ?? '',
      parameters: this.plan.parameters,
      stages: stageResults,
      buildTags: [...this.buildTags],
      artifacts: [...this.artifacts],
      workFolder: this.workFolder,
      workFolderKept: this.options.workFolder !== undefined || this.options.keepWorkFolder === true,
    };
    this.emit({ type: 'run-finished', result });
    return result;
  }

  /** The run number: the caller's Build.BuildNumber, else `name:` (default `$(Date:yyyyMMdd)$(Rev:.r)`) formatted. */
  private formatRunName(): string {
    const given = this.options.variables?.['Build.BuildNumber'];
    if (given !== undefined) return given;
    return formatRunNumber(this.plan.runNameFormat ?? '$(Date:yyyyMMdd)$(Rev:.r)', new Date(), (name) =>
      this.runVariables.get(name)?.value ?? this.plan.variables.find((variable) => same(variable.name, name))?.value,
    );
  }

  /**
   * Adds `definitions` to `target`: literal values first, then the `$[ ]` ones in order (each sees the ones before),
   * with the dependency contexts of the level. Notes explain references that came out empty.
   */
  private applyVariables(target: VariableSet, definitions: readonly VariableDefinition[], contexts: Record<string, ExpressionValue>, notes: string[]): void {
    for (const definition of definitions) if (!definition.runtime) target.set(definition.name, definition.value, false, definition.readonly);
    for (const definition of definitions) {
      if (!definition.runtime) continue;
      let value: string;
      try {
        value = toExpressionString(evaluate(definition.runtime, { namedValues: { ...contexts, variables: target.toExpressionObject() } }));
      } catch (error) {
        notes.push(`variable '${definition.name}' (line ${definition.line}): ${(error as Error).message}; its value is empty.`);
        value = '';
      }
      const secret = this.masker.values().includes(value);
      target.set(definition.name, value, secret, definition.readonly);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Stages

  private async runStage(stage: StagePlan): Promise<StageRunResult> {
    const notStarted = (reason: string, approvals: ApprovalRecord[] = []): StageRunResult => ({
      name: stage.name,
      displayName: stage.displayName,
      result: 'NotStarted',
      skipReason: reason,
      approvals,
      messages: [reason],
      jobs: stage.jobs.map((job) => this.unrunJob(job, 'NotStarted', reason)),
    });
    const waitingFor = stage.dependsOn.map((name) => this.stageRecords.get(name.toLowerCase())).find((record) => record?.result === 'NotStarted');
    if (waitingFor) return notStarted(`waits for stage ${waitingFor.name}`);

    const stageNotes: string[] = [];
    const stageMessages: string[] = [];
    const flushNotes = (): void => {
      for (const note of stageNotes.splice(0)) stageMessages.push(this.message('warning', note, { stage }));
    };
    const stageVariables = new VariableSet(this.runVariables);
    for (const definition of stage.variables) if (!definition.runtime) stageVariables.set(definition.name, definition.value, false, definition.readonly);
    const dependencyContexts = this.stageDependencyContexts(stage, stageNotes);
    const stageAncestors = ancestors(stage, this.plan.stages);
    const stageResultOf = (name: string): UnitResult | undefined => this.stageRecords.get(name.toLowerCase())?.result;
    const condition = this.evaluateCondition(stage.condition, {
      namedValues: { variables: stageVariables.toExpressionObject(), dependencies: dependencyContexts.dependencies },
      status: (name, args) => this.unitStatus(name, args, stageAncestors, stageResultOf),
    }, () => this.describeDependencies(stageAncestors, stageResultOf));
    flushNotes();
    if (!condition.run) {
      const reason = condition.reason;
      const skipped: StageRunResult = {
        name: stage.name, displayName: stage.displayName, result: 'Skipped', skipReason: reason, approvals: [], messages: [...stageMessages, reason],
        jobs: stage.jobs.map((job) => this.unrunJob(job, 'Skipped', `its stage was skipped: ${reason}`)),
      };
      this.message('info', `Stage ${stage.name} skipped: ${reason}`, { stage });
      return skipped;
    }

    this.emit({ type: 'stage-started', stage });
    const approvals = await this.approve(stage);
    const refused = approvals.filter((approval) => !approval.approved);
    if (refused.length > 0) {
      const reason = `waits for approval of environment ${refused.map((approval) => `'${approval.environment}'`).join(', ')}`;
      this.message('warning', `Stage ${stage.name} ${reason}: Azure Pipelines would wait for an approver; the local runner approves only the environments in approveEnvironments.`, { stage });
      return notStarted(reason, approvals);
    }

    this.applyVariables(stageVariables, stage.variables, { dependencies: dependencyContexts.dependencies, stageDependencies: dependencyContexts.stageDependencies }, stageNotes);
    flushNotes();

    const jobRecords = new Map<string, JobRecord>();
    const jobResults: JobRunResult[] = [];
    for (const job of topologicalOrder(stage.jobs)) {
      const result = await this.runJobIfItShould(stage, job, stageVariables, jobRecords);
      jobRecords.set(job.name.toLowerCase(), { name: job.name, result: result.result, outputs: this.jobOutputs.get(`${stage.name}/${job.name}`.toLowerCase()) ?? new Map() });
      jobResults.push(result);
    }
    jobResults.sort((a, b) => stage.jobs.findIndex((j) => j.name === a.name) - stage.jobs.findIndex((j) => j.name === b.name));
    return {
      name: stage.name,
      displayName: stage.displayName,
      result: combine(jobResults.map((job) => job.result)),
      approvals,
      messages: stageMessages,
      jobs: jobResults,
    };
  }

  private async approve(stage: StagePlan): Promise<ApprovalRecord[]> {
    const environments = new Map<string, string[]>();
    for (const job of stage.jobs) {
      if (!job.environment) continue;
      const key = job.environment.name.toLowerCase();
      environments.set(key, [...(environments.get(key) ?? []), job.name]);
    }
    const records: ApprovalRecord[] = [];
    for (const [, jobs] of environments) {
      const environment = stage.jobs.find((job) => job.name === jobs[0])!.environment!.name;
      const approver = this.options.approveEnvironments;
      const approved =
        approver === undefined
          ? false
          : typeof approver === 'function'
            ? await approver({ stage: stage.name, stageDisplayName: stage.displayName, environment, jobs })
            : approver.some((name) => same(name, environment));
      records.push({ environment, approved });
      this.emit({ type: 'approval', stage, environment, approved });
    }
    return records;
  }

  /** `dependencies.<stage>` (result, outputs['<job>.<step>.<var>']) and `stageDependencies.<stage>.<job>` of the stage's direct dependencies. */
  private stageDependencyContexts(stage: StagePlan, notes: string[]): { dependencies: ExpressionObject; stageDependencies: ExpressionObject } {
    const describeMissingStage = (context: string) => (key: string) =>
      notes.push(`${context}.${key} is empty: '${key}' is not a dependency of stage ${stage.name} (dependsOn: ${stage.dependsOn.join(', ') || 'none'}); Azure Pipelines only gives the outputs of direct dependencies.`);
    const dependencies = new ExpressionObject({}, describeMissingStage('dependencies'));
    const stageDependencies = new ExpressionObject({}, describeMissingStage('stageDependencies'));
    for (const name of stage.dependsOn) {
      const record = this.stageRecords.get(name.toLowerCase());
      if (!record) continue;
      const flat: Record<string, string> = {};
      const jobs = new ExpressionObject({}, (job) => notes.push(`stageDependencies.${record.name}.${job} is empty: stage ${record.name} has no job '${job}' (jobs: ${record.jobs.map((j) => j.name).join(', ')}).`));
      for (const job of record.jobs) {
        const outputs: Record<string, string> = {};
        for (const output of job.outputs.values()) {
          outputs[output.key] = output.value;
          flat[`${job.name}.${output.key}`] = output.value;
        }
        jobs.set(job.name, new ExpressionObject({ result: job.result, outputs: this.outputsObject(outputs, `stageDependencies.${record.name}.${job.name}`, job.result, notes) }));
      }
      dependencies.set(record.name, new ExpressionObject({ result: record.result, outputs: this.outputsObject(flat, `dependencies.${record.name}`, record.result, notes) }));
      stageDependencies.set(record.name, jobs);
    }
    return { dependencies, stageDependencies };
  }

  /** Outputs of a job or stage as expressions see them; a miss adds a note saying what there is. */
  private outputsObject(outputs: Record<string, string>, where: string, result: UnitResult, notes: string[]): ExpressionObject {
    return new ExpressionObject(outputs, (key) => {
      const state = isSuccess(result) ? '' : `it ${result === 'Skipped' ? 'was skipped' : `ended ${result}`}; `;
      notes.push(`${where}.outputs['${key}'] is empty: there is no such output (${state}outputs: ${Object.keys(outputs).join(', ') || 'none'}).`);
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Conditions

  /** Status functions for stages and jobs: over the (transitive) dependencies, or the names given. */
  private unitStatus(name: StatusFunctionName, args: readonly string[], dependencies: readonly string[], resultOf: (name: string) => UnitResult | undefined): boolean {
    const targets = (args.length > 0 ? args : dependencies).map(resultOf);
    switch (name) {
      case 'always':
        return true;
      case 'canceled':
        return this.canceled;
      case 'succeeded':
        return !this.canceled && targets.every(isSuccess);
      case 'failed':
        return !this.canceled && targets.some((result) => result === 'Failed');
      case 'succeededOrFailed':
        return !this.canceled && targets.every((result) => isSuccess(result) || result === 'Failed');
    }
  }

  private evaluateCondition(
    condition: ConditionPlan | undefined,
    context: { namedValues: Record<string, ExpressionValue>; status: (name: StatusFunctionName, args: readonly string[]) => boolean },
    explainDefault: () => string,
  ): { run: boolean; reason: string } {
    if (!condition) {
      const run = context.status('succeeded', []);
      return { run, reason: run ? '' : `condition succeeded() (the default) was false: ${explainDefault()}` };
    }
    try {
      const run = toBoolean(evaluate(condition.node, context));
      return { run, reason: run ? '' : `condition ${condition.text} (line ${condition.line}) was false` };
    } catch (error) {
      const message = error instanceof ExpressionError ? error.message : String(error);
      return { run: false, reason: `condition ${condition.text} (line ${condition.line}) could not be evaluated: ${message}` };
    }
  }

  private describeDependencies(names: readonly string[], resultOf: (name: string) => UnitResult | undefined): string {
    if (this.canceled) return 'the run was canceled';
    const described = names.map((name) => `${name} ${resultOf(name) ?? 'unknown'}`);
    return described.length > 0 ? described.join(', ') : 'no dependencies';
  }

  // ------------------------------------------------------------------------------------------------------------
  // Jobs

  private unrunJob(job: JobPlan, result: 'Skipped' | 'NotStarted', reason: string): JobRunResult {
    return {
      name: job.name,
      displayName: job.displayName,
      kind: job.kind,
      ...(job.environment ? { environment: job.environment.name } : {}),
      result,
      skipReason: reason,
      timedOut: false,
      messages: [],
      steps: job.steps.map((step) => this.unrunStep(step, result, result === 'Skipped' ? 'its job was skipped' : reason)),
      outputs: {},
    };
  }

  private unrunStep(step: StepPlan, result: 'Skipped' | 'NotStarted', reason: string): StepRunResult {
    return {
      ...(step.refName ? { name: step.refName } : {}),
      displayName: step.displayName,
      kind: step.kind,
      ...(step.kind === 'task' ? { task: step.task.reference } : {}),
      line: step.line,
      result,
      skipReason: reason,
      log: [],
      errors: [],
      warnings: [],
      outputs: {},
      summaries: [],
    };
  }

  private async runJobIfItShould(stage: StagePlan, job: JobPlan, stageVariables: VariableSet, jobRecords: Map<string, JobRecord>): Promise<JobRunResult> {
    const notes: string[] = [];
    const { stageDependencies } = this.stageDependencyContexts(stage, notes);
    const dependencies = new ExpressionObject({}, (key) =>
      notes.push(`dependencies.${key} is empty: '${key}' is not a dependency of job ${job.name} (dependsOn: ${job.dependsOn.join(', ') || 'none'}); give it in dependsOn.`),
    );
    for (const name of job.dependsOn) {
      const record = jobRecords.get(name.toLowerCase());
      if (!record) continue;
      const outputs: Record<string, string> = {};
      for (const output of record.outputs.values()) outputs[output.key] = output.value;
      dependencies.set(record.name, new ExpressionObject({ result: record.result, outputs: this.outputsObject(outputs, `dependencies.${record.name}`, record.result, notes) }));
    }
    const jobVariables = new VariableSet(stageVariables);
    for (const definition of job.variables) if (!definition.runtime) jobVariables.set(definition.name, definition.value, false, definition.readonly);
    const resultOf = (name: string): UnitResult | undefined => jobRecords.get(name.toLowerCase())?.result;
    const jobAncestors = ancestors(job, stage.jobs);
    const condition = this.evaluateCondition(job.condition, {
      namedValues: { variables: jobVariables.toExpressionObject(), dependencies, stageDependencies },
      status: (name, args) => this.unitStatus(name, args, jobAncestors, resultOf),
    }, () => this.describeDependencies(jobAncestors, resultOf));
    for (const note of notes.splice(0)) this.message('warning', note, { stage, job });
    if (!condition.run) {
      this.message('info', `Job ${job.name} skipped: ${condition.reason}`, { stage, job });
      const skipped = { ...this.unrunJob(job, 'Skipped', condition.reason), skipReason: condition.reason };
      this.emit({ type: 'job-finished', stage, result: skipped });
      return skipped;
    }
    this.applyVariables(jobVariables, job.variables, { dependencies, stageDependencies }, notes);
    const result = await this.runJob(stage, job, jobVariables, notes);
    this.emit({ type: 'job-finished', stage, result });
    return result;
  }

  private async runJob(stage: StagePlan, job: JobPlan, variables: VariableSet, notes: string[]): Promise<JobRunResult> {
    const jobFolder = path.join(this.workFolder, `${stage.name}.${job.name}`);
    const layout = createWorkLayout(jobFolder, this.repositoryRoot);
    this.emit({ type: 'job-started', stage, job, workFolder: jobFolder });
    const messages: string[] = [];
    const note = (level: 'info' | 'warning' | 'error', text: string): void => {
      messages.push(this.message(level, text, { stage, job }));
    };
    for (const text of notes) note('warning', text);

    // Predefined variables of this job (the YAML's and the caller's win where they set the same name).
    const jobSet = new VariableSet();
    for (const [name, value] of Object.entries(defaultVariables(layout))) jobSet.set(name, value);
    const jobSpecific: Record<string, string> = {
      'System.StageName': stage.name,
      'System.StageDisplayName': stage.displayName,
      'System.StageAttempt': '1',
      'System.PhaseName': job.name,
      'System.PhaseDisplayName': job.displayName,
      'System.PhaseAttempt': '1',
      'System.JobName': job.name,
      'System.JobDisplayName': job.displayName,
      'System.JobAttempt': '1',
      'System.JobId': randomUUID(),
      'System.JobIdentifier': `${stage.name}.${job.name}.__default`,
      'Agent.JobName': job.displayName,
      'Agent.JobStatus': 'Succeeded',
      ...(job.environment
        ? { 'Environment.Name': job.environment.name, 'Strategy.Name': 'runOnce', ...(job.environment.resourceName ? { 'Environment.ResourceName': job.environment.resourceName } : {}) }
        : {}),
    };
    for (const [name, value] of Object.entries(jobSpecific)) jobSet.set(name, value);
    const store = new VariableSet(jobSet);
    store.merge(variables);
    store.set('Build.BuildNumber', this.buildNumber);

    // A job that starts after the run was canceled (its condition allowed it) is not itself canceled: its steps run.
    const control = new JobControl(job.cancelTimeoutInMinutes * this.minuteMs);
    this.activeJob = control;
    let timer: NodeJS.Timeout | undefined;
    if (job.timeoutInMinutes > 0) {
      timer = setTimeout(() => {
        control.timedOut = true;
        note('error', `The job running on agent Local Agent ran longer than the maximum time of ${job.timeoutInMinutes} minutes.`);
        control.cancel();
      }, job.timeoutInMinutes * this.minuteMs);
    }

    let status: RunningStatus = 'Succeeded';
    const outputs = new Map<string, OutputValue & { key: string }>();
    this.jobOutputs.set(`${stage.name}/${job.name}`.toLowerCase(), outputs);
    const steps: StepRunResult[] = [];
    try {
      for (const step of job.steps) {
        if (control.canceled) status = worse(status, 'Canceled');
        store.set('Agent.JobStatus', status);
        if (!step.enabled) {
          steps.push(this.unrunStep(step, 'Skipped', 'enabled: false'));
          continue;
        }
        const condition = this.evaluateCondition(step.condition, {
          namedValues: { variables: store.toExpressionObject() },
          status: (name) => stepStatus(name, status, control.canceled),
        }, () => (control.canceled ? 'the job was canceled' : `the job status is ${status}`));
        if (!condition.run) {
          const skipped = this.unrunStep(step, 'Skipped', condition.reason);
          steps.push(skipped);
          this.emit({ type: 'step-finished', stage, job, result: skipped });
          continue;
        }
        const result = step.kind === 'checkout' ? this.checkout(stage, job, step) : await this.runTaskStep(stage, job, step, store, layout, control, outputs, note);
        steps.push(result);
        status = worse(status, result.result);
        this.emit({ type: 'step-finished', stage, job, result });
      }
    } finally {
      if (timer) clearTimeout(timer);
      this.activeJob = undefined;
    }
    if (control.canceled) status = worse(status, 'Canceled');
    let result: UnitResult = status;
    if (result === 'Failed' && job.continueOnError) result = 'SucceededWithIssues';
    const maskedOutputs: Record<string, string> = {};
    for (const output of outputs.values()) maskedOutputs[output.key] = output.secret ? '***' : this.masker.mask(output.value);
    return {
      name: job.name,
      displayName: job.displayName,
      kind: job.kind,
      ...(job.environment ? { environment: job.environment.name } : {}),
      result,
      timedOut: control.timedOut,
      messages,
      steps,
      outputs: maskedOutputs,
      workFolder: jobFolder,
    };
  }

  private checkout(stage: StagePlan, job: JobPlan, step: Extract<StepPlan, { kind: 'checkout' }>): StepRunResult {
    this.emit({ type: 'step-started', stage, job, step, displayName: step.displayName });
    const log = [
      `##[section]Starting: ${step.displayName}`,
      step.repository === 'self'
        ? `The local runner runs every job on the repository itself (${this.repositoryRoot}): nothing to fetch.`
        : 'checkout: none: nothing to fetch.',
      `##[section]Finishing: ${step.displayName}`,
    ];
    for (const line of log) this.emit({ type: 'log', stage, job, line });
    return { displayName: step.displayName, kind: 'checkout', line: step.line, result: 'Succeeded', log, errors: [], warnings: [], outputs: {}, summaries: [] };
  }

  private async runTaskStep(
    stage: StagePlan,
    job: JobPlan,
    step: TaskStepPlan,
    store: VariableSet,
    layout: WorkLayout,
    control: JobControl,
    jobOutputs: Map<string, OutputValue & { key: string }>,
    note: (level: 'info' | 'warning' | 'error', text: string) => void,
  ): Promise<StepRunResult> {
    const displayName = store.expand(step.displayName);
    this.emit({ type: 'step-started', stage, job, step, displayName });
    const variables = store.expanded();
    // The agent gives a task the endpoints its inputs name, and no other.
    const env: Record<string, string> = {};
    for (const connection of step.connections) Object.assign(env, connectionResolver(this.options)?.(connection.name)?.env ?? {});
    for (const [name, value] of Object.entries(step.env)) env[name] = store.expand(value);
    const base = {
      ...(step.refName ? { name: step.refName } : {}),
      displayName,
      kind: 'task' as const,
      task: step.task.reference,
      line: step.line,
    };

    let running: RunningTask;
    try {
      running = startTask({
        taskDir: this.catalog.materialize(step.task, path.join(this.workFolder, '_tasks')),
        inputs: step.inputs,
        variables: variables.public,
        secretVariables: variables.secret,
        env,
        ...(this.options.handler ? { handler: this.options.handler } : {}),
        workingDirectory: layout.workFolder,
        sourcesDirectory: layout.sourcesDirectory,
        displayName,
        onLine: (line) => this.emit({ type: 'log', stage, job, line }),
      });
    } catch (error) {
      const message = this.masker.mask(`${step.task.reference} could not start: ${(error as Error).message}`);
      this.emit({ type: 'log', stage, job, line: `##[error]${message}` });
      const result = step.continueOnError ? 'SucceededWithIssues' : 'Failed';
      return { ...base, result, log: [`##[error]${message}`], errors: [message], warnings: [], outputs: {}, summaries: [] };
    }

    control.current = running;
    const timers: NodeJS.Timeout[] = [];
    let stepTimedOut = false;
    if (step.timeoutInMinutes > 0) {
      timers.push(setTimeout(() => {
        stepTimedOut = true;
        running.cancel();
      }, step.timeoutInMinutes * this.minuteMs));
    }
    const remaining = control.remainingAfterCancel();
    if (remaining !== undefined) timers.push(setTimeout(() => running.cancel(), remaining));
    let outcome: AgentTaskResult;
    try {
      outcome = await running.result;
    } finally {
      timers.forEach(clearTimeout);
      control.current = undefined;
    }
    for (const secret of outcome.secrets) this.masker.add(secret);

    const errors = [...outcome.errors];
    const log = [...outcome.log];
    let result: UnitResult = outcome.result === 'Cancelled' ? 'Canceled' : outcome.result;
    if (stepTimedOut && !control.canceled) {
      result = 'Failed';
      errors.push('The task has timed out.');
      log.push('##[error]The task has timed out.');
      this.emit({ type: 'log', stage, job, line: '##[error]The task has timed out.' });
    }
    if (result === 'Failed' && step.continueOnError) result = 'SucceededWithIssues';

    // Variables the task set: `<step>.<var>` for outputs, `<var>` otherwise; later steps and jobs see them.
    const isSecret = (value: string): boolean => outcome.secrets.includes(value);
    const stepOutputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(outcome.outputs)) {
      stepOutputs[name] = isSecret(value) ? '***' : this.masker.mask(value);
      if (!step.refName) continue;
      store.set(`${step.refName}.${name}`, value, isSecret(value));
      const key = `${job.kind === 'deployment' ? `${job.name}.` : ''}${step.refName}.${name}`;
      jobOutputs.set(key.toLowerCase(), { key, value, secret: isSecret(value) });
    }
    if (!step.refName && Object.keys(outcome.outputs).length > 0) {
      note('warning', `Step '${displayName}' (line ${step.line}) set output variables (${Object.keys(outcome.outputs).join(', ')}) but has no \`name\`: later steps and jobs cannot reference them; give the step a name.`);
    }
    for (const [name, value] of Object.entries(outcome.variables)) {
      if (store.get(name)?.readonly) {
        note('warning', `Step '${displayName}' cannot set the read-only variable '${name}'.`);
        continue;
      }
      store.set(name, value, isSecret(value));
      if (same(name, 'Build.BuildNumber')) this.buildNumber = value;
    }
    this.buildTags.push(...outcome.buildTags.filter((tag) => !this.buildTags.includes(tag)));
    for (const artifact of outcome.artifacts) this.artifacts.push({ stage: stage.name, job: job.name, step: step.refName ?? displayName, ...artifact });
    const summaries = outcome.attachments
      .filter((attachment) => attachment.type === 'Distributedtask.Core.Summary' && fs.existsSync(attachment.path))
      .map((attachment) => this.masker.mask(fs.readFileSync(attachment.path, 'utf8')));

    return {
      ...base,
      result,
      ...(stepTimedOut ? { timedOut: true } : {}),
      log,
      errors,
      warnings: [...outcome.warnings],
      outputs: stepOutputs,
      summaries,
      exitCode: outcome.exitCode,
    };
  }
}

/** Step status functions: the job's status so far (Agent.JobStatus) and whether the job was canceled. */
function stepStatus(name: StatusFunctionName, status: RunningStatus, canceled: boolean): boolean {
  switch (name) {
    case 'always':
      return true;
    case 'canceled':
      return canceled;
    case 'succeeded':
      return !canceled && (status === 'Succeeded' || status === 'SucceededWithIssues');
    case 'failed':
      return !canceled && status === 'Failed';
    case 'succeededOrFailed':
      return !canceled;
  }
}

/** Every unit `unit` depends on, directly or not (conditions look at all of them). */
function ancestors<T extends { readonly name: string; readonly dependsOn: readonly string[] }>(unit: T, all: readonly T[]): string[] {
  const found = new Set<string>();
  const visit = (current: T): void => {
    for (const name of current.dependsOn) {
      const next = all.find((candidate) => same(candidate.name, name));
      if (next && !found.has(next.name)) {
        found.add(next.name);
        visit(next);
      }
    }
  };
  visit(unit);
  return [...found];
}

/** Dependencies first; among units ready at the same time, YAML order. */
function topologicalOrder<T extends { readonly name: string; readonly dependsOn: readonly string[] }>(units: readonly T[]): T[] {
  const done = new Set<string>();
  const order: T[] = [];
  while (order.length < units.length) {
    const next = units.find((unit) => !done.has(unit.name.toLowerCase()) && unit.dependsOn.every((name) => done.has(name.toLowerCase())));
    if (!next) break; // cycles are refused when compiling
    done.add(next.name.toLowerCase());
    order.push(next);
  }
  return order;
}
