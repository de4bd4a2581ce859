import { Agent } from 'node:https';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  Pipeline,
  SASProtocol,
  StorageSharedKeyCredential,
  type RequestPolicy,
  type RequestPolicyFactory,
} from '@azure/storage-blob';
import type { StorageService } from '../context';

export const ENDPOINT_SUFFIX = 'core.windows.net';
export const ARTIFACTS_CONTAINER = 'azureml';

export interface StorageServiceOptions {
  readonly accountName: string;
  readonly accountKey: string;
  readonly azuritePort: number;
  /** The emulator's CA: Azurite's certificate is issued by it, and the emulator process does not trust it by default. */
  readonly caCertificatePem: string;
  readonly defaultContainer: string;
}

/** Production host name of the account's blob endpoint. */
export function blobHost(accountName: string): string {
  return `${accountName}.blob.${ENDPOINT_SUFFIX}`;
}

export function createStorageService(options: StorageServiceOptions): StorageService & { close(): void } {
  const credential = new StorageSharedKeyCredential(options.accountName, options.accountKey);
  const agent = new Agent({ ca: options.caCertificatePem, keepAlive: true });
  const client = new BlobServiceClient(
    `https://127.0.0.1:${options.azuritePort}/${options.accountName}`,
    new Pipeline([credential, useAgent(agent)]),
  );
  const host = blobHost(options.accountName);
  const blobUrl = (container: string, blobPath: string): string =>
    `https://${host}/${encodeURIComponent(container)}/${blobPath.split('/').map(encodeURIComponent).join('/')}`;

  return {
    accountName: options.accountName,
    accountKey: options.accountKey,
    endpointSuffix: ENDPOINT_SUFFIX,
    defaultContainer: options.defaultContainer,
    artifactsContainer: ARTIFACTS_CONTAINER,
    client,
    blobUrl,
    readSasUrl: (container, blobPath, expiresInSeconds) => {
      const now = Date.now();
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: blobPath,
          permissions: BlobSASPermissions.parse('r'),
          // Backdated start tolerates a client clock slightly behind, as Azure ML's own SAS URLs do.
          startsOn: new Date(now - 5 * 60_000),
          expiresOn: new Date(now + expiresInSeconds * 1000),
          protocol: SASProtocol.Https,
        },
        credential,
      );
      return `${blobUrl(container, blobPath)}?${sas.toString()}`;
    },
    close: () => agent.destroy(),
  };
}

/** Sends the emulator's own storage requests through an agent that trusts the emulator's CA. */
function useAgent(agent: Agent): RequestPolicyFactory {
  return {
    create: (nextPolicy: RequestPolicy): RequestPolicy => ({
      sendRequest: (request) => {
        request.agent = agent;
        return nextPolicy.sendRequest(request);
      },
    }),
  };
}
