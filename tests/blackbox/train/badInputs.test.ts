/**
 * AzureMLTrain black-box: bad inputs. Each case runs the bundled task against the shared emulator and must end with
 * ONE clear error that names the input (and the YAML field and line), no stack trace, and nothing done on the Azure
 * side: no job created, nothing uploaded.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { armAccessToken, emulatorRequest, workspacePath } from '../../support/emulatorHttp';
import { assertOneClearError, copySample, datastoreSnapshot, inPool, logOf, runTrainTask, type TrainTaskRun, type TrainTaskResult } from '../support/trainTask';

interface BadInputCase {
  readonly name: string;
  readonly run: Omit<TrainTaskRun, 'emulator'>;
  /** The one error line. */
  readonly error: RegExp;
}

/** 1-based line of the first line of `text` matching `pattern`. */
function lineOf(text: string, pattern: RegExp): number {
  const index = text.split('\n').findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `no line matches ${pattern}`);
  return index + 1;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Registers an asset version with a plain ARM call (as `az ml ... create` would). */
async function registerAsset(emulator: Emulator, kind: 'environments' | 'data', name: string, version: string, properties: Record<string, unknown>): Promise<void> {
  const answer = await emulatorRequest(emulator, 'PUT', `/${workspacePath(emulator)}/${kind}/${name}/versions/${version}?api-version=2022-10-01`, {
    bearer: await armAccessToken(emulator),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ properties }),
  });
  assert.ok(answer.status === 200 || answer.status === 201, answer.text);
}

describe('AzureMLTrain black-box: bad inputs', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let scratch: string;
  const cases: BadInputCase[] = [];
  const results = new Map<string, TrainTaskResult>();
  let jobsBefore: string[];
  let jobsAfter: string[];
  let blobsBefore: string[];
  let blobsAfter: string[];

  before(async function () {
    emulator = await sharedEmulator();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'train-bad-inputs-'));
    const jobFile = copySample(path.join(scratch, 'sample'));
    const folder = path.dirname(jobFile);
    const sample = fs.readFileSync(jobFile, 'utf8');
    const variant = (file: string, text: string): string => {
      fs.writeFileSync(path.join(folder, file), text);
      return path.join(folder, file);
    };
    const replaced = (file: string, from: RegExp, to: string): { file: string; text: string } => {
      assert.match(sample, from);
      const text = sample.replace(from, to);
      return { file: variant(file, text), text };
    };

    // What the cases refer to must exist before the "nothing created" snapshot.
    await registerAsset(emulator, 'environments', 'diabetes-env', '1', { image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest' });
    await registerAsset(emulator, 'data', 'diabetes-data', '1', { dataType: 'uri_file', dataUri: 'azureml://datastores/workspaceblobstore/paths/shared/diabetes.csv' });
    const namedJob = `bad-inputs-named-${Date.now()}-${process.pid}`;
    const named = await runTrainTask({ emulator, inputs: { jobFile, overrides: `name=${namedJob}`, wait: 'true' } });
    assert.equal(named.result, 'Succeeded', logOf(named));

    // A field indented under a plain value: the parser reports the value that became a mapping.
    const syntax = variant('syntax.yml', sample.replace('compute: azureml:cpu-cluster', 'compute: azureml:cpu-cluster\n  instance_count: 2'));
    const typo = replaced('typo.yml', /^command: >-$/m, 'comand: >-');
    const noCommand = variant('no-command.yml', sample.replace(/^command: >-\n(?: {2}.*\n)+/m, ''));
    const compute = replaced('compute.yml', /^compute: azureml:cpu-cluster$/m, 'compute: azureml:cpu-clustr');
    const code = replaced('code.yml', /^code: \.\/src$/m, 'code: ./srcx');
    fs.mkdirSync(path.join(folder, 'ignored-src'));
    fs.writeFileSync(path.join(folder, 'ignored-src', 'train.py'), 'print("ignored")\n');
    fs.writeFileSync(path.join(folder, 'ignored-src', '.amlignore'), '*\n');
    const emptyCode = replaced('empty-code.yml', /^code: \.\/src$/m, 'code: ./ignored-src');
    const envVersion = replaced('env-version.yml', /^environment:\n(?: {2}.*\n)+/m, 'environment: azureml:diabetes-env:7\n');
    const envUnknown = replaced('env-unknown.yml', /^environment:\n(?: {2}.*\n)+/m, 'environment: azureml:no-such-env@latest\n');
    const data = replaced('data.yml', /^ {4}path: \.\/data\/diabetes\.csv$/m, '    path: azureml:diabetes-data:3');
    const sweep = replaced('sweep.yml', /^type: command$/m, 'type: sweep');

    const bad = (name: string, run: BadInputCase['run'], error: RegExp): void => {
      cases.push({ name, run, error });
    };
    const file = (f: string): string => escape(path.basename(f));
    bad('a jobFile that does not exist', { inputs: { jobFile: path.join(folder, 'nope.yml') } }, /^Input 'jobFile': '.*nope\.yml' does not exist/);
    bad('malformed YAML', { inputs: { jobFile: syntax } }, new RegExp(`^Input 'jobFile': .*syntax\\.yml, line ${lineOf(fs.readFileSync(syntax, 'utf8'), /^compute:/)}, column \\d+: is not valid YAML: Nested mappings are not allowed`));
    bad('an unknown field', { inputs: { jobFile: typo.file } }, new RegExp(`^Input 'jobFile': .*${file(typo.file)}: comand \\(line ${lineOf(typo.text, /^comand/)}\\) is not a field of a command job.*'command'`));
    bad('a missing command', { inputs: { jobFile: noCommand } }, /^Input 'jobFile': .*no-command\.yml: command .*is missing/);
    bad('an unknown compute', { inputs: { jobFile: compute.file } }, new RegExp(`^Input 'jobFile': .*${file(compute.file)}: compute \\(line ${lineOf(compute.text, /^compute:/)}\\) names the compute 'cpu-clustr', which does not exist in the Azure ML workspace 'mlops-ws'\\. Computes in the workspace: cpu-cluster, gpu-cluster, k8s-compute\\.`));
    bad('a missing code folder', { inputs: { jobFile: code.file } }, new RegExp(`^Input 'jobFile': .*${file(code.file)}: code \\(line ${lineOf(code.text, /^code:/)}\\) is the local path '\\./srcx', which does not exist`));
    bad('a code folder whose files are all ignored', { inputs: { jobFile: emptyCode.file } }, /^Input 'jobFile': .*empty-code\.yml: code \(line \d+\) is the folder '.*ignored-src', which has no file to upload as code/);
    bad('an unknown environment version', { inputs: { jobFile: envVersion.file } }, new RegExp(`^Input 'jobFile': .*${file(envVersion.file)}: environment \\(line ${lineOf(envVersion.text, /^environment:/)}\\) refers to version '7' of the environment 'diabetes-env', which does not exist .*Versions of 'diabetes-env': 1\\.`));
    bad('an unknown environment (@latest)', { inputs: { jobFile: envUnknown.file } }, /^Input 'jobFile': .*env-unknown\.yml: environment \(line \d+\) refers to the latest version of the environment 'no-such-env', which does not exist/);
    bad('an unknown data asset version', { inputs: { jobFile: data.file } }, new RegExp(`^Input 'jobFile': .*${file(data.file)}: inputs\\.diabetes\\.path \\(line ${lineOf(data.text, /path: azureml:diabetes-data/)}\\) refers to version '3' of the data asset 'diabetes-data'.*Versions of 'diabetes-data': 1\\.`));
    bad('an unsupported job type', { inputs: { jobFile: sweep.file } }, /^Input 'jobFile': .*sweep\.yml: type \(line \d+\) is 'sweep': sweep \(hyperparameter tuning\) jobs are not supported by the AzureMLTrain task/);
    bad('bad override syntax', { inputs: { jobFile, overrides: 'inputs.alpha=0.9\ninputs.alpha 0.7' } }, /^Input 'overrides': line 2: 'inputs\.alpha 0\.7' is not of the form path=value/);
    bad('an override of a field that does not exist', { inputs: { jobFile, overrides: 'resources.gpus=2' } }, /^Input 'overrides': line 1: resources\.gpus .*instance_count/);
    bad('a compute set by an override that does not exist', { inputs: { jobFile, overrides: 'compute=azureml:no-such-cluster' } }, /^Input 'overrides': line 1: compute names the compute 'no-such-cluster', which does not exist/);
    bad('a negative timeout', { inputs: { jobFile, timeoutMinutes: '-5' } }, /^Input 'timeoutMinutes': -5 is below the minimum of 0\. Use a whole number from 0 to \d+\.$/);
    bad('a timeout that is not a number', { inputs: { jobFile, timeoutMinutes: 'an hour' } }, /^Input 'timeoutMinutes': 'an hour' is not a whole number/);
    bad('an invalid experiment name', { inputs: { jobFile, experimentName: 'diabetes ridge!' } }, /^Input 'experimentName': 'diabetes ridge!' is not a valid experiment name/);
    bad('tags that are not key=value', { inputs: { jobFile, tags: 'team=vision\nnightly' } }, /^Input 'tags': line 2 \('nightly'\) is not in key=value form/);
    bad(
      'a connection of the wrong type',
      { connectionId: 'wrong-type', inputs: { jobFile }, env: { 'ENDPOINT_AUTH_SCHEME_wrong-type': 'UsernamePassword', 'ENDPOINT_AUTH_wrong-type': JSON.stringify({ scheme: 'UsernamePassword', parameters: { username: 'u' } }) } },
      /^Input 'azureSubscription': the service connection 'wrong-type' is not an Azure Resource Manager connection \(its authorization scheme is 'UsernamePassword'\)/,
    );
    bad('a workspace that does not exist', { inputs: { jobFile, workspace: 'nope-ws' } }, /^Input 'workspace': the Azure ML workspace 'nope-ws' was not found in resource group 'mlops-rg' .*Workspaces in that resource group: mlops-ws\.$/);
    bad('a resource group that does not exist', { inputs: { jobFile, resourceGroup: 'nope-rg' } }, /^Input 'resourceGroup': the resource group 'nope-rg' was not found in subscription/);
    bad('another workspace than the connection is scoped to', { scopeLevel: 'AzureMLWorkspace', inputs: { jobFile, workspace: 'other-ws' } }, /^Input 'workspace': is 'other-ws', but the service connection 'train-conn' is scoped to the Azure ML workspace 'mlops-ws'/);
    bad('both jobFile and jobName', { inputs: { jobFile, jobName: namedJob } }, /^Input 'jobName': both 'jobFile' and 'jobName' are set/);
    bad('neither jobFile nor jobName', { inputs: { jobFile: '' } }, /^Input 'jobFile': a value is required\. Set 'jobFile' to the job YAML to submit/);
    bad('a jobName that does not exist', { inputs: { jobFile: '', jobName: 'no-such-job-42' } }, /^Input 'jobName': the job 'no-such-job-42' was not found in the Azure ML workspace 'mlops-ws'/);
    bad(
      'a YAML name taken by a job with another definition',
      { inputs: { jobFile, overrides: `name=${namedJob}\ninputs.alpha=0.7` } },
      new RegExp(`^Input 'overrides': line 1: name is '${namedJob}', but the Azure ML workspace 'mlops-ws' already has a job with that name \\(status Completed\\) and another definition.*jobName: ${namedJob}`),
    );

    jobsBefore = emulator.inspect.jobNames().sort();
    blobsBefore = await datastoreSnapshot(emulator);
    const outcomes = await inPool(cases.map((c) => () => runTrainTask({ emulator, ...c.run })));
    cases.forEach((c, index) => results.set(c.name, outcomes[index]!));
    jobsAfter = emulator.inspect.jobNames().sort();
    blobsAfter = await datastoreSnapshot(emulator);
  });

  after(function () {
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('covers at least 15 cases', function () {
    assert.ok(cases.length >= 15, `${cases.length} cases`);
  });

  it('creates no job and uploads nothing in any case', function () {
    assert.deepEqual(jobsAfter, jobsBefore);
    assert.deepEqual(blobsAfter, blobsBefore);
  });

  describe('each ends with one clear error and no stack trace', function () {
    // The cases are defined in before(): generate the tests from their names, known up front.
    const names = [
      'a jobFile that does not exist', 'malformed YAML', 'an unknown field', 'a missing command', 'an unknown compute', 'a missing code folder',
      'a code folder whose files are all ignored', 'an unknown environment version', 'an unknown environment (@latest)', 'an unknown data asset version',
      'an unsupported job type', 'bad override syntax', 'an override of a field that does not exist', 'a compute set by an override that does not exist',
      'a negative timeout', 'a timeout that is not a number', 'an invalid experiment name', 'tags that are not key=value', 'a connection of the wrong type',
      'a workspace that does not exist', 'a resource group that does not exist', 'another workspace than the connection is scoped to', 'both jobFile and jobName',
      'neither jobFile nor jobName', 'a jobName that does not exist', 'a YAML name taken by a job with another definition',
    ];
    for (const name of names) {
      it(name, function () {
        const badCase = cases.find((c) => c.name === name);
        assert.ok(badCase, `no case named '${name}'`);
        const result = results.get(name)!;
        assertOneClearError(result, badCase.error);
        assert.equal(result.outputs['JobName'], undefined, 'no job');
      });
    }

    it('every case defined has a test', function () {
      assert.deepEqual(cases.map((c) => c.name).sort(), [...names].sort());
    });
  });
});
