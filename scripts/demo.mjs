// npm start (after the build): the demo. Starts the local Azure emulator and runs the sample's multi-stage pipeline,
// samples/diabetes/azure-pipelines.yml, with the local pipeline runner: every task step is the BUNDLED task run
// exactly as the Azure Pipelines agent runs it (INPUT_*, ENDPOINT_*, SYSTEM_* environment, a workload identity
// federation service connection), with output variables passed between steps, jobs and stages.
//
// The pipeline runs three times on one emulator:
//   1. alpha 0.5: there is no production endpoint yet, so the gate promotes the first model; it is registered as
//      version 1, its scoring image is built, it is deployed to QA and smoke-tested, then (the 'diabetes-prod'
//      environment approved, as an approver would) deployed to the new production endpoint;
//   2. alpha 500 (a deliberately weaker setting, passed to the job through the Train task's overrides): the gate
//      compares it with the model serving production, rejects it, and nothing after the gate runs;
//   3. alpha 2 (slightly better): promoted, registered as version 2, and rolled out safely to production (a new
//      deployment beside the serving one, smoke test, 10 / 50 / 100 % of the traffic) while a client keeps scoring
//      the endpoint: the demo counts the requests each deployment answered and any that failed.
// Then the demo scores the production endpoint, as a client application would, and prints the predictions.
// It exits 0 when all of that happened. Nothing here talks to the internet or to Azure.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { openScoringClient, startScoringLoop } from './lib/scoreEndpoint.mjs';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startEmulator } = require(path.join(repoRoot, 'emulator/dist/index.js'));
const { runPipeline, stepResult } = require(path.join(repoRoot, 'emulator/dist/devops/pipelineRunner.js'));
const { consoleReporter } = require(path.join(repoRoot, 'emulator/dist/devops/pipelineConsole.js'));

const PIPELINE = 'samples/diabetes/azure-pipelines.yml';
const MODEL_NAME = 'diabetes-ridge';
const PROD_ENDPOINT = 'diabetes-prod';
const SAMPLE_REQUEST = 'samples/diabetes/score/sample-request.json';
const TASKS = ['AzureMLTrain', 'AzureMLEvaluate', 'AzureMLRegisterModel', 'AzureMLBuildImage', 'AzureMLDeployQA', 'AzureMLDeployProd'];

function banner(text) {
  console.log(`\n${'='.repeat(110)}\n${text}\n${'='.repeat(110)}`);
}

/** Two runs of one pipeline definition: their own build id and number, as Azure Pipelines gives them. */
function runVariables(run) {
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return { 'Build.BuildId': String(1841 + run), 'Build.BuildNumber': `${today}.${run}` };
}

async function runOnce(emulator, run, title, parameters, onEvent = () => {}) {
  banner(title);
  const report = consoleReporter();
  const result = await runPipeline({
    pipelineFile: PIPELINE,
    repositoryRoot: repoRoot,
    parameters,
    variables: runVariables(run),
    serviceConnections: (name) => ({ id: name, env: emulator.connectionEnv(name, 'workloadIdentity') }),
    // In Azure Pipelines an approver releases the production stage; here the demo approves both environments.
    approveEnvironments: ['diabetes-qa', 'diabetes-prod'],
    onEvent: async (event) => {
      await onEvent(event);
      return report(event);
    },
  });
  return result;
}

function outputsOf(result, step) {
  return stepResult(result, 'CI', 'Train', step)?.outputs ?? {};
}

function stageResult(result, stage) {
  return result.stages.find((s) => s.name === stage)?.result ?? 'NotStarted';
}

async function main() {
  for (const task of TASKS) {
    if (!fs.existsSync(path.join(repoRoot, 'build/extension/tasks', task, 'index.js'))) {
      throw new Error(`build/extension/tasks/${task} is not built: run "npm run build" first (npm start does).`);
    }
  }
  banner('Starting the local Azure emulator');
  const emulator = await startEmulator();
  const problems = [];
  const runs = [];
  try {
    console.log(`Azure Resource Manager, Entra ID and the Azure ML data plane: ${emulator.url}`);
    console.log(`Workspace ${emulator.workspaceName} in resource group ${emulator.resourceGroup}; service connection: workload identity federation.`);

    // A traffic step is watched for 60 s in Azure; 2 s is enough to see the rollout here.
    const first = await runOnce(emulator, 1, `Run 1 of ${PIPELINE}: alpha 0.5`, { alpha: '0.5', stepWaitSeconds: '2' });
    const second = await runOnce(emulator, 2, `Run 2 of ${PIPELINE}: alpha 500, a deliberately weaker model`, { alpha: '500', stepWaitSeconds: '2' });
    const request = fs.readFileSync(path.join(repoRoot, SAMPLE_REQUEST), 'utf8');
    let client;
    let loop;
    let flow;
    try {
      // From the moment the production stage starts, a client scores the endpoint, as live traffic would.
      const third = await runOnce(emulator, 3, `Run 3 of ${PIPELINE}: alpha 2, a slightly better model, rolled out while a client scores production`, { alpha: '2', stepWaitSeconds: '2' }, async (event) => {
        if (event.type === 'stage-started' && event.stage?.name === 'Prod' && !loop) {
          client = await openScoringClient(emulator, PROD_ENDPOINT);
          loop = startScoringLoop(client, request);
        }
      });
      flow = loop ? await loop.stop() : undefined;
      loop = undefined;
      runs.push(['Run 3', third]);
    } finally {
      await loop?.stop();
      client?.close();
    }
    runs.unshift(['Run 1', first], ['Run 2', second]);

    banner('What happened');
    for (const [label, result] of runs) {
      const train = outputsOf(result, 'train');
      const evaluate = outputsOf(result, 'evaluate');
      const register = outputsOf(result, 'register');
      const metrics = JSON.parse(train.Metrics ?? '{}');
      console.log(`${label}: pipeline ${result.result}; job ${train.JobName ?? '?'} trained with mse=${metrics.mse?.toFixed(2)} r2=${metrics.r2?.toFixed(4)}`);
      console.log(`  gate: ShouldRegister=${evaluate.ShouldRegister ?? '?'} - ${evaluate.Decision ?? 'no decision'}`);
      console.log(register.ModelVersion ? `  registered ${register.ModelName}:${register.ModelVersion} (${register.ModelId})` : '  not registered: the Register step was skipped by its condition');
      const image = outputsOf(result, 'image');
      if (image.ImageName) console.log(`  scoring image ${image.ImageName}, environment ${image.EnvironmentReference ?? image.EnvironmentId}`);
      const qa = stepResult(result, 'QA', 'DeployQA', 'qa')?.outputs ?? {};
      const prod = stepResult(result, 'Prod', 'DeployProd', 'prod')?.outputs ?? {};
      console.log(`  QA stage: ${stageResult(result, 'QA')}${qa.ScoringUri ? `, deployment ${qa.DeploymentName} at ${qa.ScoringUri}` : ''}`);
      console.log(
        `  Prod stage: ${stageResult(result, 'Prod')}` +
          (prod.ScoringUri ? `, deployment ${prod.DeploymentName} takes ${prod.Traffic}${prod.PreviousDeploymentName ? ` (replaced ${prod.PreviousDeploymentName})` : ''}` : ''),
      );
    }
    const versions = emulator.inspect.modelVersions(MODEL_NAME).map((v) => `${v.name} (stage=${v.properties?.tags?.stage ?? '-'})`);
    console.log(`Model ${MODEL_NAME} in the workspace: ${versions.length} version(s): ${versions.join(', ')}`);
    if (flow) {
      const served = Object.entries(flow.servedBy).map(([deployment, count]) => `${deployment} ${count}`).join(', ');
      console.log(`During run 3's production stage a client sent ${flow.sent} scoring requests: ${flow.failed} failed; answered by ${served}.`);
      for (const failure of flow.failures) console.log(`  failed: ${failure}`);
    }

    banner(`Scoring the production endpoint '${PROD_ENDPOINT}' with ${SAMPLE_REQUEST}`);
    const scorer = await openScoringClient(emulator, PROD_ENDPOINT);
    try {
      const answer = await scorer.score(request);
      console.log(`POST ${scorer.scoringUri} -> ${answer.status}, answered by deployment '${answer.deployment}' (traffic ${JSON.stringify(await scorer.traffic())})`);
      const predictions = answer.status === 200 ? JSON.parse(answer.body).predictions : undefined;
      if (Array.isArray(predictions)) {
        const rows = JSON.parse(request).data;
        predictions.forEach((value, index) => console.log(`  patient ${index + 1} (age ${rows[index]?.[0]}, bmi ${rows[index]?.[2]}): predicted disease progression ${Number(value).toFixed(1)}`));
      } else {
        problems.push(`the production endpoint answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      }
    } catch (error) {
      problems.push(`scoring the production endpoint failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      scorer.close();
    }

    const isSuccess = (result) => result.result === 'Succeeded' || result.result === 'SucceededWithIssues';
    if (!isSuccess(first) || outputsOf(first, 'evaluate').ShouldRegister !== 'true' || outputsOf(first, 'register').ModelVersion !== '1') {
      problems.push('run 1 should have promoted and registered the first model as version 1');
    }
    if (stageResult(first, 'QA') !== 'Succeeded' || stageResult(first, 'Prod') !== 'Succeeded') {
      problems.push(`run 1 should have deployed to QA and production (QA: ${stageResult(first, 'QA')}, Prod: ${stageResult(first, 'Prod')})`);
    }
    if (!isSuccess(second) || outputsOf(second, 'evaluate').ShouldRegister !== 'false' || outputsOf(second, 'register').ModelVersion !== undefined) {
      problems.push('run 2 should have been rejected by the gate and not registered');
    }
    if (stageResult(second, 'QA') !== 'Skipped' || stageResult(second, 'Prod') !== 'Skipped') {
      problems.push(`run 2 should not have deployed anything (QA: ${stageResult(second, 'QA')}, Prod: ${stageResult(second, 'Prod')})`);
    }
    const third = runs[2][1];
    if (!isSuccess(third) || outputsOf(third, 'register').ModelVersion !== '2' || stageResult(third, 'Prod') !== 'Succeeded') {
      problems.push('run 3 should have registered version 2 and rolled it out to production');
    }
    if (!flow || flow.failed > 0 || Object.keys(flow.servedBy).length < 2) {
      problems.push(`clients should have been served by both deployments during run 3's rollout without a failure (${JSON.stringify(flow)})`);
    }
    if (versions.length !== 2) problems.push(`the workspace should hold two versions of ${MODEL_NAME}, not ${versions.length}`);
  } finally {
    await emulator.stop();
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`demo failed: ${problem}`);
    return 1;
  }
  console.log('\nThe first model was promoted, registered, packaged, deployed to QA and to production; the weaker one was rejected by');
  console.log('the gate and production kept serving the better model; the third, better still, was rolled out step by step while');
  console.log('a client kept scoring production, without a failed request, and it scored the sample request above.');
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
