import { FAKE } from '../../support/fakeWorkspaceClient';
import type { MockTaskScenario, SeededResource } from '../../support/scenario';

export type { SeededResource as FakeResource } from '../../support/scenario';
export { FAKE, WORKSPACE_ARM_PATH } from '../../support/fakeWorkspaceClient';

/** What one L0 run of the BuildImage task gets: inputs, pipeline variables, and the fake Azure side's content and behaviour. */
export interface BuildImageScenario extends MockTaskScenario {
  /** The workspace's containerRegistry (ARM id); null: the workspace has none. Default: FAKE_REGISTRY's id. */
  readonly workspaceRegistry?: string | null;
  /** Registries that exist (default: FAKE_REGISTRY). */
  readonly registries?: readonly FakeRegistry[];
  /** ARM resources of the workspace by path relative to it (`models/m/versions/1`, `environments/e/versions/1`). */
  readonly resources?: Readonly<Record<string, SeededResource>>;
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
  readonly sourcesDirectory: string;
}

export interface FakeRegistry {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

export const SCENARIO_VARIABLE = 'L0_BUILD_IMAGE_SCENARIO';
export const CONNECTION_ID = 'l0-build-image-conn';
export const FAKE_REGISTRY: FakeRegistry = { subscriptionId: FAKE.subscriptionId, resourceGroup: FAKE.resourceGroup, name: 'crl0workspace' };
export const DIGEST = `sha256:${'d'.repeat(64)}`;
/** The signature of the SAS URLs the fake registry hands out: it must never reach the log in clear. */
export const SAS_SIGNATURE = 'c2VjcmV0LXNhcy1zaWduYXR1cmU%3D';

export function registryId(registry: FakeRegistry): string {
  return `/subscriptions/${registry.subscriptionId}/resourceGroups/${registry.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registry.name}`;
}
