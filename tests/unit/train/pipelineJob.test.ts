import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';

import { jobSpec, makeTree, WORKSPACE, WS } from './support';

const { buildJobSubmissionPlan, materializeSubmission } = jobSpec;

const PIPELINE = `$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: Prep and train
experiment_name: pipeline-exp
compute: azureml:cpu-cluster
settings:
  default_datastore: azureml:workspaceblobstore
  continue_on_step_failure: false
inputs:
  raw_data:
    type: uri_folder
    path: ./data
  alpha: 0.1
outputs:
  trained_model:
    type: uri_folder
    mode: upload
jobs:
  prep:
    type: command
    code: ./src
    command: python prep.py --raw \${{inputs.raw}} --out \${{outputs.prepared}}
    environment:
      image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
      conda_file: ./conda.yml
    inputs:
      raw: \${{parent.inputs.raw_data}}
    outputs:
      prepared:
  train:
    type: command
    code: ./src
    command: python train.py --data \${{inputs.data}} --alpha \${{inputs.alpha}} --epochs \${{inputs.epochs}} --model \${{outputs.model}}
    environment: azureml:sklearn-env@latest
    compute: azureml:gpu-cluster
    inputs:
      data:
        path: \${{parent.jobs.prep.outputs.prepared}}
        mode: download
      alpha: \${{parent.inputs.alpha}}
      epochs: 5
    outputs:
      model: \${{parent.outputs.trained_model}}
    resources:
      instance_count: 2
    limits:
      timeout: 3600
`;

const CODE_ID = `${WS}/codes/c0de/versions/1`;
const LATEST_ENV = `${WS}/environments/sklearn-env/versions/9`;
const UPLOADED = 'azureml://datastores/workspaceblobstore/paths/LocalUpload/h/data';

/** azure-ai-ml's anonymous component version: md5 of json.dumps(spec without name/version, sort_keys=True) as a UUID. */
function componentVersion(spec: Record<string, unknown>): string {
  const { name: _name, version: _version, ...rest } = spec;
  const dumps = (value: unknown): string => {
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(dumps).join(', ')}]`;
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${dumps(item)}`).join(', ')}}`;
  };
  const hex = createHash('md5').update(dumps(rest)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('AzureMLTrain job YAML: pipeline jobs', () => {
  let tree: ReturnType<typeof makeTree>;
  beforeEach(() => {
    tree = makeTree({
      'pipeline.yml': PIPELINE,
      'src/prep.py': 'print(1)\n',
      'data/raw.csv': 'a\n',
      'conda.yml': 'dependencies:\n  - python=3.11\n',
    });
  });
  afterEach(() => tree.cleanup());

  const build = (overrides?: string) =>
    buildJobSubmissionPlan({ jobFile: path.join(tree.root, 'pipeline.yml'), jobFileDisplayName: 'pipeline.yml', workspace: WORKSPACE, ...(overrides ? { overrides } : {}) });

  it('registers one anonymous command component per inline step and binds the steps as azure-ai-ml does', () => {
    const plan = build();
    assert.equal(plan.jobType, 'Pipeline');
    assert.deepEqual(plan.codes.map((code) => code.usedBy), [['jobs.prep.code', 'jobs.train.code']], 'steps sharing a code folder share one upload');
    assert.deepEqual(plan.uploads.map((upload) => [upload.localPath, upload.pathKind]), [[path.join(tree.root, 'data'), 'folder']]);
    assert.equal(plan.environments.length, 1);
    assert.equal(plan.environments[0]!.usedBy[0], 'jobs.prep.environment');
    const latest = plan.assets[0]!;
    assert.ok(latest.kind === 'latest' && latest.assetType === 'environments' && latest.name === 'sklearn-env');

    const { components, job } = materializeSubmission(plan, {
      [plan.codes[0]!.placeholder]: CODE_ID,
      [plan.uploads[0]!.placeholder]: UPLOADED,
      [latest.placeholder]: LATEST_ENV,
    });

    const prepSpec = {
      name: 'azureml_anonymous',
      type: 'command',
      is_deterministic: true,
      command: 'python prep.py --raw ${{inputs.raw}} --out ${{outputs.prepared}}',
      code: `azureml:${CODE_ID}`,
      environment: `azureml:${plan.environments[0]!.armId}`,
      inputs: { raw: { type: 'uri_folder' } },
      outputs: { prepared: { type: 'uri_folder' } },
      _source: 'YAML.JOB',
    };
    const trainSpec = {
      name: 'azureml_anonymous',
      type: 'command',
      is_deterministic: true,
      command: 'python train.py --data ${{inputs.data}} --alpha ${{inputs.alpha}} --epochs ${{inputs.epochs}} --model ${{outputs.model}}',
      code: `azureml:${CODE_ID}`,
      environment: `azureml:${LATEST_ENV}`,
      resources: { instance_count: 2 },
      inputs: { data: { type: 'uri_folder' }, alpha: { type: 'number' }, epochs: { type: 'integer', default: '5' } },
      outputs: { model: { type: 'uri_folder' } },
      _source: 'YAML.JOB',
    };
    const prepVersion = componentVersion(prepSpec);
    const trainVersion = componentVersion(trainSpec);
    assert.deepEqual(components, [
      {
        name: 'azureml_anonymous',
        version: prepVersion,
        armId: `${WS}/components/azureml_anonymous/versions/${prepVersion}`,
        body: { properties: { componentSpec: { ...prepSpec, version: prepVersion }, isAnonymous: true } },
        usedBy: ['jobs.prep'],
      },
      {
        name: 'azureml_anonymous',
        version: trainVersion,
        armId: `${WS}/components/azureml_anonymous/versions/${trainVersion}`,
        body: { properties: { componentSpec: { ...trainSpec, version: trainVersion }, isAnonymous: true } },
        usedBy: ['jobs.train'],
      },
    ]);

    assert.deepEqual(job, {
      properties: {
        jobType: 'Pipeline',
        experimentName: 'pipeline-exp',
        displayName: 'Prep and train',
        computeId: `${WS}/computes/cpu-cluster`,
        settings: { default_datastore: `${WS}/datastores/workspaceblobstore`, continue_on_step_failure: false, _source: 'YAML.JOB' },
        inputs: {
          raw_data: { jobInputType: 'uri_folder', uri: `${UPLOADED}/` },
          alpha: { jobInputType: 'literal', value: '0.1' },
        },
        outputs: { trained_model: { jobOutputType: 'uri_folder', mode: 'Upload' } },
        jobs: {
          prep: {
            name: 'prep',
            type: 'command',
            inputs: { raw: { job_input_type: 'literal', value: '${{parent.inputs.raw_data}}' } },
            outputs: {},
            _source: 'YAML.JOB',
            componentId: `${WS}/components/azureml_anonymous/versions/${prepVersion}`,
          },
          train: {
            name: 'train',
            type: 'command',
            computeId: `${WS}/computes/gpu-cluster`,
            inputs: {
              data: { job_input_type: 'literal', value: '${{parent.jobs.prep.outputs.prepared}}', mode: 'Download' },
              alpha: { job_input_type: 'literal', value: '${{parent.inputs.alpha}}' },
              epochs: { job_input_type: 'literal', value: '5' },
            },
            outputs: { model: { value: '${{parent.outputs.trained_model}}', type: 'literal' } },
            limits: { job_limits_type: 'Command', timeout: 'PT1H' },
            _source: 'YAML.JOB',
            componentId: `${WS}/components/azureml_anonymous/versions/${trainVersion}`,
          },
        },
      },
    });
  });

  it('gives the same component versions on every run, and a new one when a step changes', () => {
    const resolve = (plan: ReturnType<typeof build>) =>
      materializeSubmission(plan, {
        [plan.codes[0]!.placeholder]: CODE_ID,
        [plan.uploads[0]!.placeholder]: UPLOADED,
        [(plan.assets[0] as { placeholder: string }).placeholder]: LATEST_ENV,
      }).components.map((component) => component.version);
    const first = resolve(build());
    assert.deepEqual(resolve(build()), first);
    const changed = resolve(build('jobs.train.command=python train.py --data ${{inputs.data}}'));
    assert.equal(changed[0], first[0]);
    assert.notEqual(changed[1], first[1]);
  });

  it('overrides reach into steps', () => {
    const plan = build('jobs.train.inputs.epochs=20\njobs.train.compute=azureml:big-gpu\nsettings.continue_on_step_failure=true');
    const properties = plan.job.properties;
    assert.ok(properties.jobType === 'Pipeline');
    assert.deepEqual((properties.jobs.train!.inputs as Record<string, unknown>).epochs, { job_input_type: 'literal', value: '20' });
    assert.equal(properties.jobs.train!.computeId, `${WS}/computes/big-gpu`);
    assert.equal(properties.settings.continue_on_step_failure, true);
  });

  it('runs steps defined by component files, inline components and registered components', () => {
    const components = makeTree({
      'pipeline.yml': `type: pipeline
settings:
  default_compute: azureml:cpu-cluster
inputs:
  lr: 0.01
jobs:
  train:
    type: command
    component: ./components/train.yml
    inputs:
      learning_rate: \${{parent.inputs.lr}}
    resources:
      instance_count: 3
    distribution:
      type: mpi
      process_count_per_instance: 2
  score:
    component:
      type: command
      command: python score.py --model \${{inputs.model}}
      environment: azureml:score-env:1
      inputs:
        model: {type: mlflow_model}
    inputs:
      model: \${{parent.jobs.train.outputs.model}}
  publish:
    component: azureml:publish:4
    inputs:
      model: \${{parent.jobs.train.outputs.model}}
`,
      'components/train.yml': `$schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
name: train_model
version: 3
display_name: Train model
type: command
code: ../src
command: python train.py --lr \${{inputs.learning_rate}} [--seed \${{inputs.seed}}] --model \${{outputs.model}}
environment: azureml:train-env:2
inputs:
  learning_rate: {type: number, default: 0.1}
  seed: {type: integer, optional: true}
outputs:
  model: {type: mlflow_model}
`,
      'src/train.py': '',
    });
    try {
      const plan = buildJobSubmissionPlan({ jobFile: path.join(components.root, 'pipeline.yml'), workspace: WORKSPACE });
      assert.deepEqual(plan.codes.map((code) => code.localPath), [path.join(components.root, 'src')], 'component code is relative to the component file');
      assert.deepEqual(
        plan.assets.map((asset) => (asset.kind === 'version' ? asset.armId : asset.name)).sort(),
        [`${WS}/components/publish/versions/4`, `${WS}/environments/score-env/versions/1`, `${WS}/environments/train-env/versions/2`],
      );
      const { components: registered, job } = materializeSubmission(plan, { [plan.codes[0]!.placeholder]: CODE_ID });
      assert.equal(registered.length, 2);
      assert.deepEqual(registered[0]!.body.properties.componentSpec, {
        name: 'azureml_anonymous',
        version: registered[0]!.version,
        type: 'command',
        display_name: 'Train model',
        is_deterministic: true,
        command: 'python train.py --lr ${{inputs.learning_rate}} [--seed ${{inputs.seed}}] --model ${{outputs.model}}',
        code: `azureml:${CODE_ID}`,
        environment: `azureml:${WS}/environments/train-env/versions/2`,
        inputs: { learning_rate: { type: 'number', default: '0.1' }, seed: { type: 'integer', optional: true } },
        outputs: { model: { type: 'mlflow_model' } },
        _source: 'YAML.COMPONENT',
      });
      const properties = job.properties;
      assert.ok(properties.jobType === 'Pipeline');
      assert.deepEqual(properties.settings, { default_compute: `${WS}/computes/cpu-cluster`, _source: 'YAML.JOB' });
      assert.deepEqual(properties.jobs.train, {
        name: 'train',
        type: 'command',
        inputs: { learning_rate: { job_input_type: 'literal', value: '${{parent.inputs.lr}}' } },
        outputs: {},
        resources: { instance_count: 3 },
        distribution: { distribution_type: 'Mpi', process_count_per_instance: 2 },
        _source: 'YAML.JOB',
        componentId: registered[0]!.armId,
      });
      assert.equal(properties.jobs.score!.componentId, registered[1]!.armId);
      assert.equal(properties.jobs.publish!.componentId, `${WS}/components/publish/versions/4`);
    } finally {
      components.cleanup();
    }
  });
});
