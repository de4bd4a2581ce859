import { Agent, request as httpRequest } from 'node:http';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AzureMlService } from '../service';
import {
  DeploymentFailure,
  type DeploymentHealth,
  type DeploymentRuntime,
  type DeploymentSpec,
  type InferenceContainer,
  type ScoringOutcome,
  type ScoringRequest,
  type ScoringRuntime,
} from '../endpoints/runtime';
import { ContainerLog } from './containerLog';
import { describeExit, InferenceServerProcess, InferenceServerStartFailure, pythonExecutable } from './inferenceServer';
import { materializeDeployment, type DeploymentFiles } from './materialize';

/** Instances really started per deployment: more would only slow tests down; requests are spread over them. */
export const MAX_LOCAL_INSTANCES = 3;
/** After its last request, how long a replaced or deleted rollout may still take to finish one in flight (beyond its request timeout). */
const DRAIN_MARGIN_MS = 2_000;
/** Variables of the emulator's own environment an inference server inherits (a container has its own PATH, HOME, locale). */
const INHERITED_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const SERVER_VERSION_HEADER = 'azmlinfsrv/1.4.0';
const TROUBLESHOOTING = 'Please see troubleshooting guide, available here: https://aka.ms/oe-tsg#error-resourcenotready';

/** One rollout of a deployment: its files and the inference servers started from them. */
interface Rollout {
  readonly number: number;
  readonly spec: DeploymentSpec;
  readonly dir: string;
  readonly instances: InferenceServerProcess[];
  /** Requests forwarded to it and not answered yet. */
  inFlight: number;
  /** Round-robin cursor among instances with the same load. */
  next: number;
  /** Why it answers no request, when it runs no inference server. */
  unservedReason?: string;
  /** Drains waiting for inFlight to drop to 0. */
  readonly idle: Array<() => void>;
}

interface ServedDeployment {
  readonly endpointName: string;
  readonly deploymentName: string;
  health: DeploymentHealth;
  /** The rollout that answers requests. */
  active?: Rollout;
  /** A rollout being started (first start, update or scale), with what aborts it and when it has settled. */
  starting?: { readonly rollout: Rollout; readonly abort: AbortController; settled?: Promise<void> };
  /** Replaced rollouts finishing their requests before they stop. */
  readonly draining: Set<Rollout>;
  readonly logs: Record<InferenceContainer, ContainerLog>;
  stopping: boolean;
  rollouts: number;
}

/**
 * The default deployment runtime: each deployment really serves. A start (create, update or scale) downloads the model
 * and code (the storage initializer), starts one inference server process per instance (emulator/python/
 * inference_server.py: init() once, run() per request) and waits for them to be ready; the previous rollout keeps
 * answering until then and finishes its requests in flight before it stops, so a rolling update loses no request.
 * init() raising (or the server exiting) fails the start with the service's ResourceNotReady error and the traceback
 * in the InferenceServer log. Stopping a deployment waits for its requests in flight (bounded by its request timeout).
 */
export class ServingDeploymentRuntime implements DeploymentRuntime, ScoringRuntime {
  private readonly deployments = new Map<string, ServedDeployment>();
  /** No keep-alive: a connection never outlives its request, so a stopped server cannot reset a reused one. */
  private readonly agent = new Agent({ keepAlive: false });
  private stopped = false;

  constructor(private readonly svc: AzureMlService) {
    // Found once, ahead of the first deployment (a version manager's shim takes a while to answer).
    void pythonExecutable();
  }

  async start(spec: DeploymentSpec, signal: AbortSignal): Promise<void> {
    if (this.stopped) throw new DeploymentFailure('The emulator is stopping.', 'ServiceUnavailable');
    const key = keyOf(spec.endpointName, spec.deploymentName);
    let served = this.deployments.get(key);
    if (!served || served.stopping) {
      served = {
        endpointName: spec.endpointName,
        deploymentName: spec.deploymentName,
        health: 'NotStarted',
        draining: new Set(),
        logs: { InferenceServer: new ContainerLog(), StorageInitializer: new ContainerLog() },
        stopping: false,
        rollouts: 0,
      };
      this.deployments.set(key, served);
    }
    const number = ++served.rollouts;
    const rollout: Rollout = {
      number,
      spec,
      dir: path.join(this.svc.ctx.stateDir, 'azureml', 'online', spec.endpointName.toLowerCase(), spec.deploymentName.toLowerCase(), String(number)),
      instances: [],
      inFlight: 0,
      next: 0,
      idle: [],
    };
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const starting: NonNullable<ServedDeployment['starting']> = { rollout, abort };
    served.starting = starting;
    const settled = this.bringUp(served, rollout, abort.signal);
    starting.settled = settled.catch(() => undefined);
    try {
      await settled;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (served.starting === starting) served.starting = undefined;
    }
  }

  /** Launches a rollout and makes it the one that answers; on failure its processes are stopped before it rejects. */
  private async bringUp(served: ServedDeployment, rollout: Rollout, signal: AbortSignal): Promise<void> {
    const began = Date.now();
    if (!served.active) served.health = 'Starting';
    try {
      await this.launch(served, rollout, signal);
      // The service takes a while to provision; jobStepDelayMs keeps that shape for clients polling the operation.
      const remaining = this.svc.ctx.config.jobStepDelayMs - (Date.now() - began);
      if (remaining > 0) await delay(remaining, undefined, { signal });
      signal.throwIfAborted();
    } catch (error) {
      await this.release(rollout);
      if (!served.active && !signal.aborted) served.health = 'Unhealthy';
      throw error;
    }
    const previous = served.active;
    // From here on new requests go to the new rollout; the previous one finishes what it has in flight.
    served.active = rollout;
    served.health = 'Healthy';
    if (previous) void this.retire(served, previous);
  }

  async stop(endpointName: string, deploymentName: string): Promise<void> {
    const key = keyOf(endpointName, deploymentName);
    const served = this.deployments.get(key);
    if (!served) return;
    served.stopping = true;
    served.health = 'Stopped';
    served.starting?.abort.abort(new Error('the deployment is being deleted'));
    const rollouts = [...(served.active ? [served.active] : []), ...served.draining];
    served.active = undefined;
    await Promise.all([served.starting?.settled, ...rollouts.map((rollout) => this.drain(rollout).then(() => this.release(rollout)))]);
    if (this.deployments.get(key) === served) this.deployments.delete(key);
  }

  health(endpointName: string, deploymentName: string): DeploymentHealth {
    return this.deployments.get(keyOf(endpointName, deploymentName))?.health ?? 'NotStarted';
  }

  async logs(endpointName: string, deploymentName: string, container: InferenceContainer, tail?: number): Promise<string> {
    return this.deployments.get(keyOf(endpointName, deploymentName))?.logs[container].text(tail) ?? '';
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    const all = [...this.deployments.values()];
    this.deployments.clear();
    // The emulator is going away: no draining, every process stops now.
    for (const served of all) served.starting?.abort.abort(new Error('the emulator is stopping'));
    await Promise.all([
      // A start in progress may still spawn its servers before it sees the abort; it stops them itself before it settles.
      ...all.map((served) => served.starting?.settled),
      ...all.flatMap((served) => [...(served.active ? [served.active] : []), ...(served.starting ? [served.starting.rollout] : []), ...served.draining]).map((rollout) => this.release(rollout)),
    ]);
    this.agent.destroy();
  }

  processIds(endpointName: string): Record<string, number[]> {
    const ids: Record<string, number[]> = {};
    for (const served of this.deployments.values()) {
      if (served.endpointName.toLowerCase() !== endpointName.toLowerCase()) continue;
      const rollouts = [...(served.active ? [served.active] : []), ...(served.starting ? [served.starting.rollout] : []), ...served.draining];
      const pids = rollouts.flatMap((rollout) => rollout.instances.filter((i) => i.alive).map((i) => i.pid));
      if (pids.length > 0) ids[served.deploymentName] = pids;
    }
    return ids;
  }

  /** Forwards one request to an instance of the deployment's active rollout, within its request timeout. */
  async score(endpointName: string, deploymentName: string, request: ScoringRequest): Promise<ScoringOutcome> {
    const served = this.deployments.get(keyOf(endpointName, deploymentName));
    const rollout = served && !served.stopping ? served.active : undefined;
    if (!rollout) return { kind: 'unavailable', reason: `the deployment '${deploymentName}' has no running instance` };
    if (rollout.unservedReason) return { kind: 'unavailable', reason: rollout.unservedReason };
    const instance = pickInstance(rollout);
    if (!instance) return { kind: 'unavailable', reason: `every instance of the deployment '${deploymentName}' has exited` };
    rollout.inFlight++;
    instance.inFlight++;
    try {
      return await this.forward(instance.port!, request, rollout.spec.requestSettings.requestTimeoutMs);
    } finally {
      instance.inFlight--;
      if (--rollout.inFlight === 0) for (const resolve of rollout.idle.splice(0)) resolve();
    }
  }

  /** Storage initializer, then the inference servers; resolves once every instance is ready. */
  private async launch(served: ServedDeployment, rollout: Rollout, signal: AbortSignal): Promise<void> {
    const { spec } = rollout;
    const storageLog = served.logs.StorageInitializer;
    const serverLog = served.logs.InferenceServer;
    await rm(rollout.dir, { recursive: true, force: true });
    let files: DeploymentFiles;
    try {
      files = await materializeDeployment(this.svc, spec, rollout.dir, (line) => storageLog.note(line), signal);
    } catch (error) {
      signal.throwIfAborted();
      const failure = error instanceof DeploymentFailure ? error : new DeploymentFailure(`The storage initializer failed: ${describe(error)}`, 'BadArgument');
      storageLog.note(failure.message);
      throw failure;
    }
    signal.throwIfAborted();
    const entryScript = files.entryScript;
    if (entryScript === undefined) {
      // A custom container (or a no-code MLflow/Triton deployment) serves with its image's own server: not run here.
      rollout.unservedReason = `the deployment '${spec.deploymentName}' has no scoring script: its environment's own server, which the emulator does not run, would answer`;
      serverLog.note(`No scoring script (code_configuration): the emulator does not run the image ${spec.environment?.image ?? '(none)'}; scoring requests to this deployment are not answered.`);
      return;
    }
    const count = Math.min(spec.instanceCount, MAX_LOCAL_INSTANCES);
    serverLog.note(
      `Starting ${count} inference server process(es) for deployment ${spec.deploymentName} (${spec.instanceCount} x ${spec.instanceType}): entry script ${entryScript}`,
    );
    const python = await pythonExecutable();
    signal.throwIfAborted();
    const env = this.environment(spec, files, entryScript);
    for (let i = 0; i < count; i++) {
      rollout.instances.push(new InferenceServerProcess({ python, cwd: files.appRoot, env, onLine: (line) => serverLog.write(line) }));
    }
    await this.whenReady(served, rollout, signal);
    for (const instance of rollout.instances) void instance.exited.then((exit) => this.exitedWhileServing(served, rollout, instance, exit.code, exit.signal));
  }

  /** Every instance ready, or the first failure: one exiting (init() raised), the readiness deadline, or an abort. */
  private async whenReady(served: ServedDeployment, rollout: Rollout, signal: AbortSignal): Promise<void> {
    const deadlineMs = rollout.spec.readinessTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeploymentFailure(
              `User container has crashed or terminated: Readiness probe failed: the inference server was not ready after ${Math.round(deadlineMs / 1000)} s ` +
                `(readiness_probe initial_delay + failure_threshold x period). ${TROUBLESHOOTING}`,
              'ResourceNotReady',
            ),
          ),
        deadlineMs,
      );
      timer.unref();
    });
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      await Promise.race([Promise.all(rollout.instances.map((instance) => instance.ready)), timeout, aborted]);
    } catch (error) {
      if (error instanceof InferenceServerStartFailure) {
        served.logs.InferenceServer.note(`The inference server ${describeExit(error.exit)} before it was ready.`);
        throw new DeploymentFailure(
          `User container has crashed or terminated: the inference server ${describeExit(error.exit)} while starting ` +
            `(its log, with the error of the scoring script: az ml online-deployment get-logs --name ${served.deploymentName} --endpoint-name ${served.endpointName}). ${TROUBLESHOOTING}`,
          'ResourceNotReady',
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A serving instance that exits is logged; requests go to the other instances (none left: 503). */
  private exitedWhileServing(served: ServedDeployment, rollout: Rollout, instance: InferenceServerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (served.active !== rollout || served.stopping) return;
    served.logs.InferenceServer.note(`The inference server (pid ${instance.pid}) ${describeExit({ code, signal })}.`);
    if (rollout.instances.every((i) => !i.alive)) served.health = 'Unhealthy';
  }

  /** What the inference server sees: the variables the service sets in the container, then the deployment's own. */
  private environment(spec: DeploymentSpec, files: DeploymentFiles, entryScript: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of INHERITED_VARIABLES) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      AML_APP_ROOT: files.appRoot,
      AZUREML_ENTRY_SCRIPT: entryScript,
      AZUREML_MODEL_DIR: files.modelDir,
      AZUREML_INFERENCE_SERVER_HTTP_ENABLED: 'True',
      WORKER_COUNT: '1',
      HTTP_X_MS_SERVER_VERSION: SERVER_VERSION_HEADER,
      // Scripts that call the emulated Azure trust its CA, as they trust Azure's in the service.
      SSL_CERT_FILE: this.svc.ctx.caCertPath,
      REQUESTS_CA_BUNDLE: this.svc.ctx.caCertPath,
    });
    return { ...env, ...spec.environmentVariables };
  }

  private forward(port: number, request: ScoringRequest, timeoutMs: number): Promise<ScoringOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: ScoringOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = httpRequest(
        { host: '127.0.0.1', port, method: request.method, path: request.path, agent: this.agent, headers: { ...request.headers, 'content-length': String(request.body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => settle({ kind: 'answered', status: res.statusCode ?? 502, headers: flatten(res.headers), body: Buffer.concat(chunks) }));
          res.on('error', (error) => settle({ kind: 'disconnected', reason: error.message }));
        },
      );
      const timer = setTimeout(() => {
        settle({ kind: 'timeout', timeoutMs });
        req.destroy();
      }, timeoutMs);
      req.on('error', (error) => settle({ kind: 'disconnected', reason: error.message }));
      req.end(request.body);
    });
  }

  /** A replaced rollout: it finishes its requests in flight, then stops. */
  private async retire(served: ServedDeployment, rollout: Rollout): Promise<void> {
    served.draining.add(rollout);
    await this.drain(rollout);
    served.draining.delete(rollout);
    await this.release(rollout);
  }

  /** Waits until no request is in flight, at most the request timeout (a request still running then has been answered 408 already). */
  private async drain(rollout: Rollout): Promise<void> {
    if (rollout.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, rollout.spec.requestSettings.requestTimeoutMs + DRAIN_MARGIN_MS);
      timer.unref();
      rollout.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops the rollout's processes and removes its files. */
  private async release(rollout: Rollout): Promise<void> {
    await Promise.all(rollout.instances.map((instance) => instance.stop()));
    await rm(rollout.dir, { recursive: true, force: true, maxRetries: 3 }).catch((error: unknown) => this.svc.ctx.debug(`azureml: removing ${rollout.dir} failed: ${describe(error)}`));
  }
}

/** The live instance with the fewest requests in flight; ties taken in turn. */
function pickInstance(rollout: Rollout): InferenceServerProcess | undefined {
  const live = rollout.instances.filter((instance) => instance.alive && instance.port !== undefined);
  if (live.length === 0) return undefined;
  const least = Math.min(...live.map((instance) => instance.inFlight));
  const candidates = live.filter((instance) => instance.inFlight === least);
  return candidates[rollout.next++ % candidates.length];
}

function keyOf(endpointName: string, deploymentName: string): string {
  return `${endpointName.toLowerCase()}/${deploymentName.toLowerCase()}`;
}

function flatten(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
