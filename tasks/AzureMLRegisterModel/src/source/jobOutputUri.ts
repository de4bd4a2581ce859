/**
 * `azureml://jobs/<job>/outputs/<output>/paths/<path>`: how Azure ML (and `az ml model create --path`) names a file or
 * folder inside a job's output. The service resolves it to the output's storage and records the job on the model.
 */

/** Job names: letters, digits, '-' and '_' (what the service accepts), up to 255 characters. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
/** Output names are identifiers in the job YAML (`${{outputs.model}}`). */
export const OUTPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
/** The job's own artifact folder (what MLflow logs to `outputs/`), not a named output. */
export const ARTIFACTS_OUTPUT = 'artifacts';

export interface JobOutputLocation {
  readonly jobName: string;
  readonly outputName: string;
  /** '/'-separated path inside the output, without leading or trailing '/'; '' for the whole output. */
  readonly subPath: string;
}

const JOB_OUTPUT_URI = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)(?:\/paths(?:\/(.*))?)?$/i;

/** True for text that starts like a job output URI (even a malformed one). */
export function looksLikeJobOutputUri(text: string): boolean {
  return /^azureml:\/\/jobs\//i.test(text.trim());
}

/**
 * The location a job output URI names; a string saying what is wrong when it is not one (job or output name invalid,
 * `..` in the path...).
 */
export function parseJobOutputUri(text: string): JobOutputLocation | string {
  const match = JOB_OUTPUT_URI.exec(text.trim());
  if (!match) return 'is not of the form azureml://jobs/<job>/outputs/<output>/paths/<path>';
  const [, jobName, outputName, rawPath] = match as unknown as [string, string, string, string | undefined];
  if (!JOB_NAME_PATTERN.test(jobName)) return `names the job '${jobName}', which is not a valid job name`;
  if (!OUTPUT_NAME_PATTERN.test(outputName)) return `names the output '${outputName}', which is not a valid output name`;
  const subPath = normalizeSubPath(rawPath ?? '');
  if (typeof subPath !== 'string') return subPath.problem;
  return { jobName, outputName, subPath };
}

/**
 * A path inside an output: '/'-separated (a '\' is taken for '/'), without './', leading or trailing '/'. `..` and
 * empty segments are refused: the path must stay inside the output.
 */
export function normalizeSubPath(text: string): string | { readonly problem: string } {
  const segments = text.trim().replace(/\\/g, '/').split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) return { problem: `'${text}' goes up a folder ('..'): the path must stay inside the output` };
  if (segments.some((segment) => /[\u0000-\u001f]/.test(segment))) return { problem: `'${text}' contains a control character` };
  return segments.join('/');
}

/** The canonical URI of a location: `.../paths/` for the whole output, `.../paths/<path>` for a part of it. */
export function formatJobOutputUri(location: JobOutputLocation): string {
  return `azureml://jobs/${location.jobName}/outputs/${location.outputName}/paths/${location.subPath}`;
}

/** A datastore URI (`azureml://datastores/<ds>/paths/<p>`, or the long form with subscription and workspace). */
export interface DatastoreLocation {
  readonly datastore: string;
  /** Path in the datastore's container, without leading or trailing '/'. */
  readonly path: string;
}

const DATASTORE_URI = /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/(?:providers\/Microsoft\.MachineLearningServices\/)?workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.*)$/i;

/** The datastore and path of a datastore URI; undefined for any other URI. */
export function parseDatastoreUri(uri: string): DatastoreLocation | undefined {
  const match = DATASTORE_URI.exec(uri.trim());
  if (!match) return undefined;
  return { datastore: match[1]!, path: match[2]!.replace(/^\/+|\/+$/g, '') };
}
