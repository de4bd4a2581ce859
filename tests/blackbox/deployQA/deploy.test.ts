/**
 * AzureMLDeployQA black-box: the bundled task run by the local agent against the shared emulator, deploying the
 * diabetes sample (its az ml endpoint and deployment YAML as they are) with a model trained by the bundled Train task.
 * Creation with the long-running operations, outputs, the smoke test, idempotent re-runs (no PUT), and fields the
 * task does not know surviving an update.
 */
import assert from 'node:assert/strict';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import {
  arm,
  armCallsSince,
  type DeployableModel,
  type DeployQAResult,
  endpointWrites,
  logOf,
  sharedDeployableModel,
  asPutBody,
  waitUntilIdle,
  runDeployQATask,
  SAMPLE_DEPLOYMENT_YAML,
  SAMPLE_ENDPOINT_YAML,
  SAMPLE_REQUEST,
  STACK_TRACE,
  uniqueName,
} from './support';

function assertSucceeded(result: DeployQAResult): void {
  assert.equal(result.result, 'Succeeded', logOf(result));
  assert.deepEqual(result.errors, []);
}

describe('AzureMLDeployQA black-box: deploying the diabetes sample', function () {
  this.timeout(240_000);
  let emulator: Emulator;
  let model: DeployableModel;

  before(async function () {
    emulator = await sharedEmulator();
    model = await sharedDeployableModel(emulator);
  });

  const endpointName = uniqueName('diabetes-qa');
  const sampleInputs = (): Record<string, string> => ({
    endpointFile: SAMPLE_ENDPOINT_YAML,
    deploymentFile: SAMPLE_DEPLOYMENT_YAML,
    endpointName,
    model: model.modelReference,
    environment: model.environmentReference,
    smokeTestRequestFile: SAMPLE_REQUEST,
    smokeTestAssertions: '$.predictions length 3\n$.predictions[*] between 0 and 400',
  });

  describe('the sample YAML with the model and environment as inputs, then the same run again', function () {
    let first: DeployQAResult;
    let again: DeployQAResult;
    let callsOfAgain: string[];

    before(async function () {
      const inputs = sampleInputs();
      first = await runDeployQATask({ emulator, inputs });
      const from = emulator.traffic.length;
      again = await runDeployQATask({ emulator, inputs });
      callsOfAgain = armCallsSince(emulator, from);
    });

    it('creates the endpoint (key auth, the YAML description and tags) and the deployment, and gives it all the traffic', function () {
      assertSucceeded(first);
      const endpoint = emulator.inspect.onlineEndpoint(endpointName) as { properties: Record<string, unknown>; tags: Record<string, string> };
      assert.ok(endpoint, 'the endpoint exists');
      assert.equal(endpoint.properties['authMode'], 'Key');
      assert.equal(endpoint.properties['description'], 'Scores the diabetes progression model.');
      assert.equal(endpoint.tags['model'], 'diabetes-ridge');
      assert.equal(endpoint.properties['provisioningState'], 'Succeeded');
      assert.deepEqual(endpoint.properties['traffic'], { blue: 100 });
      const [deployment, ...others] = emulator.inspect.onlineDeployments(endpointName) as Array<{ name: string; sku: { capacity: number }; properties: Record<string, unknown> }>;
      assert.deepEqual(others, []);
      assert.equal(deployment?.name, 'blue');
      assert.equal(deployment!.properties['provisioningState'], 'Succeeded');
      assert.match(String(deployment!.properties['model']), new RegExp(`/models/${model.modelName}/versions/1$`));
      assert.match(String(deployment!.properties['environmentId']), new RegExp(`/environments/${model.environmentName}/versions/1$`));
      assert.equal(deployment!.properties['instanceType'], 'Standard_DS3_v2');
      assert.equal(deployment!.sku.capacity, 1);
      assert.deepEqual(deployment!.properties['requestSettings'], { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 2, maxQueueWait: 'PT0.5S' });
      assert.equal((deployment!.properties['livenessProbe'] as Record<string, unknown>)['initialDelay'], 'PT10S');
      const code = deployment!.properties['codeConfiguration'] as { codeId: string; scoringScript: string };
      assert.equal(code.scoringScript, 'score.py');
      assert.match(code.codeId, /\/codes\/[0-9a-f-]{36}\/versions\/1$/);
    });

    it('sets the outputs: scoring and swagger URIs, endpoint and deployment names, Changed', function () {
      assert.equal(first.outputs['ScoringUri'], `https://${endpointName}.westeurope.inference.ml.azure.com/score`);
      assert.equal(first.outputs['SwaggerUri'], `https://${endpointName}.westeurope.inference.ml.azure.com/swagger.json`);
      assert.equal(first.outputs['EndpointName'], endpointName);
      assert.equal(first.outputs['DeploymentName'], 'blue');
      assert.equal(first.outputs['Changed'], 'true');
    });

    it('smoke-tests the deployment through its scoring URI with the endpoint key', function () {
      assert.match(logOf(first), /Smoke test of deployment 'blue' passed \(HTTP 200/);
      assert.match(first.summaries.join('\n'), /✅ passed/);
      const served = emulator.inspect.scoringRequests(endpointName);
      assert.ok((served['blue']?.routed ?? 0) >= 2, JSON.stringify(served));
    });

    it('a re-run with the same inputs changes nothing: no PUT, PATCH or DELETE, Changed false', function () {
      assertSucceeded(again);
      assert.deepEqual(endpointWrites(callsOfAgain), []);
      assert.deepEqual(callsOfAgain.filter((c) => c.startsWith('PUT ')), [], 'no code version or environment registered again either');
      assert.equal(again.outputs['Changed'], 'false');
      assert.match(logOf(again), /Online endpoint '.*': unchanged/);
      assert.match(logOf(again), /Deployment 'blue' of endpoint '.*': unchanged/);
      assert.match(logOf(again), /Traffic unchanged: blue=100%/);
      assert.equal(again.outputs['ScoringUri'], first.outputs['ScoringUri']);
    });

    it('never prints the endpoint key, and no stack trace', async function () {
      const keys = (await arm(emulator, 'POST', `onlineEndpoints/${endpointName}/listKeys`)).json() as { primaryKey: string };
      for (const run of [first, again]) {
        assert.ok(run.secrets.includes(keys.primaryKey), 'the key is registered as a secret');
        // `##vso[task.setsecret]` is how a secret is registered with the agent, which never shows it.
        const printed = `${run.rawStdout}\n${run.rawStderr}`.split(/\r?\n/).filter((line) => !line.startsWith('##vso[task.setsecret]'));
        assert.ok(!printed.some((line) => line.includes(keys.primaryKey)), 'the key is never printed');
        assert.doesNotMatch(`${run.rawStdout}\n${run.rawStderr}`, STACK_TRACE);
      }
    });
  });
  describe('an update keeps what the task does not know: fields, tags and mirrored traffic set by someone else', function () {
    let update: DeployQAResult;
    let blue: { sku: { capacity: number }; properties: Record<string, unknown> };
    let endpoint: { tags: Record<string, string>; properties: Record<string, unknown> };

    before(async function () {
      // What another tool (az ml, the studio) does between two runs of the task.
      const [existing] = emulator.inspect.onlineDeployments(endpointName) as Array<Record<string, unknown>>;
      const direct = asPutBody(existing!) as { properties: Record<string, unknown> };
      direct.properties['appInsightsEnabled'] = true;
      direct.properties['properties'] = { owner: 'ops-team' };
      assert.equal((await arm(emulator, 'PUT', `onlineEndpoints/${endpointName}/deployments/blue`, direct)).status, 200);
      await waitUntilIdle(emulator, endpointName);
      const green = await arm(emulator, 'PUT', `onlineEndpoints/${endpointName}/deployments/green`, asPutBody(existing!));
      assert.equal(green.status, 201, green.text);
      await waitUntilIdle(emulator, endpointName);
      const current = asPutBody(emulator.inspect.onlineEndpoint(endpointName)!) as { tags: Record<string, string>; properties: Record<string, unknown> };
      current.tags = { ...current.tags, owner: 'ops' };
      current.properties['mirrorTraffic'] = { green: 10 };
      const mirrored = await arm(emulator, 'PUT', `onlineEndpoints/${endpointName}`, current, '2023-04-01');
      assert.equal(mirrored.status, 200, mirrored.text);
      await waitUntilIdle(emulator, endpointName);

      update = await runDeployQATask({
        emulator,
        inputs: {
          ...sampleInputs(),
          endpointOverrides: 'description=Diabetes QA, second rollout',
          deploymentOverrides: 'instance_count=2\negress_public_network_access=disabled',
        },
      });
      blue = (emulator.inspect.onlineDeployments(endpointName) as Array<{ name: string; sku: { capacity: number }; properties: Record<string, unknown> }>).find((d) => d.name === 'blue')!;
      endpoint = emulator.inspect.onlineEndpoint(endpointName) as typeof endpoint;
    });

    it('updates what the inputs change: the instance count, the egress setting, the description', function () {
      assertSucceeded(update);
      assert.equal(blue.sku.capacity, 2);
      assert.equal(blue.properties['egressPublicNetworkAccess'], 'Disabled');
      assert.equal(endpoint.properties['description'], 'Diabetes QA, second rollout');
      assert.match(logOf(update), /Deployment 'blue' of endpoint '.*': updating \(.*sku\.capacity.*\)/);
      assert.equal(update.outputs['Changed'], 'true');
    });

    it("keeps the deployment's fields the task was not asked to change (appInsightsEnabled, properties)", function () {
      assert.equal(blue.properties['appInsightsEnabled'], true);
      assert.deepEqual(blue.properties['properties'], { owner: 'ops-team' });
    });

    it("keeps the endpoint's other tags and its mirrored traffic; the traffic stays blue=100", function () {
      assert.equal(endpoint.tags['owner'], 'ops');
      assert.equal(endpoint.tags['model'], 'diabetes-ridge');
      assert.deepEqual(endpoint.properties['mirrorTraffic'], { green: 10 });
      assert.deepEqual(endpoint.properties['traffic'], { blue: 100 });
    });
  });

  describe('a Kubernetes endpoint with Azure ML token auth, inputs only, at 0 % of the traffic', function () {
    const k8sEndpoint = uniqueName('diabetes-k8s');
    let result: DeployQAResult;

    before(async function () {
      result = await runDeployQATask({
        emulator,
        inputs: {
          endpointName: k8sEndpoint,
          computeType: 'Kubernetes',
          kubernetesCompute: 'k8s-compute',
          authMode: 'aml_token',
          deploymentName: 'qa-candidate',
          model: `${model.modelName}:${model.modelVersion}`,
          environment: model.environmentReference,
          codePath: 'samples/diabetes/score',
          scoringScript: 'score.py',
          trafficPercent: '0',
          smokeTestRequestFile: SAMPLE_REQUEST,
          smokeTestAssertions: '$.predictions length 3',
          teardown: 'always',
        },
      });
    });

    it('deploys to the attached Kubernetes compute with its default instance type, with AMLToken auth', function () {
      assertSucceeded(result);
      assert.match(logOf(result), /Online endpoint '.*': created \(AMLToken authentication, Kubernetes compute k8s-compute\)/);
      assert.equal(result.outputs['ScoringUri'], `https://k8s-compute.westeurope.cloudapp.azure.com/api/v1/endpoint/${k8sEndpoint}/score`);
    });

    it('leaves the traffic at none and still smoke-tests the deployment through the azureml-model-deployment header', function () {
      assert.match(logOf(result), /Traffic unchanged: no deployment takes traffic/);
      assert.match(logOf(result), /attempt 1\/5: HTTP 200 in \d+ ms from deployment 'qa-candidate'/);
      assert.match(logOf(result), /Smoke test of deployment 'qa-candidate' passed/);
    });

    it('tears down the deployment and, with nothing left on it, the endpoint', function () {
      assert.equal(emulator.inspect.onlineEndpoint(k8sEndpoint), undefined);
      assert.match(logOf(result), /Deployment 'qa-candidate' of endpoint '.*': deleted\./);
      assert.match(logOf(result), /Online endpoint '.*': deleted, with its deployments\./);
      assert.match(result.summaries.join('\n'), /deployment and endpoint deleted/);
    });
  });
});
