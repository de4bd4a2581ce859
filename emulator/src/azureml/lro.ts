import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse, Router } from '../http/router';
import { armHandler, notFound } from './errors';
import { PROVIDER } from './scope';
import type { AzureMlService } from './service';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationError {
  readonly code: string;
  readonly message: string;
}

/** One long-running operation (an ARM "operation-status resource"), polled until it ends. */
export interface LongRunningOperation {
  readonly id: string;
  readonly startTime: string;
  status: OperationStatus;
  endTime?: string;
  error?: OperationError;
}

/** What kind of answer starts the operation, which decides the polling headers (ARM's async patterns). */
export type LroAnswer = 'created' | 'accepted';

/** The api-versions operations are polled with: those of every route that starts one (jobs, online endpoints). */
export const LRO_API_VERSIONS: readonly string[] = ['2022-10-01', '2023-04-01'];

/**
 * The long-running operations of the workspace (job cancellation; online endpoint and deployment create, update,
 * delete, regenerate keys), with their status monitor (Azure-AsyncOperation: `{ status, startTime, endTime, error }`)
 * and result (Location: 202 while running, then 200), at the service's paths:
 * `/subscriptions/<sub>/providers/Microsoft.MachineLearningServices/locations/<region>/mfeOperationsStatus/<id>` and
 * `.../mfeOperationResults/<id>`. Polling URLs carry the api-version of the request that started the operation.
 */
export class LongRunningOperations {
  private readonly operations = new Map<string, LongRunningOperation>();
  /** Routers the status and result routes are registered on (each module that starts operations registers them). */
  private readonly routers = new WeakSet<Router>();

  constructor(private readonly svc: AzureMlService) {}

  /**
   * A new operation, in progress; `prefix` tells endpoint (`oe`) from deployment (`od`) operations, as the service's
   * ids do (a job cancellation's id is a bare GUID).
   */
  start(prefix?: 'oe' | 'od'): LongRunningOperation {
    const id = prefix ? `${prefix}:${randomUUID()}` : randomUUID();
    const operation: LongRunningOperation = { id, startTime: new Date().toISOString(), status: 'InProgress' };
    this.operations.set(operation.id, operation);
    return operation;
  }

  succeed(operation: LongRunningOperation): void {
    this.end(operation, 'Succeeded');
  }

  fail(operation: LongRunningOperation, error: OperationError): void {
    operation.error = error;
    this.end(operation, 'Failed');
  }

  /**
   * Headers of the answer that starts an operation: Azure-AsyncOperation always (201/200 of a PUT, 202 of a DELETE or
   * PATCH), Location on 202s, the operation timeout, and Retry-After only when configured.
   */
  headers(operation: LongRunningOperation, req: EmulatorRequest, answer: LroAnswer, options: { asyncOperation?: boolean } = {}): Record<string, string> {
    const apiVersion = req.query.get('api-version') ?? this.svc.ctx.config.armApiVersion;
    const headers: Record<string, string> = { 'x-ms-async-operation-timeout': 'PT1H', ...this.retryAfter() };
    if (options.asyncOperation !== false) headers['Azure-AsyncOperation'] = this.url('status', operation.id, apiVersion);
    if (answer === 'accepted') headers['Location'] = this.url('result', operation.id, apiVersion);
    return headers;
  }

  /** The status monitor and result routes (once per router), for the api-versions operations are started with. */
  registerRoutes(router: Router): void {
    if (this.routers.has(router)) return;
    this.routers.add(router);
    const options = { kind: 'arm', apiVersions: LRO_API_VERSIONS } as const;
    const base = `/subscriptions/:subscriptionId/providers/${PROVIDER}/locations/:location`;

    router.add('GET', `${base}/${STATUS_SEGMENT}/:operationId`, options, armHandler((req) => {
      this.svc.scope.assertSubscription(req.params);
      const operation = this.require(req.params['operationId']!);
      const done = operation.status !== 'InProgress';
      return {
        status: 200,
        headers: done ? {} : this.retryAfter(),
        body: {
          id: this.path('status', operation.id),
          name: operation.id,
          status: operation.status,
          startTime: operation.startTime,
          ...(done ? { endTime: operation.endTime, percentComplete: 100 } : {}),
          ...(operation.error ? { error: { ...operation.error, details: [], additionalInfo: [] } } : {}),
        },
      };
    }));

    router.add('GET', `${base}/${RESULT_SEGMENT}/:operationId`, options, armHandler((req): EmulatorResponse => {
      this.svc.scope.assertSubscription(req.params);
      const operation = this.require(req.params['operationId']!);
      const apiVersion = req.query.get('api-version') ?? this.svc.ctx.config.armApiVersion;
      if (operation.status === 'InProgress') return { status: 202, headers: { Location: this.url('result', operation.id, apiVersion), ...this.retryAfter() } };
      if (operation.error) return { status: 400, body: { error: { ...operation.error, details: [], additionalInfo: [] } } };
      return { status: 200 };
    }));
  }

  private end(operation: LongRunningOperation, status: OperationStatus): void {
    if (operation.status !== 'InProgress') return;
    operation.status = status;
    operation.endTime = new Date().toISOString();
  }

  private require(id: string): LongRunningOperation {
    const operation = this.operations.get(id);
    if (!operation) throw notFound(`The operation '${id}' was not found.`);
    return operation;
  }

  private path(kind: 'status' | 'result', id: string): string {
    const { subscriptionId } = this.svc.scope.config;
    return `/subscriptions/${subscriptionId}/providers/${PROVIDER}/locations/${this.svc.scope.location}/${kind === 'status' ? STATUS_SEGMENT : RESULT_SEGMENT}/${id}`;
  }

  private url(kind: 'status' | 'result', id: string, apiVersion: string): string {
    return `${this.svc.ctx.baseUrl.replace(/\/+$/, '')}${this.path(kind, id)}?api-version=${encodeURIComponent(apiVersion)}`;
  }

  /** Retry-After only when the emulator is configured for it (every SDK poll would wait that long). */
  private retryAfter(): Record<string, string> {
    const seconds = this.svc.ctx.config.lroRetryAfterSeconds;
    return seconds === undefined ? {} : { 'Retry-After': String(seconds) };
  }
}

/** The service polls every operation (jobs, endpoints, deployments) at these segments of its regional provider path. */
const STATUS_SEGMENT = 'mfeOperationsStatus';
const RESULT_SEGMENT = 'mfeOperationResults';
