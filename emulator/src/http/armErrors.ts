import type { EmulatorResponse } from './router';

/** ARM's error envelope (common-types ErrorResponse) as ARM itself answers its own failures: code and message. */
export function armErrorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

export function armErrorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): EmulatorResponse {
  return { status, headers, body: armErrorBody(code, message) };
}

/** Paths ARM serves: a request there gets ARM's authentication, api-version checks and error envelope. */
export function isArmPath(path: string): boolean {
  return /^\/(subscriptions|providers|tenants)(\/|$)/i.test(path);
}

/** The resource provider namespace and resource type a path addresses, as ARM names them in its errors. */
export function armResourceType(method: string, path: string): { namespace: string; type: string } | undefined {
  const segments = path.split('/').filter((s) => s.length > 0);
  // The last `providers` segment wins: nested providers (extension resources) address the inner type.
  const providersIndex = segments.map((s) => s.toLowerCase()).lastIndexOf('providers');
  const namespace = providersIndex >= 0 ? segments[providersIndex + 1] : undefined;
  if (!namespace) return undefined;
  let rest = segments.slice(providersIndex + 2);
  // An odd count ends with a collection (GET list) or with an action (POST .../cancel): ARM names the type without the action.
  if (rest.length % 2 === 1 && method.toUpperCase() === 'POST' && rest.length > 1) rest = rest.slice(0, -1);
  const typeNames = rest.filter((_, i) => i % 2 === 0);
  if (typeNames.length === 0) return undefined;
  return { namespace, type: typeNames.join('/') };
}
