/**
 * What the deployment library works with: endpoint and deployment specs (from `az ml` YAML and task inputs, checked
 * offline), a deployment whose references were resolved against the workspace, logs and scoring credentials.
 */
import type { AppliedOverride } from '../yaml';

export type ComputeType = 'Managed' | 'Kubernetes';
/** EndpointAuthMode of the REST API (the YAML's key / aml_token / aad_token). */
export type EndpointAuthMode = 'Key' | 'AMLToken' | 'AADToken';

/** A JSON object as the REST API takes it. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/**
 * A value that came from a task input or a YAML field, with the means to report a problem about it at its source:
 * `fail` throws an InputError naming the input, or a YamlSpecError naming the file, field and line.
 */
export interface SpecValue<T = string> {
  readonly value: T;
  /** `input 'model'` or `deployment.yml: model (line 5)`: where the value came from, for messages. */
  readonly origin: string;
  fail(problem: string, fix: string): never;
}

/** Names of the task inputs the specs are read from (messages name them). Defaults: AzureMLDeployQA@1's names. */
export interface EndpointInputNames {
  readonly file: string;
  readonly overrides: string;
  readonly name: string;
  readonly computeType: string;
  readonly kubernetesCompute: string;
  readonly authMode: string;
}

export interface DeploymentInputNames {
  readonly file: string;
  readonly overrides: string;
  readonly name: string;
  readonly endpointName: string;
  readonly model: string;
  readonly environment: string;
  readonly codePath: string;
  readonly scoringScript: string;
  readonly instanceType: string;
  readonly instanceCount: string;
  readonly computeType: string;
}

/**
 * An online endpoint to create or update, checked offline. `body` is a partial REST OnlineEndpointTrackedResource
 * holding ONLY the fields the YAML or the inputs state: createOrUpdateEndpoint merges them into the existing
 * endpoint (fields not stated are left as they are), and fills what a new endpoint needs (location, authMode Key).
 */
export interface EndpointSpec {
  readonly name: string;
  readonly computeType: ComputeType;
  /** Name of the attached Kubernetes compute (Kubernetes endpoints); turned into its ARM id against the workspace. */
  readonly kubernetesCompute?: SpecValue;
  /** The auth mode stated (YAML auth_mode or input); undefined: Key for a new endpoint, unchanged for an existing one. */
  readonly authMode?: EndpointAuthMode;
  /** Partial REST body: properties.{description, properties, publicNetworkAccess, authMode}, tags, identity, kind. */
  readonly body: JsonObject;
  /** `traffic:` of the YAML (applied only by setEndpointTraffic or createOrUpdateEndpoint with keepTraffic: false). */
  readonly traffic?: Readonly<Record<string, number>>;
  /** `mirror_traffic:` of the YAML (same rule). */
  readonly mirrorTraffic?: Readonly<Record<string, number>>;
  /** The YAML as messages name it (undefined without a file). */
  readonly file?: string;
  readonly appliedOverrides: readonly AppliedOverride[];
}

/** The model of a deployment, before resolution. */
export type ModelSpec =
  | { readonly kind: 'workspace'; readonly name: string; readonly version: string | 'latest'; readonly source: SpecValue }
  /** A full ARM id of a workspace model version (checked to exist) or a registry model (passed through). */
  | { readonly kind: 'armId'; readonly armId: string; readonly source: SpecValue }
  | { readonly kind: 'registry'; readonly reference: string; readonly source: SpecValue };

export type EnvironmentSpec =
  | { readonly kind: 'workspace'; readonly name: string; readonly version: string | 'latest'; readonly source: SpecValue }
  | { readonly kind: 'armId'; readonly armId: string; readonly source: SpecValue }
  | { readonly kind: 'registry'; readonly reference: string; readonly source: SpecValue }
  /** An inline `{image, conda_file}`: registered as an anonymous environment version named by its content. */
  | { readonly kind: 'inline'; readonly image: string; readonly condaFile?: string; readonly osType?: 'Linux' | 'Windows'; readonly source: SpecValue };

export type CodeSpec =
  /** A local folder (or file) uploaded by content hash and registered as an anonymous code version. */
  | { readonly kind: 'local'; readonly path: string; readonly source: SpecValue }
  | { readonly kind: 'workspace'; readonly name: string; readonly version: string | 'latest'; readonly source: SpecValue }
  | { readonly kind: 'armId'; readonly armId: string; readonly source: SpecValue };

/**
 * An online deployment to create or update, checked offline. References (model, environment, code) are resolved by
 * resolveDeployment; `body` is a partial REST OnlineDeploymentTrackedResource with the other fields the YAML and
 * inputs state (instanceType, sku.capacity, requestSettings, probes, environmentVariables, ...).
 */
export interface DeploymentSpec {
  readonly name: string;
  /** Where the name comes from: the name input, the YAML (or its overrides), or the caller's defaultName. */
  readonly nameFrom: 'input' | 'file' | 'default';
  readonly endpointName: string;
  readonly computeType: ComputeType;
  readonly model?: ModelSpec;
  readonly environment?: EnvironmentSpec;
  readonly code?: CodeSpec;
  /** The scoring script, relative to the code folder. */
  readonly scoringScript?: SpecValue;
  readonly instanceType?: SpecValue;
  /** Partial REST body (properties.* other than model/environmentId/codeConfiguration; sku; tags; kind). */
  readonly body: JsonObject;
  readonly file?: string;
  readonly appliedOverrides: readonly AppliedOverride[];
}

/** A deployment ready to PUT: references are ARM ids of things that exist (code uploaded and registered). */
export interface ResolvedDeployment {
  readonly name: string;
  readonly endpointName: string;
  readonly computeType: ComputeType;
  /** Partial REST body with model, environmentId and codeConfiguration filled in. */
  readonly body: JsonObject;
  readonly model?: { readonly id: string; readonly name?: string; readonly version?: string; readonly modelType?: string };
  readonly environmentId?: string;
  readonly codeId?: string;
  /** What resolution did, one line each (for the log and the summary). */
  readonly notes: readonly string[];
}

/** The logs of a deployment's containers (the last lines), as getLogs answers them; undefined when unreadable. */
export interface DeploymentLogs {
  readonly endpointName: string;
  readonly deploymentName: string;
  readonly inferenceServer?: string;
  readonly storageInitializer?: string;
  /** Why a log could not be read, per container. */
  readonly problems: readonly string[];
}

/** The Authorization header of scoring requests: a key (Key), an Azure ML token (AMLToken) or an Entra token (AADToken). */
export interface ScoringAuth {
  readonly mode: EndpointAuthMode;
  /** `Bearer <secret>`; the secret is registered with the agent. Tokens are renewed when due. */
  authorization(signal?: AbortSignal): Promise<string>;
}
