/**
 * AzureMLBuildImage inputs as the agent passes them: task.json's input types decide what the agent does to a value
 * before the task sees it (a filePath input is rooted in the sources folder, and an empty one becomes that folder), so
 * these tests read the task's own task.json and translate the inputs with the local agent's rules (emulator), as the
 * Azure Pipelines agent does.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { resolveInputs, type TaskDefinition } from '@azureml-mlops/emulator/dist/devops/agentEnvironment';
import { InputError } from '@azureml-mlops/shared';

import type * as ParametersModule from '../../../tasks/AzureMLBuildImage/src/parameters';
import { repositoryPath } from '../../support/repository';
import { captureStdout, fakeAgent } from '../shared/support/fakeAgent';
import { taskModule, writeFiles } from './support';

const { readParameters } = taskModule<typeof ParametersModule>('parameters');

const CONNECTION = 'build-image-unit-conn';
const TASK_JSON = repositoryPath('tasks/AzureMLBuildImage/task.json');
const definition = JSON.parse(fs.readFileSync(TASK_JSON, 'utf8')) as Omit<TaskDefinition, 'outputVariables'> & {
  readonly outputVariables: ReadonlyArray<{ readonly name: string; readonly description: string }>;
};

describe('AzureMLBuildImage parameters (inputs as the agent passes them)', function () {
  let sources: string;

  before(function () {
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-params-'));
    writeFiles(sources, { 'score.py': 'def init(): pass\ndef run(d): return d\n', 'conda.yml': 'dependencies: []\n', 'docker/Dockerfile': 'FROM python:3.11\n' });
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  async function read(given: Record<string, string>): Promise<ParametersModule.BuildImageParameters> {
    const variables = { 'System.DefaultWorkingDirectory': sources, 'Build.SourcesDirectory': sources, 'Agent.TempDirectory': path.join(sources, '_temp') };
    const inputs = resolveInputs(definition, { azureSubscription: CONNECTION, resourceGroup: 'rg-1', workspace: 'ws-1', repository: 'scoring', ...given }, variables, sources);
    const env = fakeAgent({
      inputs,
      variables,
      endpoints: {
        [CONNECTION]: {
          url: 'https://management.azure.com/',
          scheme: 'ServicePrincipal',
          auth: { tenantid: 'tenant-1', serviceprincipalid: 'client-1', authenticationType: 'spnKey', serviceprincipalkey: 'build-image-unit-secret' },
          data: { subscriptionId: 'sub-1', environment: 'AzureCloud', scopeLevel: 'Subscription' },
        },
      },
    });
    // registerSecret writes ##vso[task.setsecret] commands: keep them out of the test output.
    return (await captureStdout(() => readParameters(env))).result;
  }

  it("scoringCode '.' is the repository root, not \"not set\"", async function () {
    const params = await read({ scoringCode: '.', condaFile: 'conda.yml' });
    assert.equal(params.source.kind, 'generate');
    assert.equal(params.source.kind === 'generate' && params.source.scoringCode, sources);
    assert.equal(params.source.kind === 'generate' && params.source.scoringCodeDisplay, '.');
  });

  it('scoringCode empty with a Dockerfile: the Dockerfile is built (the empty input is not taken for the root)', async function () {
    const params = await read({ dockerfile: 'docker/Dockerfile' });
    assert.equal(params.source.kind, 'dockerfile');
  });

  it('scoringCode naming a file: one error naming the input', async function () {
    await assert.rejects(read({ scoringCode: 'score.py' }), (error: unknown) => error instanceof InputError && /^Input 'scoringCode': 'score\.py' is a file, but a folder is expected\. Give the folder of the scoring script; the script itself goes in 'scoringScript'\.$/.test(error.message));
  });

  it('scoringCode that does not exist: one error naming the input and where it looked', async function () {
    await assert.rejects(read({ scoringCode: 'nowhere' }), (error: unknown) => error instanceof InputError && error.message.startsWith(`Input 'scoringCode': 'nowhere' does not exist (looked for ${path.join(sources, 'nowhere')})`));
  });
});

describe('AzureMLBuildImage task.json', function () {
  it("describes ImageTags as this run's tags (earlier runs' tags may point at the image too)", function () {
    const imageTags = definition.outputVariables.find((output) => output.name === 'ImageTags');
    assert.match(imageTags?.description ?? '', /^The tags this run pointed at the image/);
    assert.match(imageTags!.description, /tags set by earlier runs are not listed/);
  });
});
