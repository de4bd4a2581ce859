/** What one L0 run of the Register task gets: inputs, pipeline variables, the fake workspace's content. */
export interface RegisterScenario {
  readonly inputs: Readonly<Record<string, string>>;
  /** Pipeline variables (`Build.BuildId`...), passed as the agent does (environment variables). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Resources of the fake workspace, by ARM path relative to it (`jobs/x`, `models/m/versions/1`). */
  readonly resources?: Readonly<Record<string, FakeResource>>;
  /** Blob names in the datastore container (`azureml/<job>/model/model.json`). */
  readonly blobs?: readonly string[];
  /** Final metrics of each job's MLflow run. */
  readonly metrics?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How many model version PUTs are answered 409 first, as if another run took the number (a race). */
  readonly conflictingPuts?: number;
  /** True: the datastore cannot be opened (e.g. no storage role): the content check is skipped. */
  readonly datastoreForbidden?: boolean;
  readonly recordFile: string;
  /** Agent.TempDirectory (model.json, summaries, task-lib's vault key). */
  readonly tempDirectory: string;
  /** System.DefaultWorkingDirectory: relative localPath values start here. */
  readonly sourcesDirectory: string;
}

export interface FakeResource {
  readonly name?: string;
  readonly properties?: Record<string, unknown>;
  readonly systemData?: { readonly createdAt?: string };
}

export const SCENARIO_VARIABLE = 'L0_REGISTER_SCENARIO';
export const CONNECTION_ID = 'l0-register-conn';
export const FAKE = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  resourceGroup: 'rg-l0',
  workspaceName: 'ws-l0',
} as const;
export const WORKSPACE_ARM_PATH = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${FAKE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${FAKE.workspaceName}`;
