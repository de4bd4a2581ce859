/** Small helpers over the workspace's raw ARM requests (same token, retries and proxy as every other call). */
import type { WorkspaceClient } from '@azureml-mlops/shared';

export interface ArmResource<P = Record<string, unknown>> {
  readonly id?: string;
  readonly name?: string;
  readonly properties?: P;
}

/** GET of an ARM resource; undefined when it does not exist (404). */
export async function getIfExists<T = ArmResource>(workspace: WorkspaceClient, armId: string, signal: AbortSignal): Promise<T | undefined> {
  const response = await workspace.armRequest<T>('GET', armId, undefined, { abortSignal: signal, allowedStatuses: [404] });
  return response.status === 404 ? undefined : response.body;
}

/** PUT of an ARM resource; returns what the service answered. */
export async function put<T = ArmResource>(workspace: WorkspaceClient, armId: string, body: unknown, signal: AbortSignal): Promise<T | undefined> {
  const response = await workspace.armRequest<T>('PUT', armId, body, { abortSignal: signal });
  return response.body;
}

/**
 * Names in an ARM collection (`.../computes`), following nextLink for a few pages: enough to list the choices in an
 * error message. Undefined when the list cannot be read (then the message just says less).
 */
export async function listNames(workspace: WorkspaceClient, collectionPath: string, signal: AbortSignal, maxPages = 5): Promise<string[] | undefined> {
  const names: string[] = [];
  let next: string | undefined = collectionPath;
  try {
    for (let page = 0; next && page < maxPages; page++) {
      const response: { body?: { value?: Array<{ name?: string }>; nextLink?: string | null } } = await workspace.armRequest<{
        value?: Array<{ name?: string }>;
        nextLink?: string | null;
      }>('GET', next, undefined, { abortSignal: signal });
      for (const item of response.body?.value ?? []) if (item.name) names.push(item.name);
      next = response.body?.nextLink ?? undefined;
    }
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
  return names;
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
