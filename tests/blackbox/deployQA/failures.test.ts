/**
 * AzureMLDeployQA black-box, when things go wrong: a scoring script whose init() raises (the deployment fails; the
 * task fails with the service's error and the inference server's traceback in its log), a smoke test that fails an
 * assertion (with the response), and teardown by outcome.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { type DeployableModel, type DeployQAResult, logOf, REPOSITORY_ROOT, runDeployQATask, SAMPLE_DEPLOYMENT_YAML, SAMPLE_REQUEST, sharedDeployableModel, STACK_TRACE, uniqueName } from './support';

describe('AzureMLDeployQA black-box: failures', function () {
  this.timeout(240_000);
  let emulator: Emulator;
  let model: DeployableModel;
  let sources: string;

  before(async function () {
    emulator = await sharedEmulator();
    model = await sharedDeployableModel(emulator);
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-qa-bb-'));
    fs.cpSync(path.join(REPOSITORY_ROOT, 'samples/diabetes/score'), path.join(sources, 'score'), { recursive: true });
    const script = path.join(sources, 'score', 'score.py');
    fs.writeFileSync(
      path.join(sources, 'broken-score.py'),
      fs.readFileSync(script, 'utf8').replace('    global MODEL\n', '    global MODEL\n    raise ValueError("the feature list does not match the model (broken on purpose)")\n'),
    );
    fs.mkdirSync(path.join(sources, 'broken'));
    fs.renameSync(path.join(sources, 'broken-score.py'), path.join(sources, 'broken', 'score.py'));
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  describe('a scoring script whose init() raises', function () {
    const endpointName = uniqueName('diabetes-broken');
    let result: DeployQAResult;

    before(async function () {
      result = await runDeployQATask({
        emulator,
        sourcesDirectory: sources,
        inputs: {
          deploymentFile: path.join(REPOSITORY_ROOT, SAMPLE_DEPLOYMENT_YAML),
          endpointName,
          model: model.modelReference,
          environment: model.environmentReference,
          codePath: 'broken',
          smokeTestRequestFile: path.join(REPOSITORY_ROOT, SAMPLE_REQUEST),
        },
      });
    });

    it("fails the task with one error: the service's error and the script's last error line", function () {
      assert.equal(result.result, 'Failed', logOf(result));
      assert.equal(result.errors.length, 1, result.errors.join('\n'));
      assert.match(result.errors[0]!, new RegExp(`^Deployment 'blue' of endpoint '${endpointName}' failed`));
      assert.match(result.errors[0]!, /Last error in the inference server log: ValueError: the feature list does not match the model \(broken on purpose\)/);
      assert.doesNotMatch(`${result.rawStdout}\n${result.rawStderr}`, STACK_TRACE);
    });

    it('brings both containers\' logs into the task log, the traceback in the inference server log', function () {
      const log = logOf(result);
      assert.match(log, /##\[group\]Inference server log of deployment 'blue'/);
      assert.match(log, /##\[group\]Storage initializer log of deployment 'blue'/);
      const inference = log.slice(log.indexOf("##[group]Inference server log of deployment 'blue'"));
      assert.match(inference, /Traceback \(most recent call last\)/);
      assert.match(inference, /raise ValueError\("the feature list does not match the model \(broken on purpose\)"\)/);
    });

    it('leaves the failed deployment without traffic and sets no outputs', function () {
      const [deployment] = emulator.inspect.onlineDeployments(endpointName) as Array<{ properties: { provisioningState: string } }>;
      assert.equal(deployment?.properties.provisioningState, 'Failed');
      const endpoint = emulator.inspect.onlineEndpoint(endpointName) as { properties: { traffic: Record<string, number> } };
      assert.deepEqual(endpoint.properties.traffic, {});
      assert.equal(result.outputs['ScoringUri'], undefined);
    });
  });

  describe('a smoke test that fails an assertion, with teardown onSuccess', function () {
    const endpointName = uniqueName('diabetes-assert');
    let result: DeployQAResult;

    before(async function () {
      result = await runDeployQATask({
        emulator,
        inputs: {
          deploymentFile: SAMPLE_DEPLOYMENT_YAML,
          endpointName,
          model: model.modelReference,
          environment: model.environmentReference,
          smokeTestRequestFile: SAMPLE_REQUEST,
          smokeTestAssertions: '$.predictions exists\n$.predictions length 4',
          teardown: 'onSuccess',
        },
      });
    });

    it('fails the task with the assertion and the response, after one attempt (assertions are not retried)', function () {
      assert.equal(result.result, 'Failed', logOf(result));
      assert.equal(result.errors.length, 1, result.errors.join('\n'));
      assert.match(
        result.errors[0]!,
        /^The smoke test of deployment 'blue' failed: assertion '\$\.predictions length 4' failed: \$\.predictions has length 3, not 4\. Response \(HTTP 200\): \{"predictions": \[/,
      );
      assert.match(logOf(result), /attempt 1\/5: HTTP 200/);
      assert.doesNotMatch(logOf(result), /attempt 2\/5/);
      assert.match(result.summaries.join('\n'), /❌ failed/);
    });

    it('keeps the deployment to investigate (teardown onSuccess), and still sets the outputs', function () {
      assert.equal((emulator.inspect.onlineDeployments(endpointName) as unknown[]).length, 1);
      assert.equal(result.outputs['ScoringUri'], `https://${endpointName}.westeurope.inference.ml.azure.com/score`);
      assert.doesNotMatch(logOf(result), /##\[group\]Teardown/);
    });
  });

  describe('a failed smoke test with teardown onFailure, then a passing one with teardown onFailure', function () {
    const endpointName = uniqueName('diabetes-teardown');
    let failed: DeployQAResult;
    let passed: DeployQAResult;
    let afterFailure: unknown;

    before(async function () {
      const inputs = { deploymentFile: SAMPLE_DEPLOYMENT_YAML, endpointName, model: model.modelReference, environment: model.environmentReference, smokeTestRequestFile: SAMPLE_REQUEST, teardown: 'onFailure' };
      failed = await runDeployQATask({ emulator, inputs: { ...inputs, smokeTestExpectedStatus: '201', smokeTestAttempts: '2' } });
      afterFailure = emulator.inspect.onlineEndpoint(endpointName);
      passed = await runDeployQATask({ emulator, inputs });
    });

    it('a wrong status is not retried (only 408, 429 and 5xx are) and the failed deployment is torn down with its endpoint', function () {
      assert.equal(failed.result, 'Failed', logOf(failed));
      assert.match(failed.errors[0] ?? '', /failed: HTTP 200, expected 201\./);
      assert.doesNotMatch(logOf(failed), /attempt 2\/2/);
      assert.equal(afterFailure, undefined, 'endpoint deleted');
    });

    it('a passing run is kept', function () {
      assert.equal(passed.result, 'Succeeded', logOf(passed));
      assert.equal((emulator.inspect.onlineDeployments(endpointName) as unknown[]).length, 1);
    });
  });
});
