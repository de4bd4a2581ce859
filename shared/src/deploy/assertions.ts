/**
 * Assertions on a JSON response, one per line, e.g.
 *   $.predictions exists
 *   $.predictions length 3            (also: length >= 1, length between 1 and 10)
 *   $.predictions[0] between 0 and 400
 *   $.predictions[*] between 0 and 400   ([*] and .*: every item must pass; none at all fails)
 *   $.status == "ok"                  (==, !=, <, <=, >, >= against a JSON value)
 *   $.model matches "^diabetes-"      (a regular expression on text)
 *   $.predictions type array          (string, number, boolean, array, object, null)
 *   $.error absent
 * Paths: `$`, `.name`, `['name']` / `["name"]`, `[index]` (negative counts from the end), `[*]`, `.*`.
 * Parsed once (syntax errors name the input and the line); evaluated per response without throwing.
 */
import { InputError } from '../pipeline/errors';

type Segment = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'all' };
type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=';

type Check =
  | { readonly kind: 'exists' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'compare'; readonly op: Comparison; readonly expected: unknown }
  | { readonly kind: 'between'; readonly min: number; readonly max: number }
  | { readonly kind: 'length'; readonly check: Extract<Check, { kind: 'compare' | 'between' }> }
  | { readonly kind: 'matches'; readonly pattern: RegExp }
  | { readonly kind: 'type'; readonly type: JsonType };

type JsonType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';
const TYPES: readonly JsonType[] = ['string', 'number', 'boolean', 'array', 'object', 'null'];

export interface JsonAssertion {
  /** The assertion as written. */
  readonly text: string;
  /** 1-based line of the input. */
  readonly line: number;
  readonly path: string;
  readonly segments: readonly Segment[];
  readonly check: Check;
}

const SYNTAX =
  'Write one assertion per line: <path> exists | absent | == <JSON value> | != | < | <= | > | >= <number> | between <min> and <max> | ' +
  'length <n> (or length >= <n>, length between <a> and <b>) | matches "<regex>" | type <string|number|boolean|array|object|null>, ' +
  'e.g. $.predictions length 3 or $.predictions[*] between 0 and 400';

/** Parses the assertion lines (blank lines and lines starting with '#' skipped). Problems: InputError with the line. */
export function parseJsonAssertions(lines: string | undefined, inputName: string): JsonAssertion[] {
  if (!lines) return [];
  const result: JsonAssertion[] = [];
  lines.split(/\r?\n/).forEach((raw, index) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const line = index + 1;
    const fail = (problem: string, fix = SYNTAX): never => {
      throw new InputError(inputName, `line ${line} ('${text}') ${problem}`, fix);
    };
    if (!text.startsWith('$')) fail('does not start with a JSON path such as $.predictions');
    const { segments, rest, pathText } = parsePath(text, fail);
    result.push({ text, line, path: pathText, segments, check: parseCheck(rest.trim(), fail) });
  });
  return result;
}

function parsePath(text: string, fail: (problem: string, fix?: string) => never): { segments: Segment[]; rest: string; pathText: string } {
  const segments: Segment[] = [];
  let i = 1;
  const pathFix = "Write the path as $.field, $.list[0], $.list[*] or $['field name']";
  while (i < text.length && !/\s/.test(text[i]!)) {
    const ch = text[i]!;
    if (ch === '.') {
      if (text[i + 1] === '*') {
        segments.push({ kind: 'all' });
        i += 2;
        continue;
      }
      const match = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i + 1));
      if (!match) fail(`has a '.' not followed by a field name at position ${i + 1}`, pathFix);
      segments.push({ kind: 'key', key: match![0] });
      i += 1 + match![0].length;
    } else if (ch === '[') {
      const close = findClosingBracket(text, i);
      if (close === -1) fail("has a '[' without its ']'", pathFix);
      const inner = text.slice(i + 1, close).trim();
      if (inner === '*') segments.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) segments.push({ kind: 'key', key: inner.slice(1, -1).replace(/\\(['"\\])/g, '$1') });
      else fail(`has [${inner}], which is neither an index, * nor a quoted field name`, pathFix);
      i = close + 1;
    } else {
      fail(`has '${ch}' in its path at position ${i + 1}`, pathFix);
    }
  }
  return { segments, rest: text.slice(i), pathText: text.slice(0, i) };
}

function findClosingBracket(text: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ']') return i;
  }
  return -1;
}

function parseCheck(rest: string, fail: (problem: string, fix?: string) => never): Check {
  if (rest === '') return fail('has a path but no check after it');
  if (/^exists$/i.test(rest)) return { kind: 'exists' };
  if (/^(absent|not exists|does not exist)$/i.test(rest)) return { kind: 'absent' };
  const length = /^length\s+(.*)$/i.exec(rest);
  if (length) {
    const inner = length[1]!.trim();
    const check = /^\d+$/.test(inner) ? ({ kind: 'compare', op: '==', expected: Number(inner) } as const) : parseNumericCheck(inner, fail);
    if (!check) return fail(`has 'length ${inner}', which is not a whole number or a comparison`, 'Write e.g. length 3, length >= 1 or length between 1 and 10');
    return { kind: 'length', check };
  }
  const matches = /^matches\s+(.+)$/i.exec(rest);
  if (matches) {
    const source = parseRegex(matches[1]!.trim());
    if (source === undefined) return fail('has matches without a quoted regular expression', 'Write e.g. matches "^diabetes-" or matches /^ok$/i');
    try {
      return { kind: 'matches', pattern: new RegExp(source.pattern, source.flags) };
    } catch (error) {
      return fail(`has an invalid regular expression (${error instanceof Error ? error.message : String(error)})`, 'Fix the regular expression');
    }
  }
  const type = /^type\s+(\w+)$/i.exec(rest);
  if (type) {
    const name = type[1]!.toLowerCase() as JsonType;
    if (!TYPES.includes(name)) return fail(`has the type '${type[1]}'`, `Use one of: ${TYPES.join(', ')}`);
    return { kind: 'type', type: name };
  }
  const numeric = parseNumericCheck(rest, fail);
  if (numeric) return numeric;
  const equality = /^(==|!=)\s*(.+)$/.exec(rest);
  if (equality) {
    try {
      return { kind: 'compare', op: equality[1] as Comparison, expected: JSON.parse(equality[2]!) };
    } catch {
      return fail(`compares with ${equality[2]}, which is not a JSON value`, 'Write text in double quotes (e.g. == "ok"), numbers, true, false or null');
    }
  }
  return fail(`has an unknown check '${rest}'`);
}

/** `between A and B` or `<op> <number>` (a number comparison); undefined when `text` is neither. */
function parseNumericCheck(text: string, fail: (problem: string, fix?: string) => never): Extract<Check, { kind: 'compare' | 'between' }> | undefined {
  const between = /^between\s+(\S+)\s+and\s+(\S+)$/i.exec(text);
  if (between) {
    const [min, max] = [Number(between[1]), Number(between[2])];
    if (!Number.isFinite(min) || !Number.isFinite(max)) return fail(`has 'between ${between[1]} and ${between[2]}', which are not both numbers`, 'Write e.g. between 0 and 400');
    if (min > max) return fail(`has between ${min} and ${max}, whose minimum is above its maximum`, `Write between ${max} and ${min}`);
    return { kind: 'between', min, max };
  }
  const compare = /^(<=|>=|<|>)\s*(\S+)$/.exec(text);
  if (compare) {
    const value = Number(compare[2]);
    if (!Number.isFinite(compare[2] === '' ? NaN : value)) return fail(`compares with ${compare[2]}, which is not a number`, 'Compare with a number, e.g. >= 0');
    return { kind: 'compare', op: compare[1] as Comparison, expected: value };
  }
  return undefined;
}

function parseRegex(text: string): { pattern: string; flags: string } | undefined {
  const slashes = /^\/(.*)\/([gimsuy]*)$/.exec(text);
  if (slashes) return { pattern: slashes[1]!, flags: slashes[2]!.replace('g', '') };
  if (/^".*"$/.test(text)) {
    try {
      return { pattern: JSON.parse(text) as string, flags: '' };
    } catch {
      return undefined;
    }
  }
  if (/^'.*'$/.test(text)) return { pattern: text.slice(1, -1), flags: '' };
  return undefined;
}

/** The values at a path (several with [*] / .*); `found` false when a step is missing. */
export function valuesAt(document: unknown, segments: readonly Segment[]): unknown[] {
  let current: unknown[] = [document];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === 'all') {
        if (Array.isArray(value)) next.push(...value);
        else if (value !== null && typeof value === 'object') next.push(...Object.values(value));
      } else if (segment.kind === 'index') {
        if (Array.isArray(value)) {
          const index = segment.index < 0 ? value.length + segment.index : segment.index;
          if (index >= 0 && index < value.length) next.push(value[index]);
        }
      } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, segment.key)) {
        next.push((value as Record<string, unknown>)[segment.key]);
      }
    }
    current = next;
  }
  return current;
}

/** Undefined when the assertion holds for `document`; otherwise why not, e.g. `$.predictions length is 2, not 3`. */
export function evaluateJsonAssertion(assertion: JsonAssertion, document: unknown): string | undefined {
  const values = valuesAt(document, assertion.segments);
  const { check, path } = assertion;
  const many = assertion.segments.some((s) => s.kind === 'all');
  if (check.kind === 'exists') return values.length > 0 ? undefined : `${path} does not exist in the response`;
  if (check.kind === 'absent') return values.length === 0 ? undefined : `${path} exists in the response (${describe(values[0])}), but should be absent`;
  if (values.length === 0) return many ? `${path} matches nothing in the response` : `${path} does not exist in the response`;
  for (const [index, value] of values.entries()) {
    const problem = checkValue(check, value);
    if (problem) return `${path}${many ? ` (item ${index})` : ''} ${problem}`;
  }
  return undefined;
}

function checkValue(check: Check, value: unknown): string | undefined {
  switch (check.kind) {
    case 'compare':
      return compare(value, check.op, check.expected);
    case 'between':
      if (typeof value !== 'number') return `is ${describe(value)}, not a number between ${check.min} and ${check.max}`;
      return value >= check.min && value <= check.max ? undefined : `is ${value}, not between ${check.min} and ${check.max}`;
    case 'length': {
      const length = Array.isArray(value) || typeof value === 'string' ? value.length : value !== null && typeof value === 'object' ? Object.keys(value).length : undefined;
      if (length === undefined) return `is ${describe(value)}, which has no length`;
      const problem = checkValue(check.check, length);
      return problem ? `has length ${length}, ${describeLengthCheck(check.check)}` : undefined;
    }
    case 'matches':
      if (typeof value !== 'string') return `is ${describe(value)}, not text matching ${check.pattern}`;
      return check.pattern.test(value) ? undefined : `is ${describe(value)}, which does not match ${check.pattern}`;
    case 'type':
      return typeOf(value) === check.type ? undefined : `is ${describe(value)}, not of type ${check.type}`;
    default:
      return undefined;
  }
}

function describeLengthCheck(check: Extract<Check, { kind: 'compare' | 'between' }>): string {
  if (check.kind === 'between') return `not between ${check.min} and ${check.max}`;
  return check.op === '==' ? `not ${String(check.expected)}` : `not ${check.op} ${String(check.expected)}`;
}

function compare(value: unknown, op: Comparison, expected: unknown): string | undefined {
  if (op === '==' || op === '!=') {
    const equal = JSON.stringify(canonical(value)) === JSON.stringify(canonical(expected));
    if (op === '==') return equal ? undefined : `is ${describe(value)}, not ${describe(expected)}`;
    return equal ? `is ${describe(value)}, which it should not be` : undefined;
  }
  if (typeof value !== 'number') return `is ${describe(value)}, not a number ${op} ${String(expected)}`;
  const target = expected as number;
  const ok = op === '<' ? value < target : op === '<=' ? value <= target : op === '>' ? value > target : value >= target;
  return ok ? undefined : `is ${value}, not ${op} ${target}`;
}

/** Objects with sorted keys, so that equality does not depend on key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonType;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
