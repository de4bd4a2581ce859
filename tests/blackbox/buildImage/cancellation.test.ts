/**
 * AzureMLBuildImage black-box: a cancelled pipeline cancels the image build. The agent sends SIGINT (then SIGTERM
 * 7.5 s later): the task cancels the ACR run within those seconds, reports Cancelled (never success) and registers
 * nothing. Builds run slowly on an emulator of their own (1 s per build step), so there is time to cancel.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { dedicatedEmulator } from '../../support/emulatorFixture';
import { logOf } from '../support/trainTask';
import { type BuildImageTaskResult, environmentVersions, runsFor, startBuildImageTask, uniqueName } from './support/buildImageTask';

const RUN_STATUS = /ACR run (ca[0-9a-z]+): (?:Queued → )?Running/;

describe('AzureMLBuildImage black-box: cancellation', function () {
  this.timeout(120_000);
  let emulator: Emulator;
  let sources: string;

  before(async function () {
    emulator = await dedicatedEmulator('acr-slow-builds', { jobStepDelayMs: 1000 });
    sources = fs.mkdtempSync(path.join(os.tmpdir(), 'build-image-cancel-'));
    const steps = Array.from({ length: 12 }, (_, i) => `RUN echo step ${i}`);
    fs.writeFileSync(path.join(sources, 'Dockerfile'), ['FROM python:3.11-slim', ...steps, 'COPY app.py /app/', ''].join('\n'));
    fs.writeFileSync(path.join(sources, 'app.py'), 'print("hi")\n');
  });

  after(function () {
    fs.rmSync(sources, { recursive: true, force: true });
  });

  /** Starts the task and cancels it (as the agent does) once the ACR run is Running; returns the result and the run id. */
  async function cancelWhileRunning(inputs: Record<string, string>): Promise<{ result: BuildImageTaskResult; runId: string; cancelledAt: number }> {
    let runId: string | undefined;
    let cancelledAt = 0;
    const running = startBuildImageTask({
      emulator,
      sourcesDirectory: sources,
      inputs,
      onLine: (line) => {
        const match = RUN_STATUS.exec(line);
        if (match && !runId) {
          runId = match[1];
          cancelledAt = Date.now();
          running.cancel();
        }
      },
    });
    const result = await running.result;
    assert.ok(runId, `the run never went Running:\n${logOf(result)}`);
    return { result, runId, cancelledAt };
  }

  function runStatus(runId: string): string {
    const run = emulator.inspect.containerRegistryRuns().find((r) => r['name'] === runId);
    return String((run?.['properties'] as { status?: string } | undefined)?.status);
  }

  it('SIGINT cancels the ACR run within seconds; the task ends Cancelled and registers nothing', async function () {
    const repository = uniqueName('cancelled');
    const { result, runId, cancelledAt } = await cancelWhileRunning({ repository, dockerfile: 'Dockerfile' });
    assert.equal(result.result, 'Cancelled', logOf(result));
    assert.deepEqual(result.signalsSent, ['SIGINT'], 'the task wound down before the agent had to send SIGTERM');
    assert.ok(Date.now() - cancelledAt < 7_500, 'it ended before SIGTERM would have come');
    assert.equal(runStatus(runId), 'Canceled');
    const log = logOf(result);
    assert.match(log, new RegExp(`The pipeline was cancelled: cancelling ACR run ${runId}\\.`));
    assert.match(log, new RegExp(`ACR run ${runId} was cancelled because the pipeline was cancelled \\(status: Canceled\\)\\.`));
    assert.equal(result.errors.length, 0, result.errors.join('\n'));
    assert.deepEqual(await environmentVersions(emulator, repository), []);
    assert.deepEqual(emulator.inspect.containerImages(repository), []);
    assert.equal(result.outputs['ImageName'], undefined);
  });

  it('with cancelOnPipelineCancel false the run goes on, and the task says how to follow it', async function () {
    const repository = uniqueName('kept-running');
    const { result, runId } = await cancelWhileRunning({ repository, dockerfile: 'Dockerfile', cancelOnPipelineCancel: 'false' });
    assert.equal(result.result, 'Cancelled', logOf(result));
    assert.equal(runStatus(runId), 'Running');
    assert.match(result.warnings.join('\n'), new RegExp(`ACR run ${runId} keeps running, because cancelOnPipelineCancel is false\\. Follow it with az acr task logs --registry \\w+ --run-id ${runId}`));
    assert.equal(runsFor(emulator, repository).length, 1);
  });
});
