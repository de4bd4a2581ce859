// npm start (after the build): the demo. Starts the local Azure emulator and runs the sample's pipeline,
// samples/diabetes/azure-pipelines.yml, with the local pipeline runner: every task step is the BUNDLED task run
// exactly as the Azure Pipelines agent runs it (INPUT_*, ENDPOINT_*, SYSTEM_* environment, a workload identity
// federation service connection), with output variables passed between steps.
//
// The pipeline runs twice on one emulator:
//   1. alpha 0.5: the first model has no baseline, so the gate promotes it and it is registered as version 1;
//   2. alpha 500 (a deliberately weaker setting, passed to the job through the Train task's overrides): the gate
//      compares it with version 1, rejects it, and the Register step is skipped by its condition.
// The demo exits 0 when both runs did exactly that. Nothing here talks to the internet or to Azure.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startEmulator } = require(path.join(repoRoot, 'emulator/dist/index.js'));
const { runPipeline, stepResult } = require(path.join(repoRoot, 'emulator/dist/devops/pipelineRunner.js'));
const { consoleReporter } = require(path.join(repoRoot, 'emulator/dist/devops/pipelineConsole.js'));

const PIPELINE = 'samples/diabetes/azure-pipelines.yml';
const MODEL_NAME = 'diabetes-ridge';

function banner(text) {
  console.log(`\n${'='.repeat(110)}\n${text}\n${'='.repeat(110)}`);
}

/** Two runs of one pipeline definition: their own build id and number, as Azure Pipelines gives them. */
function runVariables(run) {
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return { 'Build.BuildId': String(1841 + run), 'Build.BuildNumber': `${today}.${run}` };
}

async function runOnce(emulator, run, title, parameters) {
  banner(title);
  const result = await runPipeline({
    pipelineFile: PIPELINE,
    repositoryRoot: repoRoot,
    parameters,
    variables: runVariables(run),
    serviceConnections: (name) => ({ id: name, env: emulator.connectionEnv(name, 'workloadIdentity') }),
    onEvent: consoleReporter(),
  });
  return result;
}

function outputsOf(result, step) {
  return stepResult(result, 'CI', 'Train', step)?.outputs ?? {};
}

async function main() {
  for (const task of ['AzureMLTrain', 'AzureMLEvaluate', 'AzureMLRegisterModel']) {
    if (!fs.existsSync(path.join(repoRoot, 'build/extension/tasks', task, 'index.js'))) {
      throw new Error(`build/extension/tasks/${task} is not built: run "npm run build" first (npm start does).`);
    }
  }
  banner('Starting the local Azure emulator');
  const emulator = await startEmulator();
  const problems = [];
  try {
    console.log(`Azure Resource Manager, Entra ID and the Azure ML data plane: ${emulator.url}`);
    console.log(`Workspace ${emulator.workspaceName} in resource group ${emulator.resourceGroup}; service connection: workload identity federation.`);

    const first = await runOnce(emulator, 1, `Run 1 of ${PIPELINE}: alpha 0.5`, { alpha: '0.5' });
    const second = await runOnce(emulator, 2, `Run 2 of ${PIPELINE}: alpha 500, a deliberately weaker model`, { alpha: '500' });

    banner('What happened');
    for (const [label, result] of [['Run 1', first], ['Run 2', second]]) {
      const train = outputsOf(result, 'train');
      const evaluate = outputsOf(result, 'evaluate');
      const register = outputsOf(result, 'register');
      const metrics = JSON.parse(train.Metrics ?? '{}');
      console.log(`${label}: pipeline ${result.result}; job ${train.JobName ?? '?'} trained with mse=${metrics.mse?.toFixed(2)} r2=${metrics.r2?.toFixed(4)}`);
      console.log(`  gate: ShouldRegister=${evaluate.ShouldRegister ?? '?'} - ${evaluate.Decision ?? 'no decision'}`);
      console.log(register.ModelVersion ? `  registered ${register.ModelName}:${register.ModelVersion} (${register.ModelId})` : '  not registered: the Register step was skipped by its condition');
    }
    const versions = emulator.inspect.modelVersions(MODEL_NAME).map((v) => v.name);
    console.log(`Model ${MODEL_NAME} in the workspace: ${versions.length} version(s): ${versions.join(', ')}`);

    const isSuccess = (result) => result.result === 'Succeeded' || result.result === 'SucceededWithIssues';
    if (!isSuccess(first) || outputsOf(first, 'evaluate').ShouldRegister !== 'true' || outputsOf(first, 'register').ModelVersion !== '1') {
      problems.push('run 1 should have promoted and registered the first model as version 1');
    }
    if (!isSuccess(second) || outputsOf(second, 'evaluate').ShouldRegister !== 'false' || outputsOf(second, 'register').ModelVersion !== undefined) {
      problems.push('run 2 should have been rejected by the gate and not registered');
    }
    if (versions.length !== 1) problems.push(`the workspace should hold one version of ${MODEL_NAME}, not ${versions.length}`);
  } finally {
    await emulator.stop();
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`demo failed: ${problem}`);
    return 1;
  }
  console.log('\nThe better model was promoted and registered; the weaker one was rejected by the gate and not registered.');
  return 0;
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
