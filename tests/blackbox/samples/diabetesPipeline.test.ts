import assert from 'node:assert/strict';

import { runPipeline, stepResult, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import type { Emulator } from '@azureml-mlops/emulator';

import { dedicatedEmulator } from '../../support/emulatorFixture';
import { AzureMlTestClient } from '../../emulator/azureml/support';
import { SAMPLE_REQUEST, ScoringClient, scoringTarget } from '../../emulator/azureml/servingFixture';
import { REPOSITORY_ROOT } from '../support/trainTask';
import { ScoringLoop } from '../deployProd/support';

/**
 * The sample pipeline as `npm start` runs it, three times on one workspace: a good model, a deliberately weaker one,
 * then a slightly better one rolled out to production while clients score it.
 * A workspace of its own, so that the model has no version and there is no production endpoint before the first run.
 */
describe('samples/diabetes/azure-pipelines.yml with the bundled tasks', function () {
  this.timeout(300_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await dedicatedEmulator('diabetes-pipeline');
  });

  function run(alpha: string, buildId: string): Promise<PipelineRunResult> {
    return runPipeline({
      pipelineFile: 'samples/diabetes/azure-pipelines.yml',
      repositoryRoot: REPOSITORY_ROOT,
      parameters: { alpha, stepWaitSeconds: '0' },
      variables: { 'Build.BuildId': buildId },
      serviceConnections: (name) => ({ id: name, env: emulator.connectionEnv(name, 'workloadIdentity') }),
      approveEnvironments: ['diabetes-qa', 'diabetes-prod'],
    });
  }

  const outputs = (result: PipelineRunResult, step: string): Record<string, string> => ({ ...stepResult(result, 'CI', 'Train', step)?.outputs });
  const stage = (result: PipelineRunResult, name: string): string | undefined => result.stages.find((s) => s.name === name)?.result;

  it('takes the first model through all six tasks to a production endpoint that answers, rejects a weaker one leaving production alone, then rolls out a better one with no failed request', async () => {
    const first = await run('0.5', '501');
    assert.equal(first.result, 'Succeeded', JSON.stringify(first.stages.map((s) => [s.name, s.result])));
    assert.equal(outputs(first, 'evaluate')['ShouldRegister'], 'true');
    assert.equal(outputs(first, 'register')['ModelVersion'], '1');
    assert.match(outputs(first, 'image')['ImageName'] ?? '', /\/diabetes-scoring(:[^@]+)?@sha256:[0-9a-f]{64}$/);
    assert.deepEqual(first.buildTags, ['model:diabetes-ridge:1']);

    const qa = stepResult(first, 'QA', 'DeployQA', 'qa')?.outputs ?? {};
    assert.equal(qa['ScoringUri'], 'https://diabetes-qa.westeurope.inference.ml.azure.com/score');
    const prod = stepResult(first, 'Prod', 'DeployProd', 'prod')?.outputs ?? {};
    assert.equal(prod['ScoringUri'], 'https://diabetes-prod.westeurope.inference.ml.azure.com/score');
    const prodEndpoint = emulator.inspect.onlineEndpoint('diabetes-prod') as { properties: { traffic: Record<string, number> } };
    assert.deepEqual(prodEndpoint.properties.traffic, { [prod['DeploymentName']!]: 100 });
    const version = emulator.inspect.modelVersions('diabetes-ridge')[0] as { properties: { tags: Record<string, string> } };
    assert.equal(version.properties.tags['stage'], 'production');

    // The production endpoint answers a client with its key.
    const client = await AzureMlTestClient.connect(emulator);
    const target = await scoringTarget(client, 'diabetes-prod');
    const scoring = new ScoringClient(emulator);
    try {
      const answer = await scoring.score(target.scoringUri, target.primaryKey, SAMPLE_REQUEST);
      assert.equal(answer.status, 200, answer.text);
      const predictions = answer.json<{ predictions: number[] }>().predictions;
      assert.equal(predictions.length, 3);
      for (const value of predictions) assert.ok(value > 0 && value < 400, String(value));
    } finally {
      scoring.close();
    }

    const second = await run('500', '502');
    assert.ok(second.result === 'Succeeded' || second.result === 'SucceededWithIssues', second.result);
    assert.equal(outputs(second, 'evaluate')['ShouldRegister'], 'false');
    assert.match(outputs(second, 'evaluate')['Decision'] ?? '', /^Reject: mse \d+(\.\d+)? is higher than \d+(\.\d+)? \(production diabetes-ridge:1/);
    assert.equal(stepResult(second, 'CI', 'Train', 'register')?.result, 'Skipped');
    assert.equal(stepResult(second, 'CI', 'Train', 'image')?.result, 'Skipped');
    assert.equal(stage(second, 'QA'), 'Skipped');
    assert.equal(stage(second, 'Prod'), 'Skipped');
    assert.deepEqual(
      emulator.inspect.modelVersions('diabetes-ridge').map((v) => v.name),
      ['1'],
    );
    assert.deepEqual((emulator.inspect.onlineEndpoint('diabetes-prod') as typeof prodEndpoint).properties.traffic, prodEndpoint.properties.traffic);

    // A better model rolls out to production while clients score it: no request fails, the new deployment serves.
    const loop = await ScoringLoop.start(emulator, 'diabetes-prod', { concurrency: 2 });
    const third = await run('2', '503').finally(() => loop.stop());
    const flow = await loop.stop();
    assert.equal(third.result, 'Succeeded', JSON.stringify(third.stages.map((s) => [s.name, s.result])));
    assert.equal(outputs(third, 'register')['ModelVersion'], '2');
    const rolledOut = stepResult(third, 'Prod', 'DeployProd', 'prod')?.outputs ?? {};
    assert.equal(rolledOut['PreviousDeploymentName'], prod['DeploymentName']);
    assert.notEqual(rolledOut['DeploymentName'], prod['DeploymentName']);
    assert.deepEqual((emulator.inspect.onlineEndpoint('diabetes-prod') as typeof prodEndpoint).properties.traffic, { [rolledOut['DeploymentName']!]: 100 });
    assert.equal(flow.failed, 0, flow.failures.join(' | '));
    assert.ok((flow.servedBy[rolledOut['DeploymentName']!] ?? 0) > 0 && (flow.servedBy[prod['DeploymentName']!] ?? 0) > 0, JSON.stringify(flow.servedBy));
    assert.deepEqual(
      emulator.inspect.modelVersions('diabetes-ridge').map((v) => [v.name, (v as { properties: { tags: Record<string, string> } }).properties.tags['stage']]),
      [['1', 'archived'], ['2', 'production']],
    );
  });
});
