/** What one L0 run of the DeployQA task gets: inputs, the fake workspace's content, how the fakes behave. */
export interface DeployQAScenario {
  readonly inputs: Readonly<Record<string, string>>;
  /** ARM resources of the fake workspace by path relative to it (`models/m/versions/1`, `onlineEndpoints/e`). */
  readonly resources?: Readonly<Record<string, FakeResource>>;
  /** The deployment ends Failed with this error, and its inference server log is `failureLog`. */
  readonly deploymentFailure?: { readonly code: string; readonly message: string };
  readonly failureLog?: string;
  /** Answers of the scoring URI, in order (the last one repeats). */
  readonly scoringAnswers?: ReadonlyArray<{ readonly status: number; readonly body: string }>;
  readonly recordFile: string;
  readonly tempDirectory: string;
  readonly sourcesDirectory: string;
}

export interface FakeResource {
  readonly name?: string;
  readonly properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export const SCENARIO_VARIABLE = 'L0_DEPLOYQA_SCENARIO';
export const CONNECTION_ID = 'l0-deployqa-conn';
export const FAKE = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  resourceGroup: 'rg-l0',
  workspaceName: 'ws-l0',
} as const;
export const WORKSPACE_ARM_PATH = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${FAKE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${FAKE.workspaceName}`;
/** The key listKeys answers: must never be printed. */
export const FAKE_PRIMARY_KEY = 'l0-primary-key-0123456789abcdef';
