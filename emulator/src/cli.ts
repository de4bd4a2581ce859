#!/usr/bin/env node
import { startEmulator, type AuthScheme } from './index';

const SCHEMES: readonly AuthScheme[] = ['servicePrincipalSecret', 'servicePrincipalCertificate', 'workloadIdentity', 'managedIdentity'];
const USAGE = `Usage: node emulator/dist/cli.js [--scheme <${SCHEMES.join('|')}>] [--connection-id <id>] [--scope-level Subscription|AzureMLWorkspace] [--state-dir <folder>]

Starts the emulator and prints its URL, CA path and the environment a task gets for one AzureRM service connection.
The environment contains secrets of this emulator session (client secret, System.AccessToken, ...): keep it local.
Runs until Ctrl+C.`;

interface CliOptions {
  scheme: AuthScheme;
  connectionId: string;
  scopeLevel: 'Subscription' | 'AzureMLWorkspace';
  stateDir?: string;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = { scheme: 'servicePrincipalSecret', connectionId: '7e3a41b4-2f4d-4c36-9d8e-5a1b2c3d4e5f', scopeLevel: 'Subscription' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const need = (): string => {
      if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value.\n\n${USAGE}`);
      i++;
      return value;
    };
    switch (flag) {
      case '--scheme': {
        const scheme = need();
        if (!(SCHEMES as readonly string[]).includes(scheme)) throw new Error(`--scheme must be one of ${SCHEMES.join(', ')}; got '${scheme}'.`);
        options.scheme = scheme as AuthScheme;
        break;
      }
      case '--connection-id':
        options.connectionId = need();
        break;
      case '--scope-level': {
        const level = need();
        if (level !== 'Subscription' && level !== 'AzureMLWorkspace') throw new Error(`--scope-level must be Subscription or AzureMLWorkspace; got '${level}'.`);
        options.scopeLevel = level;
        break;
      }
      case '--state-dir':
        options.stateDir = need();
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
      default:
        throw new Error(`Unknown argument '${flag}'.\n\n${USAGE}`);
    }
  }
  return options;
}

/** A POSIX shell single-quoted word (PEMs and JSON survive copy/paste). */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  // A closed stdout (piped into `head`) must not crash the emulator.
  process.stdout.on('error', () => undefined);
  const options = parseArgs(process.argv.slice(2));
  const emulator = await startEmulator(options.stateDir ? { stateDir: options.stateDir } : {});
  const env = emulator.connectionEnv(options.connectionId, options.scheme, { scopeLevel: options.scopeLevel });
  const lines = [
    `Emulator listening at ${emulator.url}`,
    `CA certificate:      ${emulator.caCertPath}`,
    `Storage proxy:       ${emulator.proxyUrl}`,
    `Subscription:        ${emulator.subscriptionId}  resource group: ${emulator.resourceGroup}  workspace: ${emulator.workspaceName}`,
    `Tenant:              ${emulator.tenantId}`,
    '',
    `# Run a task with the environment the agent gives it for AzureRM connection '${options.connectionId}' (${options.scheme}).`,
    '# (An `env` command, as endpoint variable names contain hyphens. It holds secrets of this session: keep it local.)',
    'env \\',
    ...Object.entries(env).map(([name, value]) => `  ${shellQuote(`${name}=${value}`)} \\`),
    '  node <task folder>/index.js',
    '',
    'Press Ctrl+C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('Stopping...\n');
    emulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
