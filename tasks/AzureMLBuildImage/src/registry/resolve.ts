/**
 * Which container registry the image is built in: the workspace's own (its `containerRegistry`, an ARM id) unless the
 * `containerRegistry` input names another, by ARM id or by name (looked up in the workspace's resource group, then in
 * the connection's subscription). Reads only.
 */
import { InputError, isRestError, listForMessage, TaskError, type WorkspaceClient } from '@azureml-mlops/shared';

import { INPUTS } from '../parameters';
import type { RegistryInfo, RegistryLookup, RegistryOperations } from './acrClient';
import { parseRegistryReference, type RegistryReference } from './reference';

export type RegistryLookupFactory = (subscriptionId: string) => RegistryLookup;

export async function resolveRegistry(
  workspace: Pick<WorkspaceClient, 'workspace' | 'workspaceName' | 'resourceGroup' | 'subscriptionId' | 'connection'>,
  reference: RegistryReference | undefined,
  lookupFor: RegistryLookupFactory,
  signal: AbortSignal,
): Promise<RegistryOperations> {
  if (reference === undefined) return workspaceRegistry(workspace, lookupFor, signal);
  if (reference.kind === 'id') {
    const lookup = lookupFor(reference.subscriptionId);
    const found = await read(() => lookup.getRegistry(reference.resourceGroup, reference.name, signal), workspace, reference.id);
    if (!found) {
      throw new InputError(
        INPUTS.containerRegistry,
        `the container registry '${reference.name}' was not found in resource group '${reference.resourceGroup}' (subscription ${reference.subscriptionId})`,
        'Check the ARM id (the registry > Properties > Resource ID in the Azure portal), and that the service connection may read it',
      );
    }
    return lookup.operations(found);
  }
  const lookup = lookupFor(workspace.subscriptionId);
  const inWorkspaceGroup = await read(() => lookup.getRegistry(workspace.resourceGroup, reference.name, signal), workspace, reference.name);
  if (inWorkspaceGroup) return lookup.operations(inWorkspaceGroup);
  let registries: RegistryInfo[] | undefined;
  try {
    registries = await lookup.listRegistries(signal);
  } catch (error) {
    if (signal.aborted) throw error;
    registries = undefined; // Listing may not be allowed: say less.
  }
  const found = registries?.find((registry) => registry.name.toLowerCase() === reference.name.toLowerCase());
  if (found) return lookup.operations(found);
  const names = registries?.map((registry) => registry.name) ?? [];
  throw new InputError(
    INPUTS.containerRegistry,
    `no container registry named '${reference.name}' was found in subscription ${workspace.connection.subscriptionName ?? workspace.subscriptionId}`,
    names.length > 0
      ? `Registries the service connection can see: ${listForMessage(names)}. Or give the registry's ARM id`
      : "Check the name, or give the registry's ARM id (for a registry in another subscription), or leave it empty to use the workspace's registry",
  );
}

async function workspaceRegistry(
  workspace: Pick<WorkspaceClient, 'workspace' | 'workspaceName' | 'resourceGroup' | 'subscriptionId' | 'connection'>,
  lookupFor: RegistryLookupFactory,
  signal: AbortSignal,
): Promise<RegistryOperations> {
  const id = workspace.workspace.containerRegistry;
  if (!id) {
    throw new InputError(
      INPUTS.containerRegistry,
      `is empty, and the Azure ML workspace '${workspace.workspaceName}' has no container registry yet (Azure ML creates it when it first builds an environment image)`,
      "Set it to the registry to build in (its name or ARM id), or attach a registry to the workspace (az ml workspace update --container-registry)",
    );
  }
  const reference = parseRegistryReference(id);
  if (typeof reference === 'string' || reference.kind !== 'id') {
    throw new TaskError(`The Azure ML workspace '${workspace.workspaceName}' names its container registry '${id}', which is not a registry ARM id. Set '${INPUTS.containerRegistry}' to the registry to build in.`);
  }
  const lookup = lookupFor(reference.subscriptionId);
  const found = await read(() => lookup.getRegistry(reference.resourceGroup, reference.name, signal), workspace, reference.id);
  if (!found) {
    throw new TaskError(
      `The container registry of the Azure ML workspace '${workspace.workspaceName}' (${reference.id}) does not exist. ` +
        `Attach an existing registry to the workspace, or set '${INPUTS.containerRegistry}' to the registry to build in.`,
    );
  }
  return lookup.operations(found);
}

/** A registry read; a refusal becomes a message saying which role the connection needs. */
async function read<T>(body: () => Promise<T>, workspace: Pick<WorkspaceClient, 'connection'>, what: string): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (isRestError(error) && (error.statusCode === 401 || error.statusCode === 403)) {
      throw new TaskError(
        `The service connection '${workspace.connection.id}' may not read the container registry '${what}' (HTTP ${error.statusCode}${error.code ? ` ${error.code}` : ''}). ` +
          'Give its identity the Container Registry Tasks Contributor role (or Contributor) on the registry: the task reads it and builds in it with ACR Tasks.',
        { cause: error },
      );
    }
    throw error;
  }
}
