import * as tl from 'azure-pipelines-task-lib/task';

import { containsRegisteredSecret } from './secrets';

export type OutputValue = string | number | boolean;

export interface OutputWriterOptions<P extends string = never> {
  /**
   * Prefixes of output names made at run time (e.g. `Metric_` for `Metric_<metric name>`), which task.json cannot
   * list one by one: a name is accepted when it is a declared prefix followed by letters, digits and underscores.
   * Document them in the description of a declared output (task.json).
   */
  readonly dynamicPrefixes?: readonly P[];
}

/** The name after a dynamic prefix: what the agent accepts in a variable name without surprises. */
const DYNAMIC_SUFFIX = /^[A-Za-z0-9_]+$/;

/**
 * Sets an output variable (`tl.setVariable(name, value, false, true)`). Only names the task declares in its
 * task.json `outputVariables`, or a declared dynamic prefix followed by [A-Za-z0-9_]+, are accepted, so a typo cannot
 * silently produce a variable no pipeline can read; a value containing a registered secret is refused, because
 * output variables are not secret. These are programming errors, not user errors: they throw plain Errors.
 */
export function setOutput(name: string, value: OutputValue, declared: readonly string[], dynamicPrefixes: readonly string[] = []): void {
  const dynamic = dynamicPrefixes.some((prefix) => name.startsWith(prefix) && DYNAMIC_SUFFIX.test(name.slice(prefix.length)));
  if (!declared.includes(name) && !dynamic) {
    const prefixes = dynamicPrefixes.length > 0 ? `; dynamic prefixes: ${dynamicPrefixes.join(', ')}` : '';
    throw new Error(`Output variable '${name}' is not declared by this task (declared: ${declared.join(', ') || 'none'}${prefixes}).`);
  }
  const text = String(value);
  if (containsRegisteredSecret(text)) {
    throw new Error(`Output variable '${name}' was not set: its value contains a secret.`);
  }
  tl.setVariable(name, text, false, true);
}

/**
 * A setter bound to the task's declared output names: `const setOutput = outputWriter(['jobName', 'status'])`, or
 * with run-time names `outputWriter(['Metrics'], { dynamicPrefixes: ['Metric_'] })` (then `Metric_mse` is accepted).
 */
export function outputWriter<N extends string, P extends string = never>(
  declared: readonly N[],
  options: OutputWriterOptions<P> = {},
): (name: N | `${P}${string}`, value: OutputValue) => void {
  const prefixes: readonly string[] = options.dynamicPrefixes ?? [];
  return (name, value) => setOutput(name, value, declared, prefixes);
}
