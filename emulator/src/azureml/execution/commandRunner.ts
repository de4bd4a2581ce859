import { createServer } from 'node:net';
import { mkdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { CommandDefinition, JobRecord, TerminalStatus } from '../jobs/model';
import { isTerminal } from '../jobs/model';
import type { AzureMlService } from '../service';
import { renderCommand } from './command';
import { BlobLogWriter, errorExcerpt, TailBuffer } from './logs';
import { startUserProcess, type ProcessExit, type UserProcess } from './processes';
import { downloadFile, downloadFolder, joinPath, JobFailure, resolveStorageUri, uploadFile, uploadFolder } from './storage';

/** Variables of the emulator's own environment a job inherits (a compute node has its own PATH, HOME, locale). */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

interface WorkFolders {
  readonly root: string;
  /** Working directory: the code snapshot. */
  readonly wd: string;
  /** Input name -> local path or literal value, as substituted in the command. */
  readonly inputs: Record<string, string>;
  /** Output name -> local path the script writes to. */
  readonly outputs: Record<string, string>;
}

interface ProcessSlot {
  readonly rank: number;
  readonly logPath: string;
  readonly env: Record<string, string>;
}

/**
 * Runs one command job (or pipeline step) locally: NotStarted -> Queued -> Preparing (code snapshot and inputs
 * downloaded) -> Running (bash -c, one process per rank, logs streamed to the artifact store) -> Finalizing (outputs
 * uploaded) -> Completed | Failed, or CancelRequested -> Canceled.
 */
/** Lifetime of a job's MLflow token: a day, longer than any job the emulator runs. */
const JOB_TOKEN_LIFETIME_SECONDS = 24 * 3600;

export class CommandRunner {
  private readonly abort = new AbortController();
  private readonly processes: UserProcess[] = [];
  private readonly logs: BlobLogWriter[] = [];
  private cancelRequested = false;
  private timedOut = false;

  constructor(
    private readonly svc: AzureMlService,
    private readonly job: JobRecord,
    private readonly definition: CommandDefinition,
  ) {}

  private get stepDelayMs(): number {
    return this.svc.ctx.config.jobStepDelayMs;
  }

  cancel(): void {
    if (this.cancelRequested || isTerminal(this.job.status)) return;
    this.cancelRequested = true;
    this.svc.setStatus(this.job, 'CancelRequested');
    this.abort.abort();
    for (const p of this.processes) void p.kill();
  }

  async run(): Promise<TerminalStatus> {
    const { svc, job } = this;
    let final: TerminalStatus = 'Failed';
    try {
      await this.pause(this.stepDelayMs);
      svc.setStatus(job, 'Queued');
      await this.pause(this.stepDelayMs);
      svc.setStatus(job, 'Preparing');
      const preparing = Date.now();
      const work = await this.prepare();
      await this.pause(this.stepDelayMs - (Date.now() - preparing));
      svc.setStatus(job, 'Running');
      const failure = await this.execute(work);
      this.abort.signal.throwIfAborted();
      svc.setStatus(job, 'Finalizing');
      const finalizing = Date.now();
      await this.uploadArtifacts(work);
      if (failure) {
        this.recordError(failure);
        final = 'Failed';
      } else {
        await this.uploadOutputs(work);
        final = 'Completed';
      }
      await this.pause(this.stepDelayMs - (Date.now() - finalizing));
    } catch (error) {
      if (!this.cancelRequested) {
        final = 'Failed';
        this.recordError(error instanceof JobFailure ? error : new JobFailure(`The emulator could not run the job: ${describe(error)}`, 'SystemError'));
      }
    } finally {
      await Promise.all(this.processes.map((p) => p.kill()));
      await Promise.all(this.logs.map((l) => l.close()));
    }
    if (this.cancelRequested) final = 'Canceled';
    svc.setStatus(job, final);
    return final;
  }

  /** Waits between status steps; a cancel ends the wait at once. */
  private async pause(ms: number): Promise<void> {
    this.abort.signal.throwIfAborted();
    if (ms > 0) await delay(ms, undefined, { signal: this.abort.signal });
  }

  private async prepare(): Promise<WorkFolders> {
    const { svc, job, definition } = this;
    const signal = this.abort.signal;
    const root = path.join(svc.ctx.stateDir, 'azureml', 'runs', job.name);
    await rm(root, { recursive: true, force: true });
    const wd = path.join(root, 'wd');
    await mkdir(wd, { recursive: true });

    if (definition.codeUri) {
      const location = resolveStorageUri(svc, definition.codeUri);
      const files = await downloadFolder(svc, location, wd, signal);
      // A code asset may also be a single file.
      if (files === 0 && !(await downloadFile(svc, location, path.join(wd, path.posix.basename(location.path) || 'code'), signal))) {
        throw new JobFailure(`The code snapshot '${definition.codeUri}' of the job is empty or does not exist.`);
      }
    }

    const inputs: Record<string, string> = {};
    for (const [name, input] of Object.entries(definition.inputs)) {
      signal.throwIfAborted();
      if (input.type === 'literal') {
        inputs[name] = input.value;
        continue;
      }
      if (input.mode === 'Direct') {
        inputs[name] = input.uri;
        continue;
      }
      const location = resolveStorageUri(svc, input.uri);
      const dir = path.join(root, 'inputs', name);
      await mkdir(dir, { recursive: true });
      if (input.type === 'uri_file') {
        const file = path.join(dir, path.posix.basename(location.path) || name);
        if (!(await downloadFile(svc, location, file, signal))) throw new JobFailure(`Input '${name}': the file '${input.uri}' does not exist.`);
        inputs[name] = file;
      } else {
        if ((await downloadFolder(svc, location, dir, signal)) === 0) throw new JobFailure(`Input '${name}': the folder '${input.uri}' is empty or does not exist.`);
        inputs[name] = dir;
      }
    }

    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(definition.outputs)) {
      const dir = path.join(root, 'outputs', name);
      await mkdir(dir, { recursive: true });
      outputs[name] = output.type === 'uri_file' ? path.join(dir, output.uri ? path.posix.basename(output.uri) || name : name) : dir;
    }
    return { root, wd, inputs, outputs };
  }

  /** Runs every rank; returns the failure to report, or undefined when all exited with 0. */
  private async execute(work: WorkFolders): Promise<JobFailure | undefined> {
    const { svc, job, definition } = this;
    const command = renderCommand(definition.command, work.inputs, work.outputs);
    const slots = await this.processSlots(work);
    const container = svc.ctx.storage.client.getContainerClient(svc.ctx.storage.artifactsContainer);
    const tails = new Map<number, TailBuffer>();
    const writers = new Map<number, BlobLogWriter>();
    for (const slot of slots) {
      const writer = await BlobLogWriter.open(container.getAppendBlobClient(`ExperimentRun/dcid.${job.name}/${slot.logPath}`), (error) =>
        svc.ctx.debug(`azureml: appending to ${slot.logPath} of ${job.name} failed: ${describe(error)}`),
      );
      this.logs.push(writer);
      writers.set(slot.rank, writer);
      tails.set(slot.rank, new TailBuffer(16 * 1024));
      if (!job.logFiles.includes(slot.logPath)) job.logFiles.push(slot.logPath);
    }
    this.abort.signal.throwIfAborted();

    const timer =
      definition.timeoutSeconds === undefined
        ? undefined
        : setTimeout(() => {
            this.timedOut = true;
            for (const p of this.processes) void p.kill();
          }, definition.timeoutSeconds * 1000);
    let firstFailure: { slot: ProcessSlot; exit: ProcessExit } | undefined;
    try {
      const exits = slots.map((slot) => {
        const proc = startUserProcess({
          command,
          cwd: work.wd,
          env: slot.env,
          onOutput: (data, stream) => {
            writers.get(slot.rank)!.write(data);
            if (stream === 'stderr') tails.get(slot.rank)!.push(data);
          },
        });
        this.processes.push(proc);
        return proc.exit.then((exit) => {
          if ((exit.code !== 0 || exit.signal) && !firstFailure) {
            firstFailure = { slot, exit };
            // One failed rank fails the job: the others are stopped, as on a cluster.
            for (const p of this.processes) void p.kill();
          }
        });
      });
      await Promise.all(exits);
    } finally {
      if (timer) clearTimeout(timer);
    }
    this.abort.signal.throwIfAborted();
    if (this.timedOut) {
      return new JobFailure(`The job ran longer than its limits.timeout of ${definition.timeout} and was stopped.`);
    }
    if (!firstFailure) return undefined;
    const exe = path.posix.basename(command.trim().split(/\s+/)[0] ?? 'bash');
    const { slot, exit } = firstFailure;
    const excerpt = errorExcerpt(tails.get(slot.rank)!.text());
    const how = exit.signal ? `was terminated by signal ${exit.signal}` : `exited with status code ${exit.code}`;
    return new JobFailure(
      `Execution failed. User process '${exe}' ${how}. Please check log file '${slot.logPath}' for error details. Error: ${excerpt}`,
    );
  }

  /** One slot per process: rank environment and log file, following the job's distribution. */
  private async processSlots(work: WorkFolders): Promise<ProcessSlot[]> {
    const { definition } = this;
    const base = this.baseEnvironment(work);
    const dist = definition.distribution;
    const nodes = definition.instanceCount;
    const perNode = dist && dist.type !== 'TensorFlow' ? dist.processCountPerInstance : 1;
    const world = dist?.type === 'TensorFlow' ? dist.workerCount + dist.parameterServerCount : nodes * perNode;
    const logPath = (rank: number): string => (world === 1 ? 'user_logs/std_log.txt' : `user_logs/std_log_process_${rank}.txt`);
    const slots: ProcessSlot[] = [];
    if (dist?.type === 'TensorFlow') {
      const ports = await Promise.all(Array.from({ length: world }, () => freePort()));
      const hosts = ports.map((p) => `127.0.0.1:${p}`);
      const cluster: Record<string, string[]> = { worker: hosts.slice(0, dist.workerCount) };
      if (dist.parameterServerCount > 0) cluster['ps'] = hosts.slice(dist.workerCount);
      for (let rank = 0; rank < world; rank++) {
        const task = rank < dist.workerCount ? { type: 'worker', index: rank } : { type: 'ps', index: rank - dist.workerCount };
        slots.push({ rank, logPath: logPath(rank), env: { ...base, TF_CONFIG: JSON.stringify({ cluster, task, environment: 'cloud' }) } });
      }
      return slots;
    }
    const masterPort = world > 1 ? String(await freePort()) : '29500';
    for (let rank = 0; rank < world; rank++) {
      const node = Math.floor(rank / perNode);
      const local = rank % perNode;
      const env: Record<string, string> = { ...base, AZUREML_NODE_RANK: String(node) };
      if (dist?.type === 'PyTorch') {
        Object.assign(env, {
          RANK: String(rank),
          WORLD_SIZE: String(world),
          LOCAL_RANK: String(local),
          LOCAL_WORLD_SIZE: String(perNode),
          NODE_RANK: String(node),
          GROUP_RANK: String(node),
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: masterPort,
        });
      } else if (dist?.type === 'Mpi') {
        Object.assign(env, {
          OMPI_COMM_WORLD_RANK: String(rank),
          OMPI_COMM_WORLD_SIZE: String(world),
          OMPI_COMM_WORLD_LOCAL_RANK: String(local),
          OMPI_COMM_WORLD_LOCAL_SIZE: String(perNode),
          OMPI_COMM_WORLD_NODE_RANK: String(node),
        });
      }
      slots.push({ rank, logPath: logPath(rank), env });
    }
    return slots;
  }

  /** What every process of the job sees: run identity, MLflow tracking, the emulator's CA, input/output paths. */
  private baseEnvironment(work: WorkFolders): Record<string, string> {
    const { svc, job, definition } = this;
    const { ctx, scope } = svc;
    const env: Record<string, string> = {};
    for (const name of INHERITED_VARIABLES) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    const principal = job.principal;
    // The job acts as its submitter, with the audience the data plane accepts (the ARM resource, i.e. the emulator).
    // Like the service's run token, it outlives the job rather than the submitter's short-lived access token.
    const token = ctx.tokens.issue(principal?.clientId ?? 'azureml-job', principal?.audience ?? ctx.baseUrl, JOB_TOKEN_LIFETIME_SECONDS);
    const experiment = svc.tracking.ensureExperiment(job.experimentName);
    const endpoint = ctx.baseUrl.replace(/\/+$/, '');
    Object.assign(env, {
      PYTHONUNBUFFERED: '1',
      AZUREML_RUN_ID: job.name,
      AZUREML_ROOT_RUN_ID: job.parentName ?? job.name,
      AZUREML_ARM_SUBSCRIPTION: scope.config.subscriptionId,
      AZUREML_ARM_RESOURCEGROUP: scope.config.resourceGroup,
      AZUREML_ARM_WORKSPACE_NAME: scope.name,
      AZUREML_ARM_PROJECT_NAME: job.experimentName,
      AZUREML_EXPERIMENT_ID: experiment.experimentId,
      AZUREML_WORKSPACE_ID: scope.workspaceId,
      AZUREML_SERVICE_ENDPOINT: endpoint,
      AZUREML_DISCOVERY_SERVICE_ENDPOINT: `${ctx.baseUrl}discovery`,
      AZUREML_RUN_TOKEN: token.token,
      AZUREML_RUN_TOKEN_EXPIRY: String(Math.floor(token.expiresOn.getTime() / 1000)),
      AZUREML_CR_EXECUTION_WORKING_DIR_PATH: work.wd,
      MLFLOW_TRACKING_URI: `${ctx.baseUrl}mlflow/v1.0/${scope.path}`,
      MLFLOW_TRACKING_TOKEN: token.token,
      MLFLOW_RUN_ID: job.name,
      MLFLOW_EXPERIMENT_NAME: job.experimentName,
      MLFLOW_EXPERIMENT_ID: experiment.experimentId,
      SSL_CERT_FILE: ctx.caCertPath,
      REQUESTS_CA_BUNDLE: ctx.caCertPath,
      NODE_EXTRA_CA_CERTS: ctx.caCertPath,
    });
    for (const [name, value] of Object.entries(work.inputs)) env[`AZURE_ML_INPUT_${name}`] = value;
    for (const [name, value] of Object.entries(work.outputs)) env[`AZURE_ML_OUTPUT_${name}`] = value;
    return { ...env, ...definition.environmentVariables };
  }

  /** Files the script wrote to ./outputs and ./logs become run artifacts, as on Azure ML. */
  private async uploadArtifacts(work: WorkFolders): Promise<void> {
    const { svc, job } = this;
    for (const folder of ['outputs', 'logs']) {
      await uploadFolder(svc, path.join(work.wd, folder), { container: svc.ctx.storage.artifactsContainer, path: `ExperimentRun/dcid.${job.name}/${folder}/` });
    }
  }

  /** Uploads each named output to its URI (default: the workspace blob store, azureml/<job>/<output>/) and records it. */
  private async uploadOutputs(work: WorkFolders): Promise<void> {
    const { svc, job, definition } = this;
    for (const [name, output] of Object.entries(definition.outputs)) {
      this.abort.signal.throwIfAborted();
      const uri = output.uri ?? `azureml://datastores/workspaceblobstore/paths/azureml/${job.name}/${name}/`;
      const location = resolveStorageUri(svc, uri);
      const local = work.outputs[name]!;
      if (output.type === 'uri_file') {
        const info = await stat(local).catch(() => undefined);
        if (!info?.isFile()) throw new JobFailure(`Output '${name}' is a uri_file, but the script did not write the file ${local}.`);
        const target = output.uri ? location.path : joinPath(location.path, path.basename(local));
        await uploadFile(svc, local, { container: location.container, path: target });
        job.outputUris[name] = output.uri ?? `${uri}${path.basename(local)}`;
      } else {
        await uploadFolder(svc, local, location);
        job.outputUris[name] = uri;
      }
    }
  }

  private recordError(failure: JobFailure): void {
    this.job.error = { code: failure.code, message: failure.message, time: new Date().toISOString() };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A TCP port free right now, for MASTER_PORT and TF_CONFIG. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
