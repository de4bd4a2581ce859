/**
 * References to the model, environment and code of a deployment, as `az ml` YAML and task inputs write them:
 * `azureml:<name>:<version>`, `azureml:<name>@latest`, `<name>:<version>` (inputs), ARM ids (with or without
 * `azureml:`), and registry references `azureml://registries/<registry>/<models|environments>/<name>/...`.
 */
import type { CodeSpec, EnvironmentSpec, ModelSpec, SpecValue } from './types';

const NAME = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}';
const VERSION = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}';
const WORKSPACE_ASSET_ID = (collection: string): RegExp =>
  new RegExp(
    `^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.MachineLearningServices/workspaces/[^/]+/${collection}/(${NAME})/versions/(${VERSION})$`,
    'i',
  );
const REGISTRY_ASSET = (collection: string): RegExp => new RegExp(`^azureml://registries/[^/]+/${collection}/${NAME}(/versions/${VERSION}|/labels/[A-Za-z0-9_.-]+)?$`, 'i');
const REGISTRY_ARM_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/registries\//i;

type AssetCollection = 'models' | 'environments' | 'codes';

export type ParsedAssetReference =
  | { readonly kind: 'workspace'; readonly name: string; readonly version: string | 'latest' }
  | { readonly kind: 'armId'; readonly armId: string; readonly name: string; readonly version: string }
  | { readonly kind: 'registry'; readonly reference: string };

/**
 * Parses a reference to a versioned asset; undefined when `text` is none of the accepted forms. `bareAllowed`: a
 * `name:version` without `azureml:` is accepted (task inputs; in YAML a bare value is a local path).
 */
export function parseAssetReference(text: string, collection: AssetCollection, bareAllowed: boolean): ParsedAssetReference | undefined {
  const value = text.trim();
  if (REGISTRY_ASSET(collection).test(value)) return { kind: 'registry', reference: value };
  const prefixed = value.toLowerCase().startsWith('azureml:');
  const body = prefixed ? value.slice('azureml:'.length) : value;
  if (REGISTRY_ARM_ID.test(body)) return { kind: 'registry', reference: value };
  const arm = WORKSPACE_ASSET_ID(collection).exec(body);
  if (arm) return { kind: 'armId', armId: body, name: arm[1]!, version: arm[2]! };
  if (!prefixed && !bareAllowed) return undefined;
  const latest = new RegExp(`^(${NAME})@latest$`).exec(body);
  if (latest) return { kind: 'workspace', name: latest[1]!, version: 'latest' };
  const pair = new RegExp(`^(${NAME}):(${VERSION})$`).exec(body);
  if (pair) return { kind: 'workspace', name: pair[1]!, version: pair[2]! };
  return undefined;
}

const MODEL_FORMS = "azureml:<name>:<version> (e.g. azureml:diabetes-ridge:3), azureml:<name>@latest, or the version's ARM id";

/** The model of a deployment; `source.fail` reports a reference that is none of the accepted forms. */
export function modelSpecOf(source: SpecValue, bareAllowed: boolean): ModelSpec {
  const parsed = parseAssetReference(source.value, 'models', bareAllowed);
  if (!parsed) {
    const looksLocal = /^(\.{0,2}\/|[A-Za-z]:\\|file:)/.test(source.value) || (!source.value.includes(':') && !source.value.includes('@'));
    return source.fail(
      looksLocal
        ? `is '${source.value}', a local path or a name without a version: this task deploys registered models only`
        : `is '${source.value}', which is not a reference to a model version`,
      looksLocal
        ? `Register the model first (AzureMLRegisterModel@1) and give ${bareAllowed ? '$(register.ModelReference) or name:version' : MODEL_FORMS}`
        : `Write ${MODEL_FORMS}${bareAllowed ? ', or name:version' : ''}`,
    );
  }
  if (parsed.kind === 'registry') return { kind: 'registry', reference: parsed.reference, source };
  if (parsed.kind === 'armId') return { kind: 'armId', armId: parsed.armId, source };
  return { kind: 'workspace', name: parsed.name, version: parsed.version, source };
}

const ENVIRONMENT_FORMS = 'azureml:<name>:<version> (e.g. azureml:diabetes-scoring:2), azureml:<name>@latest, or the version\'s ARM id';
/** Curated environments ("AzureML-...") live outside the workspace: passed through, the service resolves them. */
const CURATED_PREFIX = 'azureml-';

export function environmentSpecOf(source: SpecValue, bareAllowed: boolean): EnvironmentSpec {
  const parsed = parseAssetReference(source.value, 'environments', bareAllowed);
  if (!parsed) {
    const looksLikeImage = /[/.]/.test(source.value) && !source.value.toLowerCase().startsWith('azureml:') && !/\s/.test(source.value);
    return source.fail(
      `is '${source.value}', which is not a reference to an environment version`,
      looksLikeImage
        ? `To run in a Docker image, register it as an environment (or in the deployment YAML write environment: {image: ${source.value}}); reference a registered one as ${ENVIRONMENT_FORMS}`
        : `Write ${ENVIRONMENT_FORMS}${bareAllowed ? ', or name:version' : ''}`,
    );
  }
  if (parsed.kind === 'registry') return { kind: 'registry', reference: parsed.reference, source };
  if (parsed.kind === 'armId') return { kind: 'armId', armId: parsed.armId, source };
  if (parsed.name.toLowerCase().startsWith(CURATED_PREFIX)) return { kind: 'registry', reference: source.value.trim(), source };
  return { kind: 'workspace', name: parsed.name, version: parsed.version, source };
}

/** A registered code version (`azureml:` reference or ARM id); undefined when `text` is a local path. */
export function registeredCodeSpecOf(source: SpecValue): CodeSpec | undefined {
  const text = source.value.trim();
  if (!text.toLowerCase().startsWith('azureml:') && !text.startsWith('/subscriptions/')) return undefined;
  const parsed = parseAssetReference(text, 'codes', false);
  if (!parsed || parsed.kind === 'registry') {
    return source.fail(`is '${text}', which is not a reference to a code version of the workspace`, 'Give the folder of the scoring script (e.g. ./score), or azureml:<code name>:<version>');
  }
  if (parsed.kind === 'armId') return { kind: 'armId', armId: parsed.armId, source };
  return { kind: 'workspace', name: parsed.name, version: parsed.version, source };
}
