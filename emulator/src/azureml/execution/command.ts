import { JobFailure } from './storage';

const OPTIONAL_BLOCK = /\$\[\[([\s\S]*?)\]\]/g;
const REFERENCE = /\$\{\{\s*(inputs|outputs)\.([^\s}]+)\s*\}\}/g;

/**
 * Substitutes `${{inputs.<name>}}` (local path or literal value) and `${{outputs.<name>}}` (local folder) in a job's
 * command, as the service does before running it. An optional block `$[[...]]` is kept only when every input it
 * references was given. Values are inserted as they are, without shell quoting, like the service.
 */
export function renderCommand(command: string, inputs: Readonly<Record<string, string>>, outputs: Readonly<Record<string, string>>): string {
  const lookup = (kind: string, name: string): string | undefined => (kind === 'inputs' ? inputs[name] : outputs[name]);
  const withOptional = command.replace(OPTIONAL_BLOCK, (_block, inner: string) => {
    for (const m of inner.matchAll(REFERENCE)) if (lookup(m[1]!, m[2]!) === undefined) return '';
    return inner;
  });
  return withOptional.replace(REFERENCE, (_ref, kind: string, name: string) => {
    const value = lookup(kind, name);
    if (value === undefined) throw new JobFailure(`The command references \${{${kind}.${name}}}, which the job does not define.`);
    return value;
  });
}
