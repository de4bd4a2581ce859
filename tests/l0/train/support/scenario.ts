import type { SeededResources } from './fakeWorkspace';
import type { MockTaskScenario } from '../../support/scenario';

export { FAKE } from '../../support/fakeWorkspaceClient';

/** What one L0 run of the Train task gets: inputs, pipeline variables, the fake workspace's content, the job's end. */
export interface TrainScenario extends MockTaskScenario {
  /** Compute names of the fake workspace (default cpu-cluster, gpu-cluster). */
  readonly computes?: readonly string[];
  readonly resources?: SeededResources;
  /** What waitForJob resolves with (default: Completed). */
  readonly outcome?: { readonly status: string; readonly failureMessage?: string; readonly timedOut?: boolean };
  /** What collectJobResults resolves with. */
  readonly results?: { readonly metrics: Record<string, number>; readonly outputs: Record<string, string> };
  /** System.DefaultWorkingDirectory: relative jobFile paths start here. */
  readonly sourcesDirectory: string;
}

export const SCENARIO_VARIABLE = 'L0_TRAIN_SCENARIO';
export const CONNECTION_ID = 'l0-conn';
