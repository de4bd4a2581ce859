import { randomUUID } from 'node:crypto';
import type { AuthenticatedPrincipal } from '../../http/router';
import { badRequest, conflict } from '../errors';
import { CommandRunner } from '../execution/commandRunner';
import { PipelineRunner } from '../execution/pipelineRunner';
import { parseComputeRef } from '../refs';
import { actorOf, canonical, isObject, newSystemData, touchSystemData, type Json } from '../resources';
import { PROVIDER } from '../scope';
import type { LongRunningOperation } from '../lro';
import type { AzureMlService } from '../service';
import type { JobRecord, StepDefinition, TerminalStatus } from './model';
import { isTerminal } from './model';
import type { ValidatedJob } from './validate';

/** Properties a re-PUT of an existing job may change (everything else defines the job and is immutable). */
const MUTABLE_JOB_FIELDS = ['tags', 'description', 'displayName', 'isArchived', 'properties'];
/** Read-only properties a client may echo back from a GET. */
const READ_ONLY_JOB_FIELDS = ['status', 'services', 'parameters'];

/** Creates, runs, cancels and renders jobs. */
export class JobManager {
  private readonly running = new Set<Promise<TerminalStatus>>();

  constructor(private readonly svc: AzureMlService) {}

  /** A new job from a validated PUT body: recorded, tracked (its MLflow run exists from now on) and started. */
  submit(name: string, props: Json, validated: ValidatedJob, principal: AuthenticatedPrincipal | undefined): JobRecord {
    const { svc } = this;
    const serverProperties: Json =
      validated.jobType === 'Command'
        ? { '_azureml.ComputeTargetType': computeTargetType(svc, validated.computeName), ContentSnapshotId: randomUUID() }
        : { 'azureml.runsource': 'azureml.PipelineRun', runSource: 'MFE', runType: 'HTTP' };
    const properties: Json = {
      description: null,
      tags: {},
      displayName: name,
      isArchived: false,
      identity: null,
      componentId: null,
      ...withoutReadOnly(props),
      properties: { ...serverProperties, ...(isObject(props['properties']) ? props['properties'] : {}) },
      experimentName: validated.experimentName,
      computeId: validated.computeName ? svc.scope.computeId(validated.computeName) : null,
    };
    if (validated.jobType === 'Command') {
      properties['resources'] = { instanceCount: validated.command.instanceCount, shmSize: '2g', ...(isObject(props['resources']) ? props['resources'] : {}) };
      properties['parameters'] = {};
    }
    const job: JobRecord = {
      name,
      jobType: validated.jobType,
      submitted: props,
      properties,
      status: 'NotStarted',
      systemData: newSystemData(principal),
      experimentName: validated.experimentName,
      computeName: validated.computeName,
      principal,
      childNames: [],
      outputUris: {},
      logFiles: [],
      ...(validated.jobType === 'Command' ? { command: validated.command } : { pipeline: validated.pipeline }),
    };
    svc.jobs.set(name, job);
    this.track(job, String(properties['displayName']), {});
    this.start(job);
    return job;
  }

  /** A re-PUT of an existing job: identical definition -> the job (tags, description, display name updated); else 409. */
  update(job: JobRecord, props: Json, principal: AuthenticatedPrincipal | undefined): JobRecord {
    if (definitionKey(job.name, job.submitted) !== definitionKey(job.name, props)) {
      throw conflict(
        `A job with the name '${job.name}' already exists and its definition cannot be changed: only tags, description, displayName and isArchived can be updated. Submit the changed job under a new name.`,
      );
    }
    for (const field of MUTABLE_JOB_FIELDS) {
      if (props[field] === undefined) continue;
      job.properties[field] = field === 'properties' ? { ...(job.properties['properties'] as Json), ...(props[field] as Json) } : props[field];
    }
    const run = this.svc.tracking.run(job.name);
    if (run && isObject(props['tags'])) for (const [k, v] of Object.entries(props['tags'])) this.svc.tracking.setTag(run, k, String(v));
    if (run && typeof props['displayName'] === 'string') run.runName = props['displayName'];
    job.systemData = touchSystemData(job.systemData, principal);
    return job;
  }

  /** The child job of a pipeline step. Child run ids are GUIDs, as the service makes them. */
  createChild(parent: JobRecord, step: StepDefinition): JobRecord {
    const { svc } = this;
    const name = randomUUID();
    const submitted = step.submitted;
    const properties: Json = {
      description: null,
      tags: {},
      properties: { 'azureml.nodeid': step.name, 'azureml.pipeline': parent.name, '_azureml.ComputeTargetType': computeTargetType(svc, step.template.computeName) },
      displayName: step.name,
      experimentName: parent.experimentName,
      isArchived: false,
      jobType: 'Command',
      computeId: svc.scope.computeId(step.template.computeName),
      componentId: step.componentId ?? null,
      command: step.template.command,
      codeId: step.template.codeId ? withoutAzuremlPrefix(step.template.codeId) : null,
      environmentId: withoutAzuremlPrefix(step.template.environmentId),
      environmentVariables: step.template.environmentVariables,
      inputs: isObject(submitted['inputs']) ? submitted['inputs'] : {},
      outputs: Object.fromEntries(Object.entries(step.outputs).map(([k, o]) => [k, { jobOutputType: o.type, mode: o.mode ?? 'ReadWriteMount', uri: o.uri ?? null }])),
      resources: { instanceCount: step.template.instanceCount, shmSize: '2g' },
      parameters: {},
    };
    const job: JobRecord = {
      name,
      jobType: 'Command',
      submitted,
      properties,
      status: 'NotStarted',
      systemData: newSystemData(parent.principal),
      experimentName: parent.experimentName,
      computeName: step.template.computeName,
      principal: parent.principal,
      parentName: parent.name,
      stepName: step.name,
      childNames: [],
      outputUris: {},
      logFiles: [],
    };
    svc.jobs.set(name, job);
    this.track(job, step.name, { 'mlflow.parentRunId': parent.name, 'mlflow.rootRunId': parent.name, 'azureml.nodeid': step.name });
    return job;
  }

  /** Cancels a job: a long-running operation that succeeds once the job is Canceled. */
  cancel(job: JobRecord): LongRunningOperation {
    if (isTerminal(job.status)) {
      throw badRequest(`Job '${job.name}' has already finished with status ${job.status} and cannot be canceled.`);
    }
    const operation = this.svc.operations.start();
    this.svc.cancellations.set(job.name, [...(this.svc.cancellations.get(job.name) ?? []), operation]);
    if (job.runner) {
      job.runner.cancel();
    } else {
      // A pipeline step that has not started yet.
      this.svc.setStatus(job, 'CancelRequested');
      this.svc.setStatus(job, 'Canceled');
    }
    return operation;
  }

  /** The job's ARM resource, as GET answers it. */
  resource(job: JobRecord): Json {
    const { svc } = this;
    const properties: Json = { ...job.properties, status: job.status };
    const services: Json = isObject(job.submitted['services']) ? { ...job.submitted['services'] } : {};
    services['Tracking'] = { jobServiceType: 'Tracking', port: null, endpoint: `${svc.scope.mlflowTrackingUri}?`, status: null, errorMessage: null, properties: null };
    services['Studio'] = { jobServiceType: 'Studio', port: null, endpoint: svc.scope.studioUrl(job.name), status: null, errorMessage: null, properties: null };
    properties['services'] = services;
    const outputs: Json = {};
    const given = isObject(job.properties['outputs']) ? job.properties['outputs'] : {};
    for (const [name, output] of Object.entries(given)) {
      if (name === 'default' || !isObject(output)) continue;
      outputs[name] = { description: null, mode: 'ReadWriteMount', ...output, uri: job.outputUris[name] ?? output['uri'] ?? null };
    }
    outputs['default'] = {
      description: null,
      jobOutputType: 'uri_folder',
      mode: 'ReadWriteMount',
      uri: `azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.${job.name}`,
    };
    properties['outputs'] = outputs;
    return { id: svc.scope.childId('jobs', job.name), name: job.name, type: `${PROVIDER}/workspaces/jobs`, properties, systemData: job.systemData };
  }

  /** Cancels every running job and waits (briefly) for their processes to end. */
  async stop(): Promise<void> {
    for (const job of this.svc.jobs.values()) if (!job.parentName && !isTerminal(job.status)) job.runner?.cancel();
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private start(job: JobRecord): void {
    const runner = job.jobType === 'Command' ? new CommandRunner(this.svc, job, job.command!) : new PipelineRunner(this.svc, job, (p, s) => this.createChild(p, s));
    job.runner = runner;
    const done = runner.run().finally(() => {
      job.runner = undefined;
      this.running.delete(done);
    });
    this.running.add(done);
  }

  private track(job: JobRecord, runName: string, extraTags: Record<string, string>): void {
    const tags: Record<string, string> = {};
    const userTags = isObject(job.properties['tags']) ? job.properties['tags'] : {};
    for (const [k, v] of Object.entries(userTags)) if (v !== null && v !== undefined) tags[k] = String(v);
    Object.assign(tags, {
      'mlflow.user': actorOf(job.principal).name,
      'mlflow.runName': runName,
      'mlflow.source.type': 'JOB',
      'mlflow.source.name': job.jobType === 'Pipeline' ? 'pipeline' : String(job.properties['command'] ?? ''),
      ...extraTags,
    });
    this.svc.tracking.createRun({ runId: job.name, experimentName: job.experimentName, runName, userId: actorOf(job.principal).name, tags });
  }
}

/** Component specs write ARM ids as `azureml:/subscriptions/...`; job properties carry the bare ARM id. */
function withoutAzuremlPrefix(id: string): string {
  return id.startsWith('azureml:/subscriptions/') ? id.slice('azureml:'.length) : id;
}

function computeTargetType(svc: AzureMlService, computeName: string): string {
  const compute = svc.findCompute(computeName);
  const type = isObject(compute?.['properties']) ? compute['properties']['computeType'] : undefined;
  return type === 'Kubernetes' ? 'kubernetes' : 'amlctrain';
}

function withoutReadOnly(props: Json): Json {
  const out: Json = { ...props };
  for (const key of READ_ONLY_JOB_FIELDS) delete out[key];
  if (isObject(out['outputs'])) {
    const outputs = { ...out['outputs'] };
    delete outputs['default'];
    out['outputs'] = outputs;
  }
  return out;
}

/** What identifies a job's definition, ignoring mutable and read-only fields and server-filled output URIs. */
function definitionKey(name: string, props: Json): string {
  const rest = withoutReadOnly(props);
  for (const key of MUTABLE_JOB_FIELDS) delete rest[key];
  rest['experimentName'] = typeof props['experimentName'] === 'string' && props['experimentName'] !== '' ? props['experimentName'] : 'Default';
  if (typeof rest['computeId'] === 'string') rest['computeId'] = parseComputeRef(rest['computeId'])?.name.toLowerCase() ?? rest['computeId'];
  if (isObject(rest['outputs'])) {
    const outputs: Json = {};
    for (const [k, v] of Object.entries(rest['outputs'])) {
      if (!isObject(v)) continue;
      const copy = { ...v };
      if (typeof copy['uri'] === 'string' && copy['uri'].startsWith(`azureml://datastores/workspaceblobstore/paths/azureml/${name}/`)) delete copy['uri'];
      if (copy['mode'] === 'ReadWriteMount') delete copy['mode'];
      delete copy['description'];
      outputs[k] = copy;
    }
    rest['outputs'] = outputs;
  }
  if (isObject(rest['resources'])) {
    const resources = { ...rest['resources'] };
    if (resources['shmSize'] === '2g') delete resources['shmSize'];
    if (resources['instanceCount'] === 1) delete resources['instanceCount'];
    rest['resources'] = Object.keys(resources).length > 0 ? resources : undefined;
  }
  for (const key of ['identity', 'componentId']) if (rest[key] === null) delete rest[key];
  return canonical(rest);
}
