import { EmulatorHttpError } from '../http/router';
import type { DockerBuildRequest } from './runs';

type Json = Record<string, unknown>;

/** Docker's reference grammar: lower-case path components separated by '/', an optional tag. */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const OS = ['Linux', 'Windows'];
const ARCHITECTURES = ['amd64', 'x86', '386', 'arm', 'arm64'];
const VARIANTS = ['v6', 'v7', 'v8'];
/** ACR's bounds on a run's timeout, in seconds. */
export const MIN_RUN_TIMEOUT = 300;
export const MAX_RUN_TIMEOUT = 28800;
const DEFAULT_RUN_TIMEOUT = 3600;

function invalid(message: string): EmulatorHttpError {
  return new EmulatorHttpError(400, 'InvalidParameter', message);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks an image name of a request (`repository[:tag]`); returns the problem or undefined. */
export function imageNameProblem(name: string): string | undefined {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const repository = colon > slash ? name.slice(0, colon) : name;
  const tag = colon > slash ? name.slice(colon + 1) : 'latest';
  if (!REPOSITORY.test(repository) || repository.length > 256) return `'${name}' is not a valid image name: the repository must be lower-case letters, digits and separators (. _ - /)`;
  if (!TAG.test(tag)) return `'${name}' is not a valid image name: a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`;
  return undefined;
}

/** The body of scheduleRun, checked as ACR checks it before queuing anything (400 otherwise). */
export function readDockerBuildRequest(body: unknown): DockerBuildRequest {
  if (!isObject(body)) throw invalid('The request body must be a run request object.');
  const type = body['type'];
  if (type !== 'DockerBuildRequest') {
    throw invalid(`The run request type '${String(type)}' is not supported by the Azure Container Registry emulator: only quick builds (DockerBuildRequest) run.`);
  }
  const dockerFilePath = body['dockerFilePath'];
  if (typeof dockerFilePath !== 'string' || dockerFilePath.trim() === '') throw invalid("The parameter 'dockerFilePath' is required.");
  const sourceLocation = body['sourceLocation'];
  if (typeof sourceLocation !== 'string' || sourceLocation.trim() === '') {
    throw invalid("The parameter 'sourceLocation' is required: the relativePath listBuildSourceUploadUrl returned, after uploading the context there.");
  }
  const platform = body['platform'];
  if (!isObject(platform) || typeof platform['os'] !== 'string') throw invalid("The parameter 'platform.os' is required.");
  const os = OS.find((o) => o.toLowerCase() === String(platform['os']).toLowerCase());
  if (!os) throw invalid(`The platform os '${String(platform['os'])}' is not supported. Supported values: ${OS.join(', ')}.`);
  const architecture = platform['architecture'] === undefined ? 'amd64' : String(platform['architecture']);
  if (!ARCHITECTURES.includes(architecture)) throw invalid(`The platform architecture '${architecture}' is not supported. Supported values: ${ARCHITECTURES.join(', ')}.`);
  const variant = platform['variant'] === undefined || platform['variant'] === null ? undefined : String(platform['variant']);
  if (variant !== undefined && !VARIANTS.includes(variant)) throw invalid(`The platform variant '${variant}' is not supported. Supported values: ${VARIANTS.join(', ')}.`);

  const imageNames = body['imageNames'] ?? [];
  if (!Array.isArray(imageNames) || imageNames.some((n) => typeof n !== 'string')) throw invalid("The parameter 'imageNames' must be a list of image names.");
  for (const name of imageNames as string[]) {
    const problem = imageNameProblem(name);
    if (problem) throw invalid(problem);
  }
  const isPushEnabled = body['isPushEnabled'] === undefined ? true : body['isPushEnabled'] === true;
  if (isPushEnabled && imageNames.length === 0) throw invalid("The parameter 'imageNames' must name at least one image when 'isPushEnabled' is true.");

  const timeout = body['timeout'] === undefined ? DEFAULT_RUN_TIMEOUT : body['timeout'];
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < MIN_RUN_TIMEOUT || timeout > MAX_RUN_TIMEOUT) {
    throw invalid(`The parameter 'timeout' must be a whole number of seconds from ${MIN_RUN_TIMEOUT} to ${MAX_RUN_TIMEOUT}.`);
  }
  const args = body['arguments'] ?? [];
  if (!Array.isArray(args) || args.some((a) => !isObject(a) || typeof a['name'] !== 'string' || typeof a['value'] !== 'string')) {
    throw invalid("The parameter 'arguments' must be a list of { name, value, isSecret }.");
  }
  const agent = body['agentConfiguration'];
  const cpu = isObject(agent) && typeof agent['cpu'] === 'number' ? agent['cpu'] : 2;
  return {
    imageNames: imageNames as string[],
    isPushEnabled,
    noCache: body['noCache'] === true,
    dockerFilePath,
    target: typeof body['target'] === 'string' && body['target'] !== '' ? body['target'] : undefined,
    arguments: (args as Json[]).map((a) => ({ name: String(a['name']), value: String(a['value']), isSecret: a['isSecret'] === true })),
    timeout,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
    sourceLocation,
    cpu,
  };
}

export interface ImportRequest {
  readonly resourceId: string | undefined;
  readonly registryUri: string | undefined;
  readonly sourceImage: string;
  readonly targetTags: readonly string[];
  readonly force: boolean;
}

/** The body of importImage (API 2025-11-01). */
export function readImportRequest(body: unknown): ImportRequest {
  if (!isObject(body) || !isObject(body['source'])) throw invalid("The parameter 'source' is required.");
  const source = body['source'];
  const sourceImage = source['sourceImage'];
  if (typeof sourceImage !== 'string' || sourceImage === '') throw invalid("The parameter 'source.sourceImage' is required.");
  const targetTags = body['targetTags'] ?? [];
  if (!Array.isArray(targetTags) || targetTags.some((t) => typeof t !== 'string')) throw invalid("The parameter 'targetTags' must be a list of 'repository:tag'.");
  for (const tag of targetTags as string[]) {
    const problem = imageNameProblem(tag);
    if (problem) throw invalid(problem);
  }
  const mode = body['mode'] ?? 'NoForce';
  if (mode !== 'NoForce' && mode !== 'Force') throw invalid(`The import mode '${String(mode)}' is not supported. Supported values: NoForce, Force.`);
  return {
    resourceId: typeof source['resourceId'] === 'string' ? source['resourceId'] : undefined,
    registryUri: typeof source['registryUri'] === 'string' ? source['registryUri'] : undefined,
    sourceImage,
    targetTags: targetTags as string[],
    force: mode === 'Force',
  };
}
