/** SpecValues: a value with where it came from (a task input or a YAML field), so errors point at the source. */
import { InputError } from '../pipeline/errors';
import type { YamlValue } from '../yaml';
import type { SpecValue } from './types';

/** A value of a task input: problems are InputErrors naming the input. */
export function inputValue<T>(inputName: string, value: T): SpecValue<T> {
  return {
    value,
    origin: `input '${inputName}'`,
    fail(problem: string, fix: string): never {
      throw new InputError(inputName, problem, fix);
    },
  };
}

/** A value of a YAML field: problems are YamlSpecErrors naming the file, the field and its line. */
export function yamlValue<T>(field: YamlValue, value: T): SpecValue<T> {
  const line = field.line();
  return {
    value,
    origin: `${field.document.displayName}: ${field.pathText}${line !== undefined ? ` (line ${line})` : ''}`,
    fail(problem: string, fix: string): never {
      return field.fail(problem, fix);
    },
  };
}
