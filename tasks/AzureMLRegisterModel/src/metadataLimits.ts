/**
 * Limits of a model version's tags and properties. Azure ML keeps its model registry readable through MLflow's model
 * registry API, whose limits are the strictest a key or value meets on the way (keys of 250 characters, values of
 * 5000): staying within them keeps every version readable by `az ml`, the studio and MLflow clients alike.
 */
export const MAX_KEY_LENGTH = 250;
export const MAX_VALUE_LENGTH = 5000;
export const MAX_DESCRIPTION_LENGTH = 5000;

/** Key prefixes the task writes itself (lineage): a user tag or property may not use them. */
export const RESERVED_KEY_PREFIXES = ['azure-pipelines.', 'azureml-mlops.'] as const;

/** Why a tag or property key/value cannot be stored, or undefined when it can. */
export function keyValueProblem(key: string, value: string): string | undefined {
  if (key.length > MAX_KEY_LENGTH) return `the key '${key.slice(0, 40)}...' is ${key.length} characters long, more than ${MAX_KEY_LENGTH}`;
  if (value.length > MAX_VALUE_LENGTH) return `the value of '${key}' is ${value.length} characters long, more than ${MAX_VALUE_LENGTH}`;
  // The list API filters versions by `key=value,key2` pairs: these characters in a key would make it unfindable.
  if (/[,=]/.test(key)) return `the key '${key}' contains '${/,/.test(key) ? ',' : '='}'`;
  return undefined;
}

/** The reserved prefix `key` starts with, if any. */
export function reservedPrefixOf(key: string): string | undefined {
  return RESERVED_KEY_PREFIXES.find((prefix) => key.toLowerCase().startsWith(prefix));
}
