/** What one L0 run of the Evaluate task gets: inputs, and the content of the fake workspace (ARM and MLflow). */
export interface SeededResource {
  readonly name?: string;
  readonly properties?: Record<string, unknown>;
  readonly systemData?: { readonly createdAt?: string };
}

/** An MLflow run: a job's (run id = job name) or a pipeline step's (with its parent and step name). */
export interface SeededRun {
  readonly metrics: Record<string, number>;
  readonly parent?: string;
  readonly stepName?: string;
}

export interface EvaluateScenario {
  readonly inputs: Readonly<Record<string, string>>;
  /** 'subscription' (default) or a connection scoped to the workspace. */
  readonly connectionScope?: 'subscription' | 'workspace';
  /** ARM resources by path relative to the workspace: `jobs/x`, `models/m/versions/1`, `onlineEndpoints/e`... */
  readonly resources?: Readonly<Record<string, SeededResource>>;
  /** MLflow runs by run id. */
  readonly runs?: Readonly<Record<string, SeededRun>>;
  /** Where the fake writes every ARM and MLflow call. */
  readonly recordFile: string;
  /** Agent.TempDirectory (summaries, task-lib's vault key). */
  readonly tempDirectory: string;
}

export interface RecordedCall {
  readonly method: string;
  /** ARM path relative to the workspace (with its query), or `mlflow:<operation>`. */
  readonly path: string;
  readonly status: number;
}

export const SCENARIO_VARIABLE = 'L0_EVALUATE_SCENARIO';
export const CONNECTION_ID = 'l0-conn';
export const FAKE = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  resourceGroup: 'rg-l0',
  workspaceName: 'ws-l0',
} as const;
export const WORKSPACE_ARM_PATH = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${FAKE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${FAKE.workspaceName}`;
