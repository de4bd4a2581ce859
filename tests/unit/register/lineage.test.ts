import assert from 'node:assert/strict';

import type * as LineageModule from '../../../tasks/AzureMLRegisterModel/src/lineage';
import type * as UriModule from '../../../tasks/AzureMLRegisterModel/src/source/jobOutputUri';
import { taskModule, WS } from './support';

const lineage = taskModule<typeof LineageModule>('lineage');
const uris = taskModule<typeof UriModule>('source/jobOutputUri');

const PIPELINE = {
  'azure-pipelines.build-id': '42',
  'azure-pipelines.build-url': 'https://dev.azure.com/org/p/_build/results?buildId=42',
  'azure-pipelines.source-version': 'abc123',
};

describe('AzureMLRegisterModel lineage', function () {
  describe('buildLineage', function () {
    const jobLineage = lineage.buildLineage({
      source: {
        kind: 'job-output',
        uri: 'azureml://jobs/j1/outputs/model/paths/',
        jobName: 'j1',
        outputName: 'model',
        experimentName: 'exp',
        inputs: { train: { jobInputType: 'uri_folder', uri: `${WS}/data/train/versions/2` }, lr: { jobInputType: 'literal', value: '0.1' } },
      },
      metrics: { mse: 12.5, 'val.loss': 0.25 },
      pipeline: PIPELINE,
      registeredBy: 'AzureMLRegisterModel@1.0.0',
    });

    it('puts the source, job, experiment, data, metrics and pipeline run in the properties', function () {
      assert.deepEqual(jobLineage.properties, {
        'azureml-mlops.source-kind': 'job-output',
        'azureml-mlops.source': 'azureml://jobs/j1/outputs/model/paths/',
        'azureml-mlops.job-name': 'j1',
        'azureml-mlops.experiment': 'exp',
        'azureml-mlops.job-output': 'model',
        'azureml-mlops.input.train': 'azureml:train:2',
        'azureml-mlops.registered-by': 'AzureMLRegisterModel@1.0.0',
        'azureml-mlops.metric.mse': '12.5',
        'azureml-mlops.metric.val.loss': '0.25',
        ...PIPELINE,
      });
      assert.deepEqual(jobLineage.metrics, { mse: 12.5, 'val.loss': 0.25 });
      assert.deepEqual(jobLineage.skipped, []);
    });

    it('repeats the pipeline run and the job in the tags, not the metrics', function () {
      assert.deepEqual(jobLineage.tags, { 'azureml-mlops.job-name': 'j1', 'azureml-mlops.experiment': 'exp', ...PIPELINE });
    });

    it('for local files: the path and the content hash, no job', function () {
      const local = lineage.buildLineage({ source: { kind: 'local-files', displayPath: 'models/ridge', hash: 'ab'.repeat(32) }, metrics: {}, pipeline: {}, registeredBy: 'T@1.0.0' });
      assert.deepEqual(local.properties, {
        'azureml-mlops.source-kind': 'local-files',
        'azureml-mlops.source': 'models/ridge',
        'azureml-mlops.content-hash': 'ab'.repeat(32),
        'azureml-mlops.registered-by': 'T@1.0.0',
      });
      assert.deepEqual(local.tags, {});
    });

    it('leaves out what Azure ML cannot store (a metric name too long for a key), saying so', function () {
      const name = 'm'.repeat(240);
      const result = lineage.buildLineage({ source: { kind: 'local-files', displayPath: 'x', hash: 'h' }, metrics: { [name]: 1, ok: 2 }, pipeline: {}, registeredBy: 'T@1' });
      assert.deepEqual(result.metrics, { ok: 2 });
      assert.equal(result.skipped.length, 1);
      assert.match(result.skipped[0]!, /^azureml-mlops\.metric\.m+: the key 'azureml-mlops\.metric\.m+\.\.\.' is 261 characters long, more than 250$/);
    });
  });

  describe('chooseMetrics', function () {
    it('all metrics by default, in name order, non-finite values left out', function () {
      assert.deepEqual(lineage.chooseMetrics({ r2: 0.5, mse: 3, loss: Number.NaN }, undefined), { metrics: { mse: 3, r2: 0.5 }, leftOut: ['loss (NaN)'] });
    });

    it('only the named ones when named', function () {
      assert.deepEqual(lineage.chooseMetrics({ r2: 0.5, mse: 3 }, ['r2']), { metrics: { r2: 0.5 }, leftOut: [] });
    });

    it(`at most ${100} metrics`, function () {
      const many = Object.fromEntries(Array.from({ length: 105 }, (_, i) => [`m${String(i).padStart(3, '0')}`, i]));
      const chosen = lineage.chooseMetrics(many, undefined);
      assert.equal(Object.keys(chosen.metrics).length, lineage.MAX_RECORDED_METRICS);
      assert.deepEqual(chosen.leftOut, ['m100', 'm101', 'm102', 'm103', 'm104']);
    });
  });

  describe('dataReference', function () {
    const cases: Array<[string, string]> = [
      [`azureml:${WS}/data/diabetes/versions/3`, 'azureml:diabetes:3'],
      [`${WS}/data/diabetes/versions/3`, 'azureml:diabetes:3'],
      ['azureml://locations/westeurope/workspaces/0000/data/diabetes/versions/4', 'azureml:diabetes:4'],
      ['azureml:diabetes:5', 'azureml:diabetes:5'],
      ['azureml://registries/shared/data/diabetes/versions/1', 'azureml://registries/shared/data/diabetes/versions/1'],
      ['azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/diabetes.csv', 'azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/diabetes.csv'],
      ['https://acct.blob.core.windows.net/c/d.csv?sv=1&sig=secret', 'https://acct.blob.core.windows.net/c/d.csv'],
    ];
    for (const [uri, expected] of cases) {
      it(`${uri} -> ${expected}`, function () {
        assert.equal(lineage.dataReference(uri), expected);
      });
    }

    it('dataInputsOf skips literal inputs and sorts by name', function () {
      assert.deepEqual(lineage.dataInputsOf({ b: { uri: 'azureml:b:1' }, a: { uri: 'azureml:a:2' }, n: { jobInputType: 'literal', value: '3' }, none: null }), { a: 'azureml:a:2', b: 'azureml:b:1' });
    });
  });

  describe('job output URIs', function () {
    it('parses a URI into job, output and path', function () {
      assert.deepEqual(uris.parseJobOutputUri('azureml://jobs/j_1/outputs/model/paths/sub/model.pkl'), { jobName: 'j_1', outputName: 'model', subPath: 'sub/model.pkl' });
      assert.deepEqual(uris.parseJobOutputUri('azureml://jobs/j/outputs/model/paths/'), { jobName: 'j', outputName: 'model', subPath: '' });
      assert.deepEqual(uris.parseJobOutputUri('azureml://jobs/j/outputs/model'), { jobName: 'j', outputName: 'model', subPath: '' });
    });

    it('says what is wrong with a bad one', function () {
      assert.match(String(uris.parseJobOutputUri('azureml://jobs/j/model')), /is not of the form azureml:\/\/jobs\/<job>\/outputs\/<output>\/paths\/<path>/);
      assert.match(String(uris.parseJobOutputUri('azureml://jobs/j/outputs/model/paths/../x')), /goes up a folder/);
      assert.match(String(uris.parseJobOutputUri('azureml://jobs/j/outputs/mo-del/paths/')), /not a valid output name/);
    });

    it('normalizes paths inside an output; the same location always gives the same URI (the identity of a source)', function () {
      assert.equal(uris.normalizeSubPath('./a//b\\c/'), 'a/b/c');
      const a = uris.parseJobOutputUri('azureml://jobs/j/outputs/model/paths//a/./b/') as UriModule.JobOutputLocation;
      const b = uris.parseJobOutputUri('azureml://jobs/j/outputs/model/paths/a/b') as UriModule.JobOutputLocation;
      assert.equal(uris.formatJobOutputUri(a), uris.formatJobOutputUri(b));
      assert.equal(uris.formatJobOutputUri(b), 'azureml://jobs/j/outputs/model/paths/a/b');
    });

    it('reads short and long datastore URIs', function () {
      assert.deepEqual(uris.parseDatastoreUri('azureml://datastores/workspaceblobstore/paths/azureml/j/model/'), { datastore: 'workspaceblobstore', path: 'azureml/j/model' });
      assert.deepEqual(uris.parseDatastoreUri('azureml://subscriptions/s/resourcegroups/r/workspaces/w/datastores/ds/paths/p/q'), { datastore: 'ds', path: 'p/q' });
      assert.equal(uris.parseDatastoreUri('azureml://datastores/workspaceartifactstore/ExperimentRun/dcid.j'), undefined);
    });
  });
});
