// AzureMLDeployProd@1 entry point: read the inputs, build the Azure clients from the service connection, run.
import { findTaskJson, runTaskMain, workspaceConnector } from '@azureml-mlops/shared';

import { INPUTS, readParameters } from './parameters';
import { type DeployProdClients, run } from './run';

void runTaskMain({ taskJsonPath: findTaskJson(__dirname) }, async (signal) => {
  const params = readParameters();
  const clients: DeployProdClients = {
    connectWorkspace: workspaceConnector(params, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace }),
  };
  await run(params, clients, signal);
});
