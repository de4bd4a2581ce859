import { InputError } from '../pipeline/errors';

/** Where a YAML value came from: a line of the file, or a line of the overrides input. */
export interface YamlLocation {
  /** The file as named in messages (the path the user gave, or its base name). */
  readonly file: string;
  /** 1-based line in the file; undefined when the value came from an override. */
  readonly line?: number;
  /** 1-based column in the file (shown for syntax errors only). */
  readonly column?: number;
  /** 1-based line of the overrides input that set the value. */
  readonly overrideLine?: number;
}

/**
 * A problem in a YAML spec, located precisely. It is an InputError of the input the value came from
 * (the file input, or the overrides input when an override set the value), so `runTaskMain` prints e.g.
 *   Input 'jobFile': train.yml: jobs.train.resources.gpus (line 14) is not a field of resources. Did you mean 'instance_count'?
 *   Input 'overrides': line 2: resources.instance_count must be a whole number, not the text 'two'. Example: ...
 */
export class YamlSpecError extends InputError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly overrideLine: number | undefined;

  constructor(
    inputName: string,
    location: YamlLocation,
    /** Dotted path of the offending field, e.g. `jobs.train.inputs.alpha`; '' for the whole document. */
    readonly yamlPath: string,
    /** What is wrong, without location (e.g. "is not a field of a command job"). */
    readonly issue: string,
    fix: string,
  ) {
    super(inputName, `${describeLocation(location, yamlPath)} ${issue}`, fix);
    this.name = 'YamlSpecError';
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.overrideLine = location.overrideLine;
  }
}

/** Bad syntax in the overrides input (one `path=value` per line). */
export class OverridesSyntaxError extends InputError {
  constructor(
    inputName: string,
    /** 1-based line of the overrides input. */
    readonly line: number,
    issue: string,
    fix: string,
  ) {
    super(inputName, `line ${line}: ${issue}`, fix);
    this.name = 'OverridesSyntaxError';
  }
}

function describeLocation(location: YamlLocation, yamlPath: string): string {
  if (location.overrideLine !== undefined) {
    return yamlPath ? `line ${location.overrideLine}: ${yamlPath}` : `line ${location.overrideLine}:`;
  }
  const line = location.line === undefined ? '' : `line ${location.line}`;
  if (yamlPath) return line ? `${location.file}: ${yamlPath} (${line})` : `${location.file}: ${yamlPath}`;
  const column = location.column === undefined ? '' : `, column ${location.column}`;
  return line ? `${location.file}, ${line}${column}:` : `${location.file}:`;
}
