/** Small helpers over a workspace's raw ARM requests (same token, retries and proxy as every other call). */
import type { WorkspaceClient } from '../azure/workspace';

/** What of a WorkspaceClient these helpers use (tests pass fakes). */
export type ArmAccess = Pick<WorkspaceClient, 'armRequest'>;

export interface ArmResource<P = Record<string, unknown>> {
  readonly id?: string;
  readonly name?: string;
  readonly properties?: P;
  readonly tags?: Readonly<Record<string, string>> | null;
  readonly location?: string;
}

/** GET of an ARM resource; undefined when it does not exist (404). */
export async function getIfExists<T = ArmResource>(workspace: ArmAccess, armId: string, signal?: AbortSignal): Promise<T | undefined> {
  const response = await workspace.armRequest<T>('GET', armId, undefined, { abortSignal: signal, allowedStatuses: [404] });
  return response.status === 404 ? undefined : response.body;
}

/** PUT of an ARM resource; returns what the service answered. */
export async function putResource<T = ArmResource>(workspace: ArmAccess, armId: string, body: unknown, signal?: AbortSignal): Promise<T | undefined> {
  const response = await workspace.armRequest<T>('PUT', armId, body, { abortSignal: signal });
  return response.body;
}

interface ArmPage<T> {
  readonly value?: T[];
  readonly nextLink?: string | null;
}

/** Every item of an ARM collection (`.../models/x/versions?$orderBy=...`), following nextLink up to `maxPages`. */
export async function listAll<T = ArmResource>(workspace: ArmAccess, collectionPath: string, signal?: AbortSignal, maxPages = 50): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = collectionPath;
  for (let page = 0; next && page < maxPages; page++) {
    const response: { body?: ArmPage<T> } = await workspace.armRequest<ArmPage<T>>('GET', next, undefined, { abortSignal: signal });
    items.push(...(response.body?.value ?? []));
    next = response.body?.nextLink ?? undefined;
  }
  return items;
}

/**
 * Names in an ARM collection (`.../computes`), a few pages: enough to list the choices in an error message.
 * Undefined when the list cannot be read (then the message just says less).
 */
export async function listNames(workspace: ArmAccess, collectionPath: string, signal?: AbortSignal, maxPages = 5): Promise<string[] | undefined> {
  try {
    const items = await listAll<{ name?: string }>(workspace, collectionPath, signal, maxPages);
    return items.flatMap((item) => (item.name ? [item.name] : []));
  } catch (error) {
    if (signal?.aborted) throw error;
    return undefined;
  }
}

/** The last segment of an ARM id (a resource's name, or a version). */
export function lastSegment(armId: string): string {
  const parts = armId.split('/').filter((part) => part !== '');
  return parts[parts.length - 1] ?? armId;
}

/** `a, b and c` (sorted, at most `max`, then "and N more"). */
export function listForMessage(names: readonly string[], max = 15): string {
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  const shown = sorted.slice(0, max);
  const more = sorted.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}
