/** JSON assertions of the smoke test (shared/src/deploy/assertions.ts): the syntax, its errors, and the verdicts. */
import * as assert from 'node:assert/strict';

import { evaluateJsonAssertion, InputError, parseJsonAssertions } from '@azureml-mlops/shared';

const RESPONSE = { predictions: [210.22, 66.37, 181.2], status: 'ok', model: { name: 'diabetes-ridge', version: 3 }, 'odd key': [1], empty: [] };

function verdicts(lines: string): Array<string | undefined> {
  return parseJsonAssertions(lines, 'smokeTestAssertions').map((assertion) => evaluateJsonAssertion(assertion, RESPONSE));
}

function parseError(lines: string): string {
  try {
    parseJsonAssertions(lines, 'smokeTestAssertions');
  } catch (error) {
    assert.ok(error instanceof InputError);
    return error.message;
  }
  return assert.fail('expected an InputError');
}

describe('smoke test JSON assertions (shared/src/deploy/assertions.ts)', () => {
  it('passing assertions of every kind give no failure', () => {
    assert.deepEqual(
      verdicts(
        [
          '# comments and blank lines are skipped',
          '',
          '$.predictions exists',
          '$.predictions length 3',
          '$.predictions length >= 1',
          '$.predictions length between 1 and 10',
          '$.predictions[0] between 0 and 400',
          '$.predictions[-1] > 100',
          '$.predictions[*] between 0 and 400',
          '$.status == "ok"',
          '$.status != "error"',
          '$.model.version <= 3',
          "$['model']['name'] matches \"^diabetes-\"",
          '$.model.name matches /RIDGE$/i',
          '$.model type object',
          '$.model.* exists',
          "$['odd key'][0] == 1",
          '$.error absent',
          '$.empty length 0',
          '$ type object',
        ].join('\n'),
      ),
      new Array(18).fill(undefined),
    );
  });

  it('failures say what was found', () => {
    assert.deepEqual(
      verdicts(
        [
          '$.predictions length 4',
          '$.predictions[1] between 100 and 400',
          '$.predictions[*] > 100',
          '$.status == "error"',
          '$.missing exists',
          '$.status absent',
          '$.status > 1',
          '$.empty[*] > 0',
          '$.model.name matches "^fraud"',
          '$.predictions type string',
          '$.model.version length 1',
        ].join('\n'),
      ),
      [
        '$.predictions has length 3, not 4',
        '$.predictions[1] is 66.37, not between 100 and 400',
        '$.predictions[*] (item 1) is 66.37, not > 100',
        '$.status is "ok", not "error"',
        '$.missing does not exist in the response',
        '$.status exists in the response ("ok"), but should be absent',
        '$.status is "ok", not a number > 1',
        '$.empty[*] matches nothing in the response',
        '$.model.name is "diabetes-ridge", which does not match /^fraud/',
        '$.predictions is [210.22,66.37,181.2], not of type string',
        '$.model.version is 3, which has no length',
      ],
    );
  });

  it('== compares JSON values, objects whatever their key order', () => {
    assert.deepEqual(verdicts('$.model == {"version": 3, "name": "diabetes-ridge"}\n$.predictions == [210.22, 66.37, 181.2]'), [undefined, undefined]);
  });

  it('syntax errors name the input and the line, and show the line', () => {
    assert.match(parseError('$.a exists\n\n$.predictions lenght 3'), /^Input 'smokeTestAssertions': line 3 \('\$\.predictions lenght 3'\) has an unknown check 'lenght 3'\. Write one assertion per line/);
    assert.match(parseError('predictions exists'), /^Input 'smokeTestAssertions': line 1 \('predictions exists'\) does not start with a JSON path such as \$\.predictions\./);
    assert.match(parseError('$.status == ok'), /line 1 \('\$\.status == ok'\) compares with ok, which is not a JSON value\. Write text in double quotes/);
    assert.match(parseError('$.a between 5 and 1'), /whose minimum is above its maximum\. Write between 1 and 5\./);
    assert.match(parseError('$.a[x] exists'), /has \[x\], which is neither an index, \* nor a quoted field name/);
    assert.match(parseError('$.a matches "("'), /has an invalid regular expression/);
    assert.match(parseError('$.a'), /has a path but no check after it/);
    assert.match(parseError('$.a type list'), /has the type 'list'\. Use one of: string, number, boolean, array, object, null\./);
    assert.match(parseError('$.a > ten'), /compares with ten, which is not a number/);
  });
});
