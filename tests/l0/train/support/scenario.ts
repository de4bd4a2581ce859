import type { SeededResources } from './fakeWorkspace';

/** What one L0 run of the Train task gets: inputs, pipeline variables, the fake workspace's content, the job's end. */
export interface TrainScenario {
  readonly inputs: Readonly<Record<string, string>>;
  /** Pipeline variables (`Build.BuildId`...), passed as the agent does (environment variables). */
  readonly variables?: Readonly<Record<string, string>>;
  /** 'subscription' (default) or a connection scoped to the workspace (no resourceGroup/workspace inputs needed). */
  readonly connectionScope?: 'subscription' | 'workspace';
  /** Compute names of the fake workspace (default cpu-cluster, gpu-cluster). */
  readonly computes?: readonly string[];
  readonly resources?: SeededResources;
  /** What waitForJob resolves with (default: Completed). */
  readonly outcome?: { readonly status: string; readonly failureMessage?: string; readonly timedOut?: boolean };
  /** What collectJobResults resolves with. */
  readonly results?: { readonly metrics: Record<string, number>; readonly outputs: Record<string, string> };
  /** Where the fake writes what the task did (see FakeRecord). */
  readonly recordFile: string;
  /** Agent.TempDirectory (summaries, task-lib's vault key). */
  readonly tempDirectory: string;
  /** System.DefaultWorkingDirectory: relative jobFile paths start here. */
  readonly sourcesDirectory: string;
}

export const SCENARIO_VARIABLE = 'L0_TRAIN_SCENARIO';
export const CONNECTION_ID = 'l0-conn';
export const FAKE = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  resourceGroup: 'rg-l0',
  workspaceName: 'ws-l0',
} as const;
