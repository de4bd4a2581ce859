/**
 * Logging commands as the Azure Pipelines agent reads them from a task's output:
 * `##vso[area.event prop=value;prop=value]data`, with the escaping azure-pipelines-task-lib applies
 * (taskcommand.ts): in property values `%` -> `%AZP25`, `\r` -> `%0D`, `\n` -> `%0A`, `]` -> `%5D`, `;` -> `%3B`;
 * in the data `%`, `\r` and `\n` only.
 */

export interface LoggingCommand {
  /** e.g. `task` */
  readonly area: string;
  /** e.g. `setvariable` */
  readonly event: string;
  /** Property names lower-cased (the agent matches them case-insensitively), values unescaped. */
  readonly properties: Readonly<Record<string, string>>;
  readonly data: string;
}

const PREFIX = '##vso[';

/** The command on this line, or undefined when the line is plain output (the agent looks for the prefix anywhere). */
export function parseLoggingCommand(line: string): LoggingCommand | undefined {
  const start = line.indexOf(PREFIX);
  if (start < 0) return undefined;
  const rest = line.slice(start + PREFIX.length);
  const end = rest.indexOf(']');
  if (end < 0) return undefined;
  const head = rest.slice(0, end);
  const space = head.indexOf(' ');
  const name = space < 0 ? head : head.slice(0, space);
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of head.slice(space + 1).split(';')) {
      const trimmed = pair.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      if (eq <= 0) continue;
      properties[trimmed.slice(0, eq).trim().toLowerCase()] = unescapeProperty(trimmed.slice(eq + 1));
    }
  }
  return {
    area: name.slice(0, dot).toLowerCase(),
    event: name.slice(dot + 1).toLowerCase(),
    properties,
    data: unescapeData(rest.slice(end + 1)),
  };
}

// `%AZP25` is undone last so that an escaped `%0A` (written `%AZP250A`) comes back as the text `%0A`.
export function unescapeProperty(value: string): string {
  return value
    .replace(/%3B/gi, ';')
    .replace(/%0D/gi, '\r')
    .replace(/%0A/gi, '\n')
    .replace(/%5D/gi, ']')
    .replace(/%AZP25/gi, '%');
}

export function unescapeData(value: string): string {
  return value.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%AZP25/gi, '%');
}

/** The escaping task-lib applies to data, i.e. how a secret looks inside a logging command line. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Commands the agent knows but which change nothing this local agent reports. */
export const IGNORED_COMMANDS: ReadonlySet<string> = new Set([
  'task.setprogress',
  'task.logdetail',
  'task.prependpath',
  'task.setendpoint',
  'task.settaskvariable',
  'task.uploadfile',
  'artifact.associate',
  'build.uploadlog',
  'codecoverage.publish',
  'results.publish',
  'telemetry.publish',
]);

/** `true` (any case) -> true, as the agent reads boolean properties. */
export function isTrue(value: string | undefined): boolean {
  return (value ?? '').trim().toLowerCase() === 'true';
}
