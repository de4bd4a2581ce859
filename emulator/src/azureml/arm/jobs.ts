import type { Router } from '../../http/router';
import { armHandler, notFound } from '../errors';
import type { JobManager } from '../jobs/manager';
import { validateJob, validateJobName } from '../jobs/validate';
import { isObject, listViewTypeOf, matchesListView, page, readProperties } from '../resources';
import { WORKSPACE_ROUTE } from '../scope';
import type { AzureMlService } from '../service';

const ARM = { kind: 'arm' } as const;
/** Jobs come a page at a time, as from the service; clients must follow nextLink. */
const JOBS_PAGE_SIZE = 20;

/** Jobs (create, get, list, cancel: a long-running operation polled at the workspace's operation routes). */
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
    return { status: 202, headers: svc.operations.headers(operation, req, 'accepted') };
  }));

  svc.operations.registerRoutes(router);
}

function findJob(svc: AzureMlService, name: string): NonNullable<ReturnType<AzureMlService['jobs']['get']>> {
  const job = svc.jobs.get(name);
  if (!job) throw notFound(`Job ${name} not found.`);
  return job;
}
