import { setTimeout as delay } from 'node:timers/promises';
import type { CommandDefinition, JobInput, JobOutput, JobRecord, StepDefinition, TerminalStatus } from '../jobs/model';
import { isTerminal } from '../jobs/model';
import type { AzureMlService } from '../service';
import { CommandRunner } from './commandRunner';
import { BlobLogWriter } from './logs';

/** Creates the child job of a pipeline step (its own run id, MLflow run tagged with the parent). */
export type ChildFactory = (parent: JobRecord, step: StepDefinition) => JobRecord;

/**
 * Runs a pipeline job: every step is a child job started as soon as the steps it consumes outputs of have
 * completed. A failed step fails the pipeline and stops the other steps (unless settings.continue_on_step_failure);
 * cancelling the pipeline cancels its running steps.
 */
export class PipelineRunner {
  private readonly abort = new AbortController();
  private readonly runners = new Map<string, CommandRunner>();
  private readonly results = new Map<string, Promise<TerminalStatus>>();
  private readonly children = new Map<string, JobRecord>();
  private cancelRequested = false;
  private stopping = false;
  private log?: BlobLogWriter;

  constructor(
    private readonly svc: AzureMlService,
    private readonly job: JobRecord,
    private readonly createChild: ChildFactory,
  ) {}

  cancel(): void {
    if (this.cancelRequested || isTerminal(this.job.status)) return;
    this.cancelRequested = true;
    this.svc.setStatus(this.job, 'CancelRequested');
    this.stopSteps();
  }

  async run(): Promise<TerminalStatus> {
    const { svc, job } = this;
    const pipeline = job.pipeline!;
    try {
      await delay(svc.ctx.config.jobStepDelayMs, undefined, { signal: this.abort.signal });
      const blob = svc.ctx.storage.client.getContainerClient(svc.ctx.storage.artifactsContainer).getAppendBlobClient(`ExperimentRun/dcid.${job.name}/logs/azureml/executionlogs.txt`);
      this.log = await BlobLogWriter.open(blob, (error) => svc.ctx.debug(`azureml: pipeline log of ${job.name}: ${String(error)}`));
      job.logFiles.push('logs/azureml/executionlogs.txt');
      this.abort.signal.throwIfAborted();
      svc.setStatus(job, 'Running');
      for (const step of pipeline.steps) {
        const child = this.createChild(job, step);
        this.children.set(step.name, child);
        job.childNames.push(child.name);
      }
      for (const step of pipeline.steps) this.results.set(step.name, this.runStep(step));
      const statuses = await Promise.all(pipeline.steps.map(async (s) => [s.name, await this.results.get(s.name)!] as const));
      if (this.cancelRequested) return this.finish('Canceled');
      for (const step of pipeline.steps) {
        for (const [output, def] of Object.entries(step.outputs)) {
          const uri = this.children.get(step.name)!.outputUris[output];
          if (def.parentOutput && uri) job.outputUris[def.parentOutput] = uri;
        }
      }
      const failed = statuses.filter(([, s]) => s === 'Failed').map(([name]) => `/${name}`);
      if (failed.length > 0) {
        job.error = {
          code: 'UserError',
          message: `Pipeline has failed child jobs. Failed nodes: ${failed.join(', ')}. For more details and logs, please go to the job detail page and check the child jobs.`,
          time: new Date().toISOString(),
        };
        return this.finish('Failed');
      }
      return this.finish(statuses.some(([, s]) => s === 'Canceled') ? 'Canceled' : 'Completed');
    } catch (error) {
      if (this.cancelRequested) return this.finish('Canceled');
      job.error = { code: 'SystemError', message: `The emulator could not run the pipeline: ${error instanceof Error ? error.message : String(error)}`, time: new Date().toISOString() };
      this.stopSteps();
      await Promise.allSettled(this.results.values());
      return this.finish('Failed');
    }
  }

  private async finish(status: TerminalStatus): Promise<TerminalStatus> {
    // Steps that never started end with the pipeline.
    for (const child of this.children.values()) if (!isTerminal(child.status)) this.svc.setStatus(child, 'Canceled');
    this.line(`Pipeline finished with status ${status}.`);
    await this.log?.close();
    this.svc.setStatus(this.job, status);
    return status;
  }

  private async runStep(step: StepDefinition): Promise<TerminalStatus> {
    const { svc } = this;
    const child = this.children.get(step.name)!;
    const upstream = await Promise.all(step.dependsOn.map((d) => this.results.get(d)!));
    if (isTerminal(child.status)) return child.status; // cancelled on its own before it could start
    if (this.stopping || upstream.some((s) => s !== 'Completed')) {
      svc.setStatus(child, 'Canceled');
      return 'Canceled';
    }
    let status: TerminalStatus;
    try {
      const runner = new CommandRunner(svc, child, this.bindStep(step));
      this.runners.set(step.name, runner);
      child.runner = runner;
      this.line(`Submitting step '${step.name}' as child run ${child.name}.`);
      status = await runner.run();
    } catch (error) {
      child.error = { code: 'SystemError', message: `The emulator could not run step '${step.name}': ${error instanceof Error ? error.message : String(error)}`, time: new Date().toISOString() };
      svc.setStatus(child, 'Failed');
      status = 'Failed';
    }
    child.runner = undefined;
    this.line(`Step '${step.name}' (run ${child.name}) finished with status ${status}.`);
    if (status === 'Failed' && !this.job.pipeline!.continueOnStepFailure) this.stopSteps();
    return status;
  }

  /** The step's command with its bindings resolved: pipeline inputs, and the uploaded outputs of upstream steps. */
  private bindStep(step: StepDefinition): CommandDefinition {
    const pipeline = this.job.pipeline!;
    const inputs: Record<string, JobInput> = {};
    for (const [name, input] of Object.entries(step.inputs)) {
      if (input.kind === 'value') inputs[name] = input.input;
      else if (input.kind === 'parentInput') inputs[name] = pipeline.inputs[input.name]!;
      else {
        const uri = this.children.get(input.step)!.outputUris[input.output];
        if (!uri) throw new Error(`step '${input.step}' completed without uploading its output '${input.output}'`);
        inputs[name] = { type: input.type, uri };
      }
    }
    const outputs: Record<string, JobOutput> = {};
    for (const [name, output] of Object.entries(step.outputs)) {
      outputs[name] = { type: output.type, ...(output.uri ? { uri: output.uri } : {}), ...(output.mode ? { mode: output.mode } : {}) };
    }
    return { ...step.template, inputs, outputs };
  }

  private stopSteps(): void {
    this.stopping = true;
    this.abort.abort();
    for (const runner of this.runners.values()) runner.cancel();
  }

  private line(text: string): void {
    const stamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    this.log?.write(`[${stamp}] ${text}\n`);
  }
}
