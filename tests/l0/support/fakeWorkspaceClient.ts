/**
 * The one fake workspace every task's L0 tests run against: its subscription, tenant, resource group and name, and
 * what every task's fake WorkspaceClient has in common. Shared so that the inputs, the service connection and every
 * fake agree on them.
 */
export const FAKE = {
  subscriptionId: '11111111-2222-3333-4444-555555555555',
  tenantId: '66666666-7777-8888-9999-000000000000',
  resourceGroup: 'rg-l0',
  workspaceName: 'ws-l0',
} as const;

export const WORKSPACE_ARM_PATH = `/subscriptions/${FAKE.subscriptionId}/resourceGroups/${FAKE.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${FAKE.workspaceName}`;

/** The headers of every fake ARM answer: none (an HttpHeaders that is empty). */
export const NO_HEADERS = { get: () => undefined, has: () => false, set: () => undefined, delete: () => undefined, toJSON: () => ({}), [Symbol.iterator]: function* () {} };

/** How a fake workspace makes the error of a failed ARM call (in the runner script: shared's AzureRequestError). */
export type MakeArmError = (method: string, url: string, status: number, code: string, message: string) => Error;

/**
 * The part of shared's WorkspaceClient every task's fake has: the names of the fake workspace, and its ARM requests,
 * which complete at once (so armRequestAndWait is armRequest). The task's fake adds the rest (MLflow, datastores...).
 */
export function fakeWorkspaceClient<Request>(connection: unknown, armRequest: Request) {
  return {
    connection,
    subscriptionId: FAKE.subscriptionId,
    resourceGroup: FAKE.resourceGroup,
    workspaceName: FAKE.workspaceName,
    workspaceArmPath: WORKSPACE_ARM_PATH,
    workspace: { name: FAKE.workspaceName, location: 'westeurope' },
    armRequest,
    armRequestAndWait: armRequest,
  };
}

/**
 * The fake workspace's default datastore (workspaceblobstore) over the blob names in `blobs`: an upload adds its name
 * and calls `uploaded` (to record it). `container` adds to the container client (e.g. listing) over the same names.
 */
export function fakeDefaultDatastore(blobs: Set<string>, uploaded: (name: string) => void, container: Readonly<Record<string, unknown>> = {}) {
  const containerUrl = 'https://fakeaccount.blob.core.windows.net/azureml-blobstore-fake';
  const write = async (name: string): Promise<void> => {
    blobs.add(name);
    uploaded(name);
  };
  return {
    name: 'workspaceblobstore',
    id: `${WORKSPACE_ARM_PATH}/datastores/workspaceblobstore`,
    accountName: 'fakeaccount',
    containerName: 'azureml-blobstore-fake',
    containerUrl,
    containerClient: {
      url: containerUrl,
      getBlockBlobClient: (name: string) => ({ exists: async () => blobs.has(name), uploadFile: () => write(name), upload: () => write(name) }),
      ...container,
    },
  };
}
