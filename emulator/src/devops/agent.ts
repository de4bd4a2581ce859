/**
 * A local Azure Pipelines agent: runs a BUNDLED task folder (build/extension/tasks/<Task>) the way the agent's Node
 * handler does, for the black-box tests and the demo.
 *
 * What the task gets (microsoft/azure-pipelines-agent TaskRunner/NodeHandler):
 * - `node <taskDir>/<target of the handler>`: `Node20_1` unless `handler: 'Node24'` is asked for (both run with this
 *   Node; the machine has one), cwd = System.DefaultWorkingDirectory (the sources folder).
 * - Inputs as `INPUT_<NAME>` (upper case, `.`/space -> `_`): task.json defaults, then `run.inputs` (by name or alias),
 *   trimmed, `$(variable)` macros expanded, `filePath` inputs rooted in the sources folder (empty -> the folder).
 *   An input the task does not define throws.
 * - Pipeline variables as env (`Build.BuildId` -> `BUILD_BUILDID`): a realistic CI build's System.*, Build.*, Agent.*
 *   (defaults in agentEnvironment.ts; work folders created under `workingDirectory`), overridden by `run.variables`;
 *   `run.secretVariables` as `SECRET_<NAME>` (task-lib reads them; they never appear as plain env), with the
 *   VSTS_PUBLIC_VARIABLES / VSTS_SECRET_VARIABLES name lists.
 * - `run.env` last (e.g. the emulator's `connectionEnv(...)`: ENDPOINT_*, NODE_EXTRA_CA_CERTS, proxy variables).
 * - Nothing else of this process's environment except PATH, HOME, temp and Windows system folders.
 *
 * What it reads back: the `##vso[...]` logging commands on stdout and stderr (task.setvariable with isOutput/issecret,
 * task.setsecret, task.complete, task.issue/task.logissue, task.debug, task.addattachment, task.uploadsummary,
 * build.addbuildtag, build.updatebuildnumber, artifact.upload; other known commands are ignored, unknown ones give a
 * warning like the agent's), and the `##[error]` / `##[warning]` / `##[group]` formatting lines.
 *
 * Secrets (secret variables, task.setsecret, issecret variables, endpoint auth parameters other than the ones the agent
 * knows are not secret, System.AccessToken) are masked as `***` in `log`, `errors`, `warnings` and `resultMessage`;
 * `rawStdout`/`rawStderr` keep exactly what the task printed, so a test can prove the task never printed a secret.
 *
 * Result (TaskResultUtil.MergeTaskResults): the worst of the task.complete results; Failed when the process exits
 * non-zero without one; Succeeded when it exits 0 without one; Cancelled after `cancel()`.
 *
 * `cancel()` does what the agent does when a pipeline is cancelled: SIGINT, SIGTERM 7.5 s later if the task is still
 * running, SIGKILL 2.5 s after that (`signalsSent` lists what was sent).
 *
 * ```ts
 * const result = await runTask({ taskDir: 'build/extension/tasks/AzureMLTrain', inputs: { jobFile: 'job.yml' },
 *   env: emulator.connectionEnv('conn', 'servicePrincipalSecret'), onLine: (l) => console.log(l) });
 * result.result; result.outputs.JobName; result.log; result.errors;
 * const running = startTask({...}); running.cancel(); await running.result;
 * ```
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IGNORED_COMMANDS, isTrue, parseLoggingCommand, type LoggingCommand } from './agentCommands';
import {
  LOCAL_AGENT_VERSION, createWorkLayout, defaultVariables, instanceName, lookupVariable, machineEnvironment,
  resolveInputs, toEnvName, type TaskDefinition,
} from './agentEnvironment';
import { SecretMasker, secretsInEnvironment } from './agentMasker';

export type AgentHandler = 'Node20_1' | 'Node24';
export type AgentTaskResultName = 'Succeeded' | 'SucceededWithIssues' | 'Failed' | 'Cancelled' | 'Skipped';

export interface AgentTaskRun {
  /** Folder holding task.json and the bundle, e.g. build/extension/tasks/AzureMLTrain. */
  readonly taskDir: string;
  /** Step inputs by name or alias. */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Pipeline variables (`Build.BuildId`...), overriding the defaults. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Secret pipeline variables: passed as SECRET_<NAME> and masked. */
  readonly secretVariables?: Readonly<Record<string, string>>;
  /** Extra environment, applied last (service connection, CA, proxy). */
  readonly env?: Readonly<Record<string, string>>;
  readonly handler?: AgentHandler;
  /** Agent.WorkFolder (created if needed). Default: a new temporary folder, reported as `workFolder`; the caller removes it. */
  readonly workingDirectory?: string;
  /** Build.SourcesDirectory / System.DefaultWorkingDirectory and the task's cwd. Default: `<work>/1/s`. */
  readonly sourcesDirectory?: string;
  /** Every log line (masked) as it is produced. */
  readonly onLine?: (line: string) => void;
  /** The step's display name (`displayName:` of a YAML step) for the Starting/Finishing lines; default: task.json's instanceNameFormat. */
  readonly displayName?: string;
}

export interface AgentAttachment {
  readonly type: string;
  readonly name: string;
  readonly path: string;
}

export interface AgentTaskResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly result: AgentTaskResultName;
  /** Message of the last task.complete (masked). */
  readonly resultMessage?: string;
  readonly rawStdout: string;
  readonly rawStderr: string;
  /** The step's log as the agent shows it: header, output lines, rendered issues; secrets masked. */
  readonly log: string[];
  /** Output variables (isOutput=true, or declared in task.json's outputVariables), raw values. */
  readonly outputs: Record<string, string>;
  /** Other variables the task set, raw values. */
  readonly variables: Record<string, string>;
  /** Every value the masker knew, raw. */
  readonly secrets: string[];
  /** Red lines of the log: error issues and `##[error]` lines (masked). */
  readonly errors: string[];
  /** Yellow lines: warning issues and `##[warning]` lines (masked). */
  readonly warnings: string[];
  readonly attachments: AgentAttachment[];
  readonly buildTags: string[];
  readonly artifacts: Array<{ readonly name: string; readonly path: string }>;
  readonly handler: AgentHandler;
  readonly workFolder: string;
  /** Signals sent by cancel(), in order. */
  readonly signalsSent: NodeJS.Signals[];
}

export interface RunningTask {
  readonly pid: number;
  readonly result: Promise<AgentTaskResult>;
  /** SIGINT, then SIGTERM after 7.5 s, then SIGKILL 2.5 s later, like the agent. */
  cancel(): void;
}

/** Agent timings for cancellation (ProcessInvoker.CancelAndKillProcessTree). */
export const SIGTERM_AFTER_SIGINT_MS = 7500;
export const SIGKILL_AFTER_SIGTERM_MS = 2500;

/** TaskResult order of MergeTaskResults: worse results win, and results past Failed stick. */
const RESULT_RANK: Record<AgentTaskResultName, number> = { Succeeded: 0, SucceededWithIssues: 1, Failed: 2, Cancelled: 3, Skipped: 4 };

function mergeResults(current: AgentTaskResultName | undefined, incoming: AgentTaskResultName): AgentTaskResultName {
  if (current === undefined) return incoming;
  if (RESULT_RANK[current] > RESULT_RANK.Failed) return current;
  return RESULT_RANK[incoming] > RESULT_RANK[current] ? incoming : current;
}

function parseResultName(value: string | undefined): AgentTaskResultName | undefined {
  const normalized = (value ?? '').trim().toLowerCase();
  if (normalized === 'canceled' || normalized === 'cancelled') return 'Cancelled';
  return (['Succeeded', 'SucceededWithIssues', 'Failed', 'Skipped'] as const).find((r) => r.toLowerCase() === normalized);
}

export function runTask(run: AgentTaskRun): Promise<AgentTaskResult> {
  try {
    return startTask(run).result;
  } catch (err) {
    return Promise.reject(err);
  }
}

export function startTask(run: AgentTaskRun): RunningTask {
  const taskDir = path.resolve(run.taskDir);
  const taskJsonPath = path.join(taskDir, 'task.json');
  if (!fs.existsSync(taskJsonPath)) throw new Error(`${taskJsonPath} does not exist: taskDir must be a built task folder`);
  const definition = JSON.parse(fs.readFileSync(taskJsonPath, 'utf8')) as TaskDefinition;
  const handler: AgentHandler = run.handler ?? 'Node20_1';
  const target = definition.execution?.[handler]?.target;
  if (!target) throw new Error(`${taskJsonPath} has no ${handler} handler`);
  const script = path.join(taskDir, target);
  if (!fs.existsSync(script)) throw new Error(`${handler} target ${script} does not exist`);
  if (definition.minimumAgentVersion && compareVersions(definition.minimumAgentVersion, LOCAL_AGENT_VERSION) > 0) {
    throw new Error(`${definition.name} needs agent ${definition.minimumAgentVersion}; this agent is ${LOCAL_AGENT_VERSION}`);
  }

  const workFolder = path.resolve(run.workingDirectory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'azp-agent-')));
  const layout = createWorkLayout(workFolder, run.sourcesDirectory && path.resolve(run.sourcesDirectory));
  const variables = { ...defaultVariables(layout), ...(run.variables ?? {}) };
  const secretVariables = { ...(run.secretVariables ?? {}) };
  const inputs = resolveInputs(definition, run.inputs ?? {}, { ...variables, ...secretVariables }, layout.sourcesDirectory);

  const env: Record<string, string> = machineEnvironment();
  for (const [name, value] of Object.entries(variables)) env[toEnvName(name)] = value;
  env['VSTS_PUBLIC_VARIABLES'] = JSON.stringify(Object.keys(variables));
  for (const [name, value] of Object.entries(secretVariables)) env[`SECRET_${toEnvName(name)}`] = value;
  env['VSTS_SECRET_VARIABLES'] = JSON.stringify(Object.keys(secretVariables));
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${toEnvName(name)}`] = value;
  Object.assign(env, run.env ?? {});

  const masker = new SecretMasker();
  for (const value of Object.values(secretVariables)) masker.add(value);
  for (const value of secretsInEnvironment(env)) masker.add(value);

  const debug = isTrue(lookupVariable(variables, 'System.Debug'));
  const declaredOutputs = new Set((definition.outputVariables ?? []).map((o) => o.name.toLowerCase()));
  const state = {
    result: undefined as AgentTaskResultName | undefined,
    resultMessage: undefined as string | undefined,
    rawStdout: '',
    rawStderr: '',
    log: [] as string[],
    outputs: {} as Record<string, string>,
    variables: {} as Record<string, string>,
    errors: [] as string[],
    warnings: [] as string[],
    attachments: [] as AgentAttachment[],
    buildTags: [] as string[],
    artifacts: [] as Array<{ name: string; path: string }>,
    signalsSent: [] as NodeJS.Signals[],
  };

  const show = (line: string): void => {
    const masked = masker.mask(line);
    state.log.push(masked);
    run.onLine?.(masked);
  };
  const error = (message: string): void => {
    state.errors.push(masker.mask(message));
    show(`##[error]${message}`);
  };
  const warning = (message: string): void => {
    state.warnings.push(masker.mask(message));
    show(`##[warning]${message}`);
  };

  const handleCommand = (command: LoggingCommand): void => {
    const key = `${command.area}.${command.event}`;
    const p = command.properties;
    switch (key) {
      case 'task.setvariable': {
        const name = p['variable'];
        if (!name) return warning(`##vso[task.setvariable] has no variable name`);
        if (isTrue(p['issecret'])) masker.add(command.data);
        if (isTrue(p['isoutput']) || declaredOutputs.has(name.toLowerCase())) state.outputs[name] = command.data;
        else state.variables[name] = command.data;
        return;
      }
      case 'task.setsecret':
        return masker.add(command.data);
      case 'task.issue':
      case 'task.logissue': {
        const type = (p['type'] ?? '').toLowerCase();
        if (type === 'error') return error(command.data);
        if (type === 'warning') return warning(command.data);
        return show(command.data);
      }
      case 'task.debug':
        return debug ? show(`##[debug]${command.data}`) : undefined;
      case 'task.complete': {
        const result = parseResultName(p['result']);
        if (!result) return error(`Invalid task result "${p['result'] ?? ''}" in ##vso[task.complete]`);
        state.result = mergeResults(state.result, result);
        if (command.data !== '') state.resultMessage = masker.mask(command.data);
        return;
      }
      case 'task.addattachment':
        if (!p['type'] || !p['name']) return warning('##vso[task.addattachment] needs type and name');
        state.attachments.push({ type: p['type'], name: p['name'], path: command.data });
        return;
      case 'task.uploadsummary':
      case 'build.uploadsummary':
        state.attachments.push({ type: 'Distributedtask.Core.Summary', name: path.basename(command.data), path: command.data });
        return;
      case 'build.addbuildtag':
        if (command.data.trim() !== '') state.buildTags.push(command.data.trim());
        return;
      case 'build.updatebuildnumber':
        state.variables['Build.BuildNumber'] = command.data;
        return;
      case 'artifact.upload':
        state.artifacts.push({ name: p['artifactname'] ?? 'drop', path: command.data });
        return;
      default:
        if (!IGNORED_COMMANDS.has(key)) warning(`Unrecognized logging command: ${key}`);
    }
  };

  const handleLine = (line: string): void => {
    const command = parseLoggingCommand(line);
    if (command) return handleCommand(command);
    if (line.startsWith('##[error]')) return error(line.slice('##[error]'.length));
    if (line.startsWith('##[warning]')) return warning(line.slice('##[warning]'.length));
    show(line);
  };

  const stepName = run.displayName ?? instanceName(definition, inputs);
  const version = definition.version ? `${definition.version.Major}.${definition.version.Minor}.${definition.version.Patch}` : '';
  for (const line of [
    `##[section]Starting: ${stepName}`,
    '='.repeat(78),
    `Task         : ${definition.friendlyName ?? definition.name}`,
    `Description  : ${definition.description ?? ''}`,
    `Version      : ${version}`,
    `Author       : ${definition.author ?? ''}`,
    `Help         : ${definition.helpUrl ?? definition.helpMarkDown ?? ''}`,
    '='.repeat(78),
  ]) show(line);

  const child = spawn(process.execPath, [script], {
    cwd: layout.sourcesDirectory,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const timers: NodeJS.Timeout[] = [];
  let exited = false;

  const readLines = (stream: NodeJS.ReadableStream, raw: 'rawStdout' | 'rawStderr'): Promise<void> =>
    new Promise((resolve) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        state[raw] += chunk;
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          handleLine(pending.slice(0, newline).replace(/\r$/, ''));
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
        }
      });
      stream.on('end', () => {
        if (pending !== '') handleLine(pending.replace(/\r$/, ''));
        resolve();
      });
    });
  const streamsDone = Promise.all([readLines(child.stdout, 'rawStdout'), readLines(child.stderr, 'rawStderr')]);

  const result = new Promise<AgentTaskResult>((resolve, reject) => {
    child.on('error', (err) => {
      timers.forEach(clearTimeout);
      reject(err);
    });
    child.on('exit', () => {
      exited = true;
      timers.forEach(clearTimeout);
    });
    child.on('close', (exitCode, signal) => {
      void streamsDone.then(() => {
        let final = state.result;
        if (state.signalsSent.length > 0) final = mergeResults(final, 'Cancelled');
        if (final === undefined) {
          final = exitCode === 0 ? 'Succeeded' : 'Failed';
          if (final === 'Failed') error(`Exit code ${exitCode ?? signal} returned from process: file name '${process.execPath}', arguments '"${script}"'.`);
        }
        show(`##[section]Finishing: ${stepName}`);
        resolve({
          exitCode,
          signal,
          result: final,
          ...(state.resultMessage !== undefined ? { resultMessage: state.resultMessage } : {}),
          rawStdout: state.rawStdout,
          rawStderr: state.rawStderr,
          log: state.log,
          outputs: state.outputs,
          variables: state.variables,
          secrets: masker.values(),
          errors: state.errors,
          warnings: state.warnings,
          attachments: state.attachments,
          buildTags: state.buildTags,
          artifacts: state.artifacts,
          handler,
          workFolder,
          signalsSent: state.signalsSent,
        });
      });
    });
  });

  const send = (signal: NodeJS.Signals): void => {
    if (exited) return;
    state.signalsSent.push(signal);
    child.kill(signal);
  };

  return {
    pid: child.pid ?? -1,
    result,
    cancel(): void {
      if (exited || state.signalsSent.length > 0) return;
      send('SIGINT');
      timers.push(
        setTimeout(() => {
          send('SIGTERM');
          timers.push(setTimeout(() => send('SIGKILL'), SIGKILL_AFTER_SIGTERM_MS));
        }, SIGTERM_AFTER_SIGINT_MS),
      );
    },
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
