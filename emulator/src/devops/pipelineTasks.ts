/**
 * Where the local pipeline runner finds the task of a `task: <Name>@<major>` step: a built task folder
 * `<tasksDirectory>/<Name>/task.json` (build/extension/tasks by default) whose major version matches, as the agent
 * downloads the newest version of that major; or one of the two built-in script tasks the `bash:` and `script:`
 * shortcuts stand for in Azure Pipelines (Bash@3 and CmdLine@2), which this runner provides as small stand-ins that
 * write the script to Agent.TempDirectory and run it with `bash --noprofile --norc`, like those tasks do on Linux.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskDefinition } from './agentEnvironment';

export interface ResolvedTask {
  /** `AzureMLTrain@1` as written (name as the task spells it). */
  readonly reference: string;
  readonly name: string;
  readonly definition: TaskDefinition;
  /** `1.0.0` */
  readonly version: string;
  /** Folder of task.json and the bundle; undefined for a built-in until `materialize`. */
  readonly directory?: string;
  readonly builtIn?: BuiltInTask;
}

interface BuiltInTask {
  readonly definition: TaskDefinition;
  readonly script: string;
}

/** Thrown with a message that says what was wrong; the model adds the step and line. */
export class TaskResolutionError extends Error {}

const SCRIPT_TASK_SOURCE = String.raw`'use strict';
// Stand-in of the local pipeline runner for Bash@3 / CmdLine@2 on Linux: writes an inline script to
// Agent.TempDirectory (or takes the file of targetType filePath) and runs it with bash, forwarding cancellation.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const input = (name) => (process.env['INPUT_' + name.toUpperCase()] || '').trim();
const escape = (text) => String(text).replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
function finish(result, message) {
  if (result === 'Failed') console.log('##vso[task.issue type=error;]' + escape(message));
  console.log('##vso[task.complete result=' + result + ';]' + escape(message));
  process.exitCode = result === 'Failed' ? 1 : 0;
}

const taskName = process.env.SCRIPT_TASK_NAME || 'Bash';
let file;
if (input('targetType').toLowerCase() === 'filepath') {
  file = input('filePath');
  if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    finish('Failed', 'Invalid file path \'' + file + '\'. A path to a .sh file is required.');
    return;
  }
} else {
  const temp = process.env.AGENT_TEMPDIRECTORY || os.tmpdir();
  fs.mkdirSync(temp, { recursive: true });
  file = path.join(temp, crypto.randomUUID() + '.sh');
  fs.writeFileSync(file, process.env.INPUT_SCRIPT || '');
}
const cwd = input('workingDirectory') || process.cwd();
const failOnStderr = input('failOnStderr').toLowerCase() === 'true';
const args = ['--noprofile', '--norc', file, ...input('arguments').split(/\s+/).filter(Boolean)];
console.log('========================== Starting Command Output ===========================');
console.log('[command]/usr/bin/bash ' + args.join(' '));

// Its own process group, so that cancellation reaches what the script started (the agent kills the process tree).
const child = spawn('bash', args, { cwd, env: process.env, stdio: ['ignore', 'inherit', failOnStderr ? 'pipe' : 'inherit'], detached: true });
let wroteStderr = false;
if (failOnStderr) {
  child.stderr.on('data', (chunk) => {
    wroteStderr = true;
    process.stderr.write(chunk);
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    try { process.kill(-child.pid, signal); } catch { /* already gone */ }
  });
}
child.on('error', (error) => finish('Failed', taskName + ' could not start bash: ' + error.message));
child.on('close', (code, signal) => {
  if (code !== 0) finish('Failed', taskName + ' exited with code \'' + (code === null ? signal : code) + '\'.');
  else if (wroteStderr) finish('Failed', taskName + ' wrote one or more lines to the standard error stream.');
  else finish('Succeeded', '');
});
`;

function scriptTask(id: string, name: string, friendlyName: string, major: number, inputs: TaskDefinition['inputs']): BuiltInTask {
  return {
    definition: {
      id,
      name,
      friendlyName,
      description: `${friendlyName} (stand-in of the local pipeline runner: runs the script with bash)`,
      author: 'Microsoft Corporation',
      helpUrl: `https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/${name.toLowerCase()}-v${major}`,
      version: { Major: major, Minor: 0, Patch: 0 },
      instanceNameFormat: friendlyName,
      inputs,
      execution: { Node20_1: { target: 'index.js' }, Node24: { target: 'index.js' } },
    },
    script: SCRIPT_TASK_SOURCE.replace("process.env.SCRIPT_TASK_NAME || 'Bash'", JSON.stringify(name)),
  };
}

const BUILT_IN_TASKS: ReadonlyMap<string, BuiltInTask> = new Map([
  [
    'bash@3',
    scriptTask('6c731c3c-3c68-459a-a5c9-bde6e6595b5b', 'Bash', 'Bash', 3, [
      { name: 'targetType', type: 'radio', defaultValue: 'filePath' },
      { name: 'filePath', type: 'filePath', defaultValue: '' },
      { name: 'arguments', type: 'string', defaultValue: '' },
      { name: 'script', type: 'multiLine', defaultValue: '' },
      { name: 'workingDirectory', aliases: ['cwd'], type: 'filePath', defaultValue: '' },
      { name: 'failOnStderr', type: 'boolean', defaultValue: 'false' },
    ]),
  ],
  [
    'cmdline@2',
    scriptTask('d9bafed4-0b18-4f58-968d-86655b4d2ce9', 'CmdLine', 'Command Line Script', 2, [
      { name: 'script', type: 'multiLine', defaultValue: '' },
      { name: 'workingDirectory', aliases: ['cwd'], type: 'filePath', defaultValue: '' },
      { name: 'failOnStderr', type: 'boolean', defaultValue: 'false' },
    ]),
  ],
]);

export class TaskCatalog {
  private readonly cache = new Map<string, ResolvedTask>();

  /** `tasksDirectory`: folder of built task folders; `displayDirectory`: how messages name it. */
  constructor(
    readonly tasksDirectory: string,
    private readonly displayDirectory: string,
  ) {}

  /** Resolves `Name@major`; throws a TaskResolutionError saying what is missing or mismatched. */
  resolve(reference: string): ResolvedTask {
    const match = /^([A-Za-z0-9_.-]+)@(\d+)$/.exec(reference.trim());
    if (!match) {
      const name = reference.trim().split('@')[0] || 'TaskName';
      throw new TaskResolutionError(`a task reference is <Name>@<major version>, e.g. ${name}@1`);
    }
    const [, name, majorText] = match as unknown as [string, string, string];
    const major = Number(majorText);
    const key = `${name.toLowerCase()}@${major}`;
    const cached = this.cache.get(key);
    if (cached) return cached;

    const folder = this.findFolder(name);
    let resolved: ResolvedTask;
    if (folder) {
      resolved = this.fromFolder(name, major, folder);
    } else {
      const builtIn = BUILT_IN_TASKS.get(key);
      if (!builtIn) {
        const builtInOther = [...BUILT_IN_TASKS.values()].find((task) => task.definition.name.toLowerCase() === name.toLowerCase());
        if (builtInOther) {
          throw new TaskResolutionError(`the runner provides ${builtInOther.definition.name}@${builtInOther.definition.version!.Major} only`);
        }
        throw new TaskResolutionError(`there is no task ${name} in ${this.displayDirectory} (${this.describeAvailable()}); run \`npm run build\` if tasks/${name} exists`);
      }
      resolved = { reference: `${builtIn.definition.name}@${major}`, name: builtIn.definition.name, definition: builtIn.definition, version: `${major}.0.0`, builtIn };
    }
    this.cache.set(key, resolved);
    return resolved;
  }

  /** The folder the agent runs the task from; built-ins are written under `scratch` on first use. */
  materialize(task: ResolvedTask, scratch: string): string {
    if (task.directory) return task.directory;
    const builtIn = task.builtIn!;
    const directory = path.join(scratch, `${task.name}_${task.definition.version!.Major}`);
    if (!fs.existsSync(path.join(directory, 'index.js'))) {
      fs.mkdirSync(directory, { recursive: true });
      fs.writeFileSync(path.join(directory, 'task.json'), JSON.stringify(builtIn.definition, null, 2));
      fs.writeFileSync(path.join(directory, 'index.js'), builtIn.script);
    }
    return directory;
  }

  private findFolder(name: string): string | undefined {
    if (!fs.existsSync(this.tasksDirectory)) return undefined;
    const entry = fs.readdirSync(this.tasksDirectory).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    return entry ? path.join(this.tasksDirectory, entry) : undefined;
  }

  private fromFolder(name: string, major: number, folder: string): ResolvedTask {
    const display = path.join(this.displayDirectory, path.basename(folder));
    const taskJson = path.join(folder, 'task.json');
    if (!fs.existsSync(taskJson)) throw new TaskResolutionError(`${display} has no task.json; run \`npm run build\``);
    let definition: TaskDefinition;
    try {
      definition = JSON.parse(fs.readFileSync(taskJson, 'utf8')) as TaskDefinition;
    } catch (error) {
      throw new TaskResolutionError(`${display}/task.json is not valid JSON (${(error as Error).message})`);
    }
    const version = definition.version;
    if (!version || typeof version.Major !== 'number') throw new TaskResolutionError(`${display}/task.json has no version.Major`);
    const versionText = `${version.Major}.${version.Minor}.${version.Patch}`;
    if (version.Major !== major) {
      throw new TaskResolutionError(`${display} is ${definition.name} ${versionText}: write ${definition.name}@${version.Major} (the major version must match)`);
    }
    if (definition.name.toLowerCase() !== name.toLowerCase()) {
      throw new TaskResolutionError(`${display}/task.json names the task ${definition.name}, not ${name}`);
    }
    return { reference: `${definition.name}@${major}`, name: definition.name, definition, version: versionText, directory: folder };
  }

  private describeAvailable(): string {
    const names = fs.existsSync(this.tasksDirectory)
      ? fs.readdirSync(this.tasksDirectory).filter((entry) => fs.existsSync(path.join(this.tasksDirectory, entry, 'task.json')))
      : [];
    const builtIns = [...BUILT_IN_TASKS.values()].map((task) => `${task.definition.name}@${task.definition.version!.Major}`);
    return names.length > 0 ? `it holds ${names.join(', ')}; built in: ${builtIns.join(', ')}` : `it holds no task; built in: ${builtIns.join(', ')}`;
  }
}
