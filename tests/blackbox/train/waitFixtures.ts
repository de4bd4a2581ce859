import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Emulator } from '@azureml-mlops/emulator';

import { AzureMlTestClient } from '../../emulator/azureml/support';

/**
 * Job YAML fixtures for the wait's black-box tests (waiting, cancellation, logs): a temporary folder holding a job
 * YAML and its src/ scripts, run by the bundled task against the emulator, which runs the scripts with python3.
 */
export interface JobProject {
  readonly dir: string;
  readonly jobFile: string;
  readonly jobName: string;
  cleanup(): void;
}

const ENVIRONMENT = 'environment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest';

/** Prints `epoch <i>` every half second for `seconds` seconds (argument), then `training done` without a newline. */
export const SLOW_TRAINING = `import sys, time
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
epochs = int(seconds * 2)
for i in range(1, epochs + 1):
    print(f"epoch {i} of {epochs}", flush=True)
    time.sleep(0.5)
sys.stdout.write("training done")
`;

/** A unique job name, so tests on the shared emulator never meet each other's jobs. */
export function uniqueJobName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A command job `name` running `command` in src/ (holding `scripts`); `extra` YAML lines are appended. */
export function commandJobProject(prefix: string, command: string, scripts: Record<string, string>, extra = ''): JobProject {
  const jobName = uniqueJobName(prefix);
  const yaml = [
    '$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json',
    'type: command',
    `name: ${jobName}`,
    'experiment_name: wait-blackbox',
    'code: ./src',
    `command: ${command}`,
    ENVIRONMENT,
    'compute: azureml:cpu-cluster',
    extra,
  ].join('\n');
  return project(jobName, yaml, scripts);
}

/** A pipeline job with the given steps (step name -> command in src/), each a command step. */
export function pipelineJobProject(prefix: string, steps: Record<string, string>, scripts: Record<string, string>): JobProject {
  const jobName = uniqueJobName(prefix);
  const jobs = Object.entries(steps)
    .map(([step, command]) => [`  ${step}:`, '    type: command', '    code: ./src', `    command: ${command}`, `    ${ENVIRONMENT.replace('\n', '\n    ')}`].join('\n'))
    .join('\n');
  const yaml = [
    '$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json',
    'type: pipeline',
    `name: ${jobName}`,
    'experiment_name: wait-blackbox',
    'settings:',
    '  default_compute: azureml:cpu-cluster',
    '  continue_on_step_failure: false',
    'jobs:',
    jobs,
  ].join('\n');
  return project(jobName, yaml, scripts);
}

function project(jobName: string, yaml: string, scripts: Record<string, string>): JobProject {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aml-wait-bb-'));
  fs.mkdirSync(path.join(dir, 'src'));
  for (const [name, content] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, 'src', name), content);
  const jobFile = path.join(dir, 'job.yml');
  fs.writeFileSync(jobFile, `${yaml}\n`);
  return { dir, jobFile, jobName, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The job's status as the emulator knows it (undefined before it is submitted). */
export function jobStatus(emulator: Emulator, jobName: string): string | undefined {
  const job = emulator.inspect.job(jobName) as { properties?: { status?: string } } | undefined;
  return job?.properties?.status;
}

/** Resolves with the milliseconds it took for `condition` to hold; rejects after `limitMs`. */
export async function timeUntil(condition: () => boolean, limitMs: number, what: string): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (condition()) return Date.now() - start;
    if (Date.now() - start > limitMs) throw new Error(`${what}: not seen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves when a log line matches `pattern`; rejects if the task ends first. */
export function lineSeen(lines: string[], pattern: RegExp, taskEnded: Promise<unknown>, limitMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setInterval(() => {
      const line = lines.find((l) => pattern.test(l));
      if (line && !done) {
        done = true;
        clearInterval(timer);
        resolve(line);
      }
    }, 20);
    setTimeout(() => {
      if (done) return;
      done = true;
      clearInterval(timer);
      reject(new Error(`no log line matching ${pattern} within ${limitMs} ms:\n${lines.join('\n')}`));
    }, limitMs).unref();
    void taskEnded.then(() => {
      setTimeout(() => {
        if (done) return;
        done = true;
        clearInterval(timer);
        reject(new Error(`the task ended before a log line matched ${pattern}:\n${lines.join('\n')}`));
      }, 50);
    });
  });
}

/** Cancels a job the way another user would (ARM POST .../cancel), so a test leaves nothing running. */
export async function cancelJobAsAnotherUser(emulator: Emulator, jobName: string): Promise<void> {
  const client = await AzureMlTestClient.connect(emulator);
  const response = await client.arm('POST', `jobs/${jobName}/cancel`);
  if (response.status !== 202) throw new Error(`cancel ${jobName}: HTTP ${response.status} ${response.text}`);
}

/**
 * Call inside a `describe`: returns `track(project)`, and registers an `after` hook that cancels the tracked jobs still
 * running (so no slow job outlives its test file) and removes the project folders.
 */
export function trackJobProjects(emulator: () => Emulator): (project: JobProject) => JobProject {
  const projects: JobProject[] = [];
  after(async () => {
    for (const project of projects) {
      if (jobStatus(emulator(), project.jobName) === 'Running') await cancelJobAsAnotherUser(emulator(), project.jobName);
      project.cleanup();
    }
  });
  return (project) => {
    projects.push(project);
    return project;
  };
}
