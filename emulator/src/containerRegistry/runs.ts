import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { copyableFiles, unpackContext, type BuildContext } from './buildContext';
import type { ImageCatalog } from './catalog';
import { analyzeDockerfile, type DockerfileAnalysis } from './dockerfile';
import { ACR_PROVIDER, type RegistryScope } from './registry';
import type { TaskStorage } from './storage';

export type RunStatus = 'Queued' | 'Started' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled' | 'Error' | 'Timeout';

const TERMINAL: ReadonlySet<RunStatus> = new Set(['Succeeded', 'Failed', 'Canceled', 'Error', 'Timeout']);

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL.has(status);
}

/** A DockerBuildRequest (quick build) as the emulator keeps it. */
export interface DockerBuildRequest {
  readonly imageNames: readonly string[];
  readonly isPushEnabled: boolean;
  readonly noCache: boolean;
  readonly dockerFilePath: string;
  readonly target: string | undefined;
  readonly arguments: ReadonlyArray<{ readonly name: string; readonly value: string; readonly isSecret: boolean }>;
  /** Seconds. */
  readonly timeout: number;
  readonly platform: { readonly os: string; readonly architecture: string; readonly variant?: string };
  readonly sourceLocation: string;
  readonly cpu: number;
}

export interface ImageDescriptor {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

export interface RunRecord {
  readonly runId: string;
  readonly request: DockerBuildRequest;
  status: RunStatus;
  readonly createTime: string;
  startTime?: string;
  finishTime?: string;
  lastUpdatedTime: string;
  outputImages: ImageDescriptor[];
  runErrorMessage?: string;
  /** The digest the build recorded (also on every output image). */
  digest?: string;
  /** Log appends of this run, in order. */
  logWrites: Promise<void>;
}

/**
 * Quick builds (`az acr build`): a scheduled run goes Queued -> Running -> Succeeded or Failed, writing a log like ACR's
 * build agent. No image is built: the context is downloaded and unpacked, the Dockerfile parsed and its COPY/ADD
 * sources checked, and the digest is the sha256 of the context archive, the Dockerfile path, the target, the platform
 * and the build arguments; the images are then recorded in the catalog under each requested tag.
 */
export class RunManager {
  private readonly runs = new Map<string, RunRecord>();
  private counter = 0;
  private readonly stopping = new AbortController();

  constructor(
    private readonly registry: RegistryScope,
    private readonly storage: TaskStorage,
    private readonly catalog: ImageCatalog,
    /** Pace of the run's steps (the emulator's jobStepDelayMs). */
    private readonly stepDelayMs: number,
    private readonly debug: (message: string) => void,
  ) {}

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  /** Newest first. */
  list(): RunRecord[] {
    return [...this.runs.values()].sort((a, b) => b.createTime.localeCompare(a.createTime) || b.runId.localeCompare(a.runId, undefined, { numeric: true }));
  }

  async schedule(request: DockerBuildRequest): Promise<RunRecord> {
    this.counter += 1;
    const now = new Date().toISOString();
    const run: RunRecord = {
      runId: `ca${this.counter.toString(36)}`,
      request,
      status: 'Queued',
      createTime: now,
      lastUpdatedTime: now,
      outputImages: [],
      logWrites: Promise.resolve(),
    };
    this.runs.set(run.runId, run);
    await this.storage.createLog(run.runId);
    void this.execute(run).catch((error: unknown) => {
      if (this.stopping.signal.aborted) return;
      this.debug(`acr: run ${run.runId} failed unexpectedly: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      this.end(run, 'Error', 'internal error of the emulated build agent');
    });
    return run;
  }

  /** Cancels a run that has not finished; false when it had. */
  cancel(runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || isTerminalRunStatus(run.status)) return false;
    this.log(run, `${timestamp()} The run was canceled`, '', `Run ID: ${run.runId} was canceled after ${elapsedSeconds(run)}s`);
    this.end(run, 'Canceled');
    return true;
  }

  readLog(runId: string): Promise<string> {
    const run = this.runs.get(runId);
    return (run?.logWrites ?? Promise.resolve()).then(() => this.storage.readLog(runId));
  }

  stop(): void {
    this.stopping.abort();
  }

  /** The run resource as GET answers it (API 2019-06-01-preview). */
  resource(run: RunRecord): Record<string, unknown> {
    const { platform } = run.request;
    return {
      id: `${this.registry.id}/runs/${run.runId}`,
      name: run.runId,
      type: `${ACR_PROVIDER}/registries/runs`,
      properties: {
        runId: run.runId,
        status: run.status,
        lastUpdatedTime: run.lastUpdatedTime,
        runType: 'QuickRun',
        createTime: run.createTime,
        ...(run.startTime ? { startTime: run.startTime } : {}),
        ...(run.finishTime ? { finishTime: run.finishTime } : {}),
        outputImages: run.outputImages,
        platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) },
        agentConfiguration: { cpu: run.request.cpu },
        ...(run.runErrorMessage ? { runErrorMessage: run.runErrorMessage } : {}),
        provisioningState: 'Succeeded',
        isArchiveEnabled: false,
      },
    };
  }

  private async execute(run: RunRecord): Promise<void> {
    const { request } = run;
    await this.pause();
    if (this.over(run)) return;
    run.status = 'Running';
    run.startTime = new Date().toISOString();
    run.lastUpdatedTime = run.startTime;
    this.log(run, `${timestamp()} Downloading source code...`);
    const archive = await this.storage.readSource(sourcePath(request.sourceLocation));
    // Cancelled (or timed out) while downloading: the log ends with that, not with what the run would have done next.
    if (this.over(run)) return;
    if (!archive) {
      return this.fail(run, `failed to download the source code: nothing was uploaded at '${request.sourceLocation}' (upload the context to the URL listBuildSourceUploadUrl gives, then pass its relativePath)`);
    }
    let context: BuildContext;
    try {
      context = await unpackContext(archive);
    } catch (error) {
      return this.fail(run, error instanceof Error ? error.message : String(error));
    }
    if (this.over(run)) return;
    const volume = `acb_vol_${randomUUID()}`;
    this.log(
      run,
      `${timestamp()} Finished downloading source code`,
      `${timestamp()} Using ${volume} as the home volume`,
      `${timestamp()} Setting up Docker configuration...`,
      `${timestamp()} Successfully set up Docker configuration`,
      `${timestamp()} Logging in to registry: ${this.registry.loginServer}`,
      `${timestamp()} Successfully logged into ${this.registry.loginServer}`,
      `${timestamp()} Executing step ID: build. Timeout(sec): ${request.timeout}, Working directory: '', Network: ''`,
      `${timestamp()} Scanning for dependencies...`,
      `${timestamp()} Successfully scanned dependencies`,
      `${timestamp()} Launching container with name: build`,
      'Azure Container Registry emulator: no image is built locally. The build context is unpacked, the Dockerfile parsed, every COPY and ADD ' +
        'source looked up in the context (.dockerignore applied) and a digest recorded; RUN instructions are not executed and nothing is pulled.',
    );
    await this.pause();
    if (this.over(run)) return;

    const dockerfilePath = posix.normalize(request.dockerFilePath.replace(/\\/g, '/').replace(/^\/+/, ''));
    const dockerfile = context.files.get(dockerfilePath);
    if (dockerfile === undefined) {
      return this.fail(run, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /workspace/${dockerfilePath}: no such file or directory`);
    }
    this.log(run, `Sending build context to Docker daemon  ${kilobytes(context.tarBytes.length)}`);
    const buildArgs = Object.fromEntries(request.arguments.map((a) => [a.name, a.value]));
    const analysis: DockerfileAnalysis = analyzeDockerfile(dockerfile.toString('utf8'), copyableFiles(context), buildArgs);
    if (analysis.error !== undefined && analysis.failedStep === undefined) return this.fail(run, analysis.error);

    const total = analysis.steps.length;
    for (const [index, step] of analysis.steps.entries()) {
      this.log(run, `Step ${index + 1}/${total} : ${step.text}`);
      if (analysis.failedStep === index) return this.fail(run, analysis.error ?? 'the step failed');
      this.log(run, ...(step.keyword === 'RUN' ? [` ---> Running in ${shortId()}`, `Removing intermediate container ${shortId()}`] : []), ` ---> ${shortId()}`);
      await this.pause(0.5);
      if (this.over(run)) return;
    }

    const digest = `sha256:${digestOf(context, request)}`;
    const images = request.imageNames.map((name) => splitImageName(name));
    this.log(
      run,
      `Successfully built ${digest.slice(7, 19)}`,
      ...images.map((image) => `Successfully tagged ${this.registry.loginServer}/${image.repository}:${image.tag}`),
      `${timestamp()} Successfully executed container: build`,
    );
    if (request.isPushEnabled && images.length > 0) {
      this.log(run, `${timestamp()} Executing step ID: push. Timeout(sec): 3600, Working directory: '', Network: ''`);
      await this.pause();
      if (this.over(run)) return;
      for (const image of images) {
        const fullName = `${this.registry.loginServer}/${image.repository}:${image.tag}`;
        this.log(
          run,
          `${timestamp()} Pushing image: ${fullName}, attempt 1`,
          `The push refers to repository [${this.registry.loginServer}/${image.repository}]`,
          `${image.tag}: digest: ${digest} size: ${1024 + (context.tarBytes.length % 4096)}`,
          `${timestamp()} Successfully pushed image: ${fullName}`,
        );
      }
    }
    run.digest = digest;
    run.outputImages = images.map((image) => ({ registry: this.registry.loginServer, repository: image.repository, tag: image.tag, digest }));
    if (request.isPushEnabled) {
      const byRepository = new Map<string, string[]>();
      for (const image of images) byRepository.set(image.repository, [...(byRepository.get(image.repository) ?? []), image.tag]);
      for (const [repository, tags] of byRepository) this.catalog.push(repository, digest, tags, run.runId);
    }
    this.log(
      run,
      `${timestamp()} Step ID: build marked as successful (elapsed time in seconds: ${elapsedSeconds(run)})`,
      `${timestamp()} Populating digests for step ID: build...`,
      `${timestamp()} Successfully populated digests for step ID: build`,
      ...(request.isPushEnabled ? [`${timestamp()} Step ID: push marked as successful (elapsed time in seconds: 0.4)`] : []),
      `${timestamp()} The following dependencies were found:`,
      ...dependencyLines(run.outputImages, analysis.baseImages),
      '',
      `Run ID: ${run.runId} was successful after ${Math.max(1, Math.round(Number(elapsedSeconds(run))))}s`,
    );
    await run.logWrites.catch(() => undefined);
    this.end(run, 'Succeeded');
  }

  private async fail(run: RunRecord, message: string): Promise<void> {
    this.log(
      run,
      message,
      `${timestamp()} Container failed during run: build. No retries remaining.`,
      'failed to run step ID: build: exit status 1',
      '',
      `Run ID: ${run.runId} failed after ${Math.max(1, Math.round(Number(elapsedSeconds(run))))}s. Error: failed during run, err: exit status 1`,
    );
    // The whole log is written before the status says the run is over: a client reads it once more then.
    await run.logWrites.catch(() => undefined);
    this.end(run, 'Failed', 'failed during run, err: exit status 1');
  }

  private end(run: RunRecord, status: RunStatus, errorMessage?: string): void {
    if (isTerminalRunStatus(run.status)) return;
    run.status = status;
    run.finishTime = new Date().toISOString();
    run.lastUpdatedTime = run.finishTime;
    if (errorMessage) run.runErrorMessage = errorMessage;
    this.debug(`acr: run ${run.runId} -> ${status}`);
  }

  /** True when the run ended meanwhile (cancelled), or ends now because it ran past its timeout. */
  private over(run: RunRecord): boolean {
    if (isTerminalRunStatus(run.status)) return true;
    if (run.startTime && Date.now() - Date.parse(run.startTime) > run.request.timeout * 1000) {
      this.log(run, `${timestamp()} The run exceeded its timeout of ${run.request.timeout} seconds`, '', `Run ID: ${run.runId} timed out`);
      this.end(run, 'Timeout', `the run exceeded its timeout of ${run.request.timeout} seconds`);
      return true;
    }
    return false;
  }

  private log(run: RunRecord, ...lines: string[]): void {
    const text = lines.map((line) => `${line}\n`).join('');
    run.logWrites = run.logWrites.then(
      () => this.storage.appendLog(run.runId, text),
      () => this.storage.appendLog(run.runId, text),
    );
    run.logWrites.catch((error: unknown) => this.debug(`acr: log of ${run.runId} not written: ${error instanceof Error ? error.message : String(error)}`));
  }

  private async pause(factor = 1): Promise<void> {
    await delay(Math.round(this.stepDelayMs * factor), undefined, { signal: this.stopping.signal });
  }
}

/** `source/...` as listBuildSourceUploadUrl gave it, or the path of a full URL into the tasks' container. */
function sourcePath(sourceLocation: string): string {
  if (/^https?:\/\//i.test(sourceLocation)) {
    const parts = new URL(sourceLocation).pathname.split('/').filter((p) => p !== '');
    return parts.slice(1).map(decodeURIComponent).join('/');
  }
  return sourceLocation.replace(/^\/+/, '');
}

/** `repo:tag` (tag defaults to latest). */
export function splitImageName(name: string): { repository: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name, tag: 'latest' };
}

function digestOf(context: BuildContext, request: DockerBuildRequest): string {
  const hash = createHash('sha256');
  hash.update(context.tarBytes);
  hash.update(`\ndockerfile=${request.dockerFilePath}\ntarget=${request.target ?? ''}\nplatform=${request.platform.os}/${request.platform.architecture}/${request.platform.variant ?? ''}\n`);
  for (const arg of [...request.arguments].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`arg=${arg.name}=${arg.value}\n`);
  return hash.digest('hex');
}

function dependencyLines(images: readonly ImageDescriptor[], baseImages: readonly string[]): string[] {
  const lines: string[] = [];
  for (const image of images) {
    lines.push('- image:', `    registry: ${image.registry}`, `    repository: ${image.repository}`, `    tag: ${image.tag}`, `    digest: ${image.digest}`);
    lines.push('  runtime-dependency:');
    for (const base of baseImages) {
      const slash = base.indexOf('/');
      const registry = slash > 0 && /[.:]/.test(base.slice(0, slash)) ? base.slice(0, slash) : 'registry.hub.docker.com';
      const rest = registry === 'registry.hub.docker.com' ? base : base.slice(slash + 1);
      const { repository, tag } = splitImageName(rest.split('@')[0]!);
      lines.push(`    registry: ${registry}`, `    repository: ${repository}`, `    tag: ${tag}`);
    }
    lines.push('  git: {}');
  }
  return lines;
}

function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').replace(/-/g, '/').slice(0, 19);
}

function elapsedSeconds(run: RunRecord): string {
  const started = Date.parse(run.startTime ?? run.createTime);
  return ((Date.now() - started) / 1000).toFixed(1);
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(2)}kB`;
}

function shortId(): string {
  return randomBytes(6).toString('hex');
}
