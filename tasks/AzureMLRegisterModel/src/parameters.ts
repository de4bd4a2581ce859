/**
 * Every input of AzureMLRegisterModel@1, read and validated in one place. Problems are InputErrors naming the input;
 * nothing here touches the network, so a bad input fails the task before anything happens on the Azure side.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  type AgentEnvironment,
  artifactNameProblem,
  type AzureRmConnection,
  InputError,
  InputReader,
  lineageTags,
  MODEL_TYPES,
  type ModelType,
  readAzureRmConnectionInput,
  readWorkspaceInputs,
  taskLibEnvironment,
  type WorkspaceInputs,
} from '@azureml-mlops/shared';

import { keyValueProblem, MAX_DESCRIPTION_LENGTH, reservedPrefixOf } from './metadataLimits';
import { JOB_NAME_PATTERN, type JobOutputLocation, looksLikeJobOutputUri, normalizeSubPath, OUTPUT_NAME_PATTERN, parseJobOutputUri } from './source/jobOutputUri';

/** Input names, as task.json declares them (messages and tests use these). */
export const INPUTS = {
  connection: 'azureSubscription',
  resourceGroup: 'resourceGroup',
  workspace: 'workspace',
  modelSource: 'modelSource',
  jobName: 'jobName',
  outputName: 'outputName',
  modelPath: 'modelPath',
  localPath: 'localPath',
  modelName: 'modelName',
  modelType: 'modelType',
  version: 'version',
  description: 'description',
  tags: 'tags',
  properties: 'properties',
  metrics: 'metrics',
  artifactName: 'artifactName',
} as const;

/** The output a model is taken from when `outputName` is empty: the name the diabetes sample and most examples use. */
export const DEFAULT_OUTPUT_NAME = 'model';
export const DEFAULT_ARTIFACT_NAME = 'model';

/** A file or folder inside an output of a job. `inputs` says which inputs named each part, for error messages. */
export interface JobOutputSourceParameters extends JobOutputLocation {
  readonly kind: 'job';
  readonly inputs: { readonly jobName: string; readonly outputName: string; readonly subPath: string };
}

/** A file or folder on the agent. */
export interface LocalSourceParameters {
  readonly kind: 'local';
  /** Absolute path. */
  readonly localPath: string;
  /** As messages and lineage show it: relative to the sources folder when inside it ('/'-separated). */
  readonly displayPath: string;
  readonly isFolder: boolean;
}

export type SourceParameters = JobOutputSourceParameters | LocalSourceParameters;

export interface RegisterParameters {
  readonly connection: AzureRmConnection;
  readonly workspace: WorkspaceInputs;
  readonly source: SourceParameters;
  readonly modelName: string;
  readonly modelType: ModelType;
  /** Undefined: the next version number. */
  readonly version: string | undefined;
  readonly description: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly properties: Readonly<Record<string, string>>;
  /** Metric names to record; undefined: all of the job's. */
  readonly metrics: readonly string[] | undefined;
  readonly artifactName: string;
  /** Build, repository, commit... (shared lineageTags). */
  readonly lineageTags: Readonly<Record<string, string>>;
  /** Agent.TempDirectory: where model.json is written. */
  readonly tempDirectory: string;
}

/**
 * Model names as the model container's REST route accepts them (`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$`, API 2022-10-01):
 * no '.', although some older models have one.
 */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
/** Versions: letters, digits, '.', '-' and '_', starting with a letter or digit. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$/;

export function readParameters(env: AgentEnvironment = taskLibEnvironment): RegisterParameters {
  const inputs = new InputReader(env);
  const connection = readAzureRmConnectionInput(INPUTS.connection, env);
  const workspace = readWorkspaceInputs(inputs, connection, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace });

  const modelName = inputs.requiredString(INPUTS.modelName, { fix: `Set '${INPUTS.modelName}' to the name of the model in the workspace, e.g. diabetes-ridge` });
  if (!MODEL_NAME_PATTERN.test(modelName)) {
    throw new InputError(
      INPUTS.modelName,
      `'${modelName}' is not a valid model name`,
      "Use up to 255 letters, digits, '-' and '_', starting with a letter or digit (no spaces, dots or ':'; the version goes in 'version')",
    );
  }
  const modelType = inputs.enumValue(INPUTS.modelType, MODEL_TYPES, 'custom_model');
  const source = readSource(inputs, env);
  const version = readVersion(inputs);
  const description = inputs.optionalString(INPUTS.description);
  if (description !== undefined && description.length > MAX_DESCRIPTION_LENGTH) {
    throw new InputError(INPUTS.description, `is ${description.length} characters long`, `Keep it under ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  const artifactName = inputs.optionalString(INPUTS.artifactName) ?? DEFAULT_ARTIFACT_NAME;
  const artifactProblem = artifactNameProblem(artifactName);
  if (artifactProblem) throw new InputError(INPUTS.artifactName, artifactProblem, 'Use letters, digits, spaces, - and _ (e.g. model, model-diabetes)');

  return {
    connection,
    workspace,
    source,
    modelName,
    modelType,
    version,
    description,
    tags: readMetadata(inputs, INPUTS.tags, 'tag'),
    properties: readMetadata(inputs, INPUTS.properties, 'property'),
    metrics: readMetricNames(inputs, source),
    artifactName,
    lineageTags: lineageTags(env),
    tempDirectory: env.getVariable('Agent.TempDirectory') ?? path.join(process.cwd(), '.azureml-register-model'),
  };
}

function readSource(inputs: InputReader, env: AgentEnvironment): SourceParameters {
  const choice = inputs.enumValue(INPUTS.modelSource, ['auto', 'job', 'local'] as const, 'auto');
  const jobName = inputs.optionalString(INPUTS.jobName);
  const outputName = inputs.optionalString(INPUTS.outputName);
  const modelPath = inputs.optionalString(INPUTS.modelPath);
  const localPath = inputs.path(INPUTS.localPath, { mustExist: false });
  const jobInputSet: string[] = [];
  if (jobName !== undefined) jobInputSet.push(INPUTS.jobName);
  if (outputName !== undefined) jobInputSet.push(INPUTS.outputName);
  if (modelPath !== undefined) jobInputSet.push(INPUTS.modelPath);

  let kind: 'job' | 'local';
  if (choice === 'auto') {
    if (localPath !== undefined && jobInputSet.length > 0) {
      throw new InputError(
        INPUTS.localPath,
        `both a job output ('${jobInputSet.join("', '")}') and local files ('${INPUTS.localPath}') are set, but a model version has one source`,
        `Keep '${INPUTS.jobName}' (and '${INPUTS.outputName}', '${INPUTS.modelPath}') to register a job's output, or '${INPUTS.localPath}' to register files of the agent, not both`,
      );
    }
    if (localPath === undefined && jobInputSet.length === 0) {
      throw new InputError(
        INPUTS.jobName,
        'a value is required: no model source is set',
        `Set '${INPUTS.jobName}' to the job whose output holds the model (usually $(train.JobName) from AzureMLTrain@1), or '${INPUTS.localPath}' to a model file or folder on the agent`,
      );
    }
    kind = localPath !== undefined ? 'local' : 'job';
  } else {
    kind = choice;
    const misplaced = kind === 'job' ? (localPath !== undefined ? [INPUTS.localPath] : []) : jobInputSet;
    if (misplaced.length > 0) {
      throw new InputError(
        misplaced[0]!,
        `applies only when '${INPUTS.modelSource}' is ${kind === 'job' ? 'local' : 'job'}, but it is ${kind}`,
        `Remove '${misplaced[0]}', or set '${INPUTS.modelSource}' to ${kind === 'job' ? 'local' : 'job'} (or auto)`,
      );
    }
  }
  return kind === 'job' ? readJobSource(jobName, outputName, modelPath) : readLocalSource(inputs, env);
}

function readJobSource(jobName: string | undefined, outputName: string | undefined, modelPath: string | undefined): JobOutputSourceParameters {
  if (modelPath !== undefined && looksLikeJobOutputUri(modelPath)) {
    const location = parseJobOutputUri(modelPath);
    if (typeof location === 'string') {
      throw new InputError(INPUTS.modelPath, `'${modelPath}' ${location}`, 'Copy the URI from the job in Azure ML studio, or set jobName, outputName and a path inside the output instead');
    }
    if (jobName !== undefined && jobName !== location.jobName) {
      throw new InputError(INPUTS.modelPath, `names the job '${location.jobName}', but '${INPUTS.jobName}' is '${jobName}'`, `Remove '${INPUTS.jobName}' (the URI names the job), or make them agree`);
    }
    if (outputName !== undefined && outputName !== location.outputName) {
      throw new InputError(INPUTS.modelPath, `names the output '${location.outputName}', but '${INPUTS.outputName}' is '${outputName}'`, `Remove '${INPUTS.outputName}' (the URI names the output), or make them agree`);
    }
    return { kind: 'job', ...location, inputs: { jobName: INPUTS.modelPath, outputName: INPUTS.modelPath, subPath: INPUTS.modelPath } };
  }
  if (modelPath !== undefined && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(modelPath) && !/^[A-Za-z]:[\\/]/.test(modelPath)) {
    throw new InputError(
      INPUTS.modelPath,
      `'${modelPath}' is a URI, but only azureml://jobs/<job>/outputs/<output>/paths/<path> or a path inside the job's output is accepted`,
      `To register files of a datastore or the web, download them first and use '${INPUTS.localPath}'; to register a job's output, give its path inside the output (e.g. model.pkl)`,
    );
  }
  if (jobName === undefined) {
    throw new InputError(INPUTS.jobName, 'a value is required to register a job output', 'Set it to the job whose output holds the model, usually $(train.JobName) from AzureMLTrain@1');
  }
  if (/^\$[([]/.test(jobName)) {
    // The agent leaves a macro as written when the variable does not exist (e.g. the Train step has another name).
    throw new InputError(
      INPUTS.jobName,
      `is '${jobName}': that pipeline variable is not set`,
      "Give the AzureMLTrain@1 step the name the variable uses (name: train for $(train.JobName)), or in another job map it with $[ dependencies.<job>.outputs['train.JobName'] ]",
    );
  }
  if (!JOB_NAME_PATTERN.test(jobName)) {
    throw new InputError(INPUTS.jobName, `'${jobName}' is not a valid Azure ML job name`, 'Copy the job name from Azure ML studio (Jobs > the job > Name): letters, digits, - and _');
  }
  const output = outputName ?? DEFAULT_OUTPUT_NAME;
  if (!OUTPUT_NAME_PATTERN.test(output)) {
    throw new InputError(INPUTS.outputName, `'${output}' is not a valid output name`, 'Use the name of the output in the job YAML (outputs: <name>:), e.g. model');
  }
  const subPath = normalizeSubPath(modelPath ?? '');
  if (typeof subPath !== 'string') throw new InputError(INPUTS.modelPath, subPath.problem, 'Give a file or folder inside the output, e.g. model.pkl or mlflow-model');
  return { kind: 'job', jobName, outputName: output, subPath, inputs: { jobName: INPUTS.jobName, outputName: INPUTS.outputName, subPath: INPUTS.modelPath } };
}

function readLocalSource(inputs: InputReader, env: AgentEnvironment): LocalSourceParameters {
  const localPath = inputs.path(INPUTS.localPath, {
    required: true,
    fix: 'Set it to the model file or folder (relative to $(System.DefaultWorkingDirectory)), or register a job output with jobName',
  });
  const isFolder = fs.statSync(localPath).isDirectory();
  return { kind: 'local', localPath, displayPath: displayPath(localPath, env), isFolder };
}

function readVersion(inputs: InputReader): string | undefined {
  const version = inputs.optionalString(INPUTS.version);
  if (version === undefined) return undefined;
  if (!VERSION_PATTERN.test(version)) {
    throw new InputError(INPUTS.version, `'${version}' is not a valid model version`, "Use up to 50 letters, digits, '.', '-' and '_', starting with a letter or digit (e.g. 3 or 2024.06.1), or leave it empty for the next number");
  }
  if (version.toLowerCase() === 'latest') {
    throw new InputError(INPUTS.version, "'latest' is a label, not a version", 'Leave the version empty to register the next version number');
  }
  return version;
}

function readMetadata(inputs: InputReader, name: string, what: 'tag' | 'property'): Record<string, string> {
  const record: Record<string, string> = {};
  for (const entry of inputs.keyValuePairs(name)) {
    const reserved = reservedPrefixOf(entry.key);
    if (reserved) {
      throw new InputError(name, `line ${entry.line}: the ${what} '${entry.key}' starts with '${reserved}', which the task keeps for the lineage it records itself`, `Use another ${what} name`);
    }
    const problem = keyValueProblem(entry.key, entry.value);
    if (problem) throw new InputError(name, `line ${entry.line}: ${problem}`, `Shorten it (Azure ML ${what === 'tag' ? 'tags' : 'properties'}: keys up to 250 characters without ',', values up to 5000)`);
    record[entry.key] = entry.value;
  }
  return record;
}

function readMetricNames(inputs: InputReader, source: SourceParameters): string[] | undefined {
  const names = inputs.lines(INPUTS.metrics).filter((line) => !line.startsWith('#'));
  if (names.length === 0) return undefined;
  if (source.kind !== 'job') {
    throw new InputError(INPUTS.metrics, 'names metrics of a job, but the model is registered from local files, which have none', `Remove '${INPUTS.metrics}', or register the output of the job that logged them`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new InputError(INPUTS.metrics, `names the metric '${name}' twice`, 'Keep one line per metric');
    seen.add(name);
  }
  return names;
}

/** `models/diabetes` for a path inside the sources folder; the absolute path otherwise. */
function displayPath(file: string, env: AgentEnvironment): string {
  const root = env.getVariable('System.DefaultWorkingDirectory') ?? env.getVariable('Build.SourcesDirectory');
  if (!root) return file;
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}
