/** AzureMLRegisterModel inputs: what readParameters accepts and how it refuses the rest (offline, one InputError). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { InputError } from '@azureml-mlops/shared';

import type * as ParametersModule from '../../../tasks/AzureMLRegisterModel/src/parameters';
import { captureStdout, fakeAgent } from '../shared/support/fakeAgent';
import { taskModule } from './support';

const { readParameters } = taskModule<typeof ParametersModule>('parameters');

const CONNECTION = 'register-unit-conn';
const BASE = { azureSubscription: CONNECTION, resourceGroup: 'rg-1', workspace: 'ws-1', modelName: 'diabetes-ridge' };

describe('AzureMLRegisterModel parameters', function () {
  let sources: string;

  before(function () {
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'register-params-'));
    fs.mkdirSync(path.join(sources, 'models', 'ridge'), { recursive: true });
    fs.writeFileSync(path.join(sources, 'models', 'ridge', 'weights.json'), '{}');
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  async function read(inputs: Record<string, string>, variables: Record<string, string> = {}): Promise<ParametersModule.RegisterParameters> {
    const env = fakeAgent({
      inputs,
      variables: { 'System.DefaultWorkingDirectory': sources, 'Agent.TempDirectory': path.join(sources, 'temp'), ...variables },
      endpoints: {
        [CONNECTION]: {
          url: 'https://management.azure.com/',
          scheme: 'ServicePrincipal',
          auth: { tenantid: 'tenant-1', serviceprincipalid: 'client-1', authenticationType: 'spnKey', serviceprincipalkey: 'register-unit-secret' },
          data: { subscriptionId: 'sub-1', environment: 'AzureCloud', scopeLevel: 'Subscription' },
        },
      },
    });
    // registerSecret writes ##vso[task.setsecret] commands: keep them out of the test output.
    return (await captureStdout(() => readParameters(env))).result;
  }

  async function errorOf(inputs: Record<string, string>): Promise<InputError> {
    try {
      await read(inputs);
    } catch (error) {
      assert.ok(error instanceof InputError, String(error));
      return error;
    }
    throw new Error('expected an InputError, but the inputs were accepted');
  }

  describe('accepted', function () {
    it('a job name: the output model, the whole output, custom_model, the next version, artifact model', async function () {
      const params = await read({ ...BASE, jobName: 'job-1' }, { 'Build.BuildId': '12' });
      assert.deepEqual(params.source, { kind: 'job', jobName: 'job-1', outputName: 'model', subPath: '', inputs: { jobName: 'jobName', outputName: 'outputName', subPath: 'modelPath' } });
      assert.equal(params.modelType, 'custom_model');
      assert.equal(params.version, undefined);
      assert.equal(params.artifactName, 'model');
      assert.equal(params.metrics, undefined);
      assert.deepEqual(params.workspace, { subscriptionId: 'sub-1', resourceGroup: 'rg-1', workspaceName: 'ws-1' });
      assert.equal(params.lineageTags['azure-pipelines.build-id'], '12');
      assert.equal(params.tempDirectory, path.join(sources, 'temp'));
    });

    it('a path inside the output, normalized; the model type in any case', async function () {
      const params = await read({ ...BASE, jobName: 'job-1', outputName: 'best', modelPath: './mlflow\\model/', modelType: 'MLflow_Model' });
      assert.deepEqual([params.source.kind === 'job' && params.source.subPath, params.source.kind === 'job' && params.source.outputName, params.modelType], ['mlflow/model', 'best', 'mlflow_model']);
    });

    it('a job output URI alone names the job and the output; errors then name modelPath', async function () {
      const params = await read({ ...BASE, modelPath: 'azureml://jobs/job-2/outputs/scored/paths/a/b.pkl' });
      assert.deepEqual(params.source, { kind: 'job', jobName: 'job-2', outputName: 'scored', subPath: 'a/b.pkl', inputs: { jobName: 'modelPath', outputName: 'modelPath', subPath: 'modelPath' } });
    });

    it('local files relative to the sources folder, with their display path', async function () {
      const params = await read({ ...BASE, localPath: 'models/ridge' });
      assert.deepEqual(params.source, { kind: 'local', localPath: path.join(sources, 'models', 'ridge'), displayPath: 'models/ridge', isFolder: true });
    });

    it('the agent fills an empty filePath input with the sources folder: that is no local source', async function () {
      const params = await read({ ...BASE, jobName: 'job-1', localPath: sources });
      assert.equal(params.source.kind, 'job');
    });

    it('tags, properties, metrics, an explicit version and a description', async function () {
      const params = await read({ ...BASE, jobName: 'job-1', tags: 'team=a\n# comment\nstage = ci', properties: 'approved=yes', metrics: 'r2\nmse', version: '2024.06.1', description: 'd' });
      assert.deepEqual(params.tags, { team: 'a', stage: 'ci' });
      assert.deepEqual(params.properties, { approved: 'yes' });
      assert.deepEqual(params.metrics, ['r2', 'mse']);
      assert.equal(params.version, '2024.06.1');
      assert.equal(params.description, 'd');
    });
  });

  describe('refused, with one error naming the input', function () {
    const cases: Array<[string, Record<string, string>, string, RegExp]> = [
      ['no source', { ...BASE }, 'jobName', /a value is required: no model source is set\. Set 'jobName' to the job whose output holds the model \(usually \$\(train\.JobName\) from AzureMLTrain@1\), or 'localPath'/],
      ['both sources', { ...BASE, jobName: 'job-1', localPath: 'models/ridge' }, 'localPath', /both a job output \('jobName'\) and local files \('localPath'\) are set, but a model version has one source/],
      ['a job input with modelSource local', { ...BASE, modelSource: 'local', localPath: 'models/ridge', outputName: 'model' }, 'outputName', /applies only when 'modelSource' is job, but it is local\. Remove 'outputName', or set 'modelSource' to job \(or auto\)/],
      ['localPath with modelSource job', { ...BASE, modelSource: 'job', jobName: 'job-1', localPath: 'models/ridge' }, 'localPath', /applies only when 'modelSource' is local, but it is job/],
      ['modelSource job without a job', { ...BASE, modelSource: 'job' }, 'jobName', /a value is required to register a job output/],
      ['modelSource local without files', { ...BASE, modelSource: 'local' }, 'localPath', /a value is required/],
      ['an unknown modelSource', { ...BASE, modelSource: 'registry', jobName: 'job-1' }, 'modelSource', /'registry' is not an allowed value\. Use one of: auto, job, local/],
      ['a local path that does not exist', { ...BASE, localPath: 'models/nope' }, 'localPath', /'models\/nope' does not exist \(looked for .*models[\\/]nope\)/],
      ['no model name', { ...BASE, modelName: '', jobName: 'job-1' }, 'modelName', /a value is required\. Set 'modelName' to the name of the model in the workspace/],
      ['an invalid model name', { ...BASE, modelName: 'diabetes.ridge', jobName: 'job-1' }, 'modelName', /'diabetes\.ridge' is not a valid model name\. Use up to 255 letters, digits, '-' and '_'/],
      ['an unknown model type', { ...BASE, jobName: 'job-1', modelType: 'onnx' }, 'modelType', /'onnx' is not an allowed value\. Use one of: custom_model, mlflow_model, triton_model/],
      ['an invalid job name', { ...BASE, jobName: 'my job' }, 'jobName', /'my job' is not a valid Azure ML job name/],
      ['a job name variable that is not set', { ...BASE, jobName: '$(train.JobName)' }, 'jobName', /is '\$\(train\.JobName\)': that pipeline variable is not set/],
      ['an invalid output name', { ...BASE, jobName: 'job-1', outputName: 'my-output' }, 'outputName', /'my-output' is not a valid output name/],
      ['a path going up', { ...BASE, jobName: 'job-1', modelPath: 'a/../../b' }, 'modelPath', /'a\/\.\.\/\.\.\/b' goes up a folder \('\.\.'\): the path must stay inside the output/],
      ['a malformed job URI', { ...BASE, modelPath: 'azureml://jobs/job-1/model.pkl' }, 'modelPath', /'azureml:\/\/jobs\/job-1\/model\.pkl' is not of the form azureml:\/\/jobs\/<job>\/outputs\/<output>\/paths\/<path>/],
      ['a job URI and another job', { ...BASE, jobName: 'job-1', modelPath: 'azureml://jobs/job-2/outputs/model/paths/' }, 'modelPath', /names the job 'job-2', but 'jobName' is 'job-1'/],
      ['a job URI and another output', { ...BASE, outputName: 'best', modelPath: 'azureml://jobs/job-2/outputs/model/paths/' }, 'modelPath', /names the output 'model', but 'outputName' is 'best'/],
      ['a datastore URI', { ...BASE, jobName: 'job-1', modelPath: 'azureml://datastores/workspaceblobstore/paths/m' }, 'modelPath', /'azureml:\/\/datastores\/workspaceblobstore\/paths\/m' is a URI, but only azureml:\/\/jobs\/<job>\/outputs\/<output>\/paths\/<path> or a path inside the job's output is accepted/],
      ['an https URL', { ...BASE, jobName: 'job-1', modelPath: 'https://example.com/model.pkl' }, 'modelPath', /'https:\/\/example\.com\/model\.pkl' is a URI/],
      ['an invalid version', { ...BASE, jobName: 'job-1', version: '1 2' }, 'version', /'1 2' is not a valid model version/],
      ["version 'latest'", { ...BASE, jobName: 'job-1', version: 'Latest' }, 'version', /'latest' is a label, not a version/],
      ['tags not key=value', { ...BASE, jobName: 'job-1', tags: 'a=1\nb' }, 'tags', /line 2 \('b'\) is not in key=value form/],
      ['a repeated tag', { ...BASE, jobName: 'job-1', tags: 'a=1\na=2' }, 'tags', /line 2 repeats the key 'a' \(first set on line 1\)/],
      ['a reserved tag', { ...BASE, jobName: 'job-1', tags: 'Azure-Pipelines.build-id=1' }, 'tags', /line 1: the tag 'Azure-Pipelines\.build-id' starts with 'azure-pipelines\.'/],
      ['a reserved property', { ...BASE, jobName: 'job-1', properties: 'azureml-mlops.metric.r2=1' }, 'properties', /line 1: the property 'azureml-mlops\.metric\.r2' starts with 'azureml-mlops\.'/],
      ['a key with a comma', { ...BASE, jobName: 'job-1', properties: 'a,b=1' }, 'properties', /line 1: the key 'a,b' contains ','/],
      ['a key too long', { ...BASE, jobName: 'job-1', tags: `${'k'.repeat(251)}=1` }, 'tags', /line 1: the key 'k+\.\.\.' is 251 characters long, more than 250/],
      ['a description too long', { ...BASE, jobName: 'job-1', description: 'd'.repeat(5001) }, 'description', /is 5001 characters long/],
      ['a metric named twice', { ...BASE, jobName: 'job-1', metrics: 'r2\nr2' }, 'metrics', /names the metric 'r2' twice/],
      ['metrics for local files', { ...BASE, localPath: 'models/ridge', metrics: 'r2' }, 'metrics', /names metrics of a job, but the model is registered from local files/],
      ['an invalid artifact name', { ...BASE, jobName: 'job-1', artifactName: 'model/v1' }, 'artifactName', /'model\/v1' contains '\/'/],
      ['an invalid workspace name', { ...BASE, jobName: 'job-1', workspace: 'ws' }, 'workspace', /'ws' is not a valid Azure ML workspace name/],
    ];
    for (const [name, inputs, input, pattern] of cases) {
      it(name, async function () {
        const error = await errorOf(inputs);
        assert.equal(error.inputName, input);
        assert.match(error.message, new RegExp(`^Input '${input}': ${pattern.source}`));
      });
    }
  });
});
