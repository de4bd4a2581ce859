/** The model-property convention for metrics recorded on a model version (shared/src/azureml/modelMetrics.ts). */
import * as assert from 'node:assert/strict';

import { MODEL_METRIC_PROPERTY_PREFIX, metricsFromModelProperties, modelMetricProperties } from '@azureml-mlops/shared';

describe('metrics recorded on a model version', function () {
  it('are written as azureml-mlops.metric.<name> properties and read back exactly', function () {
    const metrics = { mse: 3353.8015113648826, 'train.r2': 0.45283720261538274, count: 442 };
    const properties = modelMetricProperties(metrics);
    assert.deepEqual(Object.keys(properties), ['azureml-mlops.metric.mse', 'azureml-mlops.metric.train.r2', 'azureml-mlops.metric.count']);
    assert.equal(MODEL_METRIC_PROPERTY_PREFIX, 'azureml-mlops.metric.');
    assert.deepEqual(metricsFromModelProperties(properties), metrics);
  });

  it('leave out other properties, values that are not numbers, and non-finite values', function () {
    assert.deepEqual(modelMetricProperties({ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: 1 }), { 'azureml-mlops.metric.c': '1' });
    assert.deepEqual(
      metricsFromModelProperties({ 'azureml-mlops.metric.mse': ' 12.5 ', 'azureml-mlops.metric.r2': 'n/a', 'azureml-mlops.metric.': '3', 'azureml-mlops.metric.empty': '', other: '4' }),
      { mse: 12.5 },
    );
    assert.deepEqual(metricsFromModelProperties(undefined), {});
    assert.deepEqual(metricsFromModelProperties(null), {});
  });
});
