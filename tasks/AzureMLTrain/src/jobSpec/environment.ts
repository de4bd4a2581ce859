/**
 * `environment:` of a job, step or component: a reference to a registered environment, a curated or
 * registry environment (passed through, the service expands them), or an inline definition
 * `{image, conda_file}` registered as an environment version whose version is a hash of its content.
 */
import { stringify } from 'yaml';
import { YamlDocument, type YamlMapping, type YamlValue } from '@azureml-mlops/shared';
import type { PlanContext } from './context';
import { FIELD_ALIASES } from './fields';
import { anonymousEnvironmentVersion } from './hashing';
import { resolveAssetReference, resolveLocalPath } from './references';
import type { RestEnvironmentVersion } from './plan';

/** The environment as the job body takes it (`environmentId`) and as a component spec takes it. */
export interface ResolvedEnvironment {
  /** ARM id, placeholder or passthrough reference. */
  readonly environmentId: string;
  /** `azureml:<ARM id>` or the passthrough reference, for componentSpec.environment. */
  readonly componentReference: string;
}

export const ANONYMOUS_ENVIRONMENT_NAME = 'CliV2AnonymousEnvironment';
/** Curated environments ("AzureML-...") live outside the workspace; azure-ai-ml passes them through. */
const CURATED_PREFIX = 'AzureML-';
const EXAMPLE = 'environment: azureml:my-env:1 (registered), or environment: {image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04, conda_file: ./conda.yml}';
const INLINE_FIELDS = ['$schema', 'image', 'conda_file', 'name', 'version', 'description', 'tags', 'os_type', 'build', 'inference_config'];

export function resolveEnvironment(value: YamlValue, context: PlanContext, baseDirectory: string): ResolvedEnvironment {
  if (value.kind === 'mapping') return registerInlineEnvironment(value.mapping('')!, context, baseDirectory);
  const text = value.string(`Write ${EXAMPLE}.`)?.trim();
  if (text === undefined) return value.fail('is empty', `Write ${EXAMPLE}.`);
  if (/^azureml:\/\/registries\//i.test(text)) return passthrough(text);
  if (!text.startsWith('azureml:')) {
    const looksLikeImage = /[/.]/.test(text) && !text.includes(' ');
    return value.fail(
      `is '${text}', which is not a reference to an environment`,
      looksLikeImage
        ? `To run in a Docker image, write environment: {image: ${text}}; to use a registered environment, write azureml:<name>:<version>.`
        : `Write ${EXAMPLE}.`,
    );
  }
  const body = text.slice('azureml:'.length);
  if (body.startsWith(CURATED_PREFIX)) return passthrough(text);
  const armId = resolveAssetReference(value, text, 'environments', context, 'the environment', 'azureml:my-env:1');
  return { environmentId: armId, componentReference: `azureml:${armId}` };
}

function passthrough(reference: string): ResolvedEnvironment {
  return { environmentId: reference, componentReference: reference };
}

function registerInlineEnvironment(mapping: YamlMapping, context: PlanContext, baseDirectory: string): ResolvedEnvironment {
  mapping.rejectUnknownFields(INLINE_FIELDS, 'an inline environment', FIELD_ALIASES);
  const build = mapping.get('build');
  if (build.kind !== 'absent') {
    build.fail(
      'is not supported by this task (building an image from a Docker context)',
      'Register the environment once with `az ml environment create` and reference it as azureml:<name>:<version>, or use image: with conda_file:.',
    );
  }
  const inference = mapping.get('inference_config');
  if (inference.kind !== 'absent') inference.fail('is for inference environments, not training jobs', 'Remove inference_config.');

  const image = mapping.get('image').required('Add the Docker image, e.g. image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest.').string('Give the image name as text.')!;
  const condaFile = readCondaFile(mapping.get('conda_file'), baseDirectory);
  const osText = mapping.get('os_type').string('Write os_type: linux or windows.');
  let osType: 'Linux' | 'Windows' | undefined;
  if (osText !== undefined) {
    if (!/^(linux|windows)$/i.test(osText)) mapping.get('os_type').fail(`is '${osText}'`, 'Write os_type: linux or windows.');
    osType = osText.toLowerCase() === 'windows' ? 'Windows' : 'Linux';
  }
  const description = mapping.get('description').string('Write the description as text.');
  const tags = mapping.get('tags').stringMap('Write tags as name: value pairs.');
  const nameValue = mapping.get('name');
  const versionValue = mapping.get('version');
  const name = nameValue.string('Give the environment name as text.');
  const version = versionValue.text('Give the version, e.g. version: 1.');
  if ((name === undefined) !== (version === undefined)) {
    const missing = name === undefined ? nameValue : versionValue;
    missing.required('Give both name and version to register a named environment, or neither for an anonymous one (versioned by content).');
  }
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(name)) nameValue.fail(`is '${name}', which is not a valid environment name`, 'Use letters, digits, ., - and _.');
  const anonymous = name === undefined;
  const properties: RestEnvironmentVersion = {
    image,
    ...(condaFile !== undefined ? { condaFile } : {}),
    ...(osType ? { osType } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(tags ? { tags } : {}),
    ...(anonymous ? { isAnonymous: true } : {}),
  };
  const armId = context.addEnvironment(
    name ?? ANONYMOUS_ENVIRONMENT_NAME,
    version ?? anonymousEnvironmentVersion(image, condaFile),
    anonymous,
    properties,
    mapping.pathText,
  );
  return { environmentId: armId, componentReference: `azureml:${armId}` };
}

/**
 * The conda specification as the service stores it: YAML text with sorted keys (azure-ai-ml dumps the
 * loaded file with sort_keys=True). `conda_file` is a path relative to the YAML, or an inline mapping.
 */
function readCondaFile(value: YamlValue, baseDirectory: string): string | undefined {
  if (value.isEmpty) return undefined;
  let content: unknown;
  if (value.kind === 'mapping') {
    content = value.toJS();
  } else {
    const text = value.string('Give the path of the conda file, e.g. conda_file: ./conda.yml, or write its content inline.')!;
    const { absolutePath, kind } = resolveLocalPath(value, text, baseDirectory, 'the conda file');
    if (kind !== 'file') value.fail(`is the folder '${text}', not a conda file`, 'Give the path of the conda YAML file.');
    const displayName = value.document.displayNameFor(absolutePath);
    const conda = YamlDocument.load(absolutePath, { inputName: value.document.inputName, displayName });
    content = conda.root().toJS();
  }
  return stringify(content, { sortMapEntries: true, indentSeq: false, singleQuote: true, lineWidth: 0 });
}
