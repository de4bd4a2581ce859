import assert from 'node:assert/strict';
import { renderCommand } from '@azureml-mlops/emulator/dist/azureml/execution/command';
import { errorExcerpt } from '@azureml-mlops/emulator/dist/azureml/execution/logs';
import { parseRunFilter } from '@azureml-mlops/emulator/dist/azureml/dataplane/searchFilter';
import { parseDuration } from '@azureml-mlops/emulator/dist/azureml/jobs/validate';
import { parseAssetRef, parseComputeRef } from '@azureml-mlops/emulator/dist/azureml/refs';
import type { TrackedRun } from '@azureml-mlops/emulator/dist/azureml/tracking';

const ARM = '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1';

describe('emulator Azure ML: how it reads references, commands, filters and errors', function () {
  describe('asset references', function () {
    it('reads every form a job or component uses for a workspace asset', function () {
      const workspace = { subscriptionId: 's1', resourceGroup: 'rg1', workspaceName: 'ws1' };
      assert.deepEqual(parseAssetRef(`azureml:${ARM}/environments/py/versions/3`, 'environments'), { scope: 'workspace', kind: 'environments', name: 'py', version: '3', workspace });
      assert.deepEqual(parseAssetRef(`${ARM}/codes/src/versions/1`, 'codes'), { scope: 'workspace', kind: 'codes', name: 'src', version: '1', workspace });
      assert.deepEqual(parseAssetRef('azureml:py:3', 'environments'), { scope: 'workspace', kind: 'environments', name: 'py', version: '3' });
      assert.deepEqual(parseAssetRef('azureml:py@latest', 'environments'), { scope: 'workspace', kind: 'environments', name: 'py', label: 'latest' });
      assert.deepEqual(parseAssetRef('azureml://locations/westeurope/workspaces/abc/data/rows/versions/2', 'data'), { scope: 'workspace', kind: 'data', name: 'rows', version: '2' });
      assert.deepEqual(parseAssetRef('azureml://registries/azureml/environments/sklearn-1.5/versions/4', 'environments'), {
        scope: 'registry',
        kind: 'environments',
        registry: 'azureml',
        name: 'sklearn-1.5',
        version: '4',
      });
    });

    it('refuses references of another kind, without a version, or that are storage paths', function () {
      assert.equal(parseAssetRef(`${ARM}/codes/src/versions/1`, 'environments'), undefined);
      assert.equal(parseAssetRef(`${ARM}/environments/py`, 'environments'), undefined);
      assert.equal(parseAssetRef('azureml://datastores/workspaceblobstore/paths/x', 'data'), undefined);
      assert.equal(parseAssetRef('https://acct.blob.core.windows.net/c/x', 'data'), undefined);
      assert.equal(parseAssetRef('just a name', 'environments'), undefined);
    });

    it('reads a compute as ARM id, azureml:name or name', function () {
      assert.deepEqual(parseComputeRef(`${ARM}/computes/cpu-cluster`), { name: 'cpu-cluster', workspace: { subscriptionId: 's1', resourceGroup: 'rg1', workspaceName: 'ws1' } });
      assert.deepEqual(parseComputeRef('azureml:gpu-cluster'), { name: 'gpu-cluster' });
      assert.deepEqual(parseComputeRef('k8s-compute'), { name: 'k8s-compute' });
      assert.equal(parseComputeRef('no such/compute'), undefined);
    });
  });

  describe('commands', function () {
    it('substitutes inputs and outputs, keeping optional blocks only when their inputs are given', function () {
      const command = 'python train.py --data ${{inputs.data}} $[[--alpha ${{ inputs.alpha }}]] $[[--note ${{inputs.note}}]] --out ${{outputs.model}}';
      assert.equal(
        renderCommand(command, { data: '/in/data', alpha: '0.5' }, { model: '/out/model' }),
        'python train.py --data /in/data --alpha 0.5  --out /out/model',
      );
    });

    it('fails the job on a reference to an input it does not have', function () {
      assert.throws(() => renderCommand('echo ${{inputs.missing}}', {}, {}), /\$\{\{inputs\.missing\}\}, which the job does not define/);
    });

    it('reads limits.timeout as an ISO 8601 duration', function () {
      assert.equal(parseDuration('PT30M'), 1800);
      assert.equal(parseDuration('P1DT2H3M4.5S'), 86400 + 7200 + 180 + 4.5);
      assert.equal(parseDuration('PT'), undefined);
      assert.equal(parseDuration('30 minutes'), undefined);
    });
  });

  describe('run errors', function () {
    it('quotes the last Python traceback of stderr', function () {
      const stderr = 'warming up\nTraceback (most recent call last):\n  File "a.py", line 1\nKeyError: 1\nretrying\nTraceback (most recent call last):\n  File "a.py", line 9, in <module>\nValueError: bad alpha\n';
      assert.equal(errorExcerpt(stderr), 'Traceback (most recent call last):\n  File "a.py", line 9, in <module>\nValueError: bad alpha');
    });

    it('quotes the last lines when there is no traceback', function () {
      const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
      assert.equal(errorExcerpt(lines), Array.from({ length: 20 }, (_, i) => `line ${i + 10}`).join('\n'));
    });
  });

  describe('MLflow search filters', function () {
    const run = (id: string, tags: Record<string, string>, metrics: Record<string, number>, status: TrackedRun['status'] = 'FINISHED'): TrackedRun => ({
      runId: id,
      experimentId: 'e',
      runName: id,
      userId: 'u',
      status,
      startTime: 1000,
      metrics: new Map(Object.entries(metrics).map(([key, value]) => [key, [{ key, value, timestamp: 1, step: 0 }]])),
      params: new Map(),
      tags: new Map(Object.entries(tags)),
    });
    const runs = [run('a', { 'mlflow.parentRunId': 'p1' }, { r2: 0.9 }), run('b', { 'mlflow.parentRunId': 'p2' }, { r2: 0.2 }, 'FAILED'), run('c', {}, {})];
    const matching = (filter: string): string[] => runs.filter(parseRunFilter(filter)).map((r) => r.runId);

    it('evaluates tag, metric and attribute clauses joined by AND', function () {
      assert.deepEqual(matching("tags.mlflow.parentRunId = 'p1'"), ['a']);
      assert.deepEqual(matching('tags.`mlflow.parentRunId` != "p1"'), ['b']);
      assert.deepEqual(matching('metrics.r2 >= 0.2 AND attributes.status = \'FAILED\''), ['b']);
      assert.deepEqual(matching("attributes.run_name LIKE '%'"), ['a', 'b', 'c']);
      assert.deepEqual(matching(''), ['a', 'b', 'c']);
    });

    it('refuses what it cannot parse with INVALID_PARAMETER_VALUE', function () {
      assert.throws(() => parseRunFilter('metrics.r2 > high'), (e: { errorCode?: string }) => e.errorCode === 'INVALID_PARAMETER_VALUE');
      assert.throws(() => parseRunFilter("tags.a = 'x' OR tags.b = 'y'"), /expected AND/);
    });
  });
});
