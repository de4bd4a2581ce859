/**
 * The Azure Pipelines expression language, as far as the local pipeline runner needs it
 * (learn.microsoft.com/azure/devops/pipelines/process/expressions):
 *
 * - literals: `'string'` (`''` escapes a quote), numbers, `True`/`False` (any case), `null`;
 * - named values the caller allows: `variables`, `parameters`, `dependencies`, `stageDependencies`, accessed with
 *   `.name` or `['name']` (case-insensitive keys, a miss is `null`); `variables.Build.SourceBranch` reads the variable
 *   `Build.SourceBranch`;
 * - functions: and, or, not, xor, eq, ne, gt, ge, lt, le, in, notIn, contains, startsWith, endsWith, coalesce,
 *   format (`{0}` placeholders only), lower, upper, length, and the status functions always, succeeded, failed,
 *   succeededOrFailed, canceled (only where the caller allows them: conditions).
 *
 * Semantics follow the service: `eq`/`ne`/`in`/`notIn`/comparisons convert the right operand to the left operand's
 * type; strings compare ordinally ignoring case; `''`, `0`, `False` and `null` are falsy; booleans print as
 * `True`/`False`. Everything else (version literals, `*` filters, other functions) is refused by name when the
 * expression is parsed, so nothing is silently evaluated differently from Azure Pipelines.
 *
 * Also here: template expressions `${{ expr }}` (compile time), runtime variable expressions `$[ expr ]` and macros
 * `$(name)`.
 */

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** A case-insensitive dictionary, the only object type of the language (variables, dependencies, outputs...). */
export class ExpressionObject {
  private readonly entries = new Map<string, { key: string; value: ExpressionValue }>();

  /** Called with the key when a lookup misses (the runner explains empty output references). */
  constructor(
    initial: Readonly<Record<string, ExpressionValue>> = {},
    readonly onMiss?: (key: string) => void,
  ) {
    for (const [key, value] of Object.entries(initial)) this.set(key, value);
  }

  set(key: string, value: ExpressionValue): void {
    this.entries.set(key.toLowerCase(), { key, value });
  }

  has(key: string): boolean {
    return this.entries.has(key.toLowerCase());
  }

  get(key: string): ExpressionValue {
    const entry = this.entries.get(key.toLowerCase());
    if (entry === undefined) {
      this.onMiss?.(key);
      return null;
    }
    return entry.value;
  }

  keys(): string[] {
    return [...this.entries.values()].map((entry) => entry.key);
  }

  get size(): number {
    return this.entries.size;
  }
}

export type ExpressionValue = null | boolean | number | string | ExpressionObject | readonly ExpressionValue[];

export type StatusFunctionName = 'always' | 'succeeded' | 'failed' | 'succeededOrFailed' | 'canceled';
const STATUS_FUNCTIONS: readonly StatusFunctionName[] = ['always', 'succeeded', 'failed', 'succeededOrFailed', 'canceled'];

export type ExpressionNode =
  | { readonly kind: 'literal'; readonly value: ExpressionValue }
  | { readonly kind: 'named'; readonly name: string }
  | { readonly kind: 'property'; readonly target: ExpressionNode; readonly name: string }
  | { readonly kind: 'index'; readonly target: ExpressionNode; readonly index: ExpressionNode }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly ExpressionNode[] };

export interface ParseOptions {
  /** Named values this place offers, e.g. ['variables', 'dependencies']. */
  readonly namedValues: readonly string[];
  /** Whether always(), succeeded()... may be used (conditions only). */
  readonly statusFunctions: boolean;
}

export interface EvaluationContext {
  /** Values of the named values (`variables`, `dependencies`...; matched ignoring case). */
  readonly namedValues: Readonly<Record<string, ExpressionValue>>;
  /** Answers a status function; args are the dependency names given (`succeeded('Train')`). */
  readonly status?: (name: StatusFunctionName, args: readonly string[]) => boolean;
}

interface FunctionSpec {
  readonly min: number;
  readonly max: number;
}

const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  and: { min: 2, max: Infinity },
  or: { min: 2, max: Infinity },
  not: { min: 1, max: 1 },
  xor: { min: 2, max: 2 },
  eq: { min: 2, max: 2 },
  ne: { min: 2, max: 2 },
  gt: { min: 2, max: 2 },
  ge: { min: 2, max: 2 },
  lt: { min: 2, max: 2 },
  le: { min: 2, max: 2 },
  in: { min: 1, max: Infinity },
  notin: { min: 1, max: Infinity },
  contains: { min: 2, max: 2 },
  startswith: { min: 2, max: 2 },
  endswith: { min: 2, max: 2 },
  coalesce: { min: 1, max: Infinity },
  format: { min: 1, max: Infinity },
  lower: { min: 1, max: 1 },
  upper: { min: 1, max: 1 },
  length: { min: 1, max: 1 },
  always: { min: 0, max: 0 },
  succeeded: { min: 0, max: Infinity },
  failed: { min: 0, max: Infinity },
  succeededorfailed: { min: 0, max: Infinity },
  canceled: { min: 0, max: 0 },
};

// ---------------------------------------------------------------------------------------------------------------
// Parsing

type Token =
  | { readonly type: 'string'; readonly value: string; readonly at: number }
  | { readonly type: 'number'; readonly value: number; readonly at: number }
  | { readonly type: 'identifier'; readonly value: string; readonly at: number }
  | { readonly type: 'punct'; readonly value: '(' | ')' | '[' | ']' | ',' | '.'; readonly at: number };

function located(message: string, expression: string, at: number): ExpressionError {
  return new ExpressionError(`${message}. Located at position ${at + 1} within expression: ${expression}`);
}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const char = expression[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= expression.length) throw located('Unterminated string literal', expression, i);
        if (expression[j] === "'") {
          if (expression[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += expression[j];
        j++;
      }
      tokens.push({ type: 'string', value, at: i });
      i = j + 1;
    } else if (/[-.0-9]/.test(char) && !(char === '.' && !/[0-9]/.test(expression[i + 1] ?? ''))) {
      const match = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:\.\d+)*/.exec(expression.slice(i));
      if (!match) throw located(`Unexpected symbol: '${char}'`, expression, i);
      const text = match[0];
      if ((text.match(/\./g) ?? []).length > 1) {
        throw located(`The version literal '${text}' is not supported by the local pipeline runner`, expression, i);
      }
      tokens.push({ type: 'number', value: Number(text), at: i });
      i += text.length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expression.slice(i))!;
      tokens.push({ type: 'identifier', value: match[0], at: i });
      i += match[0].length;
    } else if ('()[],.'.includes(char)) {
      tokens.push({ type: 'punct', value: char as '(' | ')' | '[' | ']' | ',' | '.', at: i });
      i++;
    } else if (char === '*') {
      throw located("The filtered array syntax '*' is not supported by the local pipeline runner", expression, i);
    } else {
      throw located(`Unexpected symbol: '${char}'`, expression, i);
    }
  }
  return tokens;
}

/** Parses an expression, checking every function and named value against what this place allows. */
export function parseExpression(expression: string, options: ParseOptions): ExpressionNode {
  const tokens = tokenize(expression);
  if (tokens.length === 0) throw new ExpressionError('Expected an expression, found nothing');
  let position = 0;
  const allowedNamed = new Set(options.namedValues.map((name) => name.toLowerCase()));

  const peek = (): Token | undefined => tokens[position];
  const isPunct = (token: Token | undefined, value: string): boolean => token?.type === 'punct' && token.value === value;
  const expect = (value: string): Token => {
    const token = tokens[position];
    if (!isPunct(token, value)) {
      const found = token ? `'${String(token.value)}'` : 'the end of the expression';
      throw located(`Expected '${value}', found ${found}`, expression, token?.at ?? expression.length);
    }
    position++;
    return token!;
  };

  const parsePrimary = (): ExpressionNode => {
    const token = tokens[position];
    if (!token) throw located('Unexpected end of expression', expression, expression.length);
    position++;
    if (token.type === 'string' || token.type === 'number') return { kind: 'literal', value: token.value };
    if (token.type === 'punct') throw located(`Unexpected symbol: '${token.value}'`, expression, token.at);
    const lower = token.value.toLowerCase();
    if (isPunct(peek(), '(')) {
      const spec = FUNCTIONS[lower];
      if (!spec) throw located(`The function '${token.value}' is not supported by the local pipeline runner`, expression, token.at);
      if (STATUS_FUNCTIONS.some((name) => name.toLowerCase() === lower) && !options.statusFunctions) {
        throw located(`Unrecognized function: '${token.value}' (status functions are only available in conditions)`, expression, token.at);
      }
      expect('(');
      const args: ExpressionNode[] = [];
      if (!isPunct(peek(), ')')) {
        for (;;) {
          args.push(parseAccessors(parsePrimary()));
          if (isPunct(peek(), ',')) {
            position++;
            continue;
          }
          break;
        }
      }
      expect(')');
      if (args.length < spec.min || args.length > spec.max) {
        const range = spec.max === Infinity ? `at least ${spec.min}` : spec.min === spec.max ? `${spec.min}` : `${spec.min} to ${spec.max}`;
        throw located(`Function '${token.value}' takes ${range} parameter(s), found ${args.length}`, expression, token.at);
      }
      return { kind: 'call', name: lower, args };
    }
    if (lower === 'true' || lower === 'false') return { kind: 'literal', value: lower === 'true' };
    if (lower === 'null') return { kind: 'literal', value: null };
    if (!allowedNamed.has(lower)) throw located(`Unrecognized value: '${token.value}'`, expression, token.at);
    return { kind: 'named', name: lower };
  };

  const parseAccessors = (start: ExpressionNode): ExpressionNode => {
    let node = start;
    for (;;) {
      const token = peek();
      if (isPunct(token, '.')) {
        position++;
        const name = tokens[position];
        if (name?.type !== 'identifier') throw located("Expected a property name after '.'", expression, name?.at ?? expression.length);
        position++;
        node = { kind: 'property', target: node, name: name.value };
      } else if (isPunct(token, '[')) {
        position++;
        const index = parseAccessors(parsePrimary());
        expect(']');
        node = { kind: 'index', target: node, index };
      } else {
        return node;
      }
    }
  };

  const node = parseAccessors(parsePrimary());
  if (position < tokens.length) {
    const extra = tokens[position]!;
    throw located(`Unexpected symbol: '${String(extra.value)}'`, expression, extra.at);
  }
  return collapseVariableProperties(node);
}

/** `variables.Build.SourceBranch` reads the variable `Build.SourceBranch` (variable names contain dots). */
function collapseVariableProperties(node: ExpressionNode): ExpressionNode {
  switch (node.kind) {
    case 'property': {
      const path: string[] = [];
      let current: ExpressionNode = node;
      while (current.kind === 'property') {
        path.unshift(current.name);
        current = current.target;
      }
      if (current.kind === 'named' && current.name === 'variables') {
        return { kind: 'index', target: current, index: { kind: 'literal', value: path.join('.') } };
      }
      return { kind: 'property', target: collapseVariableProperties(node.target), name: node.name };
    }
    case 'index':
      return { kind: 'index', target: collapseVariableProperties(node.target), index: collapseVariableProperties(node.index) };
    case 'call':
      return { kind: 'call', name: node.name, args: node.args.map(collapseVariableProperties) };
    default:
      return node;
  }
}

/** Whether the expression calls a status function anywhere (a condition without one gets no implicit succeeded()). */
export function usesStatusFunction(node: ExpressionNode): boolean {
  switch (node.kind) {
    case 'call':
      return STATUS_FUNCTIONS.some((name) => name.toLowerCase() === node.name) || node.args.some(usesStatusFunction);
    case 'property':
      return usesStatusFunction(node.target);
    case 'index':
      return usesStatusFunction(node.target) || usesStatusFunction(node.index);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Conversions (expressions.md "Type casting")

export function toBoolean(value: ExpressionValue): boolean {
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value !== '';
  return true;
}

export function toExpressionString(value: ExpressionValue): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  return '';
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toFixed(0);
  return String(value);
}

/** String to number as Int32/Decimal TryParse with invariant culture: sign, decimal point, thousands, white space. */
function toNumber(value: ExpressionValue): number | undefined {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return 0;
    if (!/^[-+]?(\d{1,3}(,\d{3})+|\d*)(\.\d*)?$/.test(trimmed) || !/\d/.test(trimmed)) return undefined;
    return Number(trimmed.replace(/,/g, ''));
  }
  return undefined;
}

type Kind = 'null' | 'boolean' | 'number' | 'string' | 'object' | 'array';

function kindOf(value: ExpressionValue): Kind {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'string') return 'string';
  return value instanceof ExpressionObject ? 'object' : 'array';
}

/** eq: the right operand converted to the left operand's type; false when it cannot be. */
export function expressionEquals(left: ExpressionValue, right: ExpressionValue): boolean {
  switch (kindOf(left)) {
    case 'null':
      return right === null || right === '';
    case 'boolean':
      return left === toBoolean(right);
    case 'number': {
      const number = toNumber(right);
      return number !== undefined && number === left;
    }
    case 'string': {
      if (right instanceof ExpressionObject || Array.isArray(right)) return false;
      return (left as string).toLowerCase() === toExpressionString(right).toLowerCase();
    }
    default:
      return left === right;
  }
}

/** gt/ge/lt/le: -1, 0 or 1; throws when the right operand cannot be converted. */
function compare(left: ExpressionValue, right: ExpressionValue, name: string): number {
  switch (kindOf(left)) {
    case 'boolean':
      return Number(left) - Number(toBoolean(right));
    case 'null':
    case 'number': {
      const l = toNumber(left)!;
      const r = toNumber(right);
      if (r === undefined) throw new ExpressionError(`Function '${name}': cannot convert '${toExpressionString(right)}' to a number`);
      return Math.sign(l - r);
    }
    case 'string': {
      const l = (left as string).toLowerCase();
      const r = toExpressionString(right).toLowerCase();
      return l < r ? -1 : l > r ? 1 : 0;
    }
    default:
      throw new ExpressionError(`Function '${name}' cannot compare an object or array`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

export function evaluate(node: ExpressionNode, context: EvaluationContext): ExpressionValue {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'named': {
      const key = Object.keys(context.namedValues).find((name) => name.toLowerCase() === node.name);
      return key === undefined ? null : (context.namedValues[key] ?? null);
    }
    case 'property':
      return member(evaluate(node.target, context), node.name);
    case 'index': {
      const target = evaluate(node.target, context);
      const index = evaluate(node.index, context);
      if (Array.isArray(target)) {
        const position = toNumber(index);
        return position !== undefined && Number.isInteger(position) ? (target[position] ?? null) : null;
      }
      return member(target, toExpressionString(index));
    }
    case 'call':
      return call(node.name, node.args, context);
  }
}

function member(target: ExpressionValue, name: string): ExpressionValue {
  return target instanceof ExpressionObject ? target.get(name) : null;
}

function call(name: string, args: readonly ExpressionNode[], context: EvaluationContext): ExpressionValue {
  const value = (index: number): ExpressionValue => evaluate(args[index]!, context);
  const all = (): ExpressionValue[] => args.map((arg) => evaluate(arg, context));
  switch (name) {
    case 'and':
      return args.every((arg) => toBoolean(evaluate(arg, context)));
    case 'or':
      return args.some((arg) => toBoolean(evaluate(arg, context)));
    case 'not':
      return !toBoolean(value(0));
    case 'xor':
      return toBoolean(value(0)) !== toBoolean(value(1));
    case 'eq':
      return expressionEquals(value(0), value(1));
    case 'ne':
      return !expressionEquals(value(0), value(1));
    case 'gt':
      return compare(value(0), value(1), name) > 0;
    case 'ge':
      return compare(value(0), value(1), name) >= 0;
    case 'lt':
      return compare(value(0), value(1), name) < 0;
    case 'le':
      return compare(value(0), value(1), name) <= 0;
    case 'in':
    case 'notin': {
      const needle = value(0);
      const found = args.slice(1).some((arg) => expressionEquals(needle, evaluate(arg, context)));
      return name === 'in' ? found : !found;
    }
    case 'contains':
      return toExpressionString(value(0)).toLowerCase().includes(toExpressionString(value(1)).toLowerCase());
    case 'startswith':
      return toExpressionString(value(0)).toLowerCase().startsWith(toExpressionString(value(1)).toLowerCase());
    case 'endswith':
      return toExpressionString(value(0)).toLowerCase().endsWith(toExpressionString(value(1)).toLowerCase());
    case 'coalesce': {
      for (const arg of args) {
        const candidate = evaluate(arg, context);
        if (candidate !== null && candidate !== '') return candidate;
      }
      return null;
    }
    case 'format':
      return format(all());
    case 'lower':
      return toExpressionString(value(0)).toLowerCase();
    case 'upper':
      return toExpressionString(value(0)).toUpperCase();
    case 'length': {
      const target = value(0);
      if (typeof target === 'string') return target.length;
      if (Array.isArray(target)) return target.length;
      if (target instanceof ExpressionObject) return target.size;
      throw new ExpressionError(`Function 'length' needs a string, an array or an object, found ${kindOf(target)}`);
    }
    default: {
      const status = STATUS_FUNCTIONS.find((candidate) => candidate.toLowerCase() === name);
      if (!status || !context.status) throw new ExpressionError(`Unrecognized function: '${name}'`);
      return context.status(status, all().map(toExpressionString));
    }
  }
}

function format(values: readonly ExpressionValue[]): string {
  const template = toExpressionString(values[0] ?? null);
  let result = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    if (char === '{' && template[i + 1] === '{') {
      result += '{';
      i++;
    } else if (char === '}' && template[i + 1] === '}') {
      result += '}';
      i++;
    } else if (char === '{') {
      const end = template.indexOf('}', i);
      const placeholder = end < 0 ? '' : template.slice(i + 1, end);
      if (!/^\d+$/.test(placeholder)) {
        throw new ExpressionError(`Function 'format': the placeholder '{${placeholder}}' is not supported (only {0}, {1}...)`);
      }
      const index = Number(placeholder) + 1;
      if (index >= values.length) throw new ExpressionError(`Function 'format': no argument for {${placeholder}}`);
      result += toExpressionString(values[index]!);
      i = end;
    } else {
      result += char;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Template expressions ${{ }}, runtime expressions $[ ], macros $( )

/** A `${{ ... }}` occurrence: the expression text and its place in the string. */
interface TemplateSpan {
  readonly start: number;
  readonly end: number;
  readonly expression: string;
}

function templateSpans(text: string): TemplateSpan[] {
  const spans: TemplateSpan[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    if (start < 0) return spans;
    // Find the closing braces outside string literals.
    let i = start + 3;
    let inString = false;
    for (; i < text.length; i++) {
      if (text[i] === "'") inString = !inString;
      else if (!inString && text[i] === '}' && text[i + 1] === '}') break;
    }
    if (i >= text.length) throw new ExpressionError(`The template expression starting '${text.slice(start, start + 30)}' has no closing '}}'`);
    spans.push({ start, end: i + 2, expression: text.slice(start + 3, i).trim() });
    from = i + 2;
  }
}

export function hasTemplateExpression(text: string): boolean {
  return text.includes('${{');
}

/**
 * Expands the template expressions of a YAML string value. A value that is exactly one `${{ expr }}` keeps the
 * expression's type (a boolean parameter stays a boolean); otherwise each expression is inserted as a string.
 */
export function expandTemplate(text: string, options: ParseOptions, context: EvaluationContext): ExpressionValue {
  const spans = templateSpans(text);
  if (spans.length === 0) return text;
  const valueOf = (span: TemplateSpan): ExpressionValue => evaluate(parseExpression(span.expression, options), context);
  if (spans.length === 1 && spans[0]!.start === 0 && spans[0]!.end === text.length) return valueOf(spans[0]!);
  let result = '';
  let last = 0;
  for (const span of spans) {
    result += text.slice(last, span.start) + toExpressionString(valueOf(span));
    last = span.end;
  }
  return result + text.slice(last);
}

/** The expression of a `$[ expr ]` value, or undefined when the value is not a runtime expression. */
export function runtimeExpressionOf(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed.startsWith('$[') || !trimmed.endsWith(']')) return undefined;
  return trimmed.slice(2, -1).trim();
}

const MACRO = /\$\(([^()]+)\)/g;

/**
 * Expands `$(name)` macros with `lookup`, recursively (a variable's value may hold macros), as the agent expands
 * variables; unknown macros stay as written, as in Azure Pipelines.
 */
export function expandMacros(text: string, lookup: (name: string) => string | undefined, depth = 0): string {
  if (depth > 32 || !text.includes('$(')) return text;
  return text.replace(MACRO, (whole, name: string) => {
    const value = lookup(name.trim());
    return value === undefined ? whole : expandMacros(value, lookup, depth + 1);
  });
}
