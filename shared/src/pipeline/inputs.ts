import * as fs from 'node:fs';
import * as path from 'node:path';

import { AgentEnvironment, taskLibEnvironment } from './agentEnvironment';
import { InputError } from './errors';

export interface TextInputOptions {
  /** How to fix a missing value, when more specific than "set it on the task". */
  readonly fix?: string;
}

export interface IntegerInputOptions {
  readonly min?: number;
  readonly max?: number;
}

export interface PathInputOptions {
  /** What the path must be. Default 'any'. */
  readonly kind?: 'file' | 'folder' | 'any';
  /** Check the path exists (default true). */
  readonly mustExist?: boolean;
  readonly fix?: string;
}

/** One `key=value` line of a multi-line input, with its 1-based line number. */
export interface KeyValueEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/**
 * Typed, validated reading of task inputs. Every problem is an InputError naming the input, what is wrong and
 * how to fix it. Each task's parameters.ts builds one of these and reads every input in one place.
 */
export class InputReader {
  constructor(private readonly env: AgentEnvironment = taskLibEnvironment) {}

  /** The input's trimmed value, or undefined when empty. */
  optionalString(name: string): string | undefined {
    return this.env.getInput(name);
  }

  requiredString(name: string, options: TextInputOptions = {}): string {
    const value = this.env.getInput(name);
    if (value === undefined) throw missing(name, options.fix);
    return value;
  }

  /** A boolean input: true/false (also yes/no, on/off, 1/0, any case); `defaultValue` when empty. */
  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.env.getInput(name);
    if (value === undefined) return defaultValue;
    const lower = value.toLowerCase();
    if (TRUE_WORDS.has(lower)) return true;
    if (FALSE_WORDS.has(lower)) return false;
    throw new InputError(name, `'${value}' is not a boolean`, 'Use true or false');
  }

  /** A whole number within [min, max]; `defaultValue` when empty (undefined default makes it optional). */
  integer(name: string, defaultValue: number, options?: IntegerInputOptions): number;
  integer(name: string, defaultValue: undefined, options?: IntegerInputOptions): number | undefined;
  integer(name: string, defaultValue: number | undefined, options: IntegerInputOptions = {}): number | undefined {
    const value = this.env.getInput(name);
    if (value === undefined) return defaultValue;
    const range = describeRange(options);
    if (!/^[+-]?\d+$/.test(value)) {
      throw new InputError(name, `'${value}' is not a whole number`, `Use a whole number${range ? ` ${range}` : ''}`);
    }
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) {
      throw new InputError(name, `'${value}' is too large`, `Use a whole number${range ? ` ${range}` : ''}`);
    }
    if (options.min !== undefined && parsed < options.min) {
      throw new InputError(name, `${parsed} is below the minimum of ${options.min}`, `Use a whole number ${range}`);
    }
    if (options.max !== undefined && parsed > options.max) {
      throw new InputError(name, `${parsed} is above the maximum of ${options.max}`, `Use a whole number ${range}`);
    }
    return parsed;
  }

  /** One of `allowed` (matched case-insensitively, returned as spelled in `allowed`); `defaultValue` when empty. */
  enumValue<T extends string>(name: string, allowed: readonly T[], defaultValue: T): T;
  enumValue<T extends string>(name: string, allowed: readonly T[], defaultValue?: undefined): T | undefined;
  enumValue<T extends string>(name: string, allowed: readonly T[], defaultValue?: T): T | undefined {
    const value = this.env.getInput(name);
    if (value === undefined) return defaultValue;
    const match = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
    if (match === undefined) {
      throw new InputError(name, `'${value}' is not an allowed value`, `Use one of: ${allowed.join(', ')}`);
    }
    return match;
  }

  /**
   * Multi-line `key=value` pairs (one per line; blank lines and lines starting with '#' are skipped; the value
   * is everything after the first '='). Duplicate keys are an error: the user probably meant something else.
   */
  keyValuePairs(name: string): KeyValueEntry[] {
    const value = this.env.getInput(name);
    if (value === undefined) return [];
    const entries: KeyValueEntry[] = [];
    const firstLine = new Map<string, number>();
    value.split(/\r?\n/).forEach((raw, index) => {
      const line = index + 1;
      const text = raw.trim();
      if (text === '' || text.startsWith('#')) return;
      const equals = text.indexOf('=');
      if (equals < 0) {
        throw new InputError(name, `line ${line} ('${text}') is not in key=value form`, 'Write one key=value pair per line');
      }
      const key = text.slice(0, equals).trim();
      if (key === '') {
        throw new InputError(name, `line ${line} ('${text}') has no key before '='`, 'Write one key=value pair per line');
      }
      const previous = firstLine.get(key);
      if (previous !== undefined) {
        throw new InputError(name, `line ${line} repeats the key '${key}' (first set on line ${previous})`, 'Keep one line per key');
      }
      firstLine.set(key, line);
      entries.push({ key, value: text.slice(equals + 1).trim(), line });
    });
    return entries;
  }

  /** `keyValuePairs` as a plain object (insertion order kept). */
  keyValueRecord(name: string): Record<string, string> {
    const record: Record<string, string> = {};
    for (const entry of this.keyValuePairs(name)) record[entry.key] = entry.value;
    return record;
  }

  /** Non-empty lines, trimmed. */
  lines(name: string): string[] {
    const value = this.env.getInput(name);
    if (value === undefined) return [];
    return value
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }

  /**
   * A file or folder path, absolute. Relative paths are resolved against System.DefaultWorkingDirectory, as the
   * agent does for filePath inputs. The agent fills an EMPTY filePath input with that folder itself, so a value
   * equal to it counts as "not set" (task-lib's filePathSupplied rule).
   */
  path(name: string, options: PathInputOptions & { required: true }): string;
  path(name: string, options?: PathInputOptions & { required?: boolean }): string | undefined;
  path(name: string, options: PathInputOptions & { required?: boolean } = {}): string | undefined {
    const raw = this.env.getInput(name);
    const root = this.workingDirectory();
    const supplied = raw !== undefined && !sameFolder(path.resolve(root, raw), this.repositoryRoots());
    if (!supplied) {
      if (options.required) throw missing(name, options.fix);
      return undefined;
    }
    const resolved = path.resolve(root, raw);
    const kind = options.kind ?? 'any';
    if (options.mustExist === false) return resolved;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(resolved);
    } catch {
      const where = path.isAbsolute(raw) ? '' : ` (relative paths start at $(System.DefaultWorkingDirectory), ${root})`;
      throw new InputError(
        name,
        `'${raw}' does not exist${resolved !== raw ? ` (looked for ${resolved})` : ''}`,
        `Check the path${where}; in YAML pipelines check that the files were checked out or downloaded first`,
      );
    }
    if (kind === 'file' && !stat.isFile()) {
      throw new InputError(name, `'${raw}' is a folder, but a file is expected`, 'Give the path of a file');
    }
    if (kind === 'folder' && !stat.isDirectory()) {
      throw new InputError(name, `'${raw}' is a file, but a folder is expected`, 'Give the path of a folder');
    }
    return resolved;
  }

  /**
   * The id of the service connection chosen in `name` (the agent passes ids, having resolved names). That the
   * connection exists and is an Azure Resource Manager one is checked by readAzureRmConnection.
   */
  connectionId(name: string): string {
    return this.requiredString(name, {
      fix: 'Choose an Azure Resource Manager service connection (YAML: the connection name or id)',
    });
  }

  private workingDirectory(): string {
    return this.env.getVariable('System.DefaultWorkingDirectory') ?? process.cwd();
  }

  private repositoryRoots(): string[] {
    return [this.env.getVariable('System.DefaultWorkingDirectory'), this.env.getVariable('Build.SourcesDirectory')]
      .filter((value): value is string => value !== undefined)
      .map((value) => path.resolve(value));
  }
}

function missing(name: string, fix?: string): InputError {
  return new InputError(name, 'a value is required', fix ?? `Set '${name}' on the task`);
}

function describeRange(options: IntegerInputOptions): string {
  if (options.min !== undefined && options.max !== undefined) return `from ${options.min} to ${options.max}`;
  if (options.min !== undefined) return `of at least ${options.min}`;
  if (options.max !== undefined) return `of at most ${options.max}`;
  return '';
}

function sameFolder(candidate: string, roots: readonly string[]): boolean {
  const normalize = (p: string) => p.replace(/[\\/]+$/, '');
  return roots.some((root) => normalize(root) === normalize(candidate));
}
