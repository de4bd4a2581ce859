/** shared/src/pipeline/artifacts.ts and the model helpers added to shared/src/azureml/models.ts for the Register task. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { addBuildTag, artifactNameProblem, modelStudioUrl, pipelineHostType, registerSecret, sameModelType, uploadPipelineArtifact } from '@azureml-mlops/shared';

import { captureStdout, fakeAgent } from '../shared/support/fakeAgent';

describe('shared pipeline artifacts and build tags', function () {
  let folder: string;

  before(function () {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'artifacts-unit-'));
  });

  after(function () {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('System.HostType: build (also when unset), release, deployment', function () {
    assert.equal(pipelineHostType(fakeAgent()), 'build');
    assert.equal(pipelineHostType(fakeAgent({ variables: { 'System.HostType': 'build' } })), 'build');
    assert.equal(pipelineHostType(fakeAgent({ variables: { 'System.HostType': 'Release' } })), 'release');
    assert.equal(pipelineHostType(fakeAgent({ variables: { 'System.HostType': 'deployment' } })), 'deployment');
  });

  it('uploads a file as an artifact with ##vso[artifact.upload], the container folder defaulting to the name', async function () {
    const file = path.join(folder, 'model.json');
    fs.writeFileSync(file, '{"name":"m"}');
    const { result, output } = await captureStdout(() => uploadPipelineArtifact({ artifactName: 'model', filePath: file }, fakeAgent()));
    assert.deepEqual(result, { done: true });
    assert.equal(output.trim(), `##vso[artifact.upload containerfolder=model;artifactname=model;]${file}`);
  });

  it('adds a build tag with ##vso[build.addbuildtag]', async function () {
    const { result, output } = await captureStdout(() => addBuildTag('model:m:3', fakeAgent()));
    assert.deepEqual(result, { done: true });
    assert.equal(output.trim(), '##vso[build.addbuildtag]model:m:3');
  });

  it('in a classic release: does nothing and says why', async function () {
    const file = path.join(folder, 'release.json');
    fs.writeFileSync(file, '{}');
    const release = fakeAgent({ variables: { 'System.HostType': 'release' } });
    const { result, output } = await captureStdout(() => [uploadPipelineArtifact({ artifactName: 'model', filePath: file }, release), addBuildTag('model:m:3', release)]);
    assert.equal(output, '');
    assert.deepEqual(result, [
      { done: false, reason: 'pipeline artifacts can only be uploaded by a build or YAML pipeline, not in a release job' },
      { done: false, reason: 'build tags can only be added by a build or YAML pipeline, not in a release job' },
    ]);
  });

  it('refuses a file or tag holding a registered secret, and a tag with a line break', async function () {
    const secret = 'artifact-unit-secret-value-123';
    await captureStdout(() => registerSecret(secret));
    const file = path.join(folder, 'secret.json');
    fs.writeFileSync(file, `{"key":"${secret}"}`);
    assert.throws(() => uploadPipelineArtifact({ artifactName: 'model', filePath: file }, fakeAgent()), /contains a secret/);
    assert.throws(() => addBuildTag(`model:${secret}`, fakeAgent()), /contains a secret/);
    assert.throws(() => addBuildTag('a\n##vso[task.complete result=Failed]', fakeAgent()), /Invalid build tag/);
  });

  it('artifact names: what Azure Pipelines refuses is explained', function () {
    assert.equal(artifactNameProblem('model'), undefined);
    assert.equal(artifactNameProblem('model diabetes_2'), undefined);
    assert.match(artifactNameProblem('a/b') ?? '', /contains '\/'/);
    assert.match(artifactNameProblem('model.') ?? '', /ends with '\.'/);
    assert.match(artifactNameProblem(' model') ?? '', /starts or ends with a space/);
    assert.match(artifactNameProblem('x'.repeat(257)) ?? '', /257 characters long/);
  });
});

describe('shared model helpers', function () {
  it('sameModelType: custom_model, CustomModel and an absent type are the same', function () {
    assert.equal(sameModelType('custom_model', 'CustomModel'), true);
    assert.equal(sameModelType(undefined, 'custom_model'), true);
    assert.equal(sameModelType('mlflow_model', 'MLFlowModel'), true);
    assert.equal(sameModelType('mlflow_model', 'custom_model'), false);
  });

  it('modelStudioUrl: the model page of the studio, with the workspace and tenant', function () {
    const url = modelStudioUrl({ workspaceArmPath: '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w', connection: { tenantId: 't' } as never }, 'my-model', '3');
    assert.equal(url, 'https://ml.azure.com/model/my-model:3/details?wsid=%2Fsubscriptions%2Fs%2FresourceGroups%2Fr%2Fproviders%2FMicrosoft.MachineLearningServices%2Fworkspaces%2Fw&tid=t');
  });
});
