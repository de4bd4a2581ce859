/** `code:` of a job, step or component: a local folder (or file) to upload, or a registered code version. */
import type { YamlValue } from '@azureml-mlops/shared';
import type { PlanContext } from './context';
import { resolveAssetReference, resolveLocalPath } from './references';

export interface ResolvedCode {
  /** ARM id or placeholder, for the job's codeId. */
  readonly codeId: string;
  /** `azureml:<ARM id>`, for componentSpec.code. */
  readonly componentReference: string;
}

export function resolveCode(value: YamlValue, context: PlanContext, baseDirectory: string): ResolvedCode | undefined {
  const fix = 'Give the folder of your scripts, relative to the YAML file, e.g. code: ./src.';
  const text = value.string(fix)?.trim();
  if (text === undefined) return undefined;
  let codeId: string;
  if (/^azureml:\/\//i.test(text)) {
    return value.fail(`is '${text}': code from a registry is not supported`, fix);
  } else if (text.startsWith('azureml:')) {
    codeId = resolveAssetReference(value, text, 'codes', context, 'the code asset', 'azureml:my-code:1');
  } else if (/^git\+/i.test(text) || /^https?:\/\//i.test(text)) {
    return value.fail(`is '${text}': code from a Git repository or a web URL is not supported by this task`, `The pipeline has checked out your repository: ${fix}`);
  } else {
    const local = resolveLocalPath(value, text, baseDirectory, 'code');
    codeId = context.addCode(local.absolutePath, local.kind, value.pathText);
  }
  return { codeId, componentReference: `azureml:${codeId}` };
}
