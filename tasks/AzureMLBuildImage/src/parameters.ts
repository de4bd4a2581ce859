/**
 * Every input of AzureMLBuildImage@1, read and validated in one place. Problems are InputErrors naming the input;
 * nothing here touches the network, so a bad input fails the task before anything happens on the Azure side.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  type AgentEnvironment,
  type AzureRmConnection,
  InputError,
  InputReader,
  lineageTags,
  type ModelReference,
  parseModelReference,
  readAzureRmConnectionInput,
  readWorkspaceInputs,
  taskLibEnvironment,
  type WorkspaceInputs,
} from '@azureml-mlops/shared';

import { baseImageProblem, buildTag, repositoryProblem, TAG_PATTERN } from './imageNames';
import { parseRegistryReference, type RegistryReference } from './registry/reference';

/** Input names, as task.json declares them (messages and tests use these). */
export const INPUTS = {
  connection: 'azureSubscription',
  resourceGroup: 'resourceGroup',
  workspace: 'workspace',
  imageSource: 'imageSource',
  dockerfile: 'dockerfile',
  buildContext: 'buildContext',
  baseImage: 'baseImage',
  condaFile: 'condaFile',
  scoringCode: 'scoringCode',
  scoringScript: 'scoringScript',
  model: 'model',
  includeModel: 'includeModel',
  containerRegistry: 'containerRegistry',
  repository: 'repository',
  imageTags: 'imageTags',
  platform: 'platform',
  buildArguments: 'buildArguments',
  noCache: 'noCache',
  environmentName: 'environmentName',
  environmentVersion: 'environmentVersion',
  description: 'description',
  inferencePort: 'inferencePort',
  livenessRoute: 'livenessRoute',
  readinessRoute: 'readinessRoute',
  scoringRoute: 'scoringRoute',
  timeoutMinutes: 'timeoutMinutes',
  streamLogs: 'streamLogs',
  cancelOnPipelineCancel: 'cancelOnPipelineCancel',
} as const;

/** Azure ML's curated base image with conda, the one the diabetes sample trains on. */
export const DEFAULT_BASE_IMAGE = 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest';
export const DEFAULT_SCORING_SCRIPT = 'score.py';
/** The Azure ML inference server's port and routes (`/` is its liveness probe, which the 2022-10-01 API's route pattern refuses). */
export const DEFAULT_INFERENCE = { port: 5001, liveness: '/swagger.json', readiness: '/swagger.json', scoring: '/score' } as const;
export const DEFAULT_TIMEOUT_MINUTES = 60;
/** ACR's bounds on a run's timeout: 5 minutes to 8 hours. */
export const MIN_TIMEOUT_MINUTES = 5;
export const MAX_TIMEOUT_MINUTES = 480;
export const PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] as const;
export type PlatformName = (typeof PLATFORMS)[number];
/** Extra tags a user may add (each image also gets the model and build tags). */
export const MAX_EXTRA_TAGS = 20;

/** The user's Dockerfile and build context. */
export interface DockerfileSource {
  readonly kind: 'dockerfile';
  /** Absolute paths. */
  readonly dockerfile: string;
  readonly contextFolder: string;
  /** As messages show them: relative to the sources folder when inside it. */
  readonly dockerfileDisplay: string;
  readonly contextDisplay: string;
}

/** A Dockerfile the task writes: base image + conda environment + scoring code (+ the model). */
export interface GeneratedSource {
  readonly kind: 'generate';
  readonly baseImage: string;
  /** Absolute path, or undefined when the base image has everything. */
  readonly condaFile: string | undefined;
  readonly condaFileDisplay: string | undefined;
  readonly scoringCode: string;
  readonly scoringCodeDisplay: string;
  /** Relative to scoringCode, '/'-separated. */
  readonly scoringScript: string;
  readonly includeModel: boolean;
}

export type ImageSource = DockerfileSource | GeneratedSource;

export interface InferenceRoutes {
  readonly port: number;
  readonly liveness: string;
  readonly readiness: string;
  readonly scoring: string;
}

export interface BuildImageParameters {
  readonly connection: AzureRmConnection;
  readonly workspace: WorkspaceInputs;
  readonly source: ImageSource;
  readonly model: ModelReference | undefined;
  /** Undefined: the workspace's registry. */
  readonly registry: RegistryReference | undefined;
  readonly repository: string;
  /** The user's extra tags (validated, without duplicates). */
  readonly extraTags: readonly string[];
  /** `build-<Build.BuildId>`; undefined outside a pipeline run. */
  readonly buildTag: string | undefined;
  readonly platform: { readonly name: PlatformName; readonly os: 'Linux'; readonly architecture: string; readonly variant?: string };
  readonly buildArguments: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly noCache: boolean;
  readonly environment: {
    readonly name: string;
    /** Undefined: the version already pointing at the image, else the next number. */
    readonly version: string | undefined;
    readonly description: string | undefined;
    readonly inference: InferenceRoutes;
  };
  readonly timeoutMinutes: number;
  readonly streamLogs: boolean;
  readonly cancelOnPipelineCancel: boolean;
  readonly lineageTags: Readonly<Record<string, string>>;
  /** Agent.TempDirectory: where the build context archive (and model files) are prepared. */
  readonly tempDirectory: string;
}

/** Azure ML asset names (environments): letters, digits, '.', '-' and '_', starting with a letter, digit or '_'. */
export const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
export const ENVIRONMENT_VERSION_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,49}$/;
/** Build argument names, as Docker's ARG takes them. */
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A route path the 2022-10-01 API accepts: absolute, with at least one letter, digit or '_' (its pattern). */
const ROUTE_PATH = /^\/[A-Za-z0-9_.~!$&'()*+,;=:@%/-]*$/;

export function readParameters(env: AgentEnvironment = taskLibEnvironment): BuildImageParameters {
  const inputs = new InputReader(env);
  const connection = readAzureRmConnectionInput(INPUTS.connection, env);
  const workspace = readWorkspaceInputs(inputs, connection, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace });
  const repository = readRepository(inputs);
  const source = readSource(inputs, env);
  const model = readModel(inputs, source);
  const buildId = env.getVariable('Build.BuildId');
  return {
    connection,
    workspace,
    source,
    model,
    registry: readRegistry(inputs),
    repository,
    extraTags: readExtraTags(inputs),
    buildTag: buildId ? buildTag(buildId) : undefined,
    platform: readPlatform(inputs),
    buildArguments: readBuildArguments(inputs),
    noCache: inputs.boolean(INPUTS.noCache, false),
    environment: {
      name: readEnvironmentName(inputs, repository),
      version: readEnvironmentVersion(inputs),
      description: inputs.optionalString(INPUTS.description),
      inference: readInference(inputs),
    },
    timeoutMinutes: inputs.integer(INPUTS.timeoutMinutes, DEFAULT_TIMEOUT_MINUTES, { min: MIN_TIMEOUT_MINUTES, max: MAX_TIMEOUT_MINUTES }),
    streamLogs: inputs.boolean(INPUTS.streamLogs, true),
    cancelOnPipelineCancel: inputs.boolean(INPUTS.cancelOnPipelineCancel, true),
    lineageTags: lineageTags(env),
    tempDirectory: env.getVariable('Agent.TempDirectory') ?? path.join(process.cwd(), '.azureml-build-image'),
  };
}

function readRepository(inputs: InputReader): string {
  const repository = inputs.requiredString(INPUTS.repository, { fix: `Set '${INPUTS.repository}' to the image's repository in the registry, e.g. diabetes-scoring` });
  const problem = repositoryProblem(repository);
  if (problem) {
    throw new InputError(INPUTS.repository, problem, "Use lower-case letters and digits, separated by '.', '_', '-' or '/' (e.g. diabetes-scoring or models/diabetes); the tag is set by the task and 'imageTags'");
  }
  return repository;
}

function readSource(inputs: InputReader, env: AgentEnvironment): ImageSource {
  const choice = inputs.enumValue(INPUTS.imageSource, ['auto', 'dockerfile', 'generate'] as const, 'auto');
  const dockerfileSet = inputs.path(INPUTS.dockerfile, { mustExist: false }) !== undefined;
  const contextSet = inputs.optionalString(INPUTS.buildContext) !== undefined;
  const generateInputs: string[] = [];
  if (inputs.optionalString(INPUTS.scoringCode) !== undefined) generateInputs.push(INPUTS.scoringCode);
  if (inputs.path(INPUTS.condaFile, { mustExist: false }) !== undefined) generateInputs.push(INPUTS.condaFile);
  if (inputs.optionalString(INPUTS.baseImage) !== undefined) generateInputs.push(INPUTS.baseImage);

  let kind: 'dockerfile' | 'generate';
  if (choice === 'auto') {
    if (dockerfileSet && generateInputs.length > 0) {
      throw new InputError(
        INPUTS.dockerfile,
        `both a Dockerfile and inputs of a generated one ('${generateInputs.join("', '")}') are set`,
        `Keep '${INPUTS.dockerfile}' to build your Dockerfile, or remove it to let the task write one from '${INPUTS.baseImage}', '${INPUTS.condaFile}' and '${INPUTS.scoringCode}'`,
      );
    }
    if (!dockerfileSet && generateInputs.length === 0) {
      throw new InputError(
        INPUTS.scoringCode,
        'a value is required: nothing to build from',
        `Set '${INPUTS.scoringCode}' (and '${INPUTS.condaFile}') to let the task write the Dockerfile, or '${INPUTS.dockerfile}' to build your own`,
      );
    }
    kind = dockerfileSet ? 'dockerfile' : 'generate';
  } else {
    kind = choice;
    const misplaced = kind === 'dockerfile' ? generateInputs : [...(dockerfileSet ? [INPUTS.dockerfile] : []), ...(contextSet ? [INPUTS.buildContext] : [])];
    if (misplaced.length > 0) {
      throw new InputError(
        misplaced[0]!,
        `applies only when '${INPUTS.imageSource}' is ${kind === 'dockerfile' ? 'generate' : 'dockerfile'}, but it is ${kind}`,
        `Remove '${misplaced[0]}', or set '${INPUTS.imageSource}' to ${kind === 'dockerfile' ? 'generate' : 'dockerfile'} (or auto)`,
      );
    }
  }
  if (kind === 'dockerfile' && inputs.optionalString(INPUTS.scoringScript) !== undefined) {
    throw new InputError(INPUTS.scoringScript, 'applies only to a Dockerfile the task writes', 'Remove it: your Dockerfile decides how the image starts');
  }
  return kind === 'dockerfile' ? readDockerfileSource(inputs, env) : readGeneratedSource(inputs, env);
}

function readDockerfileSource(inputs: InputReader, env: AgentEnvironment): DockerfileSource {
  const dockerfile = inputs.path(INPUTS.dockerfile, { required: true, kind: 'file', fix: 'Set it to your Dockerfile, e.g. docker/Dockerfile' });
  if (fs.statSync(dockerfile).size === 0) throw new InputError(INPUTS.dockerfile, `'${display(dockerfile, env)}' is empty`, 'Give the Dockerfile of the scoring image');
  const contextFolder = readContextFolder(inputs, env) ?? path.dirname(dockerfile);
  return {
    kind: 'dockerfile',
    dockerfile,
    contextFolder,
    dockerfileDisplay: display(dockerfile, env),
    contextDisplay: display(contextFolder, env),
  };
}

/**
 * The build context folder. A string input, not a filePath one: the agent fills an empty filePath input with the
 * sources folder, and `.` (the repository root, the most common context) could not be told from "not set".
 */
function readContextFolder(inputs: InputReader, env: AgentEnvironment): string | undefined {
  return readFolder(inputs, env, INPUTS.buildContext, {
    example: '. or docker',
    fileFix: 'Give the folder to send to the build (the Dockerfile goes in dockerfile)',
  });
}

/**
 * A folder given by a string input, relative to System.DefaultWorkingDirectory (`.` is that folder itself); undefined
 * when the input is empty. String inputs, because the agent turns an empty filePath input into the sources folder.
 */
function readFolder(inputs: InputReader, env: AgentEnvironment, name: string, hints: { readonly example: string; readonly fileFix: string }): string | undefined {
  const raw = inputs.optionalString(name);
  if (raw === undefined) return undefined;
  const root = env.getVariable('System.DefaultWorkingDirectory') ?? process.cwd();
  const folder = path.resolve(root, raw);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new InputError(name, `'${raw}' does not exist (looked for ${folder})`, `Give a folder relative to $(System.DefaultWorkingDirectory) (${root}), e.g. ${hints.example}`);
  }
  if (!stat.isDirectory()) throw new InputError(name, `'${raw}' is a file, but a folder is expected`, hints.fileFix);
  return folder;
}

function readGeneratedSource(inputs: InputReader, env: AgentEnvironment): GeneratedSource {
  const baseImage = inputs.optionalString(INPUTS.baseImage) ?? DEFAULT_BASE_IMAGE;
  const baseProblem = baseImageProblem(baseImage);
  if (baseProblem) throw new InputError(INPUTS.baseImage, baseProblem, `Give an image reference such as ${DEFAULT_BASE_IMAGE}`);
  const condaFile = inputs.path(INPUTS.condaFile, { kind: 'file' });
  const scoringCode = readFolder(inputs, env, INPUTS.scoringCode, {
    example: 'samples/diabetes/score, or . for the repository root',
    fileFix: `Give the folder of the scoring script; the script itself goes in '${INPUTS.scoringScript}'`,
  });
  if (scoringCode === undefined) {
    throw new InputError(INPUTS.scoringCode, 'a value is required', 'Set it to the folder of the scoring script (score.py with init() and run()), e.g. samples/diabetes/score');
  }
  const scriptInput = inputs.optionalString(INPUTS.scoringScript) ?? DEFAULT_SCORING_SCRIPT;
  const scoringScript = scriptInput.replace(/\\/g, '/').replace(/^\.\//, '');
  if (path.isAbsolute(scriptInput) || scoringScript.split('/').includes('..')) {
    throw new InputError(INPUTS.scoringScript, `'${scriptInput}' is not a path inside '${INPUTS.scoringCode}'`, 'Give the script relative to the scoring code folder, e.g. score.py');
  }
  const scriptPath = path.join(scoringCode, ...scoringScript.split('/'));
  if (!fs.existsSync(scriptPath) || !fs.statSync(scriptPath).isFile()) {
    throw new InputError(
      INPUTS.scoringScript,
      `'${scoringScript}' does not exist in '${display(scoringCode, env)}' (looked for ${scriptPath})`,
      `Give the scoring script's path relative to '${INPUTS.scoringCode}'`,
    );
  }
  if (!scoringScript.endsWith('.py')) throw new InputError(INPUTS.scoringScript, `'${scoringScript}' is not a Python file`, 'The Azure ML inference server runs a Python entry script with init() and run()');
  return {
    kind: 'generate',
    baseImage,
    condaFile,
    condaFileDisplay: condaFile === undefined ? undefined : display(condaFile, env),
    scoringCode,
    scoringCodeDisplay: display(scoringCode, env),
    scoringScript,
    includeModel: inputs.boolean(INPUTS.includeModel, false),
  };
}

function readModel(inputs: InputReader, source: ImageSource): ModelReference | undefined {
  const text = inputs.optionalString(INPUTS.model);
  const includeModel = inputs.boolean(INPUTS.includeModel, false);
  if (includeModel && source.kind !== 'generate') {
    throw new InputError(INPUTS.includeModel, 'applies only to a generated Dockerfile: your Dockerfile copies what it needs', `Set '${INPUTS.includeModel}' to false, or let the task write the Dockerfile`);
  }
  if (text === undefined) {
    if (includeModel) {
      throw new InputError(INPUTS.model, `a value is required when '${INPUTS.includeModel}' is true`, 'Set it to the model to put in the image, e.g. $(register.ModelReference) or diabetes-ridge:3');
    }
    return undefined;
  }
  if (/^\$[([]/.test(text)) {
    throw new InputError(INPUTS.model, `is '${text}': that pipeline variable is not set`, 'Give the AzureMLRegisterModel@1 step the name the variable uses (name: register for $(register.ModelReference))');
  }
  const reference = parseModelReference(text);
  if (!reference) {
    throw new InputError(INPUTS.model, `'${text}' is not a model reference`, 'Use name:version (or azureml:name:version), name@latest, or the ARM id of a model version');
  }
  return reference;
}

function readRegistry(inputs: InputReader): RegistryReference | undefined {
  const text = inputs.optionalString(INPUTS.containerRegistry);
  if (text === undefined) return undefined;
  const reference = parseRegistryReference(text);
  if (typeof reference === 'string') {
    throw new InputError(INPUTS.containerRegistry, reference, "Give the registry's name (e.g. mlopsregistry), login server or ARM id, or leave it empty to use the workspace's registry");
  }
  return reference;
}

function readExtraTags(inputs: InputReader): string[] {
  const tags: string[] = [];
  for (const line of inputs.lines(INPUTS.imageTags)) {
    if (line.startsWith('#')) continue;
    for (const tag of line.split(',').map((t) => t.trim()).filter((t) => t !== '')) {
      if (tag.includes(':') || tag.includes('/')) {
        throw new InputError(INPUTS.imageTags, `'${tag}' is an image name, not a tag`, `Give tags only (e.g. latest, v1.2); the repository is '${INPUTS.repository}'`);
      }
      if (!TAG_PATTERN.test(tag)) {
        throw new InputError(INPUTS.imageTags, `'${tag}' is not a valid tag`, "Use up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
      }
      if (!tags.includes(tag)) tags.push(tag);
    }
  }
  if (tags.length > MAX_EXTRA_TAGS) throw new InputError(INPUTS.imageTags, `names ${tags.length} tags`, `Keep at most ${MAX_EXTRA_TAGS}`);
  return tags;
}

function readPlatform(inputs: InputReader): BuildImageParameters['platform'] {
  const name = inputs.enumValue(INPUTS.platform, PLATFORMS, 'linux/amd64');
  const [, architecture, variant] = name.split('/') as [string, string, string | undefined];
  return { name, os: 'Linux', architecture, ...(variant ? { variant } : {}) };
}

function readBuildArguments(inputs: InputReader): Array<{ name: string; value: string }> {
  return inputs.keyValuePairs(INPUTS.buildArguments).map((entry) => {
    if (!BUILD_ARG_NAME.test(entry.key)) {
      throw new InputError(INPUTS.buildArguments, `line ${entry.line}: '${entry.key}' is not a valid build argument name`, 'Use letters, digits and _, not starting with a digit (as ARG in the Dockerfile)');
    }
    return { name: entry.key, value: entry.value };
  });
}

function readEnvironmentName(inputs: InputReader, repository: string): string {
  const given = inputs.optionalString(INPUTS.environmentName);
  const name = given ?? repository.replace(/\//g, '-');
  if (!ENVIRONMENT_NAME_PATTERN.test(name)) {
    throw new InputError(INPUTS.environmentName, `'${name}' is not a valid Azure ML environment name`, "Use up to 255 letters, digits, '.', '-' and '_', starting with a letter, digit or '_'");
  }
  return name;
}

function readEnvironmentVersion(inputs: InputReader): string | undefined {
  const version = inputs.optionalString(INPUTS.environmentVersion);
  if (version === undefined) return undefined;
  if (!ENVIRONMENT_VERSION_PATTERN.test(version) || version.toLowerCase() === 'latest') {
    throw new InputError(
      INPUTS.environmentVersion,
      `'${version}' is not a valid environment version`,
      "Use up to 50 letters, digits, '.', '-' and '_' (not 'latest'), or leave it empty: the version already pointing at the image, else the next number",
    );
  }
  return version;
}

function readInference(inputs: InputReader): InferenceRoutes {
  const route = (name: string, fallback: string): string => {
    const value = inputs.optionalString(name) ?? fallback;
    if (!ROUTE_PATH.test(value) || !/[A-Za-z0-9_]/.test(value)) {
      throw new InputError(name, `'${value}' is not a route path Azure ML accepts`, 'Give an absolute URL path with at least one letter or digit, e.g. /score or /health');
    }
    return value;
  };
  return {
    port: inputs.integer(INPUTS.inferencePort, DEFAULT_INFERENCE.port, { min: 1, max: 65535 }),
    liveness: route(INPUTS.livenessRoute, DEFAULT_INFERENCE.liveness),
    readiness: route(INPUTS.readinessRoute, DEFAULT_INFERENCE.readiness),
    scoring: route(INPUTS.scoringRoute, DEFAULT_INFERENCE.scoring),
  };
}

/** `samples/diabetes/score` for a path inside the sources folder; the absolute path otherwise. */
export function display(file: string, env: AgentEnvironment): string {
  const root = env.getVariable('System.DefaultWorkingDirectory') ?? env.getVariable('Build.SourcesDirectory');
  if (!root) return file;
  const relative = path.relative(root, file);
  if (relative === '') return '.';
  return !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}
