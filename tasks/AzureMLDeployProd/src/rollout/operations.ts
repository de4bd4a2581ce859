/**
 * What the rollout state machine does to the endpoint, as an interface: the task binds it to the shared deployment
 * library (liveOperations.ts); the unit tests bind it to an in-memory endpoint that can fail at any call.
 */
import type { RolloutRecord } from './record';
import type { TrafficState } from './traffic';

/** The endpoint itself, or one of its deployments. */
export type RolloutResource = 'endpoint' | { readonly deployment: string };

/** The result of one smoke test, as the log and the summary show it. */
export interface SmokeOutcome {
  readonly passed: boolean;
  /** Where it ran, e.g. `green at 10 %`. */
  readonly label: string;
  /** One line: status, latency, attempts, or what failed. */
  readonly detail: string;
}

export interface RolloutOperations {
  /**
   * Waits until the endpoint (and `deployment`, when named) is not in the middle of an operation: the service refuses
   * writes to a busy resource, and an operation whose wait a cancellation interrupted is still running on it.
   */
  waitForIdle(signal: AbortSignal, deployment?: string): Promise<void>;
  /** The endpoint's live and mirrored traffic now. */
  readTraffic(signal: AbortSignal): Promise<TrafficState>;
  /** Sets live and mirrored traffic together, and waits until the endpoint has applied it. */
  setTraffic(state: TrafficState, signal: AbortSignal): Promise<void>;
  /** Creates the endpoint (first deployment to a new endpoint), with no traffic. */
  createEndpoint(signal: AbortSignal): Promise<void>;
  /** Deletes the endpoint (with its deployments) and waits. */
  deleteEndpoint(signal: AbortSignal): Promise<void>;
  /** Creates or updates the new deployment and waits until it serves; rejects when provisioning fails. */
  deployCandidate(signal: AbortSignal): Promise<{ readonly created: boolean }>;
  /** Deletes a deployment and waits; nothing to do when it does not exist. */
  deleteDeployment(name: string, signal: AbortSignal): Promise<void>;
  /** The resource's provisioning state (`Creating`, `Succeeded`...), or undefined when it does not exist. One read. */
  readState(resource: RolloutResource, signal: AbortSignal): Promise<{ readonly provisioningState: string | undefined } | undefined>;
  /**
   * Sends the deletion of the resource and resolves as soon as the service has accepted it (true), without waiting for
   * it to finish (it runs on the service: ARM operations cannot be cancelled); false when it does not exist. Rejects
   * when the service refuses (a 409 while another operation runs on it).
   */
  requestDeletion(resource: RolloutResource, signal: AbortSignal): Promise<boolean>;
  /** Scores the sample request on one deployment directly (the azureml-model-deployment header). */
  smokeTest(deployment: string, label: string, signal: AbortSignal): Promise<SmokeOutcome>;
  /**
   * Watches a deployment that receives live or mirrored traffic for `durationMs`: its state, and errors in its
   * inference server log. Resolves with the problem seen, or undefined.
   */
  watch(deployment: string, durationMs: number, signal: AbortSignal): Promise<string | undefined>;
  /** Prints the deployment's container logs in the task log. */
  printLogs(deployment: string, signal: AbortSignal): Promise<void>;
  /** Prints the logs a failed deployCandidate carried (true when it had some). */
  printFailureLogs(error: unknown): boolean;
  /** Writes the rollout record on the endpoint (undefined: removes it). */
  writeRecord(record: RolloutRecord | undefined, signal: AbortSignal): Promise<void>;
}

/** How the state machine talks to the task log, and its clock (tests pass their own). */
export interface RolloutIo {
  log(line: string): void;
  warn(line: string): void;
  section(title: string): void;
}
