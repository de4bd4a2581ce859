import type { Router } from '../../http/router';
import { armHandler, userError } from '../errors';
import type { JobRecord } from '../jobs/model';
import type { Json } from '../resources';
import { PROVIDER } from '../scope';
import type { AzureMlService } from '../service';
import { uuidFrom } from '../../config';

/** Lifetime of the read SAS URLs of log files: long enough for a client streaming a long job between refreshes. */
const LOG_SAS_SECONDS = 6 * 3600;

const HISTORY_ROUTE = `/history/v1.0/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/${PROVIDER}/workspaces/:workspaceName`;

/**
 * Run history: the run details clients read the status, error and log files of a run from
 * (`GET {history}/history/v1.0/W/runs/{runId}/details`, also under `experiments/{experimentName}/`).
 */
export function registerHistoryRoutes(router: Router, svc: AzureMlService): void {
  const details = armHandler((req) => {
    svc.scope.assertWorkspace(req.params);
    const job = svc.jobs.get(req.params['runId']!);
    if (!job) throw userError(404, `Run ${req.params['runId']} was not found`);
    return { status: 200, body: runDetails(svc, job) };
  });
  router.add('GET', `${HISTORY_ROUTE}/runs/:runId/details`, { kind: 'dataPlane' }, details);
  router.add('GET', `${HISTORY_ROUTE}/experiments/:experimentName/runs/:runId/details`, { kind: 'dataPlane' }, details);
}

export function runDetails(svc: AzureMlService, job: JobRecord): Json {
  const { storage } = svc.ctx;
  const run = svc.tracking.run(job.name);
  const logFiles: Record<string, string> = {};
  for (const logPath of job.logFiles) {
    logFiles[logPath] = storage.readSasUrl(storage.artifactsContainer, `ExperimentRun/dcid.${job.name}/${logPath}`, LOG_SAS_SECONDS);
  }
  const userProperties = job.properties['properties'];
  return {
    runId: job.name,
    runUuid: uuidFrom(`${svc.scope.workspaceId}/run/${job.name}`),
    parentRunId: job.parentName ?? null,
    rootRunId: job.parentName ?? job.name,
    experimentId: run?.experimentId ?? null,
    target: job.computeName || null,
    status: job.status,
    startTimeUtc: job.startTimeUtc ?? null,
    endTimeUtc: job.endTimeUtc ?? null,
    error: job.error
      ? {
          error: { code: job.error.code, severity: null, message: job.error.message, messageFormat: null, messageParameters: {}, details: [], innerError: null },
          correlation: null,
          environment: null,
          location: svc.scope.location,
          time: job.error.time,
          componentName: job.jobType === 'Pipeline' ? 'PipelineRuntime' : 'CommonRuntime',
        }
      : null,
    warnings: null,
    tags: run ? Object.fromEntries(run.tags) : {},
    properties: typeof userProperties === 'object' && userProperties !== null ? userProperties : {},
    inputDatasets: [],
    outputDatasets: [],
    runDefinition: null,
    logFiles,
    jobCost: null,
    revision: revisionOf(job),
    runType: job.jobType === 'Pipeline' ? 'azureml.PipelineRun' : job.parentName ? 'azureml.StepRun' : 'azureml.scriptrun',
    settings: {},
    services: {},
  };
}

const ORDER = ['NotStarted', 'Queued', 'Preparing', 'Running', 'Finalizing', 'CancelRequested', 'Completed', 'Failed', 'Canceled'];

/** Grows with every status change and log file, as the service's run revision does. */
function revisionOf(job: JobRecord): number {
  return Math.max(0, ORDER.indexOf(job.status)) + 1 + job.logFiles.length;
}
