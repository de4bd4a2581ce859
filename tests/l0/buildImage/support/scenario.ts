/** What one L0 run of the BuildImage task gets: inputs, pipeline variables, and the fake Azure side's content and behaviour. */
export interface BuildImageScenario {
  readonly inputs: Readonly<Record<string, string>>;
  /** Pipeline variables (`Build.BuildId`...), passed as the agent does (environment variables). */
  readonly variables?: Readonly<Record<string, string>>;
  /** The workspace's containerRegistry (ARM id); null: the workspace has none. Default: FAKE_REGISTRY's id. */
  readonly workspaceRegistry?: string | null;
  /** Registries that exist (default: FAKE_REGISTRY). */
  readonly registries?: readonly FakeRegistry[];
  /** ARM resources of the workspace by path relative to it (`models/m/versions/1`, `environments/e/versions/1`). */
  readonly resources?: Readonly<Record<string, FakeResource>>;
  /** Blobs of the datastores (`workspaceblobstore/<path>` -> content). */
  readonly blobs?: Readonly<Record<string, string>>;
  /** How the ACR run goes: the statuses it reports one read after the other, and its log, a line per status. */
  readonly run?: { readonly statuses: readonly string[]; readonly log?: readonly string[] };
  /** importImage fails (the image was deleted). */
  readonly importFails?: boolean;
  /** ACR operations refused with 403 AuthorizationFailed (`registries.beginScheduleRun`, `runs.get`...). */
  readonly denied?: readonly string[];
  /** How many environment version PUTs are answered 409 first, as if another run took the number with another image. */
  readonly conflictingPuts?: number;
  readonly recordFile: string;
  readonly tempDirectory: string;
  /** System.DefaultWorkingDirectory. */
  readonly sourcesDirectory: string;
}

export interface FakeRegistry {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export interface FakeResource {
  readonly name?: string;
  readonly properties?: Record<string, unknown>;
  readonly systemData?: { readonly createdAt?: string };
}

export const SCENARIO_VARIABLE = 'L0_BUILD_IMAGE_SCENARIO';
export const CONNECTION_ID = 'l0-build-image-conn';
export const FAKE = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  resourceGroup: 'rg-l0',
  workspaceName: 'ws-l0',
} as const;
export const WORKSPACE_ARM_PATH = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${FAKE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${FAKE.workspaceName}`;
export const FAKE_REGISTRY: FakeRegistry = { subscriptionId: FAKE.subscriptionId, resourceGroup: FAKE.resourceGroup, name: 'crl0workspace' };
export const DIGEST = `sha256:${'d'.repeat(64)}`;
/** The signature of the SAS URLs the fake registry hands out: it must never reach the log in clear. */
export const SAS_SIGNATURE = 'c2VjcmV0LXNhcy1zaWduYXR1cmU%3D';

export function registryId(registry: FakeRegistry): string {
  return `/subscriptions/${registry.subscriptionId}/resourceGroups/${registry.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registry.name}`;
}
