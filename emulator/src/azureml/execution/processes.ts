import { spawn } from 'node:child_process';

/** After SIGTERM, how long the script gets to exit before its process group is killed. */
const TERMINATE_GRACE_MS = 400;

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface UserProcess {
  readonly pid: number;
  readonly exit: Promise<ProcessExit>;
  /** Ends the whole process tree (SIGTERM, then SIGKILL); resolves once the shell has exited. */
  kill(): Promise<void>;
}

/**
 * Runs a job's command with `bash -c` in its own process group, so that cancelling kills everything the script
 * started (python, its workers, shells) and not just the shell.
 */
export function startUserProcess(options: {
  readonly command: string;
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly onOutput: (data: Buffer, stream: 'stdout' | 'stderr') => void;
}): UserProcess {
  const child = spawn('bash', ['-c', options.command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  const exit = new Promise<ProcessExit>((resolve) => {
    child.on('error', (error) => {
      exited = true;
      options.onOutput(Buffer.from(`Failed to start the job's process: ${error.message}\n`), 'stderr');
      resolve({ code: 127, signal: null });
    });
    // 'close' waits for stdout/stderr to drain, so no output is lost after the exit.
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  child.stdout.on('data', (data: Buffer) => options.onOutput(data, 'stdout'));
  child.stderr.on('data', (data: Buffer) => options.onOutput(data, 'stderr'));
  const pid = child.pid ?? -1;
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pid <= 0) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  // Background processes the script left behind die with the job, as they do when a compute node is released; one
  // still holding stdout open would otherwise keep 'close' from ever firing.
  child.on('exit', () => setTimeout(() => signalGroup('SIGKILL'), 200).unref());
  void exit.then(() => signalGroup('SIGKILL'));
  return {
    pid,
    exit,
    async kill(): Promise<void> {
      if (!exited) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), TERMINATE_GRACE_MS);
        await exit;
        clearTimeout(timer);
      }
      signalGroup('SIGKILL');
    },
  };
}
