import type { AuthenticatedPrincipal, EmulatorRequest } from '../http/router';
import { badRequest } from './errors';

export type Json = Record<string, unknown>;

export interface SystemData {
  createdAt: string;
  createdBy: string;
  createdByType: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
}

/** Who a request acts as, for systemData and run ownership. */
export function actorOf(principal: AuthenticatedPrincipal | undefined): { name: string; type: string } {
  return principal ? { name: principal.clientId, type: 'Application' } : { name: 'emulator', type: 'Application' };
}

export function newSystemData(principal: AuthenticatedPrincipal | undefined, now = new Date()): SystemData {
  const actor = actorOf(principal);
  const at = now.toISOString();
  return { createdAt: at, createdBy: actor.name, createdByType: actor.type, lastModifiedAt: at, lastModifiedBy: actor.name, lastModifiedByType: actor.type };
}

export function touchSystemData(data: SystemData, principal: AuthenticatedPrincipal | undefined, now = new Date()): SystemData {
  const actor = actorOf(principal);
  return { ...data, lastModifiedAt: now.toISOString(), lastModifiedBy: actor.name, lastModifiedByType: actor.type };
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `properties` object of an ARM PUT body, or a 400 naming what is missing. */
export function readProperties(req: EmulatorRequest, what: string): Json {
  const body = req.json<unknown>();
  if (!isObject(body) || !isObject(body['properties'])) {
    throw badRequest(`The request body of a ${what} must be a JSON object with a 'properties' object.`);
  }
  return body['properties'];
}

/** A string-to-string map such as tags or properties; other value types are refused as the service does. */
/** Deterministic JSON for comparing request bodies (object key order does not matter; null equals absent). */
export function canonical(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (isObject(value)) {
    const out: Json = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (v === undefined || v === null) continue;
      out[key] = normalize(v);
    }
    return out;
  }
  return value;
}

/**
 * One page of a list answer with ARM's `nextLink`. The skip token is an opaque offset; the link repeats the request's
 * query so filters survive paging.
 */
export function page<T>(req: EmulatorRequest, baseUrl: string, items: readonly T[], pageSize: number): { value: T[]; nextLink?: string } {
  const token = req.query.get('$skipToken');
  let offset = 0;
  if (token) {
    const decoded = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(decoded) || decoded < 0) throw badRequest(`The $skipToken '${token}' is not valid.`);
    offset = decoded;
  }
  const value = items.slice(offset, offset + pageSize);
  if (offset + pageSize >= items.length) return { value };
  const next = new URL(req.path.replace(/^\//, ''), baseUrl);
  req.query.forEach((v, k) => {
    if (k !== '$skipToken') next.searchParams.append(k, v);
  });
  next.searchParams.set('$skipToken', Buffer.from(String(offset + pageSize), 'utf8').toString('base64url'));
  return { value, nextLink: next.toString() };
}

/** `$top` of a list request, or undefined. */
export function topOf(req: EmulatorRequest): number | undefined {
  const raw = req.query.get('$top');
  if (raw === null) return undefined;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 0) throw badRequest(`The $top value '${raw}' must be a non-negative integer.`);
  return top;
}

export type ListViewType = 'ActiveOnly' | 'ArchivedOnly' | 'All';

export function listViewTypeOf(req: EmulatorRequest): ListViewType {
  const raw = req.query.get('listViewType');
  if (raw === null) return 'ActiveOnly';
  const match = (['ActiveOnly', 'ArchivedOnly', 'All'] as const).find((v) => v.toLowerCase() === raw.toLowerCase());
  if (!match) throw badRequest(`listViewType must be ActiveOnly, ArchivedOnly or All, got '${raw}'.`);
  return match;
}

export function matchesListView(isArchived: boolean, view: ListViewType): boolean {
  return view === 'All' || (view === 'ArchivedOnly' ? isArchived : !isArchived);
}
