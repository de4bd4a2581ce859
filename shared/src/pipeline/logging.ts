import * as tl from 'azure-pipelines-task-lib/task';

/**
 * Log helpers. Azure Pipelines has one level of collapsible groups (`##[group]`/`##[endgroup]`); a group
 * opened inside another would close the outer one early, so nested groups are written as a `##[section]`
 * heading inside the group already open.
 */
let openGroups = 0;

/** Writes a line to the task log as is. */
export function info(message: string): void {
  console.log(message);
}

/** Debug line: shown only when System.Debug is true. */
export function debug(message: string): void {
  tl.debug(message);
}

/** Warning shown in the log and on the run summary. */
export function warning(message: string): void {
  tl.warning(message);
}

/** A highlighted heading in the log. */
export function section(title: string): void {
  console.log(`##[section]${oneLine(title)}`);
}

/** Opens a collapsible group; returns the function that closes it (idempotent). Prefer `group()`. */
export function startGroup(title: string): () => void {
  const nested = openGroups > 0;
  openGroups += 1;
  console.log(nested ? `##[section]${oneLine(title)}` : `##[group]${oneLine(title)}`);
  let closed = false;
  return () => {
    if (closed) return;
    closed = true;
    openGroups -= 1;
    if (!nested) console.log('##[endgroup]');
  };
}

/** Runs `body` inside a collapsible log group, closing the group whether `body` succeeds or throws. */
export async function group<T>(title: string, body: () => Promise<T> | T): Promise<T> {
  const end = startGroup(title);
  try {
    return await body();
  } finally {
    end();
  }
}

/** Number of groups currently open (for tests and for code that must not print inside a group). */
export function openGroupDepth(): number {
  return openGroups;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
