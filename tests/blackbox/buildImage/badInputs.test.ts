/**
 * AzureMLBuildImage black-box: bad inputs. Each case runs the bundled task against the shared emulator and must end
 * with ONE clear error that names the input, no stack trace, and nothing done on the Azure side: no upload location
 * asked for, no ACR run, no tag moved, no environment version.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { sharedEmulator } from '../../support/emulatorFixture';
import { repositoryPath } from '../../support/repository';
import { assertOneClearError, inPool, logOf } from '../support/trainTask';
import { type BuildImageTaskResult, environmentVersions, registerModel, runBuildImageTask, SAMPLE, uniqueName } from './support/buildImageTask';

interface BadInputCase {
  readonly name: string;
  readonly inputs: Readonly<Record<string, string>>;
  /** The one error line. */
  readonly error: RegExp;
}

/** Requests that create or change something on the Azure side. */
const WRITES = /\/(listBuildSourceUploadUrl|scheduleRun|importImage|cancel)$|\/environments\/[^/]+\/versions\/[^/]+$|\/models\/[^/]+\/versions\/[^/]+$/;

describe('AzureMLBuildImage black-box: bad inputs', function () {
  this.timeout(180_000);
  let emulator: Emulator;
  let sources: string;
  const cases: BadInputCase[] = [];
  const results = new Map<string, BuildImageTaskResult>();
  const repository = uniqueName('bad-inputs');
  const taken = uniqueName('taken-env');
  let runsBefore: number;
  let runsAfter: number;
  let writes: string[];

  before(async function () {
    emulator = await sharedEmulator();
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-bad-'));
    fs.cpSync(repositoryPath(SAMPLE.scoringCode), path.join(sources, 'score'), { recursive: true });
    fs.copyFileSync(repositoryPath(SAMPLE.condaFile), path.join(sources, 'score-conda.yml'));
    fs.writeFileSync(path.join(sources, 'Dockerfile'), 'FROM python:3.11-slim\nCOPY score/ /app/\n');
    const model = await registerModel(emulator, uniqueName('bad-inputs-model'), { 'model.json': '{}' });
    const generated = { repository, scoringCode: 'score', condaFile: 'score-conda.yml' };

    // Version 1 of `taken` holds an image of the Dockerfile: version 1 for another build is taken.
    const seeded = await runBuildImageTask({ emulator, sourcesDirectory: sources, inputs: { repository, dockerfile: 'Dockerfile', environmentName: taken } });
    assert.equal(seeded.result, 'Succeeded', logOf(seeded));

    const bad = (name: string, inputs: Record<string, string>, error: RegExp): void => {
      cases.push({ name, inputs, error });
    };
    bad('an invalid repository', { ...generated, repository: 'Diabetes_Scoring!' }, /^Input 'repository': 'Diabetes_Scoring!' is not a valid repository name\. Use lower-case letters and digits/);
    bad('an upper-case repository', { ...generated, repository: 'Diabetes-Scoring' }, /^Input 'repository': 'Diabetes-Scoring' has upper-case letters; repository names are lower case\./);
    bad('nothing to build from', { repository }, /^Input 'scoringCode': a value is required: nothing to build from\. Set 'scoringCode' \(and 'condaFile'\)/);
    bad('a Dockerfile and a generated one', { ...generated, dockerfile: 'Dockerfile' }, /^Input 'dockerfile': both a Dockerfile and inputs of a generated one \('scoringCode', 'condaFile'\) are set\./);
    bad('a Dockerfile that does not exist', { repository, dockerfile: 'docker/Dockerfile' }, /^Input 'dockerfile': '.*docker[\\/]Dockerfile' does not exist\. Check the path/);
    bad('a build context that does not exist', { repository, dockerfile: 'Dockerfile', buildContext: 'nowhere' }, /^Input 'buildContext': 'nowhere' does not exist/);
    bad('a scoring script not in the scoring code', { ...generated, scoringScript: 'serve.py' }, /^Input 'scoringScript': 'serve\.py' does not exist in 'score'/);
    bad('includeModel without a model', { ...generated, includeModel: 'true' }, /^Input 'model': a value is required when 'includeModel' is true\./);
    bad('includeModel with a user Dockerfile', { repository, dockerfile: 'Dockerfile', model, includeModel: 'true' }, /^Input 'includeModel': applies only to a generated Dockerfile/);
    bad('a model without its version', { ...generated, model: 'diabetes-ridge' }, /^Input 'model': 'diabetes-ridge' is not a model reference\. Use name:version/);
    bad('a model that is not registered', { ...generated, model: 'no-such-model:3' }, /^Input 'model': the model no-such-model:3 does not exist in the workspace\./);
    bad('a tag Docker refuses', { ...generated, imageTags: 'latest\n-nightly' }, /^Input 'imageTags': '-nightly' is not a valid tag\./);
    bad('an image name given as a tag', { ...generated, imageTags: 'diabetes:v1' }, /^Input 'imageTags': 'diabetes:v1' is an image name, not a tag\./);
    bad('a registry that does not exist', { ...generated, containerRegistry: 'nosuchregistry42' }, /^Input 'containerRegistry': no container registry named 'nosuchregistry42' was found in subscription .*Registries the service connection can see: cr[0-9a-f]{16}\./);
    bad('a registry id that is not one', { ...generated, containerRegistry: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z' }, /^Input 'containerRegistry': '\/subscriptions\/x\/.*' is not the ARM id of a container registry/);
    bad('a timeout ACR does not allow', { ...generated, timeoutMinutes: '1' }, /^Input 'timeoutMinutes': 1 is below the minimum of 5\. Use a whole number from 5 to 480\.$/);
    bad('a platform ACR does not build', { ...generated, platform: 'windows/amd64' }, /^Input 'platform': 'windows\/amd64' is not an allowed value\. Use one of: linux\/amd64, linux\/arm64, linux\/arm\/v7\.$/);
    bad('a base image that is not an image reference', { ...generated, baseImage: 'Ubuntu Latest' }, /^Input 'baseImage': 'Ubuntu Latest' contains white space\./);
    bad('build arguments that are not name=value', { ...generated, buildArguments: 'PIP_INDEX' }, /^Input 'buildArguments': line 1 \('PIP_INDEX'\) is not in key=value form\./);
    bad('a route path the API refuses', { ...generated, livenessRoute: '/' }, /^Input 'livenessRoute': '\/' is not a route path Azure ML accepts\./);
    bad("'latest' as the environment version", { ...generated, environmentVersion: 'latest' }, /^Input 'environmentVersion': 'latest' is not a valid environment version\./);
    bad(
      'an environment version that holds another image',
      { ...generated, environmentName: taken, environmentVersion: '1' },
      new RegExp(`^Input 'environmentVersion': version 1 of the environment '${taken}' already exists and points at cr[0-9a-f]{16}\\.azurecr\\.io/${repository}@sha256:[0-9a-f]{64}, not at an image of this build`),
    );

    runsBefore = emulator.inspect.containerRegistryRuns().length;
    const trafficBefore = emulator.traffic.length;
    const outcomes = await inPool(cases.map((c) => () => runBuildImageTask({ emulator, inputs: c.inputs, sourcesDirectory: sources })));
    cases.forEach((c, i) => results.set(c.name, outcomes[i]!));
    runsAfter = emulator.inspect.containerRegistryRuns().length;
    writes = emulator.traffic
      .slice(trafficBefore)
      .filter((e) => e.method !== 'GET' && WRITES.test(new URL(e.url).pathname))
      .map((e) => `${e.method} ${new URL(e.url).pathname}`);
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  it('has at least 8 cases', function () {
    assert.ok(cases.length >= 8, String(cases.length));
  });

  it('nothing was created or changed on the Azure side by any of them', async function () {
    assert.equal(runsAfter, runsBefore, 'no ACR run scheduled');
    assert.deepEqual(writes, []);
    assert.deepEqual((await environmentVersions(emulator, repository)).map((v) => v.name), []);
    assert.deepEqual((await environmentVersions(emulator, taken)).map((v) => v.name), ['1']);
  });

  describe('each fails with one clear error naming the input', function () {
    for (const name of [
      'an invalid repository',
      'an upper-case repository',
      'nothing to build from',
      'a Dockerfile and a generated one',
      'a Dockerfile that does not exist',
      'a build context that does not exist',
      'a scoring script not in the scoring code',
      'includeModel without a model',
      'includeModel with a user Dockerfile',
      'a model without its version',
      'a model that is not registered',
      'a tag Docker refuses',
      'an image name given as a tag',
      'a registry that does not exist',
      'a registry id that is not one',
      'a timeout ACR does not allow',
      'a platform ACR does not build',
      'a base image that is not an image reference',
      'build arguments that are not name=value',
      'a route path the API refuses',
      "'latest' as the environment version",
      'an environment version that holds another image',
    ]) {
      it(name, function () {
        const c = cases.find((candidate) => candidate.name === name)!;
        const result = results.get(name)!;
        assertOneClearError(result, c.error);
        assert.deepEqual(result.outputs, {});
      });
    }
  });
});
