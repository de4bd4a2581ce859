import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { InputError, InputReader } from '@azureml-mlops/shared';

import { fakeAgent } from './support/fakeAgent';

function reader(inputs: Record<string, string>, variables: Record<string, string> = {}): InputReader {
  return new InputReader(fakeAgent({ inputs, variables }));
}

/** Asserts `body` throws an InputError naming `input` whose message contains every fragment. */
function assertInputError(body: () => unknown, input: string, ...fragments: string[]): InputError {
  let caught: unknown;
  try {
    body();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof InputError, `expected an InputError, got ${String(caught)}`);
  assert.equal(caught.inputName, input);
  assert.ok(caught.message.startsWith(`Input '${input}': `), caught.message);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `"${caught.message}" should contain "${fragment}"`);
  return caught;
}

describe('shared/inputs', () => {
  describe('strings', () => {
    it('returns trimmed values and undefined for empty optional inputs', () => {
      const inputs = reader({ name: '  job-1  ', blank: '   ' });
      assert.equal(inputs.requiredString('name'), 'job-1');
      assert.equal(inputs.optionalString('blank'), undefined);
      assert.equal(inputs.optionalString('absent'), undefined);
    });

    it('names the missing required input and how to set it', () => {
      const error = assertInputError(() => reader({}).requiredString('jobFile'), 'jobFile', 'a value is required', "Set 'jobFile' on the task");
      assert.equal(error.problem, 'a value is required');
    });

    it('uses a specific fix when the task gives one', () => {
      assertInputError(() => reader({}).requiredString('jobFile', { fix: 'Give the job YAML path' }), 'jobFile', 'Give the job YAML path.');
    });
  });

  describe('boolean', () => {
    it('reads true/false words in any case and falls back to the default', () => {
      const inputs = reader({ a: 'TRUE', b: 'no', c: 'On', d: '0' });
      assert.equal(inputs.boolean('a', false), true);
      assert.equal(inputs.boolean('b', true), false);
      assert.equal(inputs.boolean('c', false), true);
      assert.equal(inputs.boolean('d', true), false);
      assert.equal(inputs.boolean('missing', true), true);
    });

    it('rejects anything else instead of silently reading false', () => {
      assertInputError(() => reader({ wait: 'maybe' }).boolean('wait', true), 'wait', "'maybe' is not a boolean", 'Use true or false');
    });
  });

  describe('integer', () => {
    it('reads whole numbers within range and the default when empty', () => {
      const inputs = reader({ timeout: '30', negative: '-2' });
      assert.equal(inputs.integer('timeout', 10, { min: 1, max: 60 }), 30);
      assert.equal(inputs.integer('negative', 0), -2);
      assert.equal(inputs.integer('missing', 7), 7);
      assert.equal(inputs.integer('missing', undefined), undefined);
    });

    it('rejects non-integers with the input name and the allowed range', () => {
      assertInputError(() => reader({ timeout: '1.5' }).integer('timeout', 10, { min: 1, max: 60 }), 'timeout', "'1.5' is not a whole number", 'from 1 to 60');
      assertInputError(() => reader({ timeout: 'ten' }).integer('timeout', 10), 'timeout', "'ten' is not a whole number");
    });

    it('rejects values out of range', () => {
      assertInputError(() => reader({ timeout: '0' }).integer('timeout', 10, { min: 1, max: 60 }), 'timeout', '0 is below the minimum of 1', 'from 1 to 60');
      assertInputError(() => reader({ timeout: '61' }).integer('timeout', 10, { min: 1 , max: 60 }), 'timeout', '61 is above the maximum of 60');
      assertInputError(() => reader({ timeout: '5' }).integer('timeout', 10, { min: 10 }), 'timeout', 'of at least 10');
    });
  });

  describe('enum', () => {
    it('matches case-insensitively and returns the canonical spelling', () => {
      assert.equal(reader({ mode: 'WAIT' }).enumValue('mode', ['wait', 'submit'] as const, 'submit'), 'wait');
      assert.equal(reader({}).enumValue('mode', ['wait', 'submit'] as const, 'submit'), 'submit');
    });

    it('lists the allowed values', () => {
      assertInputError(() => reader({ mode: 'later' }).enumValue('mode', ['wait', 'submit'] as const, 'wait'), 'mode', "'later' is not an allowed value", 'Use one of: wait, submit');
    });
  });

  describe('key=value pairs', () => {
    it('reads pairs, skips blanks and comments, keeps "=" inside values', () => {
      const pairs = reader({ tags: 'team = mlops\n\n# a comment\nquery=a=b\r\nempty=' }).keyValuePairs('tags');
      assert.deepEqual(pairs, [
        { key: 'team', value: 'mlops', line: 1 },
        { key: 'query', value: 'a=b', line: 4 },
        { key: 'empty', value: '', line: 5 },
      ]);
      assert.deepEqual(reader({ tags: 'a=1\nb=2' }).keyValueRecord('tags'), { a: '1', b: '2' });
    });

    it('gives the line number of a malformed line', () => {
      assertInputError(() => reader({ tags: 'a=1\nno equals here' }).keyValuePairs('tags'), 'tags', "line 2 ('no equals here') is not in key=value form", 'one key=value pair per line');
      assertInputError(() => reader({ tags: '=x' }).keyValuePairs('tags'), 'tags', 'line 1', 'has no key');
    });

    it('rejects a repeated key, naming both lines', () => {
      assertInputError(() => reader({ tags: 'a=1\nb=2\na=3' }).keyValuePairs('tags'), 'tags', "line 3 repeats the key 'a' (first set on line 1)");
    });
  });

  it('reads non-empty trimmed lines', () => {
    assert.deepEqual(reader({ files: ' a.txt \n\n b/c.txt\r\n' }).lines('files'), ['a.txt', 'b/c.txt']);
    assert.deepEqual(reader({}).lines('files'), []);
  });

  describe('paths', () => {
    let root: string;
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-test-'));
      fs.mkdirSync(path.join(root, 'src'));
      fs.writeFileSync(path.join(root, 'job.yml'), 'x: 1');
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    const vars = () => ({ 'System.DefaultWorkingDirectory': root });

    it('resolves relative paths against System.DefaultWorkingDirectory', () => {
      assert.equal(reader({ jobFile: 'job.yml' }, vars()).path('jobFile', { kind: 'file', required: true }), path.join(root, 'job.yml'));
      assert.equal(reader({ code: path.join(root, 'src') }, vars()).path('code', { kind: 'folder' }), path.join(root, 'src'));
    });

    it('treats the working directory itself (what the agent passes for an empty filePath input) as not set', () => {
      assert.equal(reader({ jobFile: root }, vars()).path('jobFile', { kind: 'file' }), undefined);
      assertInputError(() => reader({ jobFile: `${root}/` }, vars()).path('jobFile', { kind: 'file', required: true }), 'jobFile', 'a value is required');
    });

    it('says where it looked for a missing path', () => {
      assertInputError(
        () => reader({ jobFile: 'nope.yml' }, vars()).path('jobFile', { kind: 'file' }),
        'jobFile',
        "'nope.yml' does not exist",
        path.join(root, 'nope.yml'),
        'System.DefaultWorkingDirectory',
      );
    });

    it('rejects a folder where a file is expected and the reverse', () => {
      assertInputError(() => reader({ jobFile: 'src' }, vars()).path('jobFile', { kind: 'file' }), 'jobFile', 'is a folder, but a file is expected');
      assertInputError(() => reader({ code: 'job.yml' }, vars()).path('code', { kind: 'folder' }), 'code', 'is a file, but a folder is expected');
    });
  });

  it('requires a connection id', () => {
    assertInputError(() => reader({}).connectionId('azureSubscription'), 'azureSubscription', 'a value is required', 'Azure Resource Manager service connection');
    assert.equal(reader({ azureSubscription: 'abc' }).connectionId('azureSubscription'), 'abc');
  });
});
