/**
 * Typed, located access to YAML values. Each getter returns undefined when the field is absent or null
 * and throws a YamlSpecError naming the field and its line when the value has the wrong type.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { YamlDocument } from './document';
import type { YamlSpecError } from './errors';
import { formatYamlPath, type PathSegment } from './path';
import { suggestFieldName } from './suggest';

export type YamlKind = 'absent' | 'null' | 'string' | 'number' | 'boolean' | 'mapping' | 'sequence' | 'other';

export class YamlValue {
  /** The value node with aliases resolved; undefined when the field is absent. */
  readonly node: Node | undefined;

  constructor(
    readonly document: YamlDocument,
    readonly path: readonly PathSegment[],
    node: Node | undefined,
    /** Node that places the field in the file when it has no value node (the key, or the parent). */
    private readonly anchor: unknown,
    /** The mapping or list that holds this value (undefined for the root). */
    readonly parent: YamlValue | undefined,
  ) {
    this.node = document.resolve(node);
  }

  /** `jobs.train.inputs.alpha` */
  get pathText(): string {
    return formatYamlPath(this.path);
  }

  /** The last path segment (field name or index). */
  get name(): PathSegment | undefined {
    return this.path[this.path.length - 1];
  }

  get kind(): YamlKind {
    const node = this.node;
    if (node === undefined) return 'absent';
    if (isMap(node)) return 'mapping';
    if (isSeq(node)) return 'sequence';
    if (!isScalar(node)) return 'other';
    const value = node.value;
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'string') return 'string';
    if (typeof value === 'number' || typeof value === 'bigint') return 'number';
    if (typeof value === 'boolean') return 'boolean';
    return 'other';
  }

  /** Absent, or present with no value (`field:` or `field: null`). */
  get isEmpty(): boolean {
    const kind = this.kind;
    return kind === 'absent' || kind === 'null';
  }

  /** 1-based line of the field in the file (undefined when an override set it). */
  line(): number | undefined {
    return this.document.lineOfNode(this.locatingNode());
  }

  /** An error about this field, located at it (or at its parent when it is absent). */
  error(issue: string, fix: string): YamlSpecError {
    return this.document.error(this.locatingNode(), this.pathText, issue, fix);
  }

  fail(issue: string, fix: string): never {
    throw this.error(issue, fix);
  }

  /**
   * Throws when the field is absent ("<path> (line of its parent) is missing") or empty; returns this
   * otherwise, so that `get('command').required(fix).string(fix)` reads naturally.
   */
  required(fix: string): this {
    if (this.kind === 'absent') {
      throw this.document.error(this.parent?.locatingNode() ?? this.locatingNode(), this.pathText, 'is missing', fix);
    }
    if (this.kind === 'null') this.fail('is empty', fix);
    return this;
  }

  /** A short description of the value for messages: `the text 'two'`, `a list`, `the number 1.5`. */
  describe(): string {
    switch (this.kind) {
      case 'absent':
        return 'missing';
      case 'null':
        return 'empty';
      case 'string':
        return `the text '${truncate(String(this.scalar()))}'`;
      case 'number':
        return `the number ${this.sourceText()}`;
      case 'boolean':
        return `the boolean ${this.sourceText()}`;
      case 'mapping':
        return 'a mapping (fields under it)';
      case 'sequence':
        return 'a list';
      default:
        return 'a value of an unsupported type';
    }
  }

  /** The scalar's JavaScript value (string, number, boolean or null); undefined for collections and absent fields. */
  scalar(): string | number | boolean | null | undefined {
    const node = this.node;
    if (!isScalar(node)) return undefined;
    const value = node.value;
    if (typeof value === 'bigint') return Number(value);
    if (value === undefined) return null;
    return value as string | number | boolean | null;
  }

  /** The scalar as written (`1.0` stays "1.0", `yes` stays "yes"); strings are their value. */
  sourceText(): string {
    const node = this.node;
    if (!isScalar(node)) return '';
    if (typeof node.value === 'string') return node.value;
    return node.source ?? String(node.value);
  }

  /** A string; numbers and booleans are refused (they are not text in YAML). */
  string(fix: string): string | undefined {
    if (this.isEmpty) return undefined;
    if (this.kind !== 'string') this.fail(`must be text, not ${this.describe()}`, fix);
    return this.scalar() as string;
  }

  /** Any scalar as text, as written in the file: for fields the service takes as strings (tags, env vars, versions). */
  text(fix: string): string | undefined {
    const kind = this.kind;
    if (kind === 'absent' || kind === 'null') return undefined;
    if (kind !== 'string' && kind !== 'number' && kind !== 'boolean') this.fail(`must be a single value, not ${this.describe()}`, fix);
    return this.sourceText();
  }

  /** A whole number (numeric text such as "2" is accepted, as the CLI does). */
  integer(fix: string, options: { min?: number } = {}): number | undefined {
    if (this.isEmpty) return undefined;
    const value = this.scalar();
    let result: number | undefined;
    if (typeof value === 'number' && Number.isInteger(value)) result = value;
    else if (typeof value === 'string' && /^[-+]?\d+$/.test(value.trim())) result = Number(value.trim());
    if (result === undefined) this.fail(`must be a whole number, not ${this.describe()}`, fix);
    if (options.min !== undefined && result < options.min) this.fail(`must be at least ${options.min}, not ${result}`, fix);
    return result;
  }

  /** A number (numeric text accepted). */
  number(fix: string): number | undefined {
    if (this.isEmpty) return undefined;
    const value = this.scalar();
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    return this.fail(`must be a number, not ${this.describe()}`, fix);
  }

  /** A boolean (the text "true"/"false" in any case is accepted, as the CLI does). */
  boolean(fix: string): boolean | undefined {
    if (this.isEmpty) return undefined;
    const value = this.scalar();
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
    return this.fail(`must be true or false, not ${this.describe()}`, fix);
  }

  /** A mapping (undefined when absent or empty). */
  mapping(fix: string): YamlMapping | undefined {
    if (this.isEmpty) return undefined;
    if (this.kind !== 'mapping') this.fail(`must be a mapping (fields indented under it), not ${this.describe()}`, fix);
    return new YamlMapping(this.document, this.path, this.node, this.anchor, this.parent);
  }

  /** A list (undefined when absent or empty). */
  sequence(fix: string): YamlValue[] | undefined {
    if (this.isEmpty) return undefined;
    if (this.kind !== 'sequence') this.fail(`must be a list, not ${this.describe()}`, fix);
    const seq = this.node as YAMLSeq;
    return seq.items.map((item, index) => new YamlValue(this.document, [...this.path, index], item as Node, item, this));
  }

  /** A mapping of names to single values, as text (tags, properties, environment variables). Empty values become ''. */
  stringMap(fix: string): Record<string, string> | undefined {
    const mapping = this.mapping(fix);
    if (!mapping) return undefined;
    const result: Record<string, string> = {};
    for (const entry of mapping.entries()) result[entry.key] = entry.value.text(fix) ?? '';
    return result;
  }

  /** Plain JavaScript value of the subtree (mappings become objects; keys as written). */
  toJS(): unknown {
    return toPlain(this);
  }

  /**
   * The node whose position names this field: the value when an override set it, else the key (errors
   * read "resources (line 12)" even when the value starts on the next line), else the value itself.
   */
  protected locatingNode(): unknown {
    const node = this.node;
    if (node && this.document.isFromOverride(node)) return node;
    if (hasPosition(this.anchor) || (this.anchor && this.document.isFromOverride(this.anchor))) return this.anchor;
    return node ?? this.anchor;
  }
}

export interface YamlEntry {
  readonly key: string;
  /** The key node (positions the field itself). */
  readonly keyNode: unknown;
  readonly value: YamlValue;
}

export class YamlMapping extends YamlValue {
  private cachedEntries: YamlEntry[] | undefined;

  /** Entries in file order; merge keys (`<<: *base`) are expanded, explicit keys winning. */
  entries(): YamlEntry[] {
    if (!this.cachedEntries) this.cachedEntries = isMap(this.node) ? this.collectEntries(this.node, new Set(), 0) : [];
    return this.cachedEntries;
  }

  keys(): string[] {
    return this.entries().map((entry) => entry.key);
  }

  has(key: string): boolean {
    return this.entries().some((entry) => entry.key === key);
  }

  /** The value of `key` (kind 'absent' when the key is not there). */
  get(key: string): YamlValue {
    const entry = this.entries().find((candidate) => candidate.key === key);
    return entry ? entry.value : new YamlValue(this.document, [...this.path, key], undefined, this.locatingNode(), this);
  }

  /** The entry of `key`, or undefined. */
  entry(key: string): YamlEntry | undefined {
    return this.entries().find((candidate) => candidate.key === key);
  }

  /**
   * Throws at the first key that is not in `known`: "<path> (line N) is not a field of <what>.
   * Did you mean 'x'?" (with the list of valid fields when nothing is close).
   */
  rejectUnknownFields(known: readonly string[], what: string, aliases: Readonly<Record<string, string>> = {}): void {
    for (const entry of this.entries()) {
      if (known.includes(entry.key)) continue;
      const suggestion = suggestFieldName(entry.key, known, aliases);
      const fix = suggestion ? `Did you mean '${suggestion}'?` : `The fields of ${what} are: ${known.join(', ')}.`;
      throw this.document.error(entry.keyNode, formatYamlPath([...this.path, entry.key]), `is not a field of ${what}`, fix);
    }
  }

  private collectEntries(map: YAMLMap, seen: Set<unknown>, depth: number): YamlEntry[] {
    const explicit: YamlEntry[] = [];
    const merged: YamlEntry[] = [];
    if (seen.has(map) || depth > 20) return explicit;
    seen.add(map);
    for (const pair of map.items as Pair<unknown, unknown>[]) {
      if (isMergeKey(pair.key)) {
        for (const source of this.mergeSources(pair.value)) {
          for (const entry of this.collectEntries(source, seen, depth + 1)) {
            if (!merged.some((existing) => existing.key === entry.key)) {
              merged.push({ ...entry, value: this.child(entry.key, entry.value.node, entry.keyNode) });
            }
          }
        }
        continue;
      }
      const key = keyText(pair.key);
      explicit.push({ key, keyNode: pair.key, value: this.child(key, pair.value as Node | undefined, pair.key) });
    }
    const explicitKeys = new Set(explicit.map((entry) => entry.key));
    return [...explicit, ...merged.filter((entry) => !explicitKeys.has(entry.key))];
  }

  private mergeSources(value: unknown): YAMLMap[] {
    const resolved = this.document.resolve(value as Node);
    if (isMap(resolved)) return [resolved];
    if (isSeq(resolved)) {
      return resolved.items.map((item) => this.document.resolve(item as Node)).filter((item): item is YAMLMap => isMap(item));
    }
    return [];
  }

  private child(key: string, node: Node | undefined, keyNode: unknown): YamlValue {
    // A key with nothing after it (`model:`) has a null scalar from the parser; built pairs may have none.
    return new YamlValue(this.document, [...this.path, key], node ?? new Scalar(null), keyNode, this);
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || (key.source === '<<' && key.type === 'PLAIN'));
}

function keyText(key: unknown): string {
  if (isScalar(key)) {
    if (typeof key.value === 'string') return key.value;
    return key.source ?? String(key.value);
  }
  return String(key);
}

function toPlain(value: YamlValue): unknown {
  switch (value.kind) {
    case 'mapping': {
      const result: Record<string, unknown> = {};
      for (const entry of value.mapping('')!.entries()) result[entry.key] = toPlain(entry.value);
      return result;
    }
    case 'sequence':
      return value.sequence('')!.map(toPlain);
    case 'absent':
      return undefined;
    default:
      return value.scalar();
  }
}

function hasPosition(node: unknown): boolean {
  return Boolean(node && typeof node === 'object' && (node as { range?: unknown }).range);
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
