import * as assert from 'node:assert/strict';

import { applyOverrides, InputError, OverridesSyntaxError, parseOverrides, YamlDocument, YamlSpecError } from '@azureml-mlops/shared';

const JOB = [
  'type: command', // 1
  'command: python train.py', // 2
  'environment: azureml:env:1', // 3
  'inputs:', // 4
  '  alpha: 0.5', // 5
  '  data:', // 6
  '    type: uri_file', // 7
  '    path: ./data.csv', // 8
  'jobs:', // 9
  '  - first', // 10
  '', // 11
].join('\n');

function load(): YamlDocument {
  return YamlDocument.parse(JOB, { inputName: 'jobFile', displayName: 'job.yml' });
}

function overridden(lines: string): Record<string, unknown> {
  const doc = load();
  applyOverrides(doc, lines);
  return doc.root().toJS() as Record<string, unknown>;
}

function syntaxError(lines: string): OverridesSyntaxError {
  try {
    applyOverrides(load(), lines);
  } catch (error) {
    assert.ok(error instanceof OverridesSyntaxError, `expected an OverridesSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

describe('overrides (az ml --set semantics)', () => {
  it('sets nested values with YAML types: numbers, booleans, text', () => {
    const result = overridden('inputs.alpha=0.25\ninputs.epochs=10\ninputs.flag=true\ninputs.label=cats\ninputs.code=\'007\'');
    assert.deepEqual(result.inputs, {
      alpha: 0.25,
      data: { type: 'uri_file', path: './data.csv' },
      epochs: 10,
      flag: true,
      label: 'cats',
      code: '007',
    });
  });

  it('replaces a whole value, including with a flow mapping or list', () => {
    const result = overridden('environment={image: python:3.11, conda_file: ./conda.yml}\ntags={team: ml}\njobs=[a, b]');
    assert.deepEqual(result.environment, { image: 'python:3.11', conda_file: './conda.yml' });
    assert.deepEqual(result.tags, { team: 'ml' });
    assert.deepEqual(result.jobs, ['a', 'b']);
  });

  it('creates missing intermediate mappings', () => {
    const result = overridden('resources.instance_count=2\nresources.properties.a.b=x');
    assert.deepEqual(result.resources, { instance_count: 2, properties: { a: { b: 'x' } } });
  });

  it('addresses and appends list items', () => {
    assert.deepEqual(overridden('jobs[0]=changed\njobs[1]=added').jobs, ['changed', 'added']);
  });

  it('keeps values with ": " as text, not a mapping', () => {
    assert.equal(overridden('command=echo a: b').command, 'echo a: b');
  });

  it('an empty value is null', () => {
    assert.equal(overridden('compute=').compute, null);
  });

  it('skips blank lines and # comments but counts them in line numbers', () => {
    const doc = load();
    const applied = applyOverrides(doc, '# tune\n\ninputs.alpha=1\r\n  compute = azureml:gpu  ');
    assert.deepEqual(applied, [
      { line: 3, path: 'inputs.alpha' },
      { line: 4, path: 'compute' },
    ]);
    assert.equal(doc.root().get('compute').scalar(), 'azureml:gpu');
  });

  it('escaped dots address keys that contain dots', () => {
    assert.deepEqual(overridden('tags.team\\.name=x').tags, { 'team.name': 'x' });
  });

  it('errors about overridden values name the overrides input and its line', () => {
    const doc = load();
    applyOverrides(doc, 'inputs.alpha=0.5\nresources.instance_count=two');
    const value = doc.root().get('resources').mapping('')!.get('instance_count');
    try {
      value.integer('Give e.g. 2.');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof YamlSpecError);
      assert.equal(error.inputName, 'overrides');
      assert.equal(error.message, "Input 'overrides': line 2: resources.instance_count must be a whole number, not the text 'two'. Give e.g. 2.");
    }
  });

  describe('bad syntax: one clear error naming the input and the line, with an example', () => {
    it('no "="', () => {
      const error = syntaxError('inputs.alpha=1\ninputs.alpha 0.5');
      assert.ok(error instanceof InputError);
      assert.equal(error.inputName, 'overrides');
      assert.equal(
        error.message,
        "Input 'overrides': line 2: 'inputs.alpha 0.5' is not of the form path=value. Write one override per line as path=value, e.g. inputs.alpha=0.5 or compute=azureml:gpu-cluster.",
      );
    });

    it('no path', () => {
      assert.match(syntaxError('=5').message, /^Input 'overrides': line 1: '=5' has no field path before '='\./);
    });

    for (const bad of ['inputs..alpha', '.alpha', 'alpha.', 'jobs[x]', '[0]', 'a.[0]', 'jobs]']) {
      it(`malformed path ${bad}`, () => {
        assert.equal(
          syntaxError(`${bad}=1`).message,
          `Input 'overrides': line 1: '${bad}' is not a valid field path. Separate field names with dots and write list items as [0], e.g. jobs.train.inputs.alpha=0.5.`,
        );
      });
    }

    it('invalid YAML value', () => {
      assert.match(syntaxError('inputs.list=[1, 2').message, /^Input 'overrides': line 1: the value '\[1, 2' is not valid YAML \(.+\)\. If it is text, quote it: inputs\.list='\[1, 2'\.$/);
    });

    it('setting inside a single value', () => {
      assert.equal(
        syntaxError('environment.image=python:3.11').message,
        "Input 'overrides': line 1: cannot set environment.image: environment (line 3 of job.yml) is the single value 'azureml:env:1', not a mapping. Replace the whole value instead, e.g. environment={...}.",
      );
    });

    it('a list index on a mapping, and a name on a list', () => {
      assert.match(syntaxError('inputs[0]=1').message, /line 1: inputs is a mapping, not a list, so \[0\] does not apply/);
      assert.match(syntaxError('jobs.first=1').message, /line 1: jobs is a list, so it has no field 'first'/);
    });

    it('an index past the end of a list', () => {
      assert.match(syntaxError('jobs[5]=x').message, /line 1: jobs has 1 item\(s\), so \[5\] is out of range/);
    });
  });

  it('parseOverrides accepts a list of lines', () => {
    assert.deepEqual(parseOverrides(['a.b=1', 'c=x=y']), [
      { line: 1, path: ['a', 'b'], valueText: '1' },
      { line: 2, path: ['c'], valueText: 'x=y' },
    ]);
  });
});
