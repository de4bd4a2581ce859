import type { TokenCredential } from '@azure/core-auth';
import type {
  AccountKeyDatastoreSecrets,
  AzureBlobDatastore,
  AzureMachineLearningWorkspaces,
  DatastoreSecretsUnion,
  SasDatastoreSecrets,
} from '@azure/arm-machinelearning';
import { AnonymousCredential, ContainerClient, StoragePipelineOptions, StorageSharedKeyCredential } from '@azure/storage-blob';

import { TaskError } from '../pipeline/errors';
import { debug } from '../pipeline/logging';
import { proxySettingsFor } from '../pipeline/proxy';
import { registerSecret } from '../pipeline/secrets';
import { AzureHttpOptions } from './httpPolicies';

export interface DatastoreContainer {
  /** Datastore name, e.g. workspaceblobstore. */
  readonly name: string;
  /** ARM id of the datastore (for azureml:// references). */
  readonly id: string;
  readonly accountName: string;
  readonly containerName: string;
  /** https://<account>.blob.<endpoint suffix>/<container> */
  readonly containerUrl: string;
  readonly containerClient: ContainerClient;
}

/**
 * Storage client options from our HTTP settings. Storage keeps its own retry policy (it knows storage's
 * throttling answers: 503 ServerBusy, 500 OperationTimedOut) with our limits; the proxy is chosen for the account URL.
 */
export function storagePipelineOptions(options: AzureHttpOptions, url: string): StoragePipelineOptions {
  const proxyOptions = proxySettingsFor(options.proxy, url);
  return {
    userAgentOptions: { userAgentPrefix: options.userAgentPrefix },
    retryOptions: {
      maxTries: options.retry.maxRetries + 1,
      retryDelayInMs: options.retry.baseDelayMs,
      maxRetryDelayInMs: options.retry.maxDelayMs,
    },
    ...(proxyOptions ? { proxyOptions } : {}),
  };
}

/**
 * The workspace's default blob datastore as a ContainerClient: account-key datastores use the key (registered as a
 * secret), SAS datastores the SAS, identity-based ones the task's own credential.
 */
export function openDefaultDatastore(
  arm: AzureMachineLearningWorkspaces,
  resourceGroup: string,
  workspaceName: string,
  credential: TokenCredential,
  httpOptions: AzureHttpOptions,
  abortSignal?: AbortSignal,
): Promise<DatastoreContainer> {
  return openDatastore(arm, resourceGroup, workspaceName, undefined, credential, httpOptions, abortSignal);
}

/**
 * A blob datastore of the workspace by name (undefined: the default one) as a ContainerClient, with the same
 * credentials rules as openDefaultDatastore. A missing datastore is a TaskError naming it.
 */
export async function openDatastore(
  arm: AzureMachineLearningWorkspaces,
  resourceGroup: string,
  workspaceName: string,
  datastoreName: string | undefined,
  credential: TokenCredential,
  httpOptions: AzureHttpOptions,
  abortSignal?: AbortSignal,
): Promise<DatastoreContainer> {
  let found: { name?: string; id?: string; properties: { datastoreType: string } } | undefined;
  if (datastoreName === undefined) {
    for await (const datastore of arm.datastores.list(resourceGroup, workspaceName, { isDefault: true, abortSignal })) {
      found = datastore;
      break;
    }
    if (!found?.name) {
      throw new TaskError(`The Azure ML workspace '${workspaceName}' has no default datastore. Set one in Azure ML studio (Data > Datastores).`);
    }
  } else {
    found = await arm.datastores.get(resourceGroup, workspaceName, datastoreName, { abortSignal }).catch((error: { statusCode?: number }) => {
      if (error?.statusCode === 404) {
        throw new TaskError(`The datastore '${datastoreName}' was not found in the Azure ML workspace '${workspaceName}'. Check its name in Azure ML studio (Data > Datastores).`);
      }
      throw error;
    });
  }
  const name = found.name ?? datastoreName ?? 'workspaceblobstore';
  const label = datastoreName === undefined ? `The default datastore '${name}'` : `The datastore '${name}'`;
  if (found.properties.datastoreType !== 'AzureBlob') {
    throw new TaskError(
      `${label} of workspace '${workspaceName}' is of type ${found.properties.datastoreType}; ` +
        `local files can only be uploaded to an Azure Blob datastore. ${datastoreName === undefined ? 'Make a blob datastore the default.' : 'Choose a blob datastore.'}`,
    );
  }
  const blob = found.properties as AzureBlobDatastore;
  if (!blob.accountName || !blob.containerName) {
    throw new TaskError(`${label} of workspace '${workspaceName}' has no storage account or container.`);
  }
  const suffix = blob.endpoint ?? 'core.windows.net';
  const protocol = blob.protocol ?? 'https';
  const containerUrl = `${protocol}://${blob.accountName}.blob.${suffix}/${blob.containerName}`;
  const options = storagePipelineOptions(httpOptions, containerUrl);

  const secrets: DatastoreSecretsUnion | undefined = await arm.datastores
    .listSecrets(resourceGroup, workspaceName, name, { abortSignal })
    .catch((error: { statusCode?: number }) => {
      // Identity-based datastores have no secrets to list.
      if (error?.statusCode === 400 || error?.statusCode === 404) return undefined;
      throw error;
    });
  let containerClient: ContainerClient;
  if (secrets?.secretsType === 'AccountKey' && (secrets as AccountKeyDatastoreSecrets).key) {
    const key = (secrets as AccountKeyDatastoreSecrets).key as string;
    registerSecret(key);
    containerClient = new ContainerClient(containerUrl, new StorageSharedKeyCredential(blob.accountName, key), options);
  } else if (secrets?.secretsType === 'Sas' && (secrets as SasDatastoreSecrets).sasToken) {
    const sas = ((secrets as SasDatastoreSecrets).sasToken as string).replace(/^\?/, '');
    registerSecret(sas);
    containerClient = new ContainerClient(`${containerUrl}?${sas}`, new AnonymousCredential(), options);
  } else {
    containerClient = new ContainerClient(containerUrl, credential, options);
  }
  debug(`Datastore ${name}: ${containerUrl} (${secrets?.secretsType ?? 'identity'})`);
  return {
    name,
    id: found.id ?? '',
    accountName: blob.accountName,
    containerName: blob.containerName,
    containerUrl,
    containerClient,
  };
}
