/**
 * What a task hands to later stages and to release pipelines: pipeline artifacts (`##vso[artifact.upload]`) and
 * build tags (`##vso[build.addbuildtag]`), through azure-pipelines-task-lib.
 *
 * Both logging commands exist only in build pipelines (YAML pipelines included): the agent refuses them in a classic
 * release (System.HostType `release`) or deployment group job (`deployment`). There the helpers do nothing and say why,
 * so the same task works in both kinds of pipeline.
 */
import * as fs from 'node:fs';

import * as tl from 'azure-pipelines-task-lib/task';

import { AgentEnvironment, taskLibEnvironment } from './agentEnvironment';
import { containsRegisteredSecret } from './secrets';

export type PipelineHostType = 'build' | 'release' | 'deployment';

/** System.HostType; a YAML pipeline (deployment jobs included) is `build`. Unset (a local run) counts as `build`. */
export function pipelineHostType(env: AgentEnvironment = taskLibEnvironment): PipelineHostType {
  const value = (env.getVariable('System.HostType') ?? 'build').toLowerCase();
  return value === 'release' || value === 'deployment' ? value : 'build';
}

/** What a helper did: done, or skipped with the reason (to show in the log). */
export type PipelineCommandOutcome = { readonly done: true } | { readonly done: false; readonly reason: string };

/** Characters Azure Pipelines refuses in an artifact name (it becomes a folder name on download). */
const ARTIFACT_NAME_FORBIDDEN = /["/\\:<>|*?\u0000-\u001f]/;
const ARTIFACT_NAME_MAX_LENGTH = 256;

/** Why `name` cannot name a pipeline artifact, or undefined when it can (for an input's validation). */
export function artifactNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (name !== name.trim()) return `'${name}' starts or ends with a space`;
  if (name.length > ARTIFACT_NAME_MAX_LENGTH) return `is ${name.length} characters long, more than the ${ARTIFACT_NAME_MAX_LENGTH} an artifact name may have`;
  const forbidden = ARTIFACT_NAME_FORBIDDEN.exec(name);
  if (forbidden) return `'${name}' contains '${forbidden[0]}', which an artifact name may not contain (nor any of " / \\ : < > | * ?)`;
  if (/\.$/.test(name)) return `'${name}' ends with '.'`;
  return undefined;
}

export interface PipelineArtifactFile {
  /** The artifact's name (`artifactname`), as later stages download it. */
  readonly artifactName: string;
  /** Absolute path of the file to upload; the agent uploads it after the task's command, so it must stay. */
  readonly filePath: string;
  /** Folder of the artifact the file goes into (`containerfolder`); default: the artifact's name. */
  readonly containerFolder?: string;
}

/**
 * Uploads a file as (part of) a build artifact: `tl.uploadArtifact(containerFolder, filePath, artifactName)`.
 * Refuses (programming error) a file that contains a secret the task registered: artifacts are readable by anyone who
 * can read the run.
 */
export function uploadPipelineArtifact(file: PipelineArtifactFile, env: AgentEnvironment = taskLibEnvironment): PipelineCommandOutcome {
  const problem = artifactNameProblem(file.artifactName);
  if (problem) throw new Error(`Artifact name ${problem}.`);
  if (containsRegisteredSecret(fs.readFileSync(file.filePath, 'utf8'))) {
    throw new Error(`The artifact '${file.artifactName}' was not uploaded: ${file.filePath} contains a secret.`);
  }
  const host = pipelineHostType(env);
  if (host !== 'build') return { done: false, reason: `pipeline artifacts can only be uploaded by a build or YAML pipeline, not in a ${host} job` };
  tl.uploadArtifact(file.containerFolder ?? file.artifactName, file.filePath, file.artifactName);
  return { done: true };
}

/** Adds a tag to the build (`tl.addBuildTag`); refuses a tag with a line break or a registered secret. */
export function addBuildTag(tag: string, env: AgentEnvironment = taskLibEnvironment): PipelineCommandOutcome {
  if (tag.trim() === '' || /[\r\n]/.test(tag)) throw new Error(`Invalid build tag ${JSON.stringify(tag)}.`);
  if (containsRegisteredSecret(tag)) throw new Error('The build tag was not added: it contains a secret.');
  const host = pipelineHostType(env);
  if (host !== 'build') return { done: false, reason: `build tags can only be added by a build or YAML pipeline, not in a ${host} job` };
  tl.addBuildTag(tag.trim());
  return { done: true };
}
