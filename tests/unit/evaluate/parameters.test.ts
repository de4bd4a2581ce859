/** AzureMLEvaluate: every input read and validated offline (parameters.ts), with a fake agent. */
import * as assert from 'node:assert/strict';

import type { EvaluateParameters } from '../../../tasks/AzureMLEvaluate/src/parameters';
import { captureStdout, fakeAgent } from '../shared/support/fakeAgent';
import { errorOf, parameters } from './support';

const ID = 'evaluate-unit-conn';
const CONNECTION = {
  url: 'https://management.azure.com/',
  scheme: 'ServicePrincipal',
  auth: { tenantid: 'tenant-1', serviceprincipalid: 'client-1', authenticationType: 'spnKey', serviceprincipalkey: 'unit-secret-1' },
  data: { subscriptionId: 'sub-1', environment: 'AzureCloud', scopeLevel: 'Subscription' },
};
const BASE = { azureSubscription: ID, resourceGroup: 'rg-1', workspace: 'ws-1', jobName: 'diabetes-ridge_abc', rules: 'mse:lower' };

async function read(inputs: Record<string, string>): Promise<EvaluateParameters> {
  // Reading the connection registers its secret (a ##vso[task.setsecret] line): keep it out of the test output.
  return (await captureStdout(() => parameters.readParameters(fakeAgent({ inputs: { ...BASE, ...inputs }, endpoints: { [ID]: CONNECTION } })))).result;
}

async function readError(inputs: Record<string, string>): Promise<Error & { inputName?: string }> {
  const { result } = await captureStdout(() => errorOf(() => parameters.readParameters(fakeAgent({ inputs: { ...BASE, ...inputs }, endpoints: { [ID]: CONNECTION } }))));
  return result;
}

describe('AzureMLEvaluate parameters', function () {
  describe('baseline auto', function () {
    it('is production when endpointName is set (modelName then only checks)', async function () {
      const params = await read({ endpointName: 'diabetes-prod', modelName: 'diabetes-ridge' });
      assert.deepEqual(params.baseline, { kind: 'production', endpointName: 'diabetes-prod', modelName: 'diabetes-ridge', chosenBy: 'auto' });
    });

    it('is latestVersion when only modelName is set', async function () {
      assert.deepEqual((await read({ modelName: 'diabetes-ridge' })).baseline, { kind: 'latestVersion', modelName: 'diabetes-ridge', chosenBy: 'auto' });
    });

    it('is an error without endpointName or modelName, and with thresholds alone', async function () {
      assert.match((await readError({})).message, /^Input 'baseline': is 'auto', but neither 'endpointName' nor 'modelName' is set/);
      assert.match((await readError({ thresholds: 'mse=1' })).message, /^Input 'baseline': is 'auto', which never compares with 'thresholds'/);
    });

    it("refuses inputs the chosen baseline does not use, naming what auto chose", async function () {
      const error = await readError({ endpointName: 'diabetes-prod', thresholds: 'mse=1' });
      assert.equal(error.message, "Input 'thresholds': is set, but only the baseline threshold uses it, and 'baseline' is 'auto' (here: production). Remove 'thresholds', or set 'baseline' to threshold.");
    });
  });

  describe('explicit baselines', function () {
    it('taggedModel: the tag defaults to stage=production; key=value and key alone are read', async function () {
      assert.deepEqual((await read({ baseline: 'taggedModel', modelName: 'm' })).baseline, { kind: 'taggedModel', modelName: 'm', tag: { key: 'stage', value: 'production' } });
      assert.deepEqual((await read({ baseline: 'taggedmodel', modelName: 'm', baselineTag: ' approved = yes ' })).baseline, { kind: 'taggedModel', modelName: 'm', tag: { key: 'approved', value: 'yes' } });
      assert.deepEqual((await read({ baseline: 'taggedModel', modelName: 'm', baselineTag: 'approved' })).baseline, { kind: 'taggedModel', modelName: 'm', tag: { key: 'approved' } });
    });

    it('threshold: one value per rule', async function () {
      const params = await read({ baseline: 'threshold', rules: 'mse:lower\nr2:higher:1%', thresholds: 'mse=3500\nr2=0.4' });
      assert.deepEqual(params.baseline, { kind: 'threshold', thresholds: { mse: 3500, r2: 0.4 } });
      assert.equal(params.rules.length, 2);
    });

    it('production needs endpointName; taggedModel and latestVersion need modelName', async function () {
      assert.match((await readError({ baseline: 'production' })).message, /^Input 'endpointName': a value is required with this 'baseline'\./);
      assert.match((await readError({ baseline: 'latestVersion' })).message, /^Input 'modelName': a value is required with this 'baseline'\. Set 'modelName' to the registered model whose newest version is the baseline\.$/);
    });

    it('baselineTag only with taggedModel, modelName not with threshold', async function () {
      assert.match((await readError({ modelName: 'm', baselineTag: 'stage=prod' })).message, /^Input 'baselineTag': is set, but only the baseline taggedModel uses it, and 'baseline' is 'auto' \(here: latestVersion\)/);
      assert.match((await readError({ baseline: 'threshold', thresholds: 'mse=1', modelName: 'm' })).message, /^Input 'modelName': is set, but only the baseline production, taggedModel or latestVersion uses it, and 'baseline' is 'threshold'\. Remove 'modelName', or set 'baseline' to production, taggedModel or latestVersion\.$/);
    });
  });

  it('defaults: no tie allowed, onReject skip, no pipeline step', async function () {
    const params = await read({ modelName: 'm' });
    assert.equal(params.allowTie, false);
    assert.equal(params.onReject, 'skip');
    assert.equal(params.pipelineStep, undefined);
    assert.deepEqual(params.workspace, { subscriptionId: 'sub-1', resourceGroup: 'rg-1', workspaceName: 'ws-1' });
  });

  const bad: Array<[string, Record<string, string>, string, RegExp]> = [
    ['a missing jobName', { jobName: '', modelName: 'm' }, 'jobName', /a value is required\. Set 'jobName' to the candidate job, normally the JobName output of the AzureMLTrain step/],
    ['an invalid jobName', { jobName: 'my job', modelName: 'm' }, 'jobName', /'my job' is not a valid Azure ML job name/],
    ['an unexpanded variable', { jobName: '$(train.JobName)', modelName: 'm' }, 'jobName', /is '\$\(train\.JobName\)', a pipeline variable that is not set/],
    ['an invalid step', { pipelineStep: 'train.step', modelName: 'm' }, 'pipelineStep', /'train\.step' is not a valid pipeline step name/],
    ['an endpoint name with _', { endpointName: 'prod_1' }, 'endpointName', /'prod_1' is not a valid name/],
    ['a model reference', { modelName: 'diabetes-ridge@latest' }, 'modelName', /'diabetes-ridge@latest' is a model reference, but a model name is expected\. Write just the name, 'diabetes-ridge'/],
    ['an invalid model name', { modelName: 'my model' }, 'modelName', /'my model' is not a valid model name/],
    ['a tag list', { baseline: 'taggedModel', modelName: 'm', baselineTag: 'a=1,b=2' }, 'baselineTag', /'a=1,b=2' is not one tag/],
    ['a tag without value after =', { baseline: 'taggedModel', modelName: 'm', baselineTag: 'stage=' }, 'baselineTag', /'stage=' has no value after '='/],
    ['an invalid workspace name', { workspace: 'ws 1', modelName: 'm' }, 'workspace', /'ws 1' is not a valid Azure ML workspace name/],
  ];
  for (const [name, inputs, input, pattern] of bad) {
    it(`refuses ${name}, naming '${input}'`, async function () {
      const error = await readError(inputs);
      assert.equal(error.inputName, input, error.message);
      assert.match(error.message, pattern);
    });
  }
});
