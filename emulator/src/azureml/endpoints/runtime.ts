/**
 * The seam between the ARM side of online deployments (validation, provisioning states, LROs: ../arm/onlineDeployments)
 * and whatever runs them. The default runtime (../serving/runtime: ServingDeploymentRuntime) runs each deployment's
 * scoring script in local inference server processes and serves the endpoint's scoring URI; RecordingDeploymentRuntime
 * runs nothing. Another runtime plugs in through `registerOnlineEndpoints(..., { runtime })`.
 */

export type InferenceContainer = 'InferenceServer' | 'StorageInitializer';

/** What the runtime knows of a deployment's state: provisioning states are the ARM side's, this is the running side's. */
export type DeploymentHealth = 'NotStarted' | 'Starting' | 'Healthy' | 'Unhealthy' | 'Stopped';

/** A deployment as the runtime needs it: every reference already resolved by the ARM side. */
export interface DeploymentSpec {
  readonly endpointName: string;
  readonly deploymentName: string;
  readonly computeType: 'Managed' | 'Kubernetes';
  /** The model version served (absent for a custom container without a model). */
  readonly model?: {
    readonly id: string;
    readonly name: string;
    readonly version: string;
    readonly modelType: string;
    /** Where the model files are (a datastore or blob URI), for the storage initializer. */
    readonly modelUri: string;
  };
  /** A registry model or asset the emulator cannot resolve: only its reference. */
  readonly externalModel?: string;
  readonly environment?: { readonly id: string; readonly image?: string; readonly condaFile?: string };
  readonly code?: { readonly id: string; readonly codeUri: string; readonly scoringScript: string };
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly requestSettings: { readonly requestTimeoutMs: number; readonly maxConcurrentRequestsPerInstance: number };
  /** How long an instance may take to become ready (readiness probe: initial delay + failure threshold x period). */
  readonly readinessTimeoutMs: number;
}

/** A deployment that cannot start: it ends Failed, with this code and message in its operation status. */
export class DeploymentFailure extends Error {
  constructor(
    message: string,
    readonly code = 'DeploymentFailed',
  ) {
    super(message);
  }
}

export interface DeploymentRuntime {
  /**
   * Brings a deployment to its (new) definition: first start, rolling update or scale. Resolves once it serves;
   * rejects with a DeploymentFailure when it cannot (the deployment then ends Failed). `signal` aborts when the
   * deployment or its endpoint is deleted meanwhile.
   */
  start(spec: DeploymentSpec, signal: AbortSignal): Promise<void>;
  /** Stops serving and releases what `start` took. */
  stop(endpointName: string, deploymentName: string): Promise<void>;
  health(endpointName: string, deploymentName: string): DeploymentHealth;
  /** The container's log, the last `tail` lines when given (getLogs). */
  logs(endpointName: string, deploymentName: string, container: InferenceContainer, tail?: number): Promise<string>;
  /** Stops everything (emulator shutdown). */
  stopAll(): Promise<void>;
}

/** A scoring request as the endpoint's front end forwards it to one deployment. */
export interface ScoringRequest {
  readonly method: string;
  /** Path and query on the inference server: `/score`, `/swagger.json?version=3`. */
  readonly path: string;
  /** Headers passed on to the inference server (never the caller's Authorization). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** What became of a forwarded scoring request. */
export type ScoringOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: Buffer }
  /** No answer within the deployment's request timeout. */
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  /** No instance serves the deployment (not started yet, failed, stopping). */
  | { readonly kind: 'unavailable'; readonly reason: string }
  /** The instance went away before answering. */
  | { readonly kind: 'disconnected'; readonly reason: string };

/** A runtime that really serves its deployments: the endpoint's scoring URI forwards requests to it. */
export interface ScoringRuntime {
  score(endpointName: string, deploymentName: string, request: ScoringRequest): Promise<ScoringOutcome>;
  /** Process ids of the instances running for the deployments of an endpoint, by deployment name. */
  processIds(endpointName: string): Record<string, number[]>;
}

export function isScoringRuntime(runtime: DeploymentRuntime): runtime is DeploymentRuntime & ScoringRuntime {
  return typeof (runtime as Partial<ScoringRuntime>).score === 'function';
}

interface Recorded {
  health: DeploymentHealth;
  readonly logs: Record<InferenceContainer, string[]>;
}

/**
 * A runtime that runs nothing: a deployment becomes Healthy after `startDelayMs` and writes the log lines the
 * service's containers write when they start (the storage initializer downloading the model, the inference server
 * starting). Its deployments do not answer scoring requests.
 */
export class RecordingDeploymentRuntime implements DeploymentRuntime {
  private readonly deployments = new Map<string, Recorded>();

  constructor(private readonly startDelayMs: number) {}

  async start(spec: DeploymentSpec, signal: AbortSignal): Promise<void> {
    const key = keyOf(spec.endpointName, spec.deploymentName);
    const previous = this.deployments.get(key);
    // An update keeps the containers' logs; a deployment created again after a stop starts new containers.
    const recorded: Recorded = previous && previous.health !== 'Stopped' ? previous : { health: 'NotStarted', logs: { InferenceServer: [], StorageInitializer: [] } };
    this.deployments.set(key, recorded);
    recorded.health = 'Starting';
    const model = spec.model ? `${spec.model.name}:${spec.model.version} from ${spec.model.modelUri}` : spec.externalModel;
    recorded.logs.StorageInitializer.push(
      ...stamp(model ? [`Downloading model ${model} to /var/azureml-app/azureml-models`, 'Model download completed.'] : ['No model to download.']),
    );
    await delay(this.startDelayMs, signal);
    recorded.logs.InferenceServer.push(
      ...stamp([
        'Azure ML Inferencing HTTP server starting',
        `Deployment: ${spec.deploymentName} (${spec.instanceCount} x ${spec.instanceType})`,
        `Entry script: ${spec.code?.scoringScript ?? '(none: model served without a scoring script)'}`,
        'Initializing logger',
        'Listening at: http://0.0.0.0:31311',
        'Scoring script init() completed successfully',
      ]),
    );
    recorded.health = 'Healthy';
  }

  async stop(endpointName: string, deploymentName: string): Promise<void> {
    const recorded = this.deployments.get(keyOf(endpointName, deploymentName));
    if (recorded) recorded.health = 'Stopped';
  }

  health(endpointName: string, deploymentName: string): DeploymentHealth {
    return this.deployments.get(keyOf(endpointName, deploymentName))?.health ?? 'NotStarted';
  }

  async logs(endpointName: string, deploymentName: string, container: InferenceContainer, tail?: number): Promise<string> {
    const lines = this.deployments.get(keyOf(endpointName, deploymentName))?.logs[container] ?? [];
    return tailLines(lines, tail);
  }

  async stopAll(): Promise<void> {
    this.deployments.clear();
  }
}

/** The last `tail` lines (all when undefined), newline-terminated. */
export function tailLines(lines: readonly string[], tail?: number): string {
  const kept = tail === undefined ? lines : tail <= 0 ? [] : lines.slice(-tail);
  return kept.map((line) => `${line}\n`).join('');
}

function keyOf(endpointName: string, deploymentName: string): string {
  return `${endpointName.toLowerCase()}/${deploymentName.toLowerCase()}`;
}

function stamp(lines: readonly string[]): string[] {
  const now = new Date().toISOString();
  return lines.map((line) => `${now} | ${line}`);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
