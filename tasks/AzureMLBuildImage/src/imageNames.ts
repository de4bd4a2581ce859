/**
 * Image names as Docker and ACR take them: repository names, tags (sanitised when the task makes them from a model
 * or a build id, validated when the user gives them) and the full references the task reports.
 */

/** Docker's repository grammar: lower-case components of letters and digits joined by `.`, `_`, `__` or `-`, separated by `/`. */
export const REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
export const MAX_REPOSITORY_LENGTH = 256;
/** Docker's tag grammar: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const MAX_TAG_LENGTH = 128;

/** The problem with a repository name, or undefined when Docker and ACR accept it. */
export function repositoryProblem(repository: string): string | undefined {
  if (repository.length > MAX_REPOSITORY_LENGTH) return `is ${repository.length} characters long; ACR accepts at most ${MAX_REPOSITORY_LENGTH}`;
  if (repository !== repository.toLowerCase() && REPOSITORY_PATTERN.test(repository.toLowerCase())) return `'${repository}' has upper-case letters; repository names are lower case`;
  if (!REPOSITORY_PATTERN.test(repository)) {
    return `'${repository}' is not a valid repository name`;
  }
  return undefined;
}

/**
 * A tag made from free text (a model name and version, a build id): characters Docker refuses become `-`, a leading
 * `.` or `-` is dropped, and the result is cut at 128 characters. Undefined when nothing usable is left.
 */
export function sanitizeTag(text: string): string | undefined {
  const replaced = text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '');
  const cut = replaced.slice(0, MAX_TAG_LENGTH).replace(/[.-]+$/, '');
  return cut === '' ? undefined : cut;
}

/** `<model name>-<model version>`, e.g. `diabetes-ridge-3`. */
export function modelTag(name: string, version: string): string | undefined {
  return sanitizeTag(`${name}-${version}`);
}

/** `build-<Build.BuildId>`, e.g. `build-5150`. */
export function buildTag(buildId: string): string | undefined {
  return sanitizeTag(`build-${buildId}`);
}

/** `<loginServer>/<repository>@sha256:...`: the image by digest, what the environment version points at. */
export function imageByDigest(loginServer: string, repository: string, digest: string): string {
  return `${loginServer}/${repository}@${digest}`;
}

/** `<loginServer>/<repository>:<tag>`. */
export function imageByTag(loginServer: string, repository: string, tag: string): string {
  return `${loginServer}/${repository}:${tag}`;
}

/** `sha256:<64 hex>`. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * A base image reference (`[registry[:port]/]repository[:tag][@sha256:digest]`), loosely checked: what a FROM line can
 * take without surprises. Returns the problem or undefined.
 */
export function baseImageProblem(image: string): string | undefined {
  if (/\s/.test(image)) return `'${image}' contains white space`;
  const match = /^(?:([A-Za-z0-9.-]+(?::\d+)?)\/)?([^:@]+)(?::([^@]+))?(?:@(.+))?$/.exec(image);
  if (!match) return `'${image}' is not an image reference`;
  const [, host, path, tag, digest] = match;
  // A first component without '.' or ':' (and not localhost) is part of the repository (docker.io/library/...).
  const repository = host !== undefined && !/[.:]/.test(host) && host !== 'localhost' ? `${host}/${path}` : path!;
  if (!REPOSITORY_PATTERN.test(repository)) return `'${image}' has an invalid repository '${repository}' (lower-case letters, digits and . _ - / only)`;
  if (tag !== undefined && !TAG_PATTERN.test(tag)) return `'${image}' has an invalid tag '${tag}'`;
  if (digest !== undefined && !DIGEST_PATTERN.test(digest)) return `'${image}' has an invalid digest '${digest}' (sha256: and 64 hexadecimal digits)`;
  return undefined;
}
