import assert from 'node:assert/strict';

import { FakeClock, FakeWorkspace, JOB, wait } from './waitFakes';

describe('Train wait: job results', () => {
  it("reads a command job's final metrics and its named output URIs", async () => {
    const workspace = new FakeWorkspace(new FakeClock(), {
      statuses: [[0, 'Completed']],
      metrics: { r2: 0.4512, mse: 3000.12 },
      outputs: {
        model: { jobOutputType: 'uri_folder', uri: `azureml://datastores/workspaceblobstore/paths/azureml/${JOB}/model/` },
        unused: { jobOutputType: 'uri_folder', uri: null },
      },
    });
    const results = await wait.collectJobResults(workspace, JOB);
    assert.deepEqual(results, {
      metrics: { mse: 3000.12, r2: 0.4512 },
      steps: {},
      outputs: { model: `azureml://datastores/workspaceblobstore/paths/azureml/${JOB}/model/` },
    });
    assert.deepEqual(Object.keys(results.metrics), ['mse', 'r2']);
  });

  it("prefixes each pipeline step's metrics with the step name, and keeps the pipeline's own", async () => {
    const workspace = new FakeWorkspace(new FakeClock(), {
      jobType: 'Pipeline',
      statuses: [[0, 'Completed']],
      metrics: { total_seconds: 42 },
      outputs: { trained_model: { jobOutputType: 'uri_folder', uri: 'azureml://datastores/workspaceblobstore/paths/azureml/child/model/' } },
      steps: {
        'child-prep': { stepName: 'prep', statuses: [[0, 'Completed']], metrics: { rows: 442 } },
        'child-train': { stepName: 'train', statuses: [[0, 'Completed']], metrics: { mse: 3000.12, r2: 0.45 } },
      },
    });
    const results = await wait.collectJobResults(workspace, JOB);
    assert.deepEqual(results.metrics, { 'prep.rows': 442, total_seconds: 42, 'train.mse': 3000.12, 'train.r2': 0.45 });
    assert.deepEqual(results.steps, { prep: { rows: 442 }, train: { mse: 3000.12, r2: 0.45 } });
    assert.deepEqual(results.outputs, { trained_model: 'azureml://datastores/workspaceblobstore/paths/azureml/child/model/' });
  });

  it('gives no metrics for a job without an MLflow run', async () => {
    const workspace = new FakeWorkspace(new FakeClock(), { statuses: [[0, 'Completed']] });
    const original = workspace.mlflow.getRun;
    (workspace.mlflow as { getRun: typeof original }).getRun = async () => undefined;
    assert.deepEqual(await wait.collectJobResults(workspace, JOB), { metrics: {}, steps: {}, outputs: {} });
  });
});
