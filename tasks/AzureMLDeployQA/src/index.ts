// AzureMLDeployQA@1 entry point: read the inputs, build the Azure clients from the service connection, run.
import { createAzureHttpOptions, findTaskJson, runTaskMain, workspaceConnector } from '@azureml-mlops/shared';

import { INPUTS, readParameters } from './parameters';
import { type DeployQAClients, run } from './run';

void runTaskMain({ taskJsonPath: findTaskJson(__dirname) }, async (signal) => {
  const params = readParameters();
  const httpOptions = createAzureHttpOptions();
  const clients: DeployQAClients = {
    httpOptions,
    connectWorkspace: workspaceConnector(params, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace }, httpOptions),
  };
  await run(params, clients, signal);
});
