// Validation against the published task.json schema (draft-04), read from ../shared/schemas beside the repository.
import fs from 'node:fs';
import Ajv from 'ajv-draft-04';
import { problem } from './problems.mjs';

/**
 * @returns {{ validate(task: any, file: string): import('./problems.mjs').Problem[] } | { skipped: string }}
 */
export function loadTaskSchema(schemaPath) {
  if (!fs.existsSync(schemaPath)) {
    return { skipped: `${schemaPath} is absent (it comes with the team's shared folder beside the repository)` };
  }
  // unicodeRegExp: false because the schema's patterns use escapes (`\:`) that are invalid in unicode mode.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  const validateFn = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
  return {
    validate(task, file) {
      if (validateFn(task)) return [];
      return (validateFn.errors ?? [])
        // anyOf branches repeat the same failure three ways; the summary line is enough.
        .filter((e) => !(e.schemaPath.includes('/anyOf/') && (validateFn.errors ?? []).some((o) => o.keyword === 'anyOf' && o.instancePath === e.instancePath)))
        .map((e) => problem('schema', file, `${e.instancePath || '/'} ${e.message}${describeParams(e)}`));
    },
  };
}

function describeParams(error) {
  if (error.keyword === 'additionalProperties') return `: "${error.params.additionalProperty}"`;
  if (error.keyword === 'enum') return ` (${error.params.allowedValues.join(', ')})`;
  return '';
}
