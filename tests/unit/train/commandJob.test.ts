import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as path from 'node:path';

import { errorOf, findInRepository, jobSpec, makeTree, WORKSPACE, WS } from './support';

const { buildJobSubmissionPlan, materializeSubmission } = jobSpec;

const COMMAND_JOB = `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
name: train-001
display_name: Train
experiment_name: fixture-exp
description: A full command job.
code: ./src
command: >-
  python train.py --data \${{inputs.training_data}} --raw \${{inputs.raw}}
  --alpha \${{inputs.alpha}} --epochs \${{inputs.epochs}} --flag \${{inputs.flag}}
  [--extra \${{inputs.extra}}] --out \${{outputs.model}}
environment: azureml:sklearn-env:3
environment_variables:
  OMP_NUM_THREADS: 1
  MODE: fast
compute: azureml:gpu-cluster
inputs:
  training_data:
    type: uri_file
    path: ./data/train.csv
  raw:
    type: uri_folder
    path: ./data
    mode: download
  reference:
    type: uri_folder
    path: azureml:reference-data:2
  tables:
    type: mltable
    path: azureml:tables@latest
  remote:
    type: uri_file
    path: azureml://datastores/workspaceblobstore/paths/x/y.csv
  web: {type: uri_file, path: "https://example.com/data.csv"}
  alpha: 0.5
  scale: 1.0
  epochs: 10
  flag: true
  label: cats
  wrapped: {value: 3}
outputs:
  model:
    type: mlflow_model
    mode: upload
  logs:
resources:
  instance_count: 2
  instance_type: Standard_NC6
  shm_size: 8g
limits:
  timeout: 7200
distribution:
  type: pytorch
  process_count_per_instance: 4
identity:
  type: managed
  client_id: 00000000-0000-0000-0000-000000000001
services:
  my_ssh:
    type: ssh
    ssh_public_keys: ssh-rsa AAAA
tags:
  team: vision
  stage: dev
properties:
  owner: me
  _azureml.ComputeTargetType: amlctrain
`;

const FILES = { 'job.yml': COMMAND_JOB, 'src/train.py': 'print(1)\n', 'data/train.csv': 'a,b\n1,2\n' };

const RESOLVED_UPLOAD_FILE = 'azureml://datastores/workspaceblobstore/paths/LocalUpload/h1/train.csv';
const RESOLVED_UPLOAD_FOLDER = 'azureml://datastores/workspaceblobstore/paths/LocalUpload/h2/data';
const RESOLVED_CODE = `${WS}/codes/c0de/versions/1`;
const RESOLVED_TABLES = `${WS}/data/tables/versions/7`;

describe('AzureMLTrain job YAML: command jobs', () => {
  let tree: ReturnType<typeof makeTree>;
  beforeEach(() => {
    tree = makeTree(FILES);
  });
  afterEach(() => tree.cleanup());

  function plan(extra: Partial<Parameters<typeof buildJobSubmissionPlan>[0]> = {}) {
    return buildJobSubmissionPlan({ jobFile: path.join(tree.root, 'job.yml'), jobFileDisplayName: 'job.yml', workspace: WORKSPACE, ...extra });
  }

  it('builds the exact CommandJob body, with the work run.ts must do first', () => {
    const result = plan({ tags: { stage: 'ci' }, lineageTags: { 'azureml-mlops.build': '42' } });
    assert.equal(result.jobType, 'Command');
    assert.equal(result.jobName, 'train-001');
    assert.equal(result.workspaceId, WS);

    const trainCsv = path.join(tree.root, 'data', 'train.csv');
    const dataFolder = path.join(tree.root, 'data');
    assert.deepEqual(
      result.uploads.map((upload) => ({ localPath: upload.localPath, pathKind: upload.pathKind, datastore: upload.datastore, usedBy: upload.usedBy })),
      [
        { localPath: trainCsv, pathKind: 'file', datastore: undefined, usedBy: ['inputs.training_data'] },
        { localPath: dataFolder, pathKind: 'folder', datastore: undefined, usedBy: ['inputs.raw'] },
      ],
    );
    assert.deepEqual(
      result.codes.map((code) => ({ localPath: code.localPath, pathKind: code.pathKind, usedBy: code.usedBy })),
      [{ localPath: path.join(tree.root, 'src'), pathKind: 'folder', usedBy: ['code'] }],
    );
    assert.deepEqual(
      result.assets.map(({ kind, assetType, name }) => ({ kind, assetType, name })),
      [
        { kind: 'version', assetType: 'environments', name: 'sklearn-env' },
        { kind: 'version', assetType: 'data', name: 'reference-data' },
        { kind: 'latest', assetType: 'data', name: 'tables' },
      ],
    );
    assert.deepEqual(result.environments, []);
    assert.deepEqual(result.components, []);

    const resolved: Record<string, string> = {
      [result.uploads[0]!.placeholder]: RESOLVED_UPLOAD_FILE,
      [result.uploads[1]!.placeholder]: RESOLVED_UPLOAD_FOLDER,
      [result.codes[0]!.placeholder]: RESOLVED_CODE,
    };
    const latest = result.assets.find((asset) => asset.kind === 'latest');
    assert.ok(latest && latest.kind === 'latest');
    resolved[latest.placeholder] = RESOLVED_TABLES;

    const { job, components } = materializeSubmission(result, resolved);
    assert.deepEqual(components, []);
    assert.deepEqual(job, {
      properties: {
        jobType: 'Command',
        experimentName: 'fixture-exp',
        displayName: 'Train',
        description: 'A full command job.',
        tags: { team: 'vision', stage: 'ci', 'azureml-mlops.build': '42' },
        properties: { owner: 'me' },
        command:
          'python train.py --data ${{inputs.training_data}} --raw ${{inputs.raw}} --alpha ${{inputs.alpha}} --epochs ${{inputs.epochs}} --flag ${{inputs.flag}} [--extra ${{inputs.extra}}] --out ${{outputs.model}}',
        environmentId: `${WS}/environments/sklearn-env/versions/3`,
        codeId: RESOLVED_CODE,
        computeId: `${WS}/computes/gpu-cluster`,
        environmentVariables: { OMP_NUM_THREADS: '1', MODE: 'fast' },
        inputs: {
          training_data: { jobInputType: 'uri_file', uri: RESOLVED_UPLOAD_FILE },
          raw: { jobInputType: 'uri_folder', uri: `${RESOLVED_UPLOAD_FOLDER}/`, mode: 'Download' },
          reference: { jobInputType: 'uri_folder', uri: `${WS}/data/reference-data/versions/2` },
          tables: { jobInputType: 'mltable', uri: RESOLVED_TABLES },
          remote: { jobInputType: 'uri_file', uri: 'azureml://datastores/workspaceblobstore/paths/x/y.csv' },
          web: { jobInputType: 'uri_file', uri: 'https://example.com/data.csv' },
          alpha: { jobInputType: 'literal', value: '0.5' },
          scale: { jobInputType: 'literal', value: '1.0' },
          epochs: { jobInputType: 'literal', value: '10' },
          flag: { jobInputType: 'literal', value: 'True' },
          label: { jobInputType: 'literal', value: 'cats' },
          wrapped: { jobInputType: 'literal', value: '3' },
        },
        outputs: {
          model: { jobOutputType: 'mlflow_model', mode: 'Upload' },
          logs: { jobOutputType: 'uri_folder' },
        },
        resources: { instanceCount: 2, instanceType: 'Standard_NC6', shmSize: '8g' },
        limits: { jobLimitsType: 'Command', timeout: 'PT2H' },
        distribution: { distributionType: 'PyTorch', processCountPerInstance: 4 },
        identity: { identityType: 'Managed', clientId: '00000000-0000-0000-0000-000000000001' },
        services: { my_ssh: { jobServiceType: 'SSH', properties: { sshPublicKeys: 'ssh-rsa AAAA' } } },
      },
    });
  });

  it('applies overrides and the task inputs over the file', () => {
    const result = plan({
      overrides: 'inputs.alpha=0.75\nresources.instance_count=4\nlimits.timeout=90\ncompute=azureml:cpu-cluster\ntags.stage=prod',
      experimentName: 'from-input',
      displayName: 'Shown name',
    });
    const job = result.job.properties;
    assert.equal(job.jobType, 'Command');
    if (job.jobType !== 'Command') return;
    assert.deepEqual(job.inputs!.alpha, { jobInputType: 'literal', value: '0.75' });
    assert.equal(job.resources!.instanceCount, 4);
    assert.deepEqual(job.limits, { jobLimitsType: 'Command', timeout: 'PT1M30S' });
    assert.equal(job.computeId, `${WS}/computes/cpu-cluster`);
    assert.equal(job.tags!.stage, 'prod');
    assert.equal(job.experimentName, 'from-input');
    assert.equal(job.displayName, 'Shown name');
    assert.deepEqual(result.overrides.map((override) => override.path), ['inputs.alpha', 'resources.instance_count', 'limits.timeout', 'compute', 'tags.stage']);
  });

  it('lineage tags win over the same keys of the file, with a warning', () => {
    const result = plan({ lineageTags: { team: 'pipelines' } });
    assert.equal(result.job.properties.tags!.team, 'pipelines');
    assert.deepEqual(result.warnings, ["The tag 'team' is a lineage tag set by the task; its value 'vision' was replaced by 'pipelines'."]);
  });

  it('registers an inline environment under a content-hash version, the same on every run', () => {
    const conda = 'name: train\nchannels: [conda-forge]\ndependencies:\n  - python=3.10\n  - pip:\n      - mlflow\n';
    const inline = makeTree({
      'job.yml': 'command: python -c "print(1)"\ncompute: cpu\nenvironment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest\n  conda_file: ./env/conda.yml\n',
      'env/conda.yml': conda,
    });
    try {
      const build = () => buildJobSubmissionPlan({ jobFile: path.join(inline.root, 'job.yml'), workspace: WORKSPACE });
      const first = build();
      const condaText = 'channels:\n- conda-forge\ndependencies:\n- python=3.10\n- pip:\n  - mlflow\nname: train\n';
      const image = 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest';
      // azure-ai-ml: md5(md5(conda) characters joined by md5(image)).
      const md5 = (text: string) => createHash('md5').update(text).digest('hex');
      const version = md5(Array.from(md5(condaText)).join(md5(image)));
      assert.deepEqual(first.environments, [
        {
          name: 'CliV2AnonymousEnvironment',
          version,
          armId: `${WS}/environments/CliV2AnonymousEnvironment/versions/${version}`,
          anonymous: true,
          body: { properties: { image, condaFile: condaText, isAnonymous: true } },
          usedBy: ['environment'],
        },
      ]);
      assert.equal(first.job.properties.jobType === 'Command' && first.job.properties.environmentId, first.environments[0]!.armId);
      assert.equal(first.job.properties.experimentName, path.basename(inline.root), 'defaults to the folder of the YAML');
      assert.deepEqual(build().environments, first.environments);
    } finally {
      inline.cleanup();
    }
  });

  it('names an inline environment when name and version are given; passes curated and registry environments through', () => {
    const named = makeTree({
      'job.yml': 'command: echo\ncompute: cpu\nenvironment: {name: my-env, version: 2, image: python:3.11, conda_file: {dependencies: [python=3.11]}}\n',
      'curated.yml': 'command: echo\ncompute: cpu\nenvironment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest\n',
      'registry.yml': 'command: echo\ncompute: cpu\nenvironment: azureml://registries/azureml/environments/sklearn-1.5/versions/3\n',
      'latest.yml': 'command: echo\ncompute: cpu\nenvironment: azureml:my-env@latest\n',
    });
    try {
      const load = (file: string) => buildJobSubmissionPlan({ jobFile: path.join(named.root, file), workspace: WORKSPACE });
      const namedPlan = load('job.yml');
      assert.deepEqual(namedPlan.environments[0]!.body, { properties: { image: 'python:3.11', condaFile: 'dependencies:\n- python=3.11\n' } });
      assert.equal(namedPlan.environments[0]!.armId, `${WS}/environments/my-env/versions/2`);
      assert.equal(namedPlan.environments[0]!.anonymous, false);
      const environmentId = (file: string) => {
        const properties = load(file).job.properties;
        return properties.jobType === 'Command' ? properties.environmentId : undefined;
      };
      assert.equal(environmentId('curated.yml'), 'azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest');
      assert.equal(environmentId('registry.yml'), 'azureml://registries/azureml/environments/sklearn-1.5/versions/3');
      const latestPlan = load('latest.yml');
      assert.deepEqual(latestPlan.assets.map(({ kind, assetType, name }) => ({ kind, assetType, name })), [{ kind: 'latest', assetType: 'environments', name: 'my-env' }]);
    } finally {
      named.cleanup();
    }
  });

  it('rewrites {inputs.x} single-brace placeholders with a warning, as azure-ai-ml does', () => {
    const single = makeTree({ 'job.yml': 'command: python a.py --x {inputs.x}\ninputs: {x: 1}\ncompute: cpu\nenvironment: azureml:e:1\n' });
    try {
      const result = buildJobSubmissionPlan({ jobFile: path.join(single.root, 'job.yml'), jobFileDisplayName: 'job.yml', workspace: WORKSPACE });
      assert.equal(result.job.properties.jobType === 'Command' && result.job.properties.command, 'python a.py --x ${{inputs.x}}');
      assert.equal(result.warnings.length, 1);
      assert.match(result.warnings[0]!, /^command \(line 1\) uses \{inputs\.x\}-style placeholders/);
    } finally {
      single.cleanup();
    }
  });

  it('warns about read-only fields of a saved job and ignores them', () => {
    const saved = makeTree({ 'job.yml': 'command: echo\ncompute: cpu\nenvironment: azureml:e:1\nstatus: Completed\ncreation_context: {created_by: me}\n' });
    try {
      const result = buildJobSubmissionPlan({ jobFile: path.join(saved.root, 'job.yml'), workspace: WORKSPACE });
      assert.deepEqual(result.warnings, ['status (line 4) is set by Azure ML and was ignored.', 'creation_context (line 5) is set by Azure ML and was ignored.']);
      assert.equal('status' in result.job.properties, false);
    } finally {
      saved.cleanup();
    }
  });

  it('reads the diabetes sample of the repository', () => {
    const result = buildJobSubmissionPlan({ jobFile: findInRepository('samples/diabetes/train-job.yml'), workspace: WORKSPACE });
    assert.equal(result.jobType, 'Command');
    assert.equal(result.codes.length, 1);
    assert.equal(result.uploads[0]?.pathKind, 'file');
    assert.equal(result.environments[0]?.name, 'CliV2AnonymousEnvironment');
  });

  it('tells run.ts when it left a placeholder unresolved', () => {
    const result = plan();
    assert.match(errorOf(() => materializeSubmission(result, {})).message, /^The job plan needs a value for \{\{plan:upload:\d+\}\} \(upload of .+train\.csv\)\.$/);
  });
});
