// AzureMLBuildImage@1 entry point: read the inputs, build the Azure clients from the service connection, run.
import { AnonymousCredential, BlockBlobClient } from '@azure/storage-blob';
import { findTaskJson, runTaskMain, storagePipelineOptions, workspaceConnector } from '@azureml-mlops/shared';

import { INPUTS, readParameters } from './parameters';
import { createRegistryLookup } from './registry/acrClient';
import { type BuildImageClients, run } from './run';

void runTaskMain({ taskJsonPath: findTaskJson(__dirname) }, async (signal) => {
  const params = readParameters();
  const clients: BuildImageClients = {
    connectWorkspace: workspaceConnector(params, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace }),
    registries: (workspace, subscriptionId) => createRegistryLookup(workspace, subscriptionId),
    uploadContext: async (workspace, uploadUrl, file, abortSignal) => {
      // The SAS in the URL is the credential (registered as a secret when ACR handed it out).
      const blob = new BlockBlobClient(uploadUrl, new AnonymousCredential(), storagePipelineOptions(workspace.httpOptions, uploadUrl));
      await blob.uploadFile(file, { abortSignal, blobHTTPHeaders: { blobContentType: 'application/gzip' } });
    },
  };
  await run(params, clients, signal);
});
