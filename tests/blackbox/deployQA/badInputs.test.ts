/**
 * AzureMLDeployQA black-box: bad input. Each case fails with ONE error that names the input (or the YAML file, field
 * and line), says what is wrong and how to fix it, without a stack trace, and creates nothing on the Azure side:
 * no ARM write at all (no PUT, POST, PATCH or DELETE) and nothing uploaded.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { datastoreSnapshot, inPool } from '../support/trainTask';
import {
  armCallsSince,
  type DeployableModel,
  type DeployQAResult,
  REPOSITORY_ROOT,
  runDeployQATask,
  SAMPLE_DEPLOYMENT_YAML,
  SAMPLE_ENDPOINT_YAML,
  SAMPLE_REQUEST,
  sharedDeployableModel,
  uniqueName,
} from './support';
import { assertOneClearError } from '../support/trainTask';

interface BadCase {
  readonly title: string;
  readonly inputs: (model: DeployableModel, endpointName: string) => Record<string, string>;
  readonly error: RegExp;
}

const CASES: readonly BadCase[] = [
  {
    title: 'a model version that does not exist',
    inputs: (m) => ({ model: `${m.modelName}:99` }),
    error: /^Input 'model': names the model diabetes-qa-model-[\w-]+:99, which does not exist in the workspace\. Versions of '[\w-]+': 1\.$/,
  },
  {
    title: 'an environment that does not exist',
    inputs: () => ({ environment: 'azureml:no-such-scoring-env:1' }),
    error: /^Input 'environment': names the environment no-such-scoring-env:1, which does not exist in the workspace\. The workspace has no environment 'no-such-scoring-env': build it first \(AzureMLBuildImage@1\), or check the name\.$/,
  },
  {
    title: 'an endpoint name that is not a DNS label',
    inputs: () => ({ endpointName: 'Diabetes_QA' }),
    error: /^Input 'endpointName': 'Diabetes_QA' is not a valid online endpoint name\. Use 3 to 32 letters, digits and '-'/,
  },
  {
    title: 'a misspelt field in the deployment YAML',
    inputs: () => ({ deploymentFile: 'typo/deployment.yml' }),
    error: /^Input 'deploymentFile': typo\/deployment\.yml: instance_typ \(line 11\) is not a field of an online deployment\. Did you mean 'instance_type'\?$/,
  },
  {
    title: 'an instance type that is not a VM size',
    inputs: () => ({ instanceType: 'DS3_v2' }),
    error: /^Input 'instanceType': 'DS3_v2' is not an Azure VM size\. Give a VM size supported by managed online endpoints, such as Standard_DS3_v2/,
  },
  {
    title: 'a traffic share on a new endpoint, where no other deployment can take the rest',
    inputs: () => ({ trafficPercent: '50' }),
    error: /^Input 'trafficPercent': is 50, but no other deployment of the endpoint takes traffic, and the live traffic must sum to 100 \(or 0\)\. Use 100, or 0/,
  },
  {
    title: 'an assertion with a misspelt check',
    inputs: () => ({ smokeTestAssertions: '$.predictions exists\n$.predictions lenght 3' }),
    error: /^Input 'smokeTestAssertions': line 2 \('\$\.predictions lenght 3'\) has an unknown check 'lenght 3'\. Write one assertion per line/,
  },
  {
    title: 'assertions without a request to check',
    inputs: () => ({ smokeTestRequestFile: '', smokeTestAssertions: '$.predictions exists' }),
    error: /^Input 'smokeTestAssertions': is set, but there is no request to check \('smokeTestRequestFile' is empty\)\./,
  },
  {
    title: 'a scoring script that is not in the code folder',
    inputs: () => ({ codePath: path.join(REPOSITORY_ROOT, 'samples/diabetes/score'), scoringScript: 'predict.py' }),
    error: /^Input 'scoringScript': is 'predict\.py', which is not a file in the code folder .*score\. Python files there: score\.py\.$/,
  },
  {
    title: 'a Kubernetes compute that is not attached to the workspace',
    inputs: () => ({ computeType: 'Kubernetes', kubernetesCompute: 'aks-missing', instanceType: '', deploymentFile: '', codePath: path.join(REPOSITORY_ROOT, 'samples/diabetes/score'), scoringScript: 'score.py' }),
    error: /^Input 'kubernetesCompute': names the compute 'aks-missing', which does not exist in the workspace\. Kubernetes computes of the workspace: k8s-compute\.$/,
  },
  {
    title: 'a deployment YAML for another endpoint than the endpoint YAML',
    inputs: () => ({ endpointName: '', endpointFile: SAMPLE_ENDPOINT_YAML, deploymentFile: 'other-endpoint/deployment.yml' }),
    error: /^Input 'deploymentFile': other-endpoint\/deployment\.yml names the endpoint 'fraud-qa' \(endpoint_name\), but the endpoint is 'diabetes-qa' \(samples\/diabetes\/deploy\/endpoint\.yml\)\./,
  },
  {
    title: 'an override whose value has the wrong type',
    inputs: () => ({ deploymentOverrides: 'instance_count=two' }),
    error: /^Input 'deploymentOverrides': line 1: instance_count must be a whole number, not the text 'two'\./,
  },
  {
    title: 'an instance count of 0',
    inputs: () => ({ instanceCount: '0' }),
    error: /^Input 'instanceCount': 0 is below the minimum of 1\./,
  },
];

describe('AzureMLDeployQA black-box: bad inputs', function () {
  this.timeout(240_000);
  let emulator: Emulator;
  let sources: string;
  let results: Array<{ endpointName: string; result: DeployQAResult }>;
  let writes: string[];
  let blobsBefore: string[];
  let blobsAfter: string[];

  before(async function () {
    emulator = await sharedEmulator();
    const model = await sharedDeployableModel(emulator);
    // A sources folder with the sample and two broken copies of its deployment YAML.
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-qa-bad-'));
    fs.cpSync(path.join(REPOSITORY_ROOT, 'samples'), path.join(sources, 'samples'), { recursive: true });
    const sample = fs.readFileSync(path.join(REPOSITORY_ROOT, SAMPLE_DEPLOYMENT_YAML), 'utf8');
    for (const [folder, text] of [
      ['typo', sample.replace('instance_type:', 'instance_typ:')],
      ['other-endpoint', sample.replace('endpoint_name: diabetes-qa', 'endpoint_name: fraud-qa')],
    ] as const) {
      fs.mkdirSync(path.join(sources, folder));
      fs.writeFileSync(path.join(sources, folder, 'deployment.yml'), text.replace('code: ../score', `code: ${path.join(sources, 'samples/diabetes/score')}`));
    }
    blobsBefore = await datastoreSnapshot(emulator);
    const from = emulator.traffic.length;
    results = await inPool(
      CASES.map((badCase) => async () => {
        const endpointName = uniqueName('bad-input');
        const inputs = {
          deploymentFile: SAMPLE_DEPLOYMENT_YAML,
          endpointName,
          model: model.modelReference,
          environment: model.environmentReference,
          smokeTestRequestFile: SAMPLE_REQUEST,
          ...badCase.inputs(model, endpointName),
        };
        return { endpointName, result: await runDeployQATask({ emulator, inputs, sourcesDirectory: sources }) };
      }),
    );
    writes = armCallsSince(emulator, from, (call) => !call.startsWith('GET '));
    blobsAfter = await datastoreSnapshot(emulator);
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  CASES.forEach((badCase, index) => {
    it(`${badCase.title}: one clear error naming the input`, function () {
      const { result } = results[index]!;
      assertOneClearError(result, badCase.error);
      assert.deepEqual(result.outputs, {});
    });
  });

  it('none of them wrote anything on the Azure side: no ARM write, no endpoint, no upload', function () {
    assert.deepEqual(writes, []);
    for (const { endpointName } of results) assert.equal(emulator.inspect.onlineEndpoint(endpointName), undefined, endpointName);
    assert.deepEqual(blobsAfter, blobsBefore);
  });
});
