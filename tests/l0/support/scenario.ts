/**
 * The scenario of an L0 test travels from the mocha process to the runner script MockTestRunner spawns in an
 * environment variable (the only channel MockTestRunner passes on). This module holds what every task's scenario has
 * (the agent's side of the run) and the runner script's reading of it; each task's scenario adds its fakes' content.
 */

/** What every task's scenario gives its runner script: the task's inputs, the agent's folders and variables, the connection. */
export interface MockTaskScenario {
  readonly inputs: Readonly<Record<string, string>>;
  /** Pipeline variables (`Build.BuildId`...), passed as the agent does (environment variables). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Where the fakes write what the task did, for the mocha side to assert on. */
  readonly recordFile: string;
  /** Agent.TempDirectory (summaries, task-lib's vault key). */
  readonly tempDirectory: string;
  /** System.DefaultWorkingDirectory (and Build.SourcesDirectory): relative paths of inputs start here. */
  readonly sourcesDirectory?: string;
  /** The scope of the AzureRM service connection: 'subscription' (default), or the fake workspace. */
  readonly connectionScope?: 'subscription' | 'workspace';
}

/** A resource a scenario seeds in the fake workspace (ARM body: name, properties, when it was created). */
export interface SeededResource {
  readonly name?: string;
  readonly properties?: Record<string, unknown>;
  readonly systemData?: { readonly createdAt?: string };
}

/** In a runner script: the scenario the mocha side wrote to `variable`. */
export function readScenario<T extends MockTaskScenario>(variable: string): T {
  return JSON.parse(process.env[variable] ?? '{}') as T;
}
