import * as assert from 'node:assert/strict';
import * as path from 'node:path';

import { InputError } from '@azureml-mlops/shared';

import { jobSpec, makeTree, WORKSPACE } from './support';

const COMMAND_JOB = [
  'type: command', // 1
  'code: ./src', // 2
  'command: python train.py --data ${{inputs.data}}', // 3
  'environment: azureml:sklearn-env:1', // 4
  'compute: azureml:cpu-cluster', // 5
  'inputs:', // 6
  '  data:', // 7
  '    type: uri_file', // 8
  '    path: ./data/train.csv', // 9
  'resources:', // 10
  '  instance_count: 1', // 11
  'limits:', // 12
  '  timeout: 3600', // 13
];

const PIPELINE_JOB = [
  'type: pipeline', // 1
  'compute: azureml:cpu-cluster', // 2
  'jobs:', // 3
  '  prep:', // 4
  '    command: python prep.py --out ${{outputs.prepared}}', // 5
  '    environment: azureml:sklearn-env:1', // 6
  '    outputs:', // 7
  '      prepared:', // 8
  '  train:', // 9
  '    command: python train.py --data ${{inputs.data}}', // 10
  '    environment: azureml:sklearn-env:1', // 11
  '    inputs:', // 12
  '      data: ${{parent.jobs.prep.outputs.prepared}}', // 13
  '    resources:', // 14
  '      instance_count: 2', // 15
];

/** Lines of a job with some replaced (1-based line -> new text, '' removes the line). */
function edit(lines: readonly string[], changes: Record<number, string>): string {
  return (
    lines
      .map((line, index) => (index + 1 in changes ? changes[index + 1]! : line))
      .filter((_line, index) => !(index + 1 in changes && changes[index + 1] === ''))
      .join('\n') + '\n'
  );
}

let root = '';

/** The single InputError a job YAML gives. */
function errorFor(yaml: string, options: { overrides?: string; files?: Record<string, string> } = {}): InputError {
  const tree = makeTree({ 'job.yml': yaml, 'src/train.py': '', 'data/train.csv': 'a\n', ...options.files });
  root = tree.root;
  try {
    jobSpec.buildJobSubmissionPlan({
      jobFile: path.join(tree.root, 'job.yml'),
      jobFileDisplayName: 'job.yml',
      workspace: WORKSPACE,
      ...(options.overrides ? { overrides: options.overrides } : {}),
    });
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String((error as Error).stack)}`);
    return error;
  } finally {
    tree.cleanup();
  }
  assert.fail('expected the job YAML to be refused');
}

describe('AzureMLTrain job YAML: bad input gets one clear error naming the field and its line', () => {
  it('the fixtures themselves are valid', () => {
    for (const yaml of [edit(COMMAND_JOB, {}), edit(PIPELINE_JOB, {})]) {
      const tree = makeTree({ 'job.yml': yaml, 'src/train.py': '', 'data/train.csv': 'a\n' });
      try {
        jobSpec.buildJobSubmissionPlan({ jobFile: path.join(tree.root, 'job.yml'), workspace: WORKSPACE });
      } finally {
        tree.cleanup();
      }
    }
  });

  it('malformed YAML', () => {
    const error = errorFor(edit(COMMAND_JOB, { 9: '    path: [./data/train.csv' }));
    assert.equal(error.inputName, 'jobFile');
    assert.match(error.message, /^Input 'jobFile': job\.yml, line (9|10), column \d+: is not valid YAML: .+\. Check the indentation, the colons after field names and the closing quotes and brackets near that position\.$/);
  });

  it('duplicate key', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 5: 'compute: azureml:cpu-cluster\ncompute: azureml:gpu-cluster' })).message,
      "Input 'jobFile': job.yml, line 6, column 1: repeats the key 'compute' in the same mapping. Keep one of the two entries.",
    );
  });

  it('wrong type for a field', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 11: '  instance_count: two' })).message,
      "Input 'jobFile': job.yml: resources.instance_count (line 11) must be a whole number, not the text 'two'. Give the number of nodes, e.g. instance_count: 2.",
    );
  });

  it('unknown field, with the name it was probably meant to be', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 15: '      gpus: 2' })).message,
      "Input 'jobFile': job.yml: jobs.train.resources.gpus (line 15) is not a field of resources. Did you mean 'instance_count'?",
    );
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 1: 'type: command\ndisplayName: Train' })).message,
      "Input 'jobFile': job.yml: displayName (line 2) is not a field of a command job. Did you mean 'display_name'?",
    );
  });

  it('unsupported job type', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 1: 'type: sweep' })).message,
      "Input 'jobFile': job.yml: type (line 1) is 'sweep': sweep (hyperparameter tuning) jobs are not supported by the AzureMLTrain task, which runs command and pipeline jobs. Submit this job with `az ml job create`, or rewrite it as a command or pipeline job.",
    );
  });

  it('a pipeline without type: pipeline', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 1: '' })).message,
      "Input 'jobFile': job.yml: type (line 1) is missing. The file has jobs, so it is a pipeline job: add type: pipeline.",
    );
  });

  it('unsupported step type', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 9: '  train:\n    type: spark' })).message,
      "Input 'jobFile': job.yml: jobs.train.type (line 10) is 'spark': Spark jobs are not supported by this task, which runs command steps. Use command steps (type: command), or submit this pipeline with `az ml job create`.",
    );
  });

  it('missing command', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 3: '' })).message,
      "Input 'jobFile': job.yml: command (line 1) is missing. Add the command to run, e.g. command: python train.py --data ${{inputs.training_data}}.",
    );
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 10: '' })).message,
      "Input 'jobFile': job.yml: jobs.train.command (line 9) is missing. Add the command to run, e.g. command: python train.py --data ${{inputs.training_data}}.",
    );
  });

  it('missing code folder', () => {
    const message = errorFor(edit(COMMAND_JOB, { 2: 'code: ./source' })).message;
    assert.equal(
      message,
      `Input 'jobFile': job.yml: code (line 2) is the local path './source', which does not exist (looked for ${path.join(root, 'source')}). Fix the path of code: relative paths are relative to the folder of the YAML file (${root}).`,
    );
  });

  it('input path kind does not match the input type', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 9: '    path: ./data' })).message,
      "Input 'jobFile': job.yml: inputs.data.path (line 9) is the folder './data', but the input type is uri_file. Use type: uri_folder for a folder, or give the path of a file inside './data'.",
    );
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 8: '    type: uri_folder' })).message,
      "Input 'jobFile': job.yml: inputs.data.path (line 9) is the file './data/train.csv', but the input type is uri_folder. Use type: uri_file for a single file, or give its folder.",
    );
  });

  it('bad environment reference', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 4: 'environment: azureml:sklearn-env' })).message,
      "Input 'jobFile': job.yml: environment (line 4) refers to the environment 'sklearn-env' without a version. Add a version or @latest, e.g. azureml:sklearn-env:1 or azureml:sklearn-env@latest.",
    );
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 4: 'environment: python:3.11-slim' })).message,
      "Input 'jobFile': job.yml: environment (line 4) is 'python:3.11-slim', which is not a reference to an environment. To run in a Docker image, write environment: {image: python:3.11-slim}; to use a registered environment, write azureml:<name>:<version>.",
    );
  });

  it('bad compute reference', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 5: 'compute: azureml:cpu-cluster:2' })).message,
      "Input 'jobFile': job.yml: compute (line 5) is 'azureml:cpu-cluster:2', which has a version or label, but computes have none. Write only the compute name, e.g. compute: azureml:cpu-cluster.",
    );
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 5: 'compute: serverless' })).message,
      "Input 'jobFile': job.yml: compute (line 5) is 'serverless': serverless compute is not in Azure ML API 2022-10-01, which this task uses. Name a compute cluster of the workspace, e.g. compute: azureml:cpu-cluster.",
    );
  });

  it('bad duration', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 13: '  timeout: 2h' })).message,
      "Input 'jobFile': job.yml: limits.timeout (line 13) must be a whole number of seconds, not the text '2h'. Give the maximum run time in seconds, e.g. timeout: 7200 for two hours.",
    );
  });

  it('a bad value set by an override names the overrides input and its line', () => {
    const error = errorFor(edit(COMMAND_JOB, {}), { overrides: 'inputs.alpha=0.5\nlimits.timeout=2h' });
    assert.equal(error.inputName, 'overrides');
    assert.equal(
      error.message,
      "Input 'overrides': line 2: limits.timeout must be a whole number of seconds, not the text '2h'. Give the maximum run time in seconds, e.g. timeout: 7200 for two hours.",
    );
  });

  it('binding to an unknown step', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 13: '      data: ${{parent.jobs.prepare.outputs.prepared}}' })).message,
      "Input 'jobFile': job.yml: jobs.train.inputs.data (line 13) binds to ${{parent.jobs.prepare.outputs.prepared}}, but there is no step 'prepare'. Use one of the steps under jobs: prep, train.",
    );
  });

  it('binding to an unknown output', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 13: '      data: ${{parent.jobs.prep.outputs.results}}' })).message,
      "Input 'jobFile': job.yml: jobs.train.inputs.data (line 13) binds to ${{parent.jobs.prep.outputs.results}}, but step 'prep' has no output 'results'. Its outputs are: prepared.",
    );
  });

  it('binding to an unknown pipeline input', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 13: '      data: ${{parent.inputs.raw}}' })).message,
      "Input 'jobFile': job.yml: jobs.train.inputs.data (line 13) binds to ${{parent.inputs.raw}}, but the pipeline has no input 'raw'. Declare it under the pipeline inputs, e.g. inputs: {raw: ...}.",
    );
  });

  it('cycle between pipeline steps', () => {
    const cyclic = edit(PIPELINE_JOB, {
      5: '    command: python prep.py --model ${{inputs.model}} --out ${{outputs.prepared}}',
      7: '    inputs:\n      model: ${{parent.jobs.train.outputs.model}}\n    outputs:',
      14: '    outputs:\n      model:',
      15: '',
    });
    assert.equal(
      errorFor(cyclic).message,
      "Input 'jobFile': job.yml: jobs.train.inputs.data (line 15) reads the output of step 'prep', but the steps form a cycle (prep -> train -> prep). Remove one of these bindings: each step can only read outputs of steps that run before it.",
    );
  });

  it('a step without compute when the pipeline has none', () => {
    assert.equal(
      errorFor(edit(PIPELINE_JOB, { 2: '' })).message,
      "Input 'jobFile': job.yml: jobs.prep (line 3) has no compute. Set compute on the step, or compute (or settings.default_compute) on the pipeline, e.g. compute: azureml:cpu-cluster.",
    );
  });

  it('a binding in a command job', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 7: '  data: ${{parent.inputs.data}}', 8: '', 9: '' })).message,
      "Input 'jobFile': job.yml: inputs.data (line 7) is the binding ${{parent.inputs.data}}, but bindings only exist between the steps of a pipeline job. Give a value or a data input here.",
    );
  });

  it('the command uses an input the job does not declare', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 3: 'command: python train.py --data ${{inputs.dta}}' })).message,
      "Input 'jobFile': job.yml: command (line 3) uses ${{inputs.dta}}, but there is no input 'dta'. Add it under inputs, or use one of: data.",
    );
  });

  it('a field the API version cannot carry', () => {
    assert.equal(
      errorFor(edit(COMMAND_JOB, { 13: '  timeout: 3600\nqueue_settings:\n  job_tier: spot' })).message,
      "Input 'jobFile': job.yml: queue_settings (line 14) is not supported: queue_settings (job tier and priority) is not in Azure ML API 2022-10-01, which this task uses. Remove queue_settings.",
    );
  });

  it('an error inside a conda file names that file and line', () => {
    const error = errorFor(edit(COMMAND_JOB, { 4: 'environment:\n  image: python:3.11\n  conda_file: ./conda.yml' }), {
      files: { 'conda.yml': 'name: train\nname: score\ndependencies:\n  - python=3.11\n' },
    });
    assert.equal(error.message, "Input 'jobFile': conda.yml, line 2, column 1: repeats the key 'name' in the same mapping. Keep one of the two entries.");
  });

  it('a component step that does not set a required input of its component', () => {
    const yaml = [
      'type: pipeline',
      'compute: azureml:cpu-cluster',
      'jobs:',
      '  train:',
      '    component: ./train.yml',
      '    inputs:',
      '      alpha: 0.5',
    ].join('\n');
    const component = ['type: command', 'command: python t.py ${{inputs.alpha}} ${{inputs.data}}', 'environment: azureml:e:1', 'inputs:', '  alpha: {type: number}', '  data: {type: uri_folder}'].join('\n');
    assert.equal(
      errorFor(yaml, { files: { 'train.yml': component } }).message,
      "Input 'jobFile': job.yml: jobs.train (line 4) does not set the input 'data' of its component (line 6 of train.yml), which has no default. Add it under inputs, e.g. inputs: {data: ...}.",
    );
  });
});
