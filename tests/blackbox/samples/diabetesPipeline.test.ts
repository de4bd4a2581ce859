import assert from 'node:assert/strict';

import { runPipeline, stepResult, type PipelineRunResult } from '@azureml-mlops/emulator/dist/devops/pipelineRunner';
import type { Emulator } from '@azureml-mlops/emulator';

import { dedicatedEmulator } from '../../support/emulatorFixture';
import { REPOSITORY_ROOT } from '../support/trainTask';

/**
 * The sample pipeline as `npm start` runs it: twice on one workspace, a good model then a deliberately weaker one.
 * A workspace of its own, so that the model has no version before the first run.
 */
describe('samples/diabetes/azure-pipelines.yml with the bundled tasks', function () {
  this.timeout(120_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await dedicatedEmulator('diabetes-pipeline');
  });

  function run(alpha: string, buildId: string): Promise<PipelineRunResult> {
    return runPipeline({
      pipelineFile: 'samples/diabetes/azure-pipelines.yml',
      repositoryRoot: REPOSITORY_ROOT,
      parameters: { alpha },
      variables: { 'Build.BuildId': buildId },
      serviceConnections: (name) => ({ id: name, env: emulator.connectionEnv(name, 'workloadIdentity') }),
    });
  }

  const outputs = (result: PipelineRunResult, step: string): Record<string, string> => ({ ...stepResult(result, 'CI', 'Train', step)?.outputs });

  it('registers the first model, then rejects a weaker one without registering it, and both runs succeed', async () => {
    const first = await run('0.5', '501');
    assert.equal(first.result, 'Succeeded');
    assert.equal(outputs(first, 'evaluate')['ShouldRegister'], 'true');
    assert.equal(outputs(first, 'register')['ModelVersion'], '1');
    assert.deepEqual(first.buildTags, ['model:diabetes-ridge:1']);

    const second = await run('500', '502');
    assert.ok(second.result === 'Succeeded' || second.result === 'SucceededWithIssues', second.result);
    assert.equal(outputs(second, 'evaluate')['ShouldRegister'], 'false');
    assert.match(outputs(second, 'evaluate')['Decision'] ?? '', /^Reject: mse \d+(\.\d+)? is higher than \d+(\.\d+)? \(diabetes-ridge:1/);
    assert.equal(stepResult(second, 'CI', 'Train', 'register')?.result, 'Skipped');
    assert.deepEqual(
      emulator.inspect.modelVersions('diabetes-ridge').map((version) => version.name),
      ['1'],
    );
  });
});
