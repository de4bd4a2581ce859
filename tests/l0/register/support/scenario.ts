import type { MockTaskScenario, SeededResource } from '../../support/scenario';

export type { SeededResource as FakeResource } from '../../support/scenario';
export { FAKE, WORKSPACE_ARM_PATH } from '../../support/fakeWorkspaceClient';

/** What one L0 run of the Register task gets: inputs, pipeline variables, the fake workspace's content. */
export interface RegisterScenario extends MockTaskScenario {
  /** Resources of the fake workspace, by ARM path relative to it (`jobs/x`, `models/m/versions/1`). */
  readonly resources?: Readonly<Record<string, SeededResource>>;
  /** Blob names in the datastore container (`azureml/<job>/model/model.json`). */
  readonly blobs?: readonly string[];
  /** Final metrics of each job's MLflow run. */
  readonly metrics?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** How many model version PUTs are answered 409 first, as if another run took the number (a race). */
  readonly conflictingPuts?: number;
  /** True: the datastore cannot be opened (e.g. no storage role): the content check is skipped. */
  readonly datastoreForbidden?: boolean;
  /** System.DefaultWorkingDirectory: relative localPath values start here. */
  readonly sourcesDirectory: string;
}

export const SCENARIO_VARIABLE = 'L0_REGISTER_SCENARIO';
export const CONNECTION_ID = 'l0-register-conn';
