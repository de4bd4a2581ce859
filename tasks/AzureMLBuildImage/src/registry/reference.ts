/** A container registry as an input or the workspace names it: by ARM id, or by name alone (looked up). */
export type RegistryReference =
  | { readonly kind: 'id'; readonly subscriptionId: string; readonly resourceGroup: string; readonly name: string; readonly id: string }
  | { readonly kind: 'name'; readonly name: string };

/** ACR registry names: 5 to 50 letters and digits. */
export const REGISTRY_NAME_PATTERN = /^[A-Za-z0-9]{5,50}$/;

const REGISTRY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)\/?$/i;

/**
 * Parses `/subscriptions/.../registries/<name>`, `<name>.azurecr.io` (a login server) or `<name>`; returns the problem as
 * a string when the text is none of them.
 */
export function parseRegistryReference(text: string): RegistryReference | string {
  const value = text.trim();
  const id = REGISTRY_ID.exec(value);
  if (id) {
    const [, subscriptionId, resourceGroup, name] = id;
    if (!REGISTRY_NAME_PATTERN.test(name!)) return `names the registry '${name}', which is not a valid registry name (5 to 50 letters and digits)`;
    return { kind: 'id', subscriptionId: subscriptionId!, resourceGroup: resourceGroup!, name: name!, id: value.replace(/\/$/, '') };
  }
  if (value.startsWith('/')) return `'${value}' is not the ARM id of a container registry (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>)`;
  const loginServer = /^([A-Za-z0-9]+)\.azurecr\.(io|cn|us)$/i.exec(value);
  const name = loginServer ? loginServer[1]! : value;
  if (!REGISTRY_NAME_PATTERN.test(name)) return `'${value}' is not a valid registry name (5 to 50 letters and digits), login server (<name>.azurecr.io) or registry ARM id`;
  return { kind: 'name', name };
}
