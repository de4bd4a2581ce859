import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * The Python host that stands in for the Azure ML inference server (azureml-inference-server-http): a source file of
 * the package (not compiled), resolved from the package root: dist/azureml/serving -> emulator/python.
 */
export const INFERENCE_SERVER_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'python', 'inference_server.py');

/** Output without a newline kept before it is passed on as a line of its own. */
const MAX_UNTERMINATED_CHARS = 64 * 1024;
/** After SIGTERM, how long an inference server gets to exit before its process group is killed. */
const TERMINATE_GRACE_MS = 500;

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The inference server exited (or could not start) before it was ready. */
export class InferenceServerStartFailure extends Error {
  constructor(
    message: string,
    readonly exit: ServerExit,
  ) {
    super(message);
  }
}

let python: Promise<string> | undefined;

/**
 * The python3 interpreter itself. A version manager's shim on PATH (pyenv, asdf) costs about 0.3 s per start, so
 * the real executable is asked for once and started directly.
 */
export function pythonExecutable(): Promise<string> {
  python ??= new Promise((resolve) => {
    execFile('python3', ['-c', 'import sys; print(sys.executable)'], { timeout: 15_000 }, (error, stdout) => {
      const executable = String(stdout).trim();
      resolve(!error && executable !== '' ? executable : 'python3');
    });
  });
  return python;
}

export interface InferenceServerOptions {
  readonly python: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Each complete line the server writes (stdout and stderr, in arrival order). */
  readonly onLine: (line: string) => void;
}

/**
 * One inference server process (one instance of a deployment), in its own process group so that stopping it also
 * stops whatever the scoring script started. It reports its port on file descriptor 3 once init() has completed, and
 * exits by itself when its stdin closes (the emulator has gone), so none outlives the emulator.
 */
export class InferenceServerProcess {
  readonly pid: number;
  /** Resolves with the port once the server is ready; rejects with InferenceServerStartFailure if it exits first. */
  readonly ready: Promise<number>;
  /** Resolves when the process has exited and its output is drained. */
  readonly exited: Promise<ServerExit>;
  port: number | undefined;
  /** Requests sent to it and not answered yet. */
  inFlight = 0;
  private exitStatus: ServerExit | undefined;
  private readonly child: ChildProcess;

  constructor(options: InferenceServerOptions) {
    if (!existsSync(INFERENCE_SERVER_SCRIPT)) throw new Error(`The emulator's inference server script is missing: ${INFERENCE_SERVER_SCRIPT}`);
    this.child = spawn(options.python, [INFERENCE_SERVER_SCRIPT, '--ready-fd', '3', '--exit-with-stdin'], {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? -1;
    const flushers = [lines(this.child.stdout!, options.onLine), lines(this.child.stderr!, options.onLine)];
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        options.onLine(`Failed to start the inference server (${options.python}): ${error.message}`);
        this.exitStatus ??= { code: 127, signal: null };
        resolve(this.exitStatus);
      });
      // 'close' comes after the output streams have ended: the last lines (a traceback) are in the log by then.
      this.child.once('close', (code, signal) => {
        for (const flush of flushers) flush();
        this.exitStatus ??= { code, signal };
        resolve(this.exitStatus);
      });
    });
    // Nothing is ever written: the pipe only tells the server that the emulator is alive.
    this.child.stdin!.on('error', () => undefined);
    this.ready = new Promise<number>((resolve, reject) => {
      let text = '';
      const channel = this.child.stdio[3] as Readable;
      channel.setEncoding('utf8');
      channel.on('data', (chunk: string) => {
        text += chunk;
        const newline = text.indexOf('\n');
        if (newline < 0) return;
        const port = readyPort(text.slice(0, newline));
        if (port === undefined) {
          options.onLine(`The inference server reported readiness in an unexpected form: ${text.slice(0, newline)}`);
          this.signal('SIGKILL');
          return;
        }
        this.port = port;
        resolve(port);
      });
      channel.on('error', () => undefined);
      void this.exited.then((exit) => reject(new InferenceServerStartFailure(describeExit(exit), exit)));
    });
    // Handled by whoever awaits it; a server stopped before it was ready must not be an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  /** Ends the process group: SIGTERM, then SIGKILL after a short grace; resolves once the process has exited. */
  async stop(): Promise<void> {
    if (this.alive) {
      this.signal('SIGTERM');
      const timer = setTimeout(() => this.signal('SIGKILL'), TERMINATE_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    // Whatever the script left running in the group goes with it.
    this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}

export function describeExit(exit: ServerExit): string {
  return exit.signal ? `was terminated by signal ${exit.signal}` : `exited with code ${exit.code}`;
}

function readyPort(line: string): number | undefined {
  try {
    const port = (JSON.parse(line) as { port?: unknown }).port;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a stream into lines; returns a function that emits an unterminated last line. */
function lines(stream: Readable, onLine: (line: string) => void): () => void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
    }
    // Output that never ends its line (a progress bar) is emitted in pieces rather than held without bound.
    if (pending.length > MAX_UNTERMINATED_CHARS) {
      onLine(pending);
      pending = '';
    }
  });
  return () => {
    if (pending !== '') onLine(pending);
    pending = '';
  };
}
