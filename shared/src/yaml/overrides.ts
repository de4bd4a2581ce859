/**
 * `az ml ... --set path=value` semantics for a multi-line task input: one `path=value` per line.
 *
 * As in azure-ai-ml (which applies `--set` with pydash `set_` before validating the spec):
 * - the path is dotted (`jobs.train.inputs.alpha`), list items are `[n]`, a literal dot in a key is `\.`;
 * - missing intermediate mappings are created; setting inside a value that is not a mapping (e.g. inside
 *   `environment: azureml:env:1`) is refused;
 * - the value is read as YAML, exactly as if it were written in the file at that place: `0.5` is a number,
 *   `true` a boolean, `{a: 1}` and `[1, 2]` collections, `'007'` text, and an empty value is null.
 * Values are validated with the rest of the spec afterwards; errors about them name the override line.
 */
import { isMap, isScalar, isSeq, type Node, Pair, parseDocument, Scalar, type YAMLMap, YAMLMap as YamlMapNode, type YAMLSeq } from 'yaml';
import { type YamlDocument, PYYAML_PARSE_OPTIONS } from './document';
import { OverridesSyntaxError } from './errors';
import { formatYamlPath, parseYamlPath, type PathSegment } from './path';

export interface OverrideLine {
  /** 1-based line of the input. */
  readonly line: number;
  readonly path: readonly PathSegment[];
  /** The value text after '=' (trimmed). */
  readonly valueText: string;
}

export interface AppliedOverride {
  readonly line: number;
  /** The path as text, e.g. `jobs.train.inputs.alpha`. */
  readonly path: string;
}

const FORM_FIX = 'Write one override per line as path=value, e.g. inputs.alpha=0.5 or compute=azureml:gpu-cluster.';

/** Splits the input into override lines; blank lines and lines starting with '#' are skipped. */
export function parseOverrides(input: string | readonly string[], inputName = 'overrides'): OverrideLine[] {
  const lines = typeof input === 'string' ? input.split(/\r?\n/) : input.flatMap((item) => item.split(/\r?\n/));
  const result: OverrideLine[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const equals = text.indexOf('=');
    if (equals === -1) throw new OverridesSyntaxError(inputName, line, `'${text}' is not of the form path=value`, FORM_FIX);
    const pathText = text.slice(0, equals).trim();
    if (pathText === '') throw new OverridesSyntaxError(inputName, line, `'${text}' has no field path before '='`, FORM_FIX);
    const path = parseYamlPath(pathText);
    if (!path) {
      throw new OverridesSyntaxError(
        inputName,
        line,
        `'${pathText}' is not a valid field path`,
        'Separate field names with dots and write list items as [0], e.g. jobs.train.inputs.alpha=0.5.',
      );
    }
    result.push({ line, path, valueText: text.slice(equals + 1).trim() });
  });
  return result;
}

/** Applies the overrides to the document, in order. Returns what was set (for the log). */
export function applyOverrides(
  document: YamlDocument,
  input: string | readonly string[],
  options: { inputName?: string } = {},
): AppliedOverride[] {
  const inputName = options.inputName ?? 'overrides';
  document.overridesInputName = inputName;
  const applied: AppliedOverride[] = [];
  for (const override of parseOverrides(input, inputName)) {
    const value = parseValue(override, inputName);
    document.markFromOverride(value, override.line);
    setAtPath(document, override, value, inputName);
    applied.push({ line: override.line, path: formatYamlPath(override.path) });
  }
  return applied;
}

function parseValue(override: OverrideLine, inputName: string): Node {
  const text = override.valueText;
  if (text === '') return new Scalar(null);
  const parsed = parseDocument(text, { ...PYYAML_PARSE_OPTIONS });
  const problem = parsed.errors[0] ?? parsed.warnings[0];
  if (problem) {
    const reason = problem.message.split(/ at line \d+/)[0]!.trim().replace(/\.$/, '');
    throw new OverridesSyntaxError(
      inputName,
      override.line,
      `the value '${text}' is not valid YAML (${reason})`,
      `If it is text, quote it: ${formatYamlPath(override.path)}='${text.replace(/'/g, "''")}'.`,
    );
  }
  const contents = parsed.contents as Node | null;
  // "echo a: b" or "- x" would read as a block mapping or list: on one line the user meant text.
  const isBlockCollection = (isMap(contents) || isSeq(contents)) && !(contents as YAMLMap | YAMLSeq).flow;
  if (contents === null || isBlockCollection) return new Scalar(contents === null ? null : text);
  return contents;
}

function setAtPath(document: YamlDocument, override: OverrideLine, value: Node, inputName: string): void {
  const { path, line } = override;
  let container: Node | undefined = document.resolve(document.yaml.contents as Node);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const isLast = i === path.length - 1;
    const here = formatYamlPath(path.slice(0, i));
    const slot = slotIn(document, container, segment, here, override, inputName);
    if (isLast) {
      slot.set(value);
      return;
    }
    let child = document.resolve(slot.get());
    if (child === undefined || (isScalar(child) && child.value === null)) {
      if (typeof path[i + 1] === 'number') {
        throw new OverridesSyntaxError(
          inputName,
          line,
          `${formatYamlPath(path.slice(0, i + 1))} does not exist, so it has no item ${String(path[i + 1])}`,
          `Set the whole list instead, e.g. ${formatYamlPath(path.slice(0, i + 1))}=[...].`,
        );
      }
      const created = new YamlMapNode();
      document.markFromOverride(created, line);
      slot.set(created);
      child = created;
    } else if (!isMap(child) && !isSeq(child)) {
      const where = formatYamlPath(path.slice(0, i + 1));
      const location = document.locate(child);
      const origin = location.line !== undefined ? `line ${location.line} of ${location.file}` : `override line ${location.overrideLine}`;
      throw new OverridesSyntaxError(
        inputName,
        line,
        `cannot set ${formatYamlPath(path)}: ${where} (${origin}) is the single value '${String((child as Scalar).value)}', not a mapping`,
        `Replace the whole value instead, e.g. ${where}={...}.`,
      );
    }
    container = child;
  }
}

interface Slot {
  get(): Node | undefined;
  set(node: Node): void;
}

function slotIn(
  document: YamlDocument,
  container: Node | undefined, segment: PathSegment, here: string, override: OverrideLine, inputName: string): Slot {
  if (isMap(container)) {
    if (typeof segment === 'number') {
      throw new OverridesSyntaxError(inputName, override.line, `${here || 'the document'} is a mapping, not a list, so [${segment}] does not apply`, 'Use the field name instead of [n].');
    }
    const map = container as YAMLMap<unknown, unknown>;
    const pair = map.items.find((item) => keyText(item.key) === segment);
    return {
      get: () => pair?.value as Node | undefined,
      set: (node) => {
        if (pair) pair.value = node;
        else {
          const key = new Scalar(segment);
          document.markFromOverride(key, override.line);
          map.items.push(new Pair(key, node));
        }
      },
    };
  }
  const seq = container as YAMLSeq<unknown>;
  if (typeof segment !== 'number') {
    throw new OverridesSyntaxError(inputName, override.line, `${here} is a list, so it has no field '${segment}'`, `Address list items by position, e.g. ${here}[0].`);
  }
  if (segment > seq.items.length) {
    throw new OverridesSyntaxError(inputName, override.line, `${here} has ${seq.items.length} item(s), so [${segment}] is out of range`, `Use an index from 0 to ${seq.items.length} (the last one appends).`);
  }
  return {
    get: () => seq.items[segment] as Node | undefined,
    set: (node) => {
      seq.items[segment] = node;
    },
  };
}

function keyText(key: unknown): string {
  if (isScalar(key)) return typeof key.value === 'string' ? key.value : (key.source ?? String(key.value));
  return String(key);
}
