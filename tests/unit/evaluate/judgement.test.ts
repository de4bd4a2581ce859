/** AzureMLEvaluate: the judgement engine (per-metric verdicts, the overall decision and its one-line reason). */
import * as assert from 'node:assert/strict';

import type { JudgeInput } from '../../../tasks/AzureMLEvaluate/src/judgement';
import { judgement, metrics as metricsModule, rules as rulesModule } from './support';

const { judge, compare, formatPair, formatNumber } = judgement;
const { parseRules } = rulesModule;

const PROD = 'production diabetes-ridge:1 on endpoint diabetes-prod, deployment blue';

function decide(ruleText: string, candidate: Record<string, number>, baseline: Record<string, number> | { none: string }, allowTie = false) {
  const input: JudgeInput = {
    rules: parseRules(ruleText, 'rules'),
    candidate,
    baseline: 'none' in baseline ? { kind: 'none', reason: baseline.none as string } : { kind: 'values', values: baseline, label: PROD },
    allowTie,
  };
  return judge(input);
}

describe('AzureMLEvaluate judgement', function () {
  describe('one metric: direction', function () {
    it('lower is better: a lower candidate promotes, with the numbers, the baseline and the tolerance in the decision', function () {
      const result = decide('mse:lower', { mse: 3353.7979 }, { mse: 3747.5432 });
      assert.equal(result.promote, true);
      assert.equal(result.outcome, 'better');
      assert.equal(result.comparisons[0]!.verdict, 'better');
      assert.equal(result.decision, `Promote: mse 3353.8 is lower than 3747.54 (${PROD}) by 393.745 (tolerance 0).`);
    });

    it('lower is better: a higher candidate is rejected', function () {
      const result = decide('mse:lower', { mse: 3747.5432 }, { mse: 3353.7979 });
      assert.equal(result.promote, false);
      assert.equal(result.outcome, 'worse');
      assert.equal(result.decision, `Reject: mse 3747.54 is higher than 3353.8 (${PROD}) by 393.745 (tolerance 0).`);
    });

    it('higher is better: a lower candidate is rejected, a higher one promoted', function () {
      assert.equal(decide('r2:higher', { r2: 0.3886 }, { r2: 0.4528 }).decision, `Reject: r2 0.3886 is lower than 0.4528 (${PROD}) by 0.0642 (tolerance 0).`);
      assert.equal(decide('r2:higher', { r2: 0.4528 }, { r2: 0.3886 }).promote, true);
    });
  });

  describe('tolerance', function () {
    it('absolute: a difference within it ties, beyond it counts; the edge itself is a tie', function () {
      assert.equal(decide('mse:lower:50', { mse: 3300 }, { mse: 3340 }).outcome, 'tie');
      assert.equal(decide('mse:lower:50', { mse: 3290 }, { mse: 3340 }).outcome, 'tie', 'exactly 50 apart');
      assert.equal(decide('mse:lower:50', { mse: 3289 }, { mse: 3340 }).outcome, 'better');
      assert.equal(decide('mse:lower:50', { mse: 3391 }, { mse: 3340 }).outcome, 'worse');
      assert.equal(decide('mse:lower:50', { mse: 3390 }, { mse: 3340 }).outcome, 'tie', 'a worse value within the tolerance is not worse');
    });

    it('relative: a percentage of the baseline value (its magnitude, also for a negative baseline)', function () {
      const within = decide('mse:lower:2%', { mse: 3700 }, { mse: 3747.54 });
      assert.equal(within.outcome, 'tie');
      assert.equal(within.comparisons[0]!.tolerance!.toFixed(4), '74.9508');
      assert.match(within.decision, /mse 3700 is within tolerance 2% = 74\.9508 of 3747\.54 \(production .*\) \(lower by 47\.54\)/);
      assert.equal(decide('mse:lower:2%', { mse: 3670 }, { mse: 3747.54 }).outcome, 'better');
      assert.equal(decide('loss:lower:10%', { loss: -1.05 }, { loss: -1 }).outcome, 'tie');
      assert.equal(decide('loss:lower:10%', { loss: -1.2 }, { loss: -1 }).outcome, 'better');
      assert.equal(decide('loss:lower:10%', { loss: 0.0001 }, { loss: 0 }).outcome, 'worse', '10% of 0 is 0');
    });

    it('a relative edge computed in floating point still ties', function () {
      // 0.1 + 0.2 style rounding must not turn the boundary into a verdict.
      assert.equal(compare(parseRules('m:higher:10%', 'rules')[0]!, 0.33, 0.3).verdict, 'tie');
    });
  });

  describe('several metrics', function () {
    it('promotes when none is worse and one is better; the decision lists each compared metric', function () {
      const result = decide('mse:lower\nr2:higher:0.01', { mse: 3353.8, r2: 0.4528 }, { mse: 3747.54, r2: 0.45 });
      assert.equal(result.promote, true);
      assert.deepEqual(result.comparisons.map((c) => c.verdict), ['better', 'tie']);
      assert.equal(result.decision, `Promote: mse 3353.8 is lower than 3747.54 (${PROD}) by 393.74 (tolerance 0); r2 0.4528 is within tolerance 0.01 of 0.45 (higher by 0.0028).`);
    });

    it('rejects when one is worse even if another is better, naming only the worse ones', function () {
      const result = decide('mse:lower\nr2:higher', { mse: 3353.8, r2: 0.40 }, { mse: 3747.54, r2: 0.45 });
      assert.equal(result.promote, false);
      assert.equal(result.outcome, 'worse');
      assert.equal(result.decision, `Reject: r2 0.4 is lower than 0.45 (${PROD}) by 0.05 (tolerance 0).`);
    });
  });

  describe('ties', function () {
    it('a tie on every metric is rejected, and the decision says how to allow ties', function () {
      const result = decide('mse:lower\nr2:higher', { mse: 3353.8, r2: 0.4528 }, { mse: 3353.8, r2: 0.4528 });
      assert.equal(result.promote, false);
      assert.equal(result.outcome, 'tie');
      assert.equal(result.decision, `Reject: a tie, no metric is better: mse 3353.8 equals 3353.8 (${PROD}) (tolerance 0); r2 0.4528 equals 0.4528 (tolerance 0). Set allowTie to true to promote ties.`);
    });

    it('allowTie promotes a tie', function () {
      const result = decide('mse:lower', { mse: 3353.8 }, { mse: 3353.8 }, true);
      assert.equal(result.promote, true);
      assert.equal(result.outcome, 'tie allowed');
      assert.match(result.decision, /^Promote: a tie, allowed by allowTie: mse 3353\.8 equals 3353\.8/);
    });

    it('allowTie does not promote a worse metric', function () {
      assert.equal(decide('mse:lower\nr2:higher', { mse: 3353.8, r2: 0.40 }, { mse: 3353.8, r2: 0.45 }, true).promote, false);
    });
  });

  describe('no baseline, and metrics missing on the baseline', function () {
    it('no baseline: the first model is promoted, with the reason and its values', function () {
      const result = decide('mse:lower\nr2:higher', { mse: 3353.8, r2: 0.4528 }, { none: "the online endpoint 'diabetes-prod' does not exist yet" });
      assert.equal(result.promote, true);
      assert.equal(result.outcome, 'first model');
      assert.deepEqual(result.comparisons.map((c) => c.verdict), ['not compared', 'not compared']);
      assert.equal(result.decision, "Promote: first model, as the online endpoint 'diabetes-prod' does not exist yet (mse 3353.8, r2 0.4528).");
    });

    it('a metric missing on the baseline is reported and the others decide', function () {
      const better = decide('mse:lower\nmae:lower', { mse: 3353.8, mae: 45 }, { mse: 3747.54 });
      assert.equal(better.promote, true);
      assert.deepEqual(better.comparisons.map((c) => c.verdict), ['better', 'not compared']);
      assert.match(better.decision, /; not compared, missing on the baseline: mae\.$/);
      const worse = decide('mse:lower\nmae:lower', { mse: 3747.54, mae: 1 }, { mse: 3353.8 });
      assert.equal(worse.promote, false);
    });

    it('when no metric can be compared, the candidate is promoted like a first model, and the decision says so', function () {
      const result = decide('mse:lower\nr2:higher', { mse: 3353.8, r2: 0.45 }, {});
      assert.equal(result.promote, true);
      assert.equal(result.outcome, 'nothing compared');
      assert.equal(result.decision, `Promote: no rule metric could be compared, as the baseline (${PROD}) has none of mse, r2; promoted like a first model.`);
    });
  });

  it('refuses to judge a candidate without a value for a rule metric (the caller checks first)', function () {
    assert.throws(() => decide('mse:lower', {}, { mse: 1 }), /the candidate has no value for 'mse'/);
  });

  describe('numbers in messages', function () {
    it('6 significant digits, trailing zeros dropped, integers as they are', function () {
      assert.equal(formatNumber(3353.797912), '3353.8');
      assert.equal(formatNumber(0.452847123), '0.452847');
      assert.equal(formatNumber(12), '12');
      assert.equal(formatNumber(1.5e-9), '1.5e-9');
    });

    it('two different values never print alike', function () {
      assert.deepEqual(formatPair(0.4528471, 0.4528472), ['0.4528471', '0.4528472']);
      assert.deepEqual(formatPair(1, 1), ['1', '1']);
      assert.deepEqual(formatPair(1 / 3, 1 / 3), ['0.333333', '0.333333']);
    });
  });
});

describe('AzureMLEvaluate metric lookup (pipeline jobs)', function () {
  const { lookupMetric, metricSetFromResults, stepMetricSet, describeMetricNames } = metricsModule;
  const pipeline = metricSetFromResults({
    metrics: { 'evaluate.auc': 0.8, 'evaluate.mse': 3400, loss_total: 7, 'train.mse': 3353.8, 'train.r2': 0.45 },
    steps: { evaluate: { auc: 0.8, mse: 3400 }, train: { mse: 3353.8, r2: 0.45 } },
  });

  it("keeps the pipeline run's own metrics apart from the steps'", function () {
    assert.deepEqual(pipeline.own, { loss_total: 7 });
    assert.equal(describeMetricNames(pipeline), 'evaluate.auc, evaluate.mse, loss_total, train.mse, train.r2');
  });

  it('finds <step>.<metric>, the plain name logged by one step alone, and the run\'s own metrics', function () {
    assert.deepEqual(lookupMetric(pipeline, 'train.mse'), { found: true, value: 3353.8, step: 'train' });
    assert.deepEqual(lookupMetric(pipeline, 'r2'), { found: true, value: 0.45, step: 'train' });
    assert.deepEqual(lookupMetric(pipeline, 'auc'), { found: true, value: 0.8, step: 'evaluate' });
    assert.deepEqual(lookupMetric(pipeline, 'loss_total'), { found: true, value: 7 });
  });

  it('a plain name logged by several steps is ambiguous, with the names to choose from', function () {
    assert.deepEqual(lookupMetric(pipeline, 'mse'), { found: false, ambiguousIn: ['evaluate.mse', 'train.mse'] });
    assert.deepEqual(lookupMetric(pipeline, 'rmse'), { found: false });
  });

  it('narrowed to one step (pipelineStep): its metrics, with or without the step prefix', function () {
    const train = stepMetricSet(pipeline, 'train');
    assert.deepEqual(lookupMetric(train, 'mse'), { found: true, value: 3353.8, step: 'train' });
    assert.deepEqual(lookupMetric(train, 'train.r2'), { found: true, value: 0.45, step: 'train' });
    assert.deepEqual(lookupMetric(train, 'auc'), { found: false });
    assert.equal(describeMetricNames(train), 'mse, r2');
  });

  it('a pipeline run metric literally named like a step metric, with another value, stays the run\'s own', function () {
    const set = metricSetFromResults({ metrics: { 'train.mse': 1 }, steps: { train: { mse: 2 } } });
    assert.deepEqual(set.own, { 'train.mse': 1 });
    assert.deepEqual(lookupMetric(set, 'train.mse'), { found: true, value: 1 });
  });
});
