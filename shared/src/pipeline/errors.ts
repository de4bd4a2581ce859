/**
 * Errors a task raises on purpose. `runTaskMain` shows their message as is (one `##[error]` line, no stack):
 * the message must say what went wrong and what the user can do about it.
 */
export class TaskError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskError';
  }
}

/**
 * Bad task input. The message always has the same three parts so every task reads alike:
 * `Input '<name>': <problem>. <fix>`.
 */
export class InputError extends TaskError {
  constructor(
    readonly inputName: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`Input '${inputName}': ${sentence(problem)} ${sentence(fix)}`);
    this.name = 'InputError';
  }
}

/**
 * The pipeline was cancelled. Thrown (or used as the abort reason) so that `runTaskMain` reports the
 * task as Cancelled with this message, e.g. "Cancelled: Azure ML job 'x' was cancelled too."
 */
export class CancelledError extends TaskError {
  constructor(message = 'The task was cancelled.') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function isTaskError(error: unknown): error is TaskError {
  return error instanceof TaskError;
}

/** True for the AbortError the Azure SDK and fetch throw when their abort signal fires. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error instanceof CancelledError);
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
