/** AzureMLEvaluate: the syntax of the `rules` and `thresholds` inputs. */
import * as assert from 'node:assert/strict';

import { errorOf, rules } from './support';

const { parseRules, parseThresholds, describeRule } = rules;

describe('AzureMLEvaluate rules input', function () {
  it('reads metric, direction and tolerance; no tolerance is 0; blank lines and # comments are skipped', function () {
    const parsed = parseRules('# quality\nmse:lower\n\n  r2 : higher : 0.01 \nmae:LOWER:2%\ntrain.loss:lower:1e-3\nval loss/epoch:higher', 'rules');
    assert.deepEqual(
      parsed.map((r) => [r.metric, r.direction, r.tolerance, r.line]),
      [
        ['mse', 'lower', { kind: 'absolute', value: 0 }, 2],
        ['r2', 'higher', { kind: 'absolute', value: 0.01 }, 4],
        ['mae', 'lower', { kind: 'relative', percent: 2 }, 5],
        ['train.loss', 'lower', { kind: 'absolute', value: 0.001 }, 6],
        ['val loss/epoch', 'higher', { kind: 'absolute', value: 0 }, 7],
      ],
    );
    assert.deepEqual(parsed.map(describeRule), ['mse:lower', 'r2:higher:0.01', 'mae:lower:2%', 'train.loss:lower:0.001', 'val loss/epoch:higher']);
  });

  it('accepts Windows line ends', function () {
    assert.deepEqual(parseRules('mse:lower\r\nr2:higher\r\n', 'rules').map((r) => r.line), [1, 2]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['empty', '  \n# only a comment\n', /^Input 'rules': a value is required\. Write one rule per line: <metric>:<lower\|higher>\[:<tolerance>\]/],
    ['no direction', 'mse:lower\nr2', /^Input 'rules': line 2 \('r2'\) is not a rule\. Write <metric>:<lower\|higher>\[:<tolerance>\]/],
    ['too many parts', 'mse:lower:1:2', /^Input 'rules': line 1 \('mse:lower:1:2'\) is not a rule/],
    ['unknown direction', 'mse:smaller', /^Input 'rules': line 1 \('mse:smaller'\) has the direction 'smaller'\. Use lower \(smaller is better, e\.g\. mse\) or higher/],
    ['no metric', ':lower', /^Input 'rules': line 1 \(':lower'\) has no metric name/],
    ['bad metric name', 'mse=3:lower', /^Input 'rules': line 1 \('mse=3:lower'\) names the metric 'mse=3', which is not a valid MLflow metric name/],
    ['negative tolerance', 'mse:lower:-1', /^Input 'rules': line 1 \('mse:lower:-1'\) has the tolerance '-1'\. Give a tolerance of 0 or more/],
    ['tolerance not a number', 'mse:lower:a lot', /^Input 'rules': line 1 \('mse:lower:a lot'\) has the tolerance 'a lot', which is not a number/],
    ['percent without a number', 'mse:lower:%', /^Input 'rules': line 1 \('mse:lower:%'\) has the tolerance '%', which is not a number/],
    ['a metric twice', 'mse:lower\nr2:higher\nmse:higher', /^Input 'rules': line 3 repeats the metric 'mse' \(first given on line 1\)\. Keep one rule per metric\.$/],
  ];
  for (const [name, text, pattern] of bad) {
    it(`refuses ${name}, naming the input and the line`, function () {
      const error = errorOf(() => parseRules(text, 'rules'));
      assert.equal(error.name, 'InputError');
      assert.equal(error.inputName, 'rules');
      assert.match(error.message, pattern);
    });
  }
});

describe('AzureMLEvaluate thresholds input', function () {
  it('reads metric=value lines (numbers in any JSON-like form)', function () {
    assert.deepEqual(
      parseThresholds('mse = 3500\n# r2 from the last audit\nr2=0.45\nloss=-1.5e-2', 'thresholds').map((t) => [t.metric, t.value, t.line]),
      [
        ['mse', 3500, 1],
        ['r2', 0.45, 3],
        ['loss', -0.015, 4],
      ],
    );
    assert.deepEqual(parseThresholds(undefined, 'thresholds'), []);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a line without =', 'mse 3500', /^Input 'thresholds': line 1 \('mse 3500'\) is not in metric=value form/],
    ['a value that is not a number', 'mse=low', /^Input 'thresholds': line 1 \('mse=low'\) gives 'low' for 'mse', which is not a number/],
    ['an empty value', 'mse=', /^Input 'thresholds': line 1 \('mse='\) gives '' for 'mse', which is not a number/],
    ['a metric twice', 'mse=1\nmse=2', /^Input 'thresholds': line 2 repeats the metric 'mse' \(first given on line 1\)/],
    ['no metric', '=2', /^Input 'thresholds': line 1 \('=2'\) has no metric name/],
  ];
  for (const [name, text, pattern] of bad) {
    it(`refuses ${name}`, function () {
      const error = errorOf(() => parseThresholds(text, 'thresholds'));
      assert.equal(error.inputName, 'thresholds');
      assert.match(error.message, pattern);
    });
  }
});
