import * as tl from 'azure-pipelines-task-lib/task';

/**
 * Secrets this task registered with the agent. The agent masks them in the log; we also keep them to refuse
 * writing them anywhere the agent does not mask (output variables, summaries, files).
 */
const registered = new Set<string>();

/** Values shorter than this are not searched for inside other text (masking 'a' everywhere helps nobody). */
const MIN_SEARCHABLE_LENGTH = 4;

/** Registers a secret with the agent (`##vso[task.setsecret]`) so it is masked in every later log line. */
export function registerSecret(value: string | undefined | null): void {
  if (!value) return;
  if (registered.has(value)) return;
  registered.add(value);
  // The agent masks line by line and refuses multi-line secrets: a PEM is registered one line at a time.
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n/)) {
      if (line.trim().length >= MIN_SEARCHABLE_LENGTH && !isPemArmorLine(line)) registerSecret(line.trim());
    }
    return;
  }
  tl.setSecret(value);
}

/**
 * Registers a URL that carries credentials in its query (a SAS URL): the whole URL, its query string and the
 * signature, so neither the full URL nor a copy that was re-encoded or truncated at '?' leaks.
 */
export function registerSasUrl(url: string): void {
  registerSecret(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.search.length > 1) registerSecret(parsed.search.slice(1));
  const signature = parsed.searchParams.get('sig');
  if (signature) {
    registerSecret(signature);
    registerSecret(encodeURIComponent(signature));
  }
}

/** True when `text` contains a secret this task registered. */
export function containsRegisteredSecret(text: string): boolean {
  for (const secret of registered) {
    if (secret.length >= MIN_SEARCHABLE_LENGTH && text.includes(secret)) return true;
  }
  return false;
}

/** `text` with every registered secret replaced by `***` (for messages built from service answers). */
export function redactSecrets(text: string): string {
  let result = text;
  // Longest first, so a secret that contains another is replaced whole.
  const secrets = [...registered].filter((s) => s.length >= MIN_SEARCHABLE_LENGTH).sort((a, b) => b.length - a.length);
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}

/** A URL safe to show: scheme, host and path, without the query (which may hold a SAS) or user info. */
export function urlWithoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    const index = url.indexOf('?');
    return index >= 0 ? url.slice(0, index) : url;
  }
}

function isPemArmorLine(line: string): boolean {
  return /^-----(BEGIN|END) /.test(line.trim());
}
