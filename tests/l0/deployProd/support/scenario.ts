/** What one L0 run of the DeployProd task gets: inputs, variables, the fake workspace's endpoint and assets. */
import type { MockTaskScenario } from '../../support/scenario';

export { FAKE, WORKSPACE_ARM_PATH } from '../../support/fakeWorkspaceClient';

/** An online endpoint and its deployments as the fake workspace holds them (also what a run leaves, to seed the next). */
export interface FakeEndpointState {
  readonly name: string;
  tags: Record<string, string>;
  provisioningState: string;
  traffic: Record<string, number>;
  mirrorTraffic: Record<string, number>;
  /** The Kubernetes compute's ARM id (Kubernetes endpoints). */
  compute?: string;
  /** Deployments by name, as PUT (plus provisioningState). */
  deployments: Record<string, { properties: Record<string, unknown>; sku?: unknown; tags?: Record<string, string> }>;
}

export interface ProdScenario extends MockTaskScenario {
  /** The endpoint at the start; undefined: it does not exist. */
  readonly endpoint?: FakeEndpointState;
  /** Model versions (`name:version`) of the workspace, with their tags. */
  readonly models?: Readonly<Record<string, Record<string, string>>>;
  /** Environment versions (`name:version`). Code versions all exist (content-named, uploaded earlier). */
  readonly environments?: readonly string[];
  /** Smoke tests whose label matches one of these regular expressions fail (HTTP 424, as a raising run()). */
  readonly smokeFailures?: readonly string[];
  /** Requests answered 400 (`METHOD` and a path regular expression, relative to the workspace; the nth match). */
  readonly refuse?: ReadonlyArray<{ readonly method: string; readonly path: string; readonly nth?: number }>;
  readonly sourcesDirectory: string;
}

export interface RecordedCall {
  readonly method: string;
  /** Path relative to the workspace, e.g. `onlineEndpoints/prod/deployments/green`. */
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface FakeRecord {
  calls: RecordedCall[];
  endpoint: FakeEndpointState | undefined;
  models: Record<string, Record<string, string>>;
  /** Labels of the smoke tests run, in order, with their result. */
  smokeTests: Array<{ label: string; deployment: string | undefined; passed: boolean }>;
}

export const SCENARIO_VARIABLE = 'L0_DEPLOY_PROD_SCENARIO';
export const CONNECTION_ID = 'l0-prod-conn';
