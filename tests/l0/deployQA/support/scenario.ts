import type { MockTaskScenario } from '../../support/scenario';

export { FAKE, WORKSPACE_ARM_PATH } from '../../support/fakeWorkspaceClient';

/** What one L0 run of the DeployQA task gets: inputs, the fake workspace's content, how the fakes behave. */
export interface DeployQAScenario extends MockTaskScenario {
  /** ARM resources of the fake workspace by path relative to it (`models/m/versions/1`, `onlineEndpoints/e`). */
  readonly resources?: Readonly<Record<string, FakeResource>>;
  /** The deployment ends Failed with this error, and its inference server log is `failureLog`. */
  readonly deploymentFailure?: { readonly code: string; readonly message: string };
  readonly failureLog?: string;
  /** The endpoint's creation or update ends Failed with this error (the endpoint stays, provisioning Failed). */
  readonly endpointFailure?: { readonly code: string; readonly message: string };
  /** Answers of the scoring URI, in order (the last one repeats). */
  readonly scoringAnswers?: ReadonlyArray<{ readonly status: number; readonly body: string }>;
  readonly sourcesDirectory: string;
}

export interface FakeResource {
  readonly name?: string;
  readonly properties?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export const SCENARIO_VARIABLE = 'L0_DEPLOYQA_SCENARIO';
export const CONNECTION_ID = 'l0-deployqa-conn';
/** The key listKeys answers: must never be printed. */
export const FAKE_PRIMARY_KEY = 'l0-primary-key-0123456789abcdef';
