import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { InputError, lineOf, valueAt, YamlDocument, YamlSpecError } from '@azureml-mlops/shared';

function parse(text: string): YamlDocument {
  return YamlDocument.parse(text, { inputName: 'jobFile', displayName: 'job.yml' });
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

describe('YAML documents (shared/src/yaml)', () => {
  describe('reads scalars as PyYAML (the az ml CLI) does', () => {
    const doc = parse(
      [
        'on_flag: yes',
        'off_flag: Off',
        'letter: y',
        'exp_without_dot: 1e-5',
        'exp_with_dot: 1.0e+5',
        'leading_zero: 09',
        'hex: 0x1A',
        'date: 2024-01-31',
        'float: 1.0',
        'tilde: ~',
        'text: "007"',
      ].join('\n'),
    );
    const root = doc.root();
    const cases: Array<[string, unknown]> = [
      ['on_flag', true],
      ['off_flag', false],
      ['letter', 'y'],
      ['exp_without_dot', '1e-5'],
      ['exp_with_dot', 100000],
      ['leading_zero', '09'],
      ['hex', 26],
      ['date', '2024-01-31'],
      ['float', 1],
      ['tilde', null],
      ['text', '007'],
    ];
    for (const [key, expected] of cases) {
      it(`${key} -> ${JSON.stringify(expected)}`, () => assert.equal(root.get(key).scalar(), expected));
    }
    it('keeps the source text of numbers (1.0 stays "1.0")', () => assert.equal(root.get('float').sourceText(), '1.0'));
  });

  it('locates nested fields by path', () => {
    const doc = parse('jobs:\n  train:\n    inputs:\n      alpha: 0.5\n    outputs:\n      - a\n      - b\n');
    assert.equal(lineOf(doc, 'jobs.train.inputs.alpha'), 4);
    assert.equal(lineOf(doc, 'jobs.train.outputs[1]'), 7);
    assert.equal(lineOf(doc, ['jobs', 'train']), 2);
    assert.equal(lineOf(doc, 'jobs.missing.x'), undefined);
    assert.equal(valueAt(doc, 'jobs.train.inputs.alpha').pathText, 'jobs.train.inputs.alpha');
  });

  it('expands merge keys, explicit keys winning', () => {
    const doc = parse('base: &base\n  instance_count: 1\n  instance_type: small\nresources:\n  <<: *base\n  instance_count: 4\n');
    assert.deepEqual(doc.root().get('resources').toJS(), { instance_count: 4, instance_type: 'small' });
  });

  describe('errors name the file, the line and what to do', () => {
    it('syntax error: line and column', () => {
      const message = messageOf(() => parse('type: command\ninputs:\n  alpha: [0.5, 1\ncompute: x\n'));
      assert.match(message, /^Input 'jobFile': job\.yml, line \d+, column \d+: is not valid YAML: .+\. Check the indentation/);
    });

    it('duplicate key', () => {
      const message = messageOf(() => parse('type: command\ncommand: a\ncommand: b\n'));
      assert.equal(message, "Input 'jobFile': job.yml, line 3, column 1: repeats the key 'command' in the same mapping. Keep one of the two entries.");
    });

    it('empty file', () => {
      assert.equal(messageOf(() => parse('# nothing\n')), `Input 'jobFile': job.yml: is empty. Write the spec in the file, starting with its fields (e.g. "type: command").`);
    });

    it('a list at the top level', () => {
      assert.match(messageOf(() => parse('- a\n- b\n')), /^Input 'jobFile': job\.yml, line 1, column 1: must be a mapping of fields/);
    });

    it('two documents', () => {
      assert.match(messageOf(() => parse('a: 1\n---\nb: 2\n')), /job\.yml, line 2, column 1: holds more than one YAML document/);
    });

    it('unknown tag', () => {
      assert.match(messageOf(() => parse('a: !vault secret\n')), /job\.yml, line 1, column 4: uses a YAML tag that is not supported/);
    });

    it('missing file', () => {
      const message = messageOf(() => YamlDocument.load('/no/such/job.yml', { inputName: 'jobFile' }));
      assert.equal(message, "Input 'jobFile': the file '/no/such/job.yml' does not exist. Give the path of the YAML file, relative to the repository root or absolute.");
    });

    it('a folder instead of a file', () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'yaml-doc-'));
      try {
        assert.match(messageOf(() => YamlDocument.load(folder, { inputName: 'jobFile', displayName: 'jobs' })), /'jobs' is a folder, not a YAML file/);
      } finally {
        fs.rmSync(folder, { recursive: true });
      }
    });

    it('reads a file with a byte-order mark', () => {
      const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'yaml-doc-'));
      try {
        const file = path.join(folder, 'job.yml');
        fs.writeFileSync(file, '\ufefftype: command\n');
        const doc = YamlDocument.load(file, { inputName: 'jobFile' });
        assert.equal(doc.root().get('type').scalar(), 'command');
        assert.equal(doc.directory, folder);
      } finally {
        fs.rmSync(folder, { recursive: true });
      }
    });
  });

  describe('typed getters report the field and its line', () => {
    const doc = parse('resources:\n  instance_count: two\n  instance_type: 3\n  shm: [1]\nflag: maybe\nname: x\n');
    const resources = doc.root().get('resources').mapping('')!;

    it('integer', () => {
      const error = assertSpecError(() => resources.get('instance_count').integer('Give e.g. 2.'));
      assert.equal(error.message, "Input 'jobFile': job.yml: resources.instance_count (line 2) must be a whole number, not the text 'two'. Give e.g. 2.");
      assert.equal(error.line, 2);
      assert.equal(error.yamlPath, 'resources.instance_count');
    });

    it('string refuses numbers', () => {
      assert.equal(
        assertSpecError(() => resources.get('instance_type').string('Give a VM size.')).message,
        "Input 'jobFile': job.yml: resources.instance_type (line 3) must be text, not the number 3. Give a VM size.",
      );
    });

    it('boolean', () => {
      assert.match(assertSpecError(() => doc.root().get('flag').boolean('Write true or false.')).message, /flag \(line 5\) must be true or false, not the text 'maybe'/);
    });

    it('mapping', () => {
      assert.match(assertSpecError(() => doc.root().get('name').mapping('Write a mapping.')).message, /name \(line 6\) must be a mapping \(fields indented under it\), not the text 'x'/);
    });

    it('required field: names the field and its parent line', () => {
      assert.equal(
        assertSpecError(() => resources.get('docker_args').required('Add docker_args.')).message,
        "Input 'jobFile': job.yml: resources.docker_args (line 1) is missing. Add docker_args.",
      );
    });

    it('unknown field with a suggestion', () => {
      assert.equal(
        assertSpecError(() => resources.rejectUnknownFields(['instance_count', 'instance_type', 'shm_size'], 'resources', { shm: 'shm_size' })).message,
        "Input 'jobFile': job.yml: resources.shm (line 4) is not a field of resources. Did you mean 'shm_size'?",
      );
    });

    it('unknown field without a close name lists the valid ones', () => {
      const other = parse('zzz: 1\n').root();
      assert.equal(assertSpecError(() => other.rejectUnknownFields(['alpha', 'beta'], 'a thing')).message, "Input 'jobFile': job.yml: zzz (line 1) is not a field of a thing. The fields of a thing are: alpha, beta.");
    });

    it('camelCase is matched to snake_case', () => {
      const other = parse('displayName: x\n').root();
      assert.match(assertSpecError(() => other.rejectUnknownFields(['display_name'], 'a job')).message, /Did you mean 'display_name'\?/);
    });
  });
});

function assertSpecError(fn: () => unknown): YamlSpecError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof YamlSpecError, `expected a YamlSpecError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}
