import * as tl from 'azure-pipelines-task-lib/task';

import { containsRegisteredSecret } from './secrets';

export type OutputValue = string | number | boolean;

/**
 * Sets an output variable (`tl.setVariable(name, value, false, true)`). Only names the task declares in its
 * task.json `outputVariables` are accepted, so a typo cannot silently produce a variable no pipeline can read;
 * a value containing a registered secret is refused, because output variables are not secret.
 * These are programming errors, not user errors: they throw plain Errors.
 */
export function setOutput(name: string, value: OutputValue, declared: readonly string[]): void {
  if (!declared.includes(name)) {
    throw new Error(`Output variable '${name}' is not declared by this task (declared: ${declared.join(', ') || 'none'}).`);
  }
  const text = String(value);
  if (containsRegisteredSecret(text)) {
    throw new Error(`Output variable '${name}' was not set: its value contains a secret.`);
  }
  tl.setVariable(name, text, false, true);
}

/** A setter bound to the task's declared output names: `const setOutput = outputWriter(['jobName', 'status'])`. */
export function outputWriter<N extends string>(declared: readonly N[]): (name: N, value: OutputValue) => void {
  return (name, value) => setOutput(name, value, declared);
}
