import type { EmulatorContext } from '../context';
import { AssetStore, type StoredAssetKind } from './assets';
import { seedComputes } from './arm/workspace';
import type { JobRecord, JobStatus } from './jobs/model';
import { isTerminal } from './jobs/model';
import { LongRunningOperations, type LongRunningOperation } from './lro';
import { newSystemData, type Json, type SystemData } from './resources';
import { uuidFrom } from '../config';
import { WorkspaceScope } from './scope';
import { TrackingStore, type MlflowRunStatus } from './tracking';

/** The emulated workspace: its resources, assets, jobs and tracking data, shared by every route module. */
export class AzureMlService {
  readonly scope: WorkspaceScope;
  readonly createdSystemData: SystemData;
  readonly workspacePrincipalId: string;
  readonly computes: Map<string, Json>;
  readonly assets: Record<StoredAssetKind, AssetStore>;
  readonly tracking: TrackingStore;
  readonly jobs = new Map<string, JobRecord>();
  /** Every long-running operation of the workspace (job cancellations, online endpoints and deployments). */
  readonly operations = new LongRunningOperations(this);
  /** Cancellations in progress by job name: they succeed when the job reaches a terminal status. */
  readonly cancellations = new Map<string, LongRunningOperation[]>();

  constructor(readonly ctx: EmulatorContext) {
    const { config } = ctx;
    this.scope = new WorkspaceScope(config);
    this.workspacePrincipalId = uuidFrom(`${config.workspaceId}/principal`);
    // The workspace and its built-in resources were "created" at a fixed time, so they read the same in every run.
    this.createdSystemData = newSystemData(undefined, new Date(Date.UTC(2024, 0, 15, 9, 30)));
    this.computes = seedComputes(this);
    this.assets = {
      codes: new AssetStore('codes'),
      environments: new AssetStore('environments'),
      data: new AssetStore('data'),
      components: new AssetStore('components'),
    };
    this.tracking = new TrackingStore(config.workspaceId);
  }

  /** Compute names are case-insensitive, as ARM resource names are. */
  findCompute(name: string): Json | undefined {
    for (const [key, compute] of this.computes) if (key.toLowerCase() === name.toLowerCase()) return compute;
    return undefined;
  }

  /** Moves a job to a status, stamping start/end times and mirroring the status on its MLflow run. */
  setStatus(job: JobRecord, status: JobStatus): void {
    if (isTerminal(job.status)) return;
    job.status = status;
    const now = new Date();
    if (status === 'Running' && !job.startTimeUtc) job.startTimeUtc = now.toISOString();
    if (isTerminal(status)) {
      job.endTimeUtc = now.toISOString();
      for (const operation of this.cancellations.get(job.name) ?? []) this.operations.succeed(operation);
      this.cancellations.delete(job.name);
    }
    const run = this.tracking.run(job.name);
    if (run) {
      run.status = mlflowStatus(status);
      if (status === 'Running' && run.startTime === undefined) run.startTime = now.getTime();
      if (isTerminal(status)) {
        run.startTime ??= now.getTime();
        run.endTime = now.getTime();
      }
    }
    this.ctx.debug(`azureml: job ${job.name} -> ${status}`);
  }
}

export function mlflowStatus(status: JobStatus): MlflowRunStatus {
  switch (status) {
    case 'Completed':
      return 'FINISHED';
    case 'Failed':
      return 'FAILED';
    case 'Canceled':
      return 'KILLED';
    case 'Running':
    case 'Finalizing':
    case 'CancelRequested':
      return 'RUNNING';
    default:
      return 'SCHEDULED';
  }
}
