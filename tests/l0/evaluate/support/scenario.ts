import type { MockTaskScenario, SeededResource } from '../../support/scenario';

export type { SeededResource } from '../../support/scenario';
export { FAKE, WORKSPACE_ARM_PATH } from '../../support/fakeWorkspaceClient';

/** An MLflow run: a job's (run id = job name) or a pipeline step's (with its parent and step name). */
export interface SeededRun {
  readonly metrics: Record<string, number>;
  readonly parent?: string;
  readonly stepName?: string;
}

/**
 * What one L0 run of the Evaluate task gets: inputs, and the content of the fake workspace (ARM and MLflow). The fake
 * writes every ARM and MLflow call to recordFile.
 */
export interface EvaluateScenario extends MockTaskScenario {
  /** ARM resources by path relative to the workspace: `jobs/x`, `models/m/versions/1`, `onlineEndpoints/e`... */
  readonly resources?: Readonly<Record<string, SeededResource>>;
  /** MLflow runs by run id. */
  readonly runs?: Readonly<Record<string, SeededRun>>;
}

export interface RecordedCall {
  readonly method: string;
  /** ARM path relative to the workspace (with its query), or `mlflow:<operation>`. */
  readonly path: string;
  readonly status: number;
}

export const SCENARIO_VARIABLE = 'L0_EVALUATE_SCENARIO';
export const CONNECTION_ID = 'l0-conn';
