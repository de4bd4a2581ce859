/**
 * Content hashes for anonymous assets, computed the way azure-ai-ml computes them, so that a re-run with
 * the same content reuses the environment and component versions registered by the previous run.
 */
import { createHash } from 'node:crypto';

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * Version of an anonymous environment built from an image (azure-ai-ml Environment._generate_anonymous_name_version):
 * md5 of the image; when there is a conda file, Python's `md5(image).join(md5(conda))` (the conda hash's
 * characters joined by the image hash); then md5 of that.
 */
export function anonymousEnvironmentVersion(image: string, condaFile: string | undefined): string {
  let hash = md5Hex(image);
  if (condaFile !== undefined) hash = Array.from(md5Hex(condaFile)).join(hash);
  return md5Hex(hash);
}

/** azure-ai-ml hash_dict: md5 of json.dumps(value, sort_keys=True), shown as a UUID. */
export function hashAsUuid(value: unknown): string {
  const hex = md5Hex(pythonJsonDumps(value));
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Python's json.dumps(value, sort_keys=True): ", " and ": " separators, non-ASCII escaped. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(item)}`).join(', ')}}`;
}
