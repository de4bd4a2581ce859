import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  runPipeline, startPipeline, type PipelineEvent, type PipelineRunOptions, type PipelineRunResult, type RunningPipeline,
} from '@azureml-mlops/emulator/dist/devops/pipelineRunner';

/**
 * Tiny real tasks for the pipeline runner's tests: task.json plus a script using azure-pipelines-task-lib (from the
 * root node_modules), doing what its `scenario` input says. `PipelineFixture` is version 2.1.0 (so `@2` resolves and
 * `@1` does not); its inputs include a service connection and a filePath.
 */
const TASK_LIB = require.resolve('azure-pipelines-task-lib/task');

const FIXTURE_TASK = {
  id: '5b0e3c1d-9a7f-4e26-8c41-7d2f6a9b3e10',
  name: 'PipelineFixture',
  friendlyName: 'Pipeline fixture',
  description: 'Exercises the local pipeline runner',
  author: 'tests',
  helpMarkDown: 'Test fixture',
  category: 'Utility',
  version: { Major: 2, Minor: 1, Patch: 0 },
  minimumAgentVersion: '3.232.1',
  instanceNameFormat: 'Fixture $(scenario)',
  inputs: [
    { name: 'scenario', type: 'string', label: 'Scenario', required: true },
    { name: 'message', type: 'string', label: 'Message', required: false, defaultValue: '' },
    { name: 'configFile', type: 'filePath', label: 'Config', required: false },
    { name: 'connection', aliases: ['azureSubscription'], type: 'connectedService:AzureRM', label: 'Connection', required: false },
    { name: 'names', type: 'string', label: 'Variables to report', required: false, defaultValue: '' },
    { name: 'envs', type: 'string', label: 'Environment variables to report', required: false, defaultValue: '' },
  ],
  outputVariables: [{ name: 'Declared', description: 'Set without isOutput' }],
  execution: { Node20_1: { target: 'index.js', argumentFormat: '' } },
};

const FIXTURE_SCRIPT = `
// Cancellation is handled before anything else loads, so that a cancel right after start is seen.
process.on('SIGINT', () => {
  console.log('received SIGINT, cleaning up');
  console.log('##vso[task.complete result=Failed;]cancelled by the agent');
  process.exit(1);
});
const fs = require('node:fs');
const path = require('node:path');
const tl = require(${JSON.stringify(TASK_LIB)});
const scenario = tl.getInput('scenario', true);
const message = tl.getInput('message') || '';
const print = (label, value) => console.log(label + '=' + JSON.stringify(value === undefined ? null : value));
const list = (name) => (tl.getInput(name) || '').split(',').map((item) => item.trim()).filter(Boolean);

if (scenario === 'report') {
  print('input.message', message);
  print('input.configFile', tl.getInput('configFile'));
  const connection = tl.getInput('connection');
  print('input.connection', connection);
  if (connection) {
    print('endpoint.url', tl.getEndpointUrl(connection, true));
    print('endpoint.key', tl.getEndpointAuthorizationParameter(connection, 'serviceprincipalkey', true));
  }
  for (const name of list('names')) print('variable.' + name, tl.getVariable(name));
  for (const name of list('envs')) print('env.' + name, process.env[name]);
  print('cwd', process.cwd());
} else if (scenario === 'outputs') {
  const secret = 'fixture-secret-' + message;
  tl.setVariable('Result', 'result-' + message, false, true);
  tl.setVariable('Secret', secret, true, true);
  tl.setVariable('Declared', 'declared-' + message);
  tl.setVariable('Local', 'local-' + message);
  console.log('the secret is ' + secret);
  tl.addBuildTag('tag-' + message);
  const summary = path.join(tl.getVariable('Agent.TempDirectory'), 'summary-' + message + '.md');
  fs.writeFileSync(summary, '## Fixture ' + message + '\\nsecret: ' + secret + '\\n');
  tl.uploadSummary(summary);
  tl.uploadArtifact('drop', summary, 'drop-' + message);
} else if (scenario === 'fail') {
  tl.setResult(tl.TaskResult.Failed, 'fixture failure: ' + message);
} else if (scenario === 'issues') {
  tl.warning('fixture warning: ' + message);
  tl.setResult(tl.TaskResult.SucceededWithIssues, 'fixture issues');
} else if (scenario === 'wait') {
  console.log('ready');
  setInterval(() => {}, 1000);
} else {
  tl.setResult(tl.TaskResult.Failed, 'unknown scenario ' + scenario);
}
`;

/** Writes `<dir>/PipelineFixture` and returns `dir` (the runner's tasksDirectory). */
export function writeFixtureTasks(dir: string): string {
  const taskDir = path.join(dir, 'PipelineFixture');
  fs.mkdirSync(taskDir, { recursive: true });
  fs.writeFileSync(path.join(taskDir, 'task.json'), JSON.stringify(FIXTURE_TASK, null, 2));
  fs.writeFileSync(path.join(taskDir, 'index.js'), FIXTURE_SCRIPT);
  return dir;
}

/** Values a fixture step printed as `label=<json>` lines. */
export function printed(log: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const line of log) {
    const match = /^([\w.]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      try {
        values[match[1]] = JSON.parse(match[2]);
      } catch {
        // not one of the fixture's lines
      }
    }
  }
  return values;
}

/** A scratch repository (the runner's repositoryRoot) with the fixture tasks; `remove()` deletes it. */
export class Sandbox {
  readonly root: string;
  readonly tasksDirectory: string;

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-test-'));
    this.tasksDirectory = writeFixtureTasks(path.join(this.root, 'tasks'));
  }

  /** The options of a run of `yaml` in this sandbox, plus `extra`. */
  options(yaml: string, extra: Partial<PipelineRunOptions> = {}): PipelineRunOptions & { events: PipelineEvent[] } {
    const events: PipelineEvent[] = [];
    return {
      pipelineFile: 'azure-pipelines.yml',
      pipelineText: yaml,
      repositoryRoot: this.root,
      tasksDirectory: this.tasksDirectory,
      ...extra,
      events,
      onEvent: (event) => {
        events.push(event);
        extra.onEvent?.(event);
      },
    };
  }

  run(yaml: string, extra: Partial<PipelineRunOptions> = {}): Promise<PipelineRunResult & { events: PipelineEvent[] }> {
    const options = this.options(yaml, extra);
    return runPipeline(options).then((result) => ({ ...result, events: options.events }));
  }

  start(yaml: string, extra: Partial<PipelineRunOptions> = {}): RunningPipeline {
    return startPipeline(this.options(yaml, extra));
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Everything a run showed, for assertion messages. */
export function describeRun(result: PipelineRunResult): string {
  const lines: string[] = [`run ${result.result}`];
  for (const stage of result.stages) {
    lines.push(`stage ${stage.name}: ${stage.result}${stage.skipReason ? ` (${stage.skipReason})` : ''} ${stage.messages.join(' | ')}`);
    for (const job of stage.jobs) {
      lines.push(`  job ${job.name}: ${job.result}${job.skipReason ? ` (${job.skipReason})` : ''} ${job.messages.join(' | ')}`);
      for (const step of job.steps) {
        lines.push(`    step ${step.name ?? step.displayName}: ${step.result}${step.skipReason ? ` (${step.skipReason})` : ''}`);
        for (const line of step.log) lines.push(`      | ${line}`);
      }
    }
  }
  return lines.join('\n');
}
