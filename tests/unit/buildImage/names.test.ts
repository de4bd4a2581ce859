/** AzureMLBuildImage image names: tags made from a model or a build id, what Docker accepts, registry references. */
import assert from 'node:assert/strict';

import { neutralizeAgentCommands } from '@azureml-mlops/shared';

import type * as NamesModule from '../../../tasks/AzureMLBuildImage/src/imageNames';
import type * as ReferenceModule from '../../../tasks/AzureMLBuildImage/src/registry/reference';
import type * as RunModule from '../../../tasks/AzureMLBuildImage/src/run';
import type * as LogModule from '../../../tasks/AzureMLBuildImage/src/registry/buildLog';
import { taskModule } from './support';

const { sanitizeTag, modelTag, buildTag, repositoryProblem, baseImageProblem, TAG_PATTERN } = taskModule<typeof NamesModule>('imageNames');
const { parseRegistryReference } = taskModule<typeof ReferenceModule>('registry/reference');
const { imageTags, digestOf } = taskModule<typeof RunModule>('run');
const { failureLineOf } = taskModule<typeof LogModule>('registry/buildLog');

describe('AzureMLBuildImage image names', function () {
  describe('tags made from free text follow Docker\'s tag rules', function () {
    const cases: Array<[string, string | undefined]> = [
      ['diabetes-ridge-3', 'diabetes-ridge-3'],
      ['model name:with/odd chars', 'model-name-with-odd-chars'],
      ['.hidden', 'hidden'],
      ['--x--', 'x'],
      ['ü', undefined],
      ['...', undefined],
      ['a'.repeat(200), 'a'.repeat(128)],
      [`${'a'.repeat(127)}.b`, 'a'.repeat(127)],
    ];
    for (const [text, expected] of cases) {
      it(`${JSON.stringify(text.length > 30 ? `${text.slice(0, 12)}…(${text.length})` : text)} -> ${JSON.stringify(expected)}`, function () {
        const tag = sanitizeTag(text);
        assert.equal(tag, expected);
        if (tag !== undefined) assert.match(tag, TAG_PATTERN);
      });
    }

    it('model and build tags', function () {
      assert.equal(modelTag('diabetes-ridge', '3'), 'diabetes-ridge-3');
      assert.equal(modelTag('my.model', '2024.06.1'), 'my.model-2024.06.1');
      assert.equal(buildTag('5150'), 'build-5150');
      assert.equal(buildTag('20250101.3 (rerun)'), 'build-20250101.3-rerun');
    });

    it('the image gets the model tag, the build tag and the user\'s, once each; latest only when there is none', function () {
      assert.deepEqual(imageTags({ buildTag: 'build-7', extraTags: ['latest', 'build-7'] }, { name: 'm', version: '2' }), ['m-2', 'build-7', 'latest']);
      assert.deepEqual(imageTags({ buildTag: undefined, extraTags: [] }, undefined), ['latest']);
      assert.deepEqual(imageTags({ buildTag: undefined, extraTags: ['v1'] }, undefined), ['v1']);
    });
  });

  it('repositories: lower-case components separated by / . _ -', function () {
    assert.equal(repositoryProblem('diabetes-scoring'), undefined);
    assert.equal(repositoryProblem('models/diabetes_v2.scoring'), undefined);
    assert.match(repositoryProblem('Diabetes') ?? '', /upper-case/);
    assert.match(repositoryProblem('diabetes--') ?? '', /not a valid repository name/);
    assert.match(repositoryProblem('a//b') ?? '', /not a valid repository name/);
    assert.match(repositoryProblem('x'.repeat(257)) ?? '', /at most 256/);
  });

  it('base images: registry, port, repository, tag, digest', function () {
    for (const ok of ['python', 'python:3.11-slim', 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest', 'localhost:5000/x/y:1', `docker.io/library/python@sha256:${'a'.repeat(64)}`, 'myorg/base']) {
      assert.equal(baseImageProblem(ok), undefined, ok);
    }
    assert.match(baseImageProblem('Python:3') ?? '', /invalid repository/);
    assert.match(baseImageProblem('python:-x') ?? '', /invalid tag/);
    assert.match(baseImageProblem('python@sha256:123') ?? '', /invalid digest/);
  });

  it('registries: by name, login server or ARM id', function () {
    assert.deepEqual(parseRegistryReference('mlopsregistry'), { kind: 'name', name: 'mlopsregistry' });
    assert.deepEqual(parseRegistryReference('mlopsregistry.azurecr.io'), { kind: 'name', name: 'mlopsregistry' });
    const id = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/mlopsregistry';
    assert.deepEqual(parseRegistryReference(id), { kind: 'id', subscriptionId: 's1', resourceGroup: 'rg', name: 'mlopsregistry', id });
    assert.match(String(parseRegistryReference('acr')), /not a valid registry name/);
    assert.match(String(parseRegistryReference('/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x')), /not the ARM id of a container registry/);
  });

  it("a run's digest for the repository", function () {
    const digest = `sha256:${'b'.repeat(64)}`;
    assert.equal(digestOf([{ repository: 'other', digest: `sha256:${'a'.repeat(64)}` }, { repository: 'repo', digest }], 'repo'), digest);
    assert.equal(digestOf([{ repository: 'repo', digest: 'md5:x' }], 'repo'), undefined);
  });
});

describe("AzureMLBuildImage build logs", function () {
  it("finds the line that says why a build failed, in Docker's or ACR's words", function () {
    const log = ['Step 2/5 : COPY app/ /app/', 'COPY failed: file not found in build context or excluded by .dockerignore: stat app: file does not exist', '2024/01/01 Container failed during run: build. No retries remaining.', 'failed to run step ID: build: exit status 1', 'Run ID: ca1 failed after 2s. Error: failed during run, err: exit status 1'];
    assert.equal(failureLineOf(log), log[1]);
    assert.equal(failureLineOf(['Step 4/5 : RUN pip install nope', "The command '/bin/sh -c pip install nope' returned a non-zero code: 1", 'Run ID: ca2 failed']), "The command '/bin/sh -c pip install nope' returned a non-zero code: 1");
    assert.equal(failureLineOf(['ERROR: Could not find a version that satisfies the requirement nope', 'Run ID: ca3 failed']), 'ERROR: Could not find a version that satisfies the requirement nope');
    assert.equal(failureLineOf(['all good']), undefined);
  });

  it('neutralizes agent commands a Dockerfile step prints', function () {
    assert.equal(neutralizeAgentCommands('echo ##vso[task.setvariable variable=x]1'), 'echo ##vso [task.setvariable variable=x]1');
    assert.equal(neutralizeAgentCommands('##[error]fake'), '## [error]fake');
  });
});
