/**
 * Locates fields of the job YAML for errors found after planning (unknown compute, missing asset version...), so that
 * they read like the planner's own: file, field, line, or the overrides line that set the value.
 */
import { applyOverrides, InputError, type TaskError, valueAt, YamlDocument } from '@azureml-mlops/shared';

import { INPUTS, type SubmitJob } from '../parameters';

export interface SpecLocator {
  /**
   * An error about the first of `yamlPaths` present in the YAML (e.g. `jobs.train.compute`), naming its line; when
   * none is (the field came from a component file), an error naming the job file and the first path.
   */
  errorAt(yamlPaths: readonly string[], issue: string, fix: string): TaskError;
}

/** Reads the job YAML and its overrides again, as the planner did (it already validated both). */
export function loadSpecLocator(job: SubmitJob): SpecLocator {
  const document = YamlDocument.load(job.jobFile, { inputName: INPUTS.jobFile, displayName: job.jobFileDisplayName });
  if (job.overrides) applyOverrides(document, job.overrides, { inputName: INPUTS.overrides });
  return {
    errorAt(yamlPaths, issue, fix) {
      for (const yamlPath of yamlPaths) {
        const value = valueAt(document, yamlPath);
        if (value.kind !== 'absent') return value.error(issue, fix);
      }
      const where = yamlPaths[0] ? `${document.displayName}: ${yamlPaths[0]}` : document.displayName;
      return new InputError(INPUTS.jobFile, `${where} ${issue}`, fix);
    },
  };
}
