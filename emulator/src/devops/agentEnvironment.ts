import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Version this local agent reports (Agent.Version); newer than every minimumAgentVersion the tasks may declare. */
export const LOCAL_AGENT_VERSION = '4.266.2';

/** The parts of task.json the agent reads. */
export interface TaskDefinition {
  readonly id: string;
  readonly name: string;
  readonly friendlyName?: string;
  readonly description?: string;
  readonly author?: string;
  readonly helpUrl?: string;
  readonly helpMarkDown?: string;
  readonly version?: { readonly Major: number; readonly Minor: number; readonly Patch: number };
  readonly minimumAgentVersion?: string;
  readonly instanceNameFormat?: string;
  readonly inputs?: ReadonlyArray<{ readonly name: string; readonly aliases?: readonly string[]; readonly type?: string; readonly defaultValue?: string }>;
  readonly outputVariables?: ReadonlyArray<{ readonly name: string }>;
  readonly execution?: Readonly<Record<string, { readonly target: string }>>;
}

/** `Build.BuildId` -> `BUILD_BUILDID`, `my input` -> `MY_INPUT` (VarUtil.ConvertToEnvVariableFormat). */
export function toEnvName(name: string): string {
  return name.replace(/[. ]/g, '_').toUpperCase();
}

/** The folders of one job on an agent: <work>/1/{s,a,b,TestResults}, <work>/_temp, <work>/_tool. */
export interface WorkLayout {
  readonly workFolder: string;
  readonly buildDirectory: string;
  readonly sourcesDirectory: string;
  readonly artifactStagingDirectory: string;
  readonly binariesDirectory: string;
  readonly testResultsDirectory: string;
  readonly tempDirectory: string;
  readonly toolsDirectory: string;
}

export function createWorkLayout(workFolder: string, sourcesDirectory?: string): WorkLayout {
  const buildDirectory = path.join(workFolder, '1');
  const layout: WorkLayout = {
    workFolder,
    buildDirectory,
    sourcesDirectory: sourcesDirectory ?? path.join(buildDirectory, 's'),
    artifactStagingDirectory: path.join(buildDirectory, 'a'),
    binariesDirectory: path.join(buildDirectory, 'b'),
    testResultsDirectory: path.join(buildDirectory, 'TestResults'),
    tempDirectory: path.join(workFolder, '_temp'),
    toolsDirectory: path.join(workFolder, '_tool'),
  };
  for (const dir of Object.values(layout)) fs.mkdirSync(dir, { recursive: true });
  return layout;
}

/** The pipeline variables of a realistic CI build, as the agent defines them for a job. */
export function defaultVariables(layout: WorkLayout): Record<string, string> {
  const collectionUri = 'https://dev.azure.com/contoso/';
  return {
    'Agent.Version': LOCAL_AGENT_VERSION,
    'Agent.Name': 'Local Agent',
    'Agent.Id': '7',
    'Agent.MachineName': os.hostname(),
    'Agent.OS': ({ win32: 'Windows_NT', darwin: 'Darwin' } as Record<string, string>)[process.platform] ?? 'Linux',
    'Agent.OSArchitecture': process.arch === 'arm64' ? 'ARM64' : 'X64',
    'Agent.JobName': 'Train',
    'Agent.JobStatus': 'Succeeded',
    'Agent.HomeDirectory': path.dirname(layout.workFolder),
    'Agent.RootDirectory': layout.workFolder,
    'Agent.WorkFolder': layout.workFolder,
    'Agent.BuildDirectory': layout.buildDirectory,
    'Agent.TempDirectory': layout.tempDirectory,
    'Agent.ToolsDirectory': layout.toolsDirectory,
    'Pipeline.Workspace': layout.buildDirectory,
    'Build.BuildId': '1842',
    'Build.BuildNumber': '20250612.3',
    'Build.BuildUri': 'vstfs:///Build/Build/1842',
    'Build.DefinitionName': 'diabetes-mlops',
    'Build.DefinitionVersion': '4',
    'Build.Reason': 'IndividualCI',
    'Build.RequestedFor': 'Dana Data',
    'Build.RequestedForEmail': 'dana@contoso.com',
    'Build.QueuedBy': 'Dana Data',
    'Build.Repository.Name': 'diabetes-mlops',
    'Build.Repository.Provider': 'TfsGit',
    'Build.Repository.Uri': `${collectionUri}MLOps/_git/diabetes-mlops`,
    'Build.Repository.ID': '6f2a1c0e-52b4-4c4b-9a57-3d0cbb6c8f10',
    'Build.Repository.LocalPath': layout.sourcesDirectory,
    'Build.SourceBranch': 'refs/heads/main',
    'Build.SourceBranchName': 'main',
    'Build.SourceVersion': '3f9c2d7be41a05c8e6d1f2a9b7c4e8d05a61b2c3',
    'Build.SourceVersionMessage': 'Tune the regularization of the diabetes model',
    'Build.SourcesDirectory': layout.sourcesDirectory,
    'Build.ArtifactStagingDirectory': layout.artifactStagingDirectory,
    'Build.StagingDirectory': layout.artifactStagingDirectory,
    'Build.BinariesDirectory': layout.binariesDirectory,
    'Common.TestResultsDirectory': layout.testResultsDirectory,
    'System.DefaultWorkingDirectory': layout.sourcesDirectory,
    'System.ArtifactsDirectory': layout.artifactStagingDirectory,
    'System.CollectionUri': collectionUri,
    'System.TeamFoundationCollectionUri': collectionUri,
    'System.TeamFoundationServerUri': collectionUri,
    'System.CollectionId': '0b6e4b52-9b4c-4e0e-a8f5-2c6b71d3a9e4',
    'System.TeamProject': 'MLOps',
    'System.TeamProjectId': '5d2c8f3a-7b1e-4c9d-8e6f-1a2b3c4d5e6f',
    'System.DefinitionId': '42',
    'System.HostType': 'build',
    'System.ServerType': 'Hosted',
    'System.Culture': 'en-US',
    'System.StageName': 'Train',
    'System.StageDisplayName': 'Train',
    'System.PhaseName': 'Train',
    'System.PhaseDisplayName': 'Train model',
    'System.JobName': 'Train',
    'System.JobDisplayName': 'Train model',
    'System.JobAttempt': '1',
    'System.JobId': '8a1f6c2e-3b4d-5e6f-7a8b-9c0d1e2f3a4b',
    'System.PlanId': '2c3d4e5f-6a7b-8c9d-0e1f-2a3b4c5d6e7f',
    'System.TimelineId': '2c3d4e5f-6a7b-8c9d-0e1f-2a3b4c5d6e7f',
    'System.PullRequest.IsFork': 'False',
    'System.EnableAccessToken': 'SecretVariable',
  };
}

/**
 * What the task process inherits from the machine: only what a process needs to run (PATH, the home and temp
 * folders, and Windows' system folders), never the rest of this process's environment.
 */
export function machineEnvironment(parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'SYSTEMROOT', 'SYSTEMDRIVE', 'WINDIR', 'COMSPEC', 'PATHEXT', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA'];
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value !== undefined && keep.includes(key.toUpperCase())) env[key] = value;
  }
  return env;
}

/** Looks a variable up the way macros do: case-insensitive name. */
export function lookupVariable(variables: Readonly<Record<string, string>>, name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  for (const [key, value] of Object.entries(variables)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** `$(Build.SourcesDirectory)/x` -> its value; unknown macros stay as written, like the agent leaves them. */
export function expandMacros(value: string, variables: Readonly<Record<string, string>>): string {
  return value.replace(/\$\(([^()]+)\)/g, (whole, name: string) => lookupVariable(variables, name) ?? whole);
}

/**
 * The task's inputs as the agent passes them (TaskRunner): task.json defaults, overridden by the step's inputs
 * (matched by name or alias, case-insensitive), trimmed, macros expanded, and `filePath` inputs rooted in the sources
 * directory (an empty one becomes the sources directory itself, which `tl.filePathSupplied` recognises).
 * Throws on an input the task does not define (the pipeline would reject it).
 */
export function resolveInputs(
  definition: TaskDefinition,
  given: Readonly<Record<string, string>>,
  variables: Readonly<Record<string, string>>,
  sourcesDirectory: string,
): Record<string, string> {
  const inputs: Record<string, string> = {};
  const byName = new Map<string, string>();
  for (const input of definition.inputs ?? []) {
    inputs[input.name] = (input.defaultValue ?? '').trim();
    for (const alias of [input.name, ...(input.aliases ?? [])]) byName.set(alias.toLowerCase(), input.name);
  }
  for (const [key, value] of Object.entries(given)) {
    const name = byName.get(key.trim().toLowerCase());
    if (!name) {
      throw new Error(`Task ${definition.name} has no input "${key}" (inputs: ${[...byName.keys()].join(', ')})`);
    }
    inputs[name] = value.trim();
  }
  for (const input of definition.inputs ?? []) {
    let value = expandMacros(inputs[input.name] ?? '', variables);
    if ((input.type ?? '').toLowerCase() === 'filepath' && !path.isAbsolute(value)) {
      value = path.join(sourcesDirectory, value);
    }
    inputs[input.name] = value;
  }
  return inputs;
}

/** `Azure ML train: $(jobFile)` with the input values, as the step is named in the log. */
export function instanceName(definition: TaskDefinition, inputs: Readonly<Record<string, string>>): string {
  const format = definition.instanceNameFormat ?? definition.friendlyName ?? definition.name;
  return format.replace(/\$\(([^()]+)\)/g, (whole, name: string) => lookupVariable(inputs, name) ?? whole);
}
