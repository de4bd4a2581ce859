import type { EmulatorResponse, Router } from '../../http/router';
import { armHandler, notFound } from '../errors';
import type { JobManager } from '../jobs/manager';
import { isTerminal } from '../jobs/model';
import { validateJob, validateJobName } from '../jobs/validate';
import { isObject, listViewTypeOf, matchesListView, page, readProperties } from '../resources';
import { PROVIDER, WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService, CancelOperation } from '../service';

const ARM = { kind: 'arm' } as const;
/** Jobs come a page at a time, as from the service; clients must follow nextLink. */
const JOBS_PAGE_SIZE = 20;

/** Jobs (create, get, list, cancel) and the operation-status endpoints a cancel is polled through. */
export function registerJobRoutes(router: Router, svc: AzureMlService, manager: JobManager): void {
  const { scope } = svc;

  router.add('GET', `${WORKSPACE_ROUTE}/jobs`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    const jobType = req.query.get('jobType');
    const tag = req.query.get('tag');
    const view = listViewTypeOf(req);
    const jobs = [...svc.jobs.values()]
      .filter((j) => !j.parentName)
      .filter((j) => !jobType || j.jobType.toLowerCase() === jobType.toLowerCase())
      .filter((j) => !tag || (isObject(j.properties['tags']) && tag in j.properties['tags']))
      .filter((j) => matchesListView(j.properties['isArchived'] === true, view))
      .sort((a, b) => b.systemData.createdAt.localeCompare(a.systemData.createdAt))
      .map((j) => manager.resource(j));
    return { status: 200, body: page(req, svc.ctx.baseUrl, jobs, JOBS_PAGE_SIZE) };
  }));

  router.add('GET', `${WORKSPACE_ROUTE}/jobs/:id`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    return { status: 200, body: manager.resource(findJob(svc, req.params['id']!)) };
  }));

  router.add('PUT', `${WORKSPACE_ROUTE}/jobs/:id`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    const name = req.params['id']!;
    validateJobName(name);
    const props = readProperties(req, 'job');
    const existing = svc.jobs.get(name);
    if (existing) return { status: 200, body: manager.resource(manager.update(existing, props, req.principal)) };
    const validated = validateJob(svc, props);
    return { status: 201, body: manager.resource(manager.submit(name, props, validated, req.principal)) };
  }));

  router.add('POST', `${WORKSPACE_ROUTE}/jobs/:id/cancel`, ARM, armHandler((req) => {
    scope.assertWorkspace(req.params);
    const operation = manager.cancel(findJob(svc, req.params['id']!));
    return { status: 202, headers: operationHeaders(svc, operation, true) };
  }));

  const operations = `/subscriptions/:subscriptionId/providers/${PROVIDER}/locations/:location`;

  router.add('GET', `${operations}/mfeOperationsStatus/:operationId`, ARM, armHandler((req) => {
    scope.assertSubscription(req.params);
    const operation = findOperation(svc, req.params['operationId']!);
    const done = isOperationDone(svc, operation);
    return {
      status: 200,
      headers: done ? {} : retryAfter(svc),
      body: {
        id: operationPath(svc, 'mfeOperationsStatus', operation.id),
        name: operation.id,
        status: done ? 'Succeeded' : 'InProgress',
        startTime: operation.startTime,
        ...(done ? { endTime: operation.endTime ?? new Date().toISOString(), percentComplete: 100 } : {}),
      },
    };
  }));

  router.add('GET', `${operations}/mfeOperationResults/:operationId`, ARM, armHandler((req): EmulatorResponse => {
    scope.assertSubscription(req.params);
    const operation = findOperation(svc, req.params['operationId']!);
    if (isOperationDone(svc, operation)) return { status: 200 };
    return { status: 202, headers: operationHeaders(svc, operation, false) };
  }));
}

function findJob(svc: AzureMlService, name: string): NonNullable<ReturnType<AzureMlService['jobs']['get']>> {
  const job = svc.jobs.get(name);
  if (!job) throw notFound(`Job ${name} not found.`);
  return job;
}

function findOperation(svc: AzureMlService, id: string): CancelOperation {
  const operation = svc.operations.get(id);
  if (!operation) throw notFound(`The operation '${id}' was not found.`);
  return operation;
}

/** A cancel completes when the job has reached a terminal status (Canceled). */
function isOperationDone(svc: AzureMlService, operation: CancelOperation): boolean {
  const job = svc.jobs.get(operation.jobName);
  return !job || isTerminal(job.status);
}

function operationPath(svc: AzureMlService, kind: 'mfeOperationsStatus' | 'mfeOperationResults', id: string): string {
  return `/subscriptions/${svc.scope.config.subscriptionId}/providers/${PROVIDER}/locations/${svc.scope.location}/${kind}/${id}`;
}

function operationHeaders(svc: AzureMlService, operation: CancelOperation, withAsyncOperation: boolean): Record<string, string> {
  const apiVersion = `api-version=${svc.ctx.config.armApiVersion}`;
  const base = svc.ctx.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = {
    Location: `${base}${operationPath(svc, 'mfeOperationResults', operation.id)}?${apiVersion}`,
    ...retryAfter(svc),
  };
  if (withAsyncOperation) headers['Azure-AsyncOperation'] = `${base}${operationPath(svc, 'mfeOperationsStatus', operation.id)}?${apiVersion}`;
  return headers;
}

/** Retry-After only when the emulator is configured for it (a 10 s default would slow every poll in tests). */
function retryAfter(svc: AzureMlService): Record<string, string> {
  const seconds = svc.ctx.config.lroRetryAfterSeconds;
  return seconds === undefined ? {} : { 'Retry-After': String(seconds) };
}
