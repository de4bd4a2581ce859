// npm start (after the build): the demo. Starts the local Azure emulator, runs the BUNDLED AzureMLTrain task on the
// diabetes sample exactly as the Azure Pipelines agent would (INPUT_*, ENDPOINT_*, SYSTEM_* environment, a workload
// identity federation service connection), prints the task's log and its output variables, and exits 0 when the
// task succeeded. Nothing here talks to the internet or to Azure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startEmulator } = require(path.join(repoRoot, 'emulator/dist/index.js'));
const { runTask } = require(path.join(repoRoot, 'emulator/dist/devops/agent.js'));

const CONNECTION_ID = 'azureml-demo-connection';
const trainTaskDir = path.join(repoRoot, 'build/extension/tasks/AzureMLTrain');

function banner(text) {
  console.log(`\n=== ${text} ${'='.repeat(Math.max(0, 100 - text.length))}`);
}

async function main() {
  if (!fs.existsSync(path.join(trainTaskDir, 'index.js'))) {
    throw new Error(`${path.relative(repoRoot, trainTaskDir)} is not built: run "npm run build" first (npm start does).`);
  }
  banner('Starting the local Azure emulator');
  const emulator = await startEmulator();
  const workFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'azureml-demo-agent-'));
  try {
    console.log(`Azure Resource Manager, Entra ID and the Azure ML data plane: ${emulator.url}`);
    console.log(`Workspace: ${emulator.workspaceName} in resource group ${emulator.resourceGroup}`);
    console.log('Service connection: Azure Resource Manager, workload identity federation (OIDC from the pipeline)');

    banner('AzureMLTrain@1: samples/diabetes/train-job.yml');
    const result = await runTask({
      taskDir: trainTaskDir,
      sourcesDirectory: repoRoot,
      workingDirectory: workFolder,
      inputs: {
        azureSubscription: CONNECTION_ID,
        resourceGroup: emulator.resourceGroup,
        workspace: emulator.workspaceName,
        jobFile: 'samples/diabetes/train-job.yml',
        tags: 'demo=npm-start',
      },
      variables: { 'Build.DefinitionName': 'diabetes-train', 'System.StageName': 'Train', 'System.JobDisplayName': 'Train model' },
      env: emulator.connectionEnv(CONNECTION_ID, 'workloadIdentity'),
      onLine: (line) => console.log(`  | ${line}`),
    });

    banner(`Task result: ${result.result}`);
    const outputs = Object.entries(result.outputs);
    if (outputs.length > 0) {
      console.log('Output variables:');
      for (const [name, value] of outputs) console.log(`  ${name} = ${value}`);
    }
    if (result.result !== 'Succeeded') {
      for (const error of result.errors) console.error(`error: ${error}`);
      return 1;
    }
    const metrics = JSON.parse(result.outputs.Metrics ?? '{}');
    console.log(`\nThe training run computed mse=${metrics.mse} and r2=${metrics.r2} on the held-out diabetes rows.`);
    return 0;
  } finally {
    fs.rmSync(workFolder, { recursive: true, force: true });
    await emulator.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
