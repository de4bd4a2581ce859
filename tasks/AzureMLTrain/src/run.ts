/**
 * AzureMLTrain@1: submit an az ml job YAML (or re-attach to a job already submitted), wait for it, report it.
 *
 * Order matters for "bad input leaves nothing half-done": the YAML is planned without any network call, then the
 * workspace is opened and everything the plan refers to is checked with reads only (preflight); only then are files
 * uploaded, assets registered and the job submitted.
 */
import {
  getIfExists,
  group,
  info,
  InputError,
  type JobResource,
  statusOf,
  studioUrl,
  TaskError,
  warning,
  type WorkspaceClient,
} from '@azureml-mlops/shared';

import { buildJobSubmissionPlan, type JobSubmissionPlan } from './jobSpec';
import { type AttachToJob, INPUTS, type SubmitJob, type TrainParameters } from './parameters';
import { executePlan } from './submit/execute';
import { preflight } from './submit/preflight';
import { type JobReference, logResults, publishJobSummary, setFinalStatus, setJobOutputs, setResultOutputs } from './report';
import { loadSpecLocator } from './submit/specLocator';
import { collectJobResults, type JobOutcome, type JobResults, waitForJob } from './wait';

/** The Azure clients run() needs, created by index.ts from the service connection (tests inject fakes). */
export interface TrainClients {
  /** Opens the workspace (reads it: a wrong resource group or workspace name fails here). */
  connectWorkspace(signal: AbortSignal): Promise<WorkspaceClient>;
}

export async function run(params: TrainParameters, clients: TrainClients, signal: AbortSignal): Promise<void> {
  const target: Target =
    params.job.kind === 'submit' ? { kind: 'submit', job: params.job, plan: planSubmission(params.job, params) } : { kind: 'attach', job: params.job };

  const workspace = await clients.connectWorkspace(signal);
  info(`Azure ML workspace: ${workspace.workspaceName} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId}).`);

  const { job, attached } =
    target.kind === 'submit' ? await submit(workspace, target.job, target.plan, signal) : { job: await attach(workspace, target.job, signal), attached: true };

  setJobOutputs(job);
  info(`Azure ML studio: ${job.studioUrl}`);
  if (!params.wait) {
    info(`Not waiting for the job to finish (${INPUTS.wait}: false). Its status now: ${job.status}.`);
    publishJobSummary({ job, attached });
    return;
  }

  const outcome = await waitForJob(
    workspace,
    job.name,
    { timeoutMinutes: params.timeoutMinutes, streamLogs: params.streamLogs, cancelOnPipelineCancel: params.cancelOnPipelineCancel },
    signal,
  );
  setFinalStatus(outcome.status);
  const results = await readResults(workspace, job.name, outcome, signal);
  if (results) {
    logResults(results);
    setResultOutputs(results);
  }
  publishJobSummary({ job, attached, outcome, results });
  if (!outcome.succeeded) throw new TaskError(failureMessage(job, outcome, params.timeoutMinutes));
  info(`The Azure ML job '${job.name}' completed.`);
}

/** A job to submit (its YAML already planned), or one to re-attach to. */
type Target = { readonly kind: 'submit'; readonly job: SubmitJob; readonly plan: JobSubmissionPlan } | { readonly kind: 'attach'; readonly job: AttachToJob };

/** The YAML, overrides and task inputs as a submission plan: every YAML problem is reported here, offline. */
function planSubmission(job: SubmitJob, params: TrainParameters): JobSubmissionPlan {
  const plan = buildJobSubmissionPlan({
    jobFile: job.jobFile,
    jobFileDisplayName: job.jobFileDisplayName,
    overrides: job.overrides,
    workspace: params.workspace,
    experimentName: job.experimentName,
    displayName: job.displayName,
    tags: job.tags,
    lineageTags: params.lineageTags,
    inputNames: { jobFile: INPUTS.jobFile, overrides: INPUTS.overrides },
  });
  info(`Job YAML: ${plan.specFile} (${plan.jobType.toLowerCase()} job${plan.jobName ? ` '${plan.jobName}'` : ''}).`);
  for (const override of plan.overrides) info(`  override (line ${override.line} of ${INPUTS.overrides}): ${override.path}`);
  for (const remark of plan.warnings) warning(`${plan.specFile}: ${remark}`);
  return plan;
}

async function submit(
  workspace: WorkspaceClient,
  job: SubmitJob,
  plan: JobSubmissionPlan,
  signal: AbortSignal,
): Promise<{ job: JobReference; attached: boolean }> {
  const checked = await group('Checking the computes and assets the job uses', () => preflight(workspace, plan, loadSpecLocator(job), signal));
  if (checked.existingJob) {
    const name = plan.jobName!;
    info(
      `The job '${name}' named in the YAML already exists with the same definition (status ${statusOf(checked.existingJob)}): ` +
        'attaching to it instead of submitting it again.',
    );
    return { job: reference(workspace, name, checked.existingJob), attached: true };
  }
  const executed = await group('Uploading and registering what the job needs', () => executePlan(workspace, plan, checked, signal));
  const submitted = reference(workspace, executed.name, executed.job);
  info(`Submitted the Azure ML ${plan.jobType.toLowerCase()} job '${submitted.name}' (status ${submitted.status}).`);
  return { job: submitted, attached: false };
}

async function attach(workspace: WorkspaceClient, job: AttachToJob, signal: AbortSignal): Promise<JobReference> {
  const found = await getIfExists<JobResource>(workspace, `${workspace.workspaceArmPath}/jobs/${job.jobName}`, signal);
  if (!found) {
    throw new InputError(
      INPUTS.jobName,
      `the job '${job.jobName}' was not found in the Azure ML workspace '${workspace.workspaceName}' (resource group ${workspace.resourceGroup})`,
      'Check the name in Azure ML studio (Jobs), and that the service connection and workspace are the ones that ran the job',
    );
  }
  const attached = reference(workspace, job.jobName, found);
  info(`Re-attached to the Azure ML job '${job.jobName}' (status ${attached.status}).`);
  return attached;
}

function reference(workspace: WorkspaceClient, name: string, job: JobResource): JobReference {
  return {
    name,
    status: statusOf(job),
    studioUrl: studioUrl(job, name, workspace),
    ...(job.properties?.experimentName ? { experimentName: job.properties.experimentName } : {}),
  };
}

/**
 * Metrics and outputs. A completed job's results are part of the task's contract (later steps read them), so failing
 * to read them fails the task; for a job that did not complete they are a bonus and only a warning is lost.
 */
async function readResults(workspace: WorkspaceClient, name: string, outcome: JobOutcome, signal: AbortSignal): Promise<JobResults | undefined> {
  if (outcome.succeeded) return collectJobResults(workspace, name, signal);
  if (outcome.timedOut) return undefined;
  try {
    return await collectJobResults(workspace, name, signal);
  } catch (error) {
    info(`The metrics of the job could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Only Completed succeeds; every other end fails the task with the service's own error text. */
export function failureMessage(job: JobReference, outcome: JobOutcome, timeoutMinutes: number): string {
  const details = `Logs and details: ${job.studioUrl}`;
  if (outcome.timedOut) {
    return (
      `The Azure ML job '${job.name}' did not finish within ${timeoutMinutes} minute${timeoutMinutes === 1 ? '' : 's'} (${INPUTS.timeoutMinutes}): ` +
      `the task cancelled it (status ${outcome.status}). Raise ${INPUTS.timeoutMinutes}, or set it to 0 to wait as long as the pipeline allows. ${details}`
    );
  }
  const reason = outcome.failureMessage ? `: ${outcome.failureMessage.trim().replace(/\.$/, '')}` : '';
  switch (outcome.status) {
    case 'Failed':
      return `The Azure ML job '${job.name}' failed${reason || ' (the service gave no error message)'}. ${details}`;
    case 'Canceled':
      return `The Azure ML job '${job.name}' was canceled${reason}; a canceled job is not a success. ${details}`;
    default:
      return `The Azure ML job '${job.name}' ended with status ${outcome.status}${reason}; only Completed is a success. ${details}`;
  }
}
