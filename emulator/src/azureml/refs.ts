/**
 * Parsing of the ways a job, component or input names an asset or a compute:
 * - ARM ids, with or without the `azureml:` prefix the CLI writes
 *   (`azureml:/subscriptions/…/workspaces/w/environments/e/versions/1`);
 * - short references (`azureml:e:1`, `azureml:e@latest`, `e:1`);
 * - asset ids of the newer services (`azureml://locations/<loc>/workspaces/<id>/environments/e/versions/1`);
 * - registry assets (`azureml://registries/azureml/environments/e/versions/1`), which live outside the workspace.
 */

export type AssetKind = 'codes' | 'environments' | 'data' | 'components' | 'models';

export type AssetRef =
  | { readonly scope: 'workspace'; readonly kind: AssetKind; readonly name: string; readonly version: string; readonly workspace?: WorkspaceCoordinates }
  | { readonly scope: 'workspace'; readonly kind: AssetKind; readonly name: string; readonly label: 'latest'; readonly workspace?: WorkspaceCoordinates }
  | { readonly scope: 'registry'; readonly kind: AssetKind; readonly registry: string; readonly name: string; readonly version?: string };

export interface WorkspaceCoordinates {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
}

const ARM_ASSET =
  /^(?:azureml:)?\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/(codes|environments|data|components|models)\/([^/]+)(?:\/versions\/([^/]+))?\/?$/i;
const LOCATION_ASSET = /^azureml:\/\/locations\/[^/]+\/workspaces\/[^/]+\/(codes|environments|data|components|models)\/([^/]+)\/versions\/([^/]+)\/?$/i;
const REGISTRY_ASSET = /^azureml:\/\/registries\/([^/]+)\/(codes|environments|data|components|models)\/([^/]+)(?:\/versions\/([^/]+)|\/labels\/([^/]+))?\/?$/i;
const SHORT_VERSION = /^(?:azureml:)?([A-Za-z0-9_][A-Za-z0-9_.-]*):([A-Za-z0-9_.-]+)$/;
const SHORT_LABEL = /^(?:azureml:)?([A-Za-z0-9_][A-Za-z0-9_.-]*)@latest$/;

/** Parses an asset reference of the expected kind; undefined when the text is not one (the caller reports it). */
export function parseAssetRef(text: string, kind: AssetKind): AssetRef | undefined {
  const value = text.trim();
  let m = ARM_ASSET.exec(value);
  if (m) {
    if (m[4]!.toLowerCase() !== kind || m[6] === undefined) return undefined;
    return { scope: 'workspace', kind, name: m[5]!, version: m[6], workspace: { subscriptionId: m[1]!, resourceGroup: m[2]!, workspaceName: m[3]! } };
  }
  m = LOCATION_ASSET.exec(value);
  if (m) return m[1]!.toLowerCase() === kind ? { scope: 'workspace', kind, name: m[2]!, version: m[3]! } : undefined;
  m = REGISTRY_ASSET.exec(value);
  if (m) {
    if (m[2]!.toLowerCase() !== kind) return undefined;
    return m[4] !== undefined ? { scope: 'registry', kind, registry: m[1]!, name: m[3]!, version: m[4] } : { scope: 'registry', kind, registry: m[1]!, name: m[3]! };
  }
  if (value.startsWith('azureml://') || value.startsWith('/') || value.includes('://')) return undefined;
  m = SHORT_LABEL.exec(value);
  if (m) return { scope: 'workspace', kind, name: m[1]!, label: 'latest' };
  m = SHORT_VERSION.exec(value);
  if (m) return { scope: 'workspace', kind, name: m[1]!, version: m[2]! };
  return undefined;
}

/** How an asset reference reads in an error message. */
export function describeRef(ref: AssetRef): string {
  if (ref.scope === 'registry') return `azureml://registries/${ref.registry}/${ref.kind}/${ref.name}${ref.version ? `/versions/${ref.version}` : ''}`;
  return 'version' in ref ? `${ref.name}:${ref.version}` : `${ref.name}@latest`;
}

const ARM_COMPUTE = /^(?:azureml:)?\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/computes\/([^/]+)\/?$/i;
const SHORT_COMPUTE = /^(?:azureml:)?([A-Za-z0-9][A-Za-z0-9_-]*)$/;

export interface ComputeRef {
  readonly name: string;
  readonly workspace?: WorkspaceCoordinates;
}

/** `computeId` as ARM id, `azureml:<name>` or plain name. */
export function parseComputeRef(text: string): ComputeRef | undefined {
  const value = text.trim();
  const m = ARM_COMPUTE.exec(value);
  if (m) return { name: m[4]!, workspace: { subscriptionId: m[1]!, resourceGroup: m[2]!, workspaceName: m[3]! } };
  const s = SHORT_COMPUTE.exec(value);
  return s ? { name: s[1]! } : undefined;
}
