/** Checks the `${{inputs.x}}` / `${{outputs.y}}` placeholders of a command against the declared inputs and outputs. */
import type { YamlValue } from '@azureml-mlops/shared';
import type { PlanContext } from './context';

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_]+)\.([A-Za-z0-9_.-]+)\s*\}\}/g;
/** Optional parts of a command: `[--alpha ${{inputs.alpha}}]` is dropped when the input is not given. */
const OPTIONAL_PART = /\[[^\[\]]*\$\{\{\s*inputs\.([A-Za-z0-9_.-]+)\s*\}\}[^\[\]]*\]/g;
/** `{inputs.x}` with single braces, an old syntax azure-ai-ml rewrites (with a warning). */
const SINGLE_BRACES = /(?<![{$])\{(inputs|outputs)\.([A-Za-z0-9_.-]+)\}(?!\})/g;

export function checkCommand(
  value: YamlValue,
  command: string,
  inputs: ReadonlySet<string>,
  outputs: ReadonlySet<string>,
  context: PlanContext,
): string {
  let result = command;
  if (new RegExp(SINGLE_BRACES.source).test(result)) {
    result = result.replace(SINGLE_BRACES, (_match, kind: string, name: string) => `\${{${kind}.${name}}}`);
    context.warn(`${value.pathText}${lineSuffix(value)} uses {inputs.x}-style placeholders; they were read as \${{inputs.x}}. Write \${{inputs.x}} to silence this warning.`);
  }
  const optional = new Set<string>();
  for (const match of result.matchAll(OPTIONAL_PART)) optional.add(match[1]!);
  for (const match of result.matchAll(PLACEHOLDER)) {
    const [expression, kind, name] = match as unknown as [string, string, string];
    if (kind === 'inputs') {
      if (!inputs.has(name) && !optional.has(name)) {
        value.fail(
          `uses ${expression}, but there is no input '${name}'`,
          inputs.size > 0 ? `Add it under inputs, or use one of: ${[...inputs].join(', ')}.` : `Add it under inputs, e.g. inputs: {${name}: ...}.`,
        );
      }
    } else if (kind === 'outputs') {
      if (!outputs.has(name)) {
        value.fail(
          `uses ${expression}, but there is no output '${name}'`,
          outputs.size > 0 ? `Add it under outputs, or use one of: ${[...outputs].join(', ')}.` : `Add it under outputs, e.g. outputs: {${name}: {type: uri_folder}}.`,
        );
      }
    } else if (kind === 'search_space') {
      value.fail(`uses ${expression}, which only exists in sweep jobs`, 'This task runs command and pipeline jobs; use ${{inputs.x}}.');
    } else if (kind === 'parent') {
      value.fail(`uses ${expression}; a command reads its own inputs`, 'Bind the step input to the parent (inputs: {x: ${{parent.inputs.x}}}) and use ${{inputs.x}} in the command.');
    }
  }
  return result;
}

function lineSuffix(value: YamlValue): string {
  const line = value.line();
  return line === undefined ? '' : ` (line ${line})`;
}
