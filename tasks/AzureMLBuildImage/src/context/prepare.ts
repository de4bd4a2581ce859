/**
 * The build context, prepared on the agent before anything is created on the Azure side: the user's folder (see
 * userContext.ts) or a generated one (Dockerfile, conda file, scoring code, model files), written as a deterministic
 * .tar.gz, and the build's identity hash (what decides whether the same image was built already).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { InputError, listFolderFiles } from '@azureml-mlops/shared';

import { INPUTS, type BuildImageParameters, type DockerfileSource, type GeneratedSource } from '../parameters';
import { type ArchiveEntry, writeContextArchive, type WrittenArchive } from './archive';
import { condaEnvironmentName, generateDockerfile, GENERATED_CONTEXT } from './generatedDockerfile';
import type { DownloadedModel, ModelToInclude } from './modelFiles';
import { listUserContext } from './userContext';

export interface PreparedContext {
  readonly archive: WrittenArchive;
  /** DockerBuildRequest.dockerFilePath. */
  readonly dockerfilePath: string;
  /** The generated Dockerfile, to show in the log. */
  readonly generatedDockerfile: string | undefined;
  /**
   * sha256 of the archive and of everything else the image depends on (Dockerfile path, platform, build arguments):
   * the same hash means the same image.
   */
  readonly buildHash: string;
  /** One line for the log and the summary: where the context came from. */
  readonly description: string;
  /** Remarks for the log (ignore file applied, files left out). */
  readonly remarks: readonly string[];
}

export interface ContextDependencies {
  /** Downloads the model's files (generated context with includeModel). */
  downloadModel(model: ModelToInclude, folder: string, archiveFolder: string): Promise<DownloadedModel>;
  /** Who writes the Dockerfile: the task and its major version only, e.g. AzureMLBuildImage@1 (see GeneratedDockerfileSpec). */
  readonly generator: string;
}

export async function prepareContext(
  params: BuildImageParameters,
  model: ModelToInclude | undefined,
  workFolder: string,
  deps: ContextDependencies,
  signal: AbortSignal,
): Promise<PreparedContext> {
  fs.mkdirSync(workFolder, { recursive: true });
  const assembled = params.source.kind === 'dockerfile' ? userEntries(params.source) : await generatedEntries(params, params.source, model, workFolder, deps);
  const archive = await writeContextArchive(assembled.entries, path.join(workFolder, 'context.tar.gz'), signal);
  return {
    archive,
    dockerfilePath: assembled.dockerfilePath,
    generatedDockerfile: assembled.generatedDockerfile,
    buildHash: buildHash(archive.tarSha256, assembled.dockerfilePath, params),
    description: assembled.description,
    remarks: assembled.remarks,
  };
}

/** The identity of a build: its context and the request fields that change the image. Versioned, so the format may change. */
export function buildHash(tarSha256: string, dockerfilePath: string, params: Pick<BuildImageParameters, 'platform' | 'buildArguments'>): string {
  const hash = createHash('sha256');
  hash.update(`azureml-mlops-image-build-v1\ncontext=${tarSha256}\ndockerfile=${dockerfilePath}\nplatform=${params.platform.name}\n`);
  for (const arg of [...params.buildArguments].sort((a, b) => (a.name < b.name ? -1 : 1))) hash.update(`arg=${arg.name}\0${arg.value}\n`);
  return hash.digest('hex');
}

interface Assembled {
  readonly entries: ArchiveEntry[];
  readonly dockerfilePath: string;
  readonly generatedDockerfile: string | undefined;
  readonly description: string;
  readonly remarks: string[];
}

function userEntries(source: DockerfileSource): Assembled {
  const context = listUserContext(source.contextFolder, source.dockerfile);
  const remarks: string[] = [];
  if (context.ignoreFile) remarks.push(`${context.ignoreFile} applied: ${context.ignoredCount} file${context.ignoredCount === 1 ? '' : 's'} left out.`);
  if (context.defaultExcluded.length > 0) remarks.push(`Left out as az acr build does: ${context.defaultExcluded.join(', ')}.`);
  return {
    entries: context.files.map((file) => ({ kind: 'file', archivePath: file.archivePath, absolutePath: file.absolutePath, size: file.size, executable: file.executable })),
    dockerfilePath: context.dockerfilePath,
    generatedDockerfile: undefined,
    description: `${source.dockerfileDisplay} with the context ${source.contextDisplay}`,
    remarks,
  };
}

async function generatedEntries(
  params: BuildImageParameters,
  source: GeneratedSource,
  model: ModelToInclude | undefined,
  workFolder: string,
  deps: ContextDependencies,
): Promise<Assembled> {
  const entries: ArchiveEntry[] = [];
  const remarks: string[] = [];
  const code = listFolderFiles(source.scoringCode);
  if (!code.some((file) => file.relativePath === source.scoringScript)) {
    throw new InputError(
      INPUTS.scoringScript,
      `'${source.scoringScript}' is left out of the scoring code by an .amlignore or .gitignore file in '${source.scoringCodeDisplay}'`,
      'Change the ignore file so that the entry script is included',
    );
  }
  for (const file of code) {
    entries.push({ kind: 'file', archivePath: `${GENERATED_CONTEXT.scoringCode}/${file.relativePath}`, absolutePath: file.absolutePath, size: file.size, executable: false });
  }
  remarks.push(`Scoring code: ${code.length} file${code.length === 1 ? '' : 's'} of ${source.scoringCodeDisplay} (.amlignore/.gitignore applied), entry script ${source.scoringScript}.`);
  if (source.condaFile !== undefined) {
    entries.push({ kind: 'bytes', archivePath: GENERATED_CONTEXT.condaFile, data: fs.readFileSync(source.condaFile), executable: false });
  }
  let included: { name: string; version: string } | undefined;
  if (source.includeModel && model) {
    const downloaded = await deps.downloadModel(model, path.join(workFolder, 'model'), GENERATED_CONTEXT.model);
    entries.push(...downloaded.entries);
    included = { name: model.name, version: model.version };
    remarks.push(`Model ${model.name}:${model.version}: ${downloaded.fileCount} file${downloaded.fileCount === 1 ? '' : 's'} (${downloaded.totalBytes} bytes) from ${downloaded.source}.`);
  }
  const dockerfile = generateDockerfile({
    baseImage: source.baseImage,
    condaFileDisplay: source.condaFileDisplay,
    condaEnvironmentName: condaEnvironmentName(params.environment.name),
    scoringCodeDisplay: source.scoringCodeDisplay,
    scoringScript: source.scoringScript,
    model: included,
    port: params.environment.inference.port,
    generator: deps.generator,
  });
  entries.push({ kind: 'bytes', archivePath: 'Dockerfile', data: Buffer.from(dockerfile, 'utf8'), executable: false });
  const parts = [`base image ${source.baseImage}`, ...(source.condaFileDisplay ? [`conda file ${source.condaFileDisplay}`] : []), `scoring code ${source.scoringCodeDisplay}`];
  if (included) parts.push(`model ${included.name}:${included.version}`);
  return { entries, dockerfilePath: 'Dockerfile', generatedDockerfile: dockerfile, description: `a Dockerfile written by the task: ${parts.join(', ')}`, remarks };
}
