import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunnerOutcome<T> {
  readonly exitCode: number | null;
  /** The runner's result line (`RESULT {json}` on stdout). */
  readonly result: T;
  readonly stderr: string;
}

/**
 * Runs one of the runner scripts of tests/support in a new node process with `env` added to this process's
 * environment, as the agent starts a task: NODE_EXTRA_CA_CERTS only takes effect at process start.
 */
export async function runNodeScript<T>(script: string, env: Record<string, string>, args: readonly string[] = []): Promise<RunnerOutcome<T>> {
  // Agent.TempDirectory of its own, as the agent gives each job: azure-pipelines-task-lib keeps its secret vault key
  // there (else in the working folder, shared by concurrent processes).
  const agentTemp = await mkdtemp(join(tmpdir(), 'runner-agent-temp-'));
  try {
    return await run<T>(script, { ...env, AGENT_TEMPDIRECTORY: agentTemp }, args);
  } finally {
    await rm(agentTemp, { recursive: true, force: true });
  }
}

async function run<T>(script: string, env: Record<string, string>, args: readonly string[]): Promise<RunnerOutcome<T>> {
  const child = spawn(process.execPath, [join(__dirname, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${script} printed no result (exit ${exitCode}).\nstderr: ${stderr.slice(-2000)}`);
  return { exitCode, result: JSON.parse(line.slice('RESULT '.length)) as T, stderr };
}
