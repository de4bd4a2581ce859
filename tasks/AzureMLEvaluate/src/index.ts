// AzureMLEvaluate@1 entry point: read the inputs, build the Azure clients from the service connection, run.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { createAzureHttpOptions, createCredential, openWorkspace, runTaskMain } from '@azureml-mlops/shared';

import { INPUTS, readParameters } from './parameters';
import { type EvaluateClients, run } from './run';

/** task.json sits beside the bundle (packaged task), or one folder up from the tsc output (dist/). */
const taskJsonPath = [__dirname, path.dirname(__dirname)].map((folder) => path.join(folder, 'task.json')).find((file) => fs.existsSync(file)) ?? path.join(__dirname, 'task.json');

void runTaskMain({ taskJsonPath }, async (signal) => {
  const params = readParameters();
  const clients: EvaluateClients = {
    connectWorkspace: (abortSignal) => {
      const httpOptions = createAzureHttpOptions();
      const credential = createCredential(params.connection, { httpOptions });
      return openWorkspace({
        connection: params.connection,
        credential,
        httpOptions,
        resourceGroup: params.workspace.resourceGroup,
        workspaceName: params.workspace.workspaceName,
        inputNames: { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace },
        abortSignal,
      });
    },
  };
  await run(params, clients, signal);
});
