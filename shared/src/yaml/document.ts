/**
 * A YAML file loaded with source positions, so that every error can name the file, the line and the
 * field (`jobs.train.inputs.alpha`). Values set by overrides remember the override line instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import { InputError } from '../pipeline/errors';
import { type YamlLocation, YamlSpecError } from './errors';
import { pyyamlTags } from './pyyamlSchema';
import { YamlMapping } from './value';

export interface YamlSourceOptions {
  /** The task input that named the file: errors are InputErrors of this input (e.g. 'jobFile'). */
  readonly inputName: string;
  /** How messages name the file; defaults to the path as given. */
  readonly displayName?: string;
}

export interface YamlTextOptions extends YamlSourceOptions {
  /** Path of the file the text came from (relative paths inside it resolve against its folder). */
  readonly filePath?: string;
}

/** The parse options every `az ml` YAML is read with: YAML 1.1 as PyYAML reads it, merge keys, unique keys. */
export const PYYAML_PARSE_OPTIONS = {
  version: '1.1',
  customTags: pyyamlTags,
  merge: true,
  uniqueKeys: true,
  prettyErrors: true,
} as const;

export class YamlDocument {
  /** Name of the input that overrides come from; set by applyOverrides. */
  overridesInputName = 'overrides';
  private readonly overrideLines = new WeakMap<object, number>();

  private constructor(
    /** Absolute path of the file ('' when parsed from text without a path). */
    readonly filePath: string,
    readonly displayName: string,
    readonly inputName: string,
    readonly yaml: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Reads and parses a YAML file. Throws an InputError naming the file for any problem. */
  static load(filePath: string, options: YamlSourceOptions): YamlDocument {
    const displayName = options.displayName ?? filePath;
    let text: string;
    try {
      const stat = fs.statSync(filePath);
      if (stat.isDirectory()) {
        throw new InputError(options.inputName, `'${displayName}' is a folder, not a YAML file`, 'Give the path of the YAML file.');
      }
      text = fs.readFileSync(filePath, 'utf8');
    } catch (error) {
      if (error instanceof InputError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? `the file '${displayName}' does not exist` : `the file '${displayName}' cannot be read (${code ?? String(error)})`;
      throw new InputError(options.inputName, problem, 'Give the path of the YAML file, relative to the repository root or absolute.');
    }
    return YamlDocument.parse(text, { ...options, displayName, filePath: path.resolve(filePath) });
  }

  /** Parses YAML text. Throws a YamlSpecError at the first syntax error. */
  static parse(text: string, options: YamlTextOptions): YamlDocument {
    const lineCounter = new LineCounter();
    // A byte-order mark is legal at the start of a YAML stream; editors on Windows write one.
    const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const yaml = parseDocument(source, { ...PYYAML_PARSE_OPTIONS, lineCounter });
    const filePath = options.filePath ?? '';
    const displayName = options.displayName ?? (filePath || '<text>');
    const document = new YamlDocument(filePath, displayName, options.inputName, yaml, lineCounter);
    document.throwFirstProblem(source);
    return document;
  }

  /** Folder that relative paths in the file resolve against. */
  get directory(): string {
    return this.filePath ? path.dirname(this.filePath) : process.cwd();
  }

  /**
   * How messages name another file this one refers to (a conda file, a component): its path as seen from
   * this file's display name, e.g. `jobs/components/train.yml` for `./components/train.yml` in `jobs/pipeline.yml`.
   */
  displayNameFor(absolutePath: string): string {
    if (!this.filePath) return absolutePath;
    return path.join(path.dirname(this.displayName), path.relative(this.directory, absolutePath));
  }

  /** The root mapping, checked to be a mapping. */
  root(): YamlMapping {
    return new YamlMapping(this, [], this.yaml.contents as Node, undefined, undefined);
  }

  /** Resolves aliases (`*name`) to the node they point at. */
  resolve(node: Node | undefined): Node | undefined {
    let current: unknown = node;
    for (let depth = 0; isAlias(current) && depth < 100; depth++) current = current.resolve(this.yaml);
    return current as Node | undefined;
  }

  /** Where a node is: its line and column in the file, or the override line that set it. */
  locate(node: unknown): YamlLocation {
    const overrideLine = node && typeof node === 'object' ? this.overrideLines.get(node) : undefined;
    if (overrideLine !== undefined) return { file: this.displayName, overrideLine };
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (!range) return { file: this.displayName };
    const { line, col } = this.lineCounter.linePos(range[0]);
    return { file: this.displayName, line, column: col };
  }

  /** 1-based line of a node in the file (undefined for values set by overrides). */
  lineOfNode(node: unknown): number | undefined {
    return this.locate(node).line;
  }

  /** An error located at `node`, attributed to the file input or to the overrides input. */
  error(node: unknown, yamlPath: string, issue: string, fix: string): YamlSpecError {
    const location = this.locate(node);
    const inputName = location.overrideLine !== undefined ? this.overridesInputName : this.inputName;
    return new YamlSpecError(inputName, location, yamlPath, issue, fix);
  }

  /** True when an override line set this node. */
  isFromOverride(node: unknown): boolean {
    return Boolean(node && typeof node === 'object' && this.overrideLines.has(node));
  }

  /** Records that `node` and everything under it were set by override line `line`. */
  markFromOverride(node: unknown, line: number): void {
    if (!node || typeof node !== 'object') return;
    this.overrideLines.set(node, line);
    if (isCollection(node)) {
      visit(node, (_key, item) => {
        if (item && typeof item === 'object') this.overrideLines.set(item, line);
      });
    }
  }

  private throwFirstProblem(source: string): void {
    const problem: YAMLError | undefined = this.yaml.errors[0] ?? this.yaml.warnings[0];
    if (problem) {
      const [start] = problem.pos;
      const { line, col } = this.lineCounter.linePos(start);
      const location: YamlLocation = { file: this.displayName, line, column: col };
      throw new YamlSpecError(this.inputName, location, '', describeSyntaxProblem(problem, source), syntaxFix(problem));
    }
    const contents = this.yaml.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) {
      throw new YamlSpecError(this.inputName, { file: this.displayName }, '', 'is empty', 'Write the spec in the file, starting with its fields (e.g. "type: command").');
    }
    if (!isMap(this.resolve(contents as Node))) {
      const location = this.locate(contents);
      throw new YamlSpecError(this.inputName, location, '', 'must be a mapping of fields (e.g. "type: command"), not a single value or a list', 'Write one "field: value" per line at the top level.');
    }
  }
}

function describeSyntaxProblem(problem: YAMLError, source: string): string {
  switch (problem.code) {
    case 'DUPLICATE_KEY': {
      const line = source.slice(problem.pos[0]).split(/\r?\n/)[0] ?? '';
      const key = line.replace(/:(\s.*)?$/, '').trim().replace(/^(['"])(.*)\1$/, '$2');
      return `repeats the key '${key}' in the same mapping`;
    }
    case 'MULTIPLE_DOCS':
      return 'holds more than one YAML document (separated by ---); one spec per file is expected';
    case 'TAG_RESOLVE_FAILED':
      return `uses a YAML tag that is not supported (${firstSentence(problem.message)})`;
    default:
      return `is not valid YAML: ${firstSentence(problem.message)}`;
  }
}

function syntaxFix(problem: YAMLError): string {
  switch (problem.code) {
    case 'DUPLICATE_KEY':
      return 'Keep one of the two entries.';
    case 'MULTIPLE_DOCS':
      return 'Split the documents into separate files.';
    case 'TAG_RESOLVE_FAILED':
      return 'Remove the tag (the word starting with !).';
    default:
      return 'Check the indentation, the colons after field names and the closing quotes and brackets near that position.';
  }
}

/** The yaml package's messages end with " at line X, column Y:" and a code excerpt; we give the position ourselves. */
function firstSentence(message: string): string {
  const cut = message.search(/ at line \d+, column \d+/);
  return (cut === -1 ? message.split('\n')[0]! : message.slice(0, cut)).trim().replace(/\.$/, '');
}
