/**
 * Variables of a local pipeline run (pipelineRunner.ts): the run-wide predefined ones, a scope's variable set with
 * the agent's recursive `$(macro)` expansion and secret flags, and the run number format of `name:`.
 */
import os from 'node:os';
import path from 'node:path';
import { defaultVariables, type WorkLayout } from './agentEnvironment';
import { ExpressionObject, expandMacros } from './pipelineExpressions';

/** A job's folders as predefined variables name them, for the run-wide values computed before any job exists. */
function placeholderLayout(repositoryRoot: string): WorkLayout {
  const work = path.join(os.tmpdir(), 'azp-pipeline');
  const build = path.join(work, '1');
  return {
    workFolder: work,
    buildDirectory: build,
    sourcesDirectory: path.resolve(repositoryRoot),
    artifactStagingDirectory: path.join(build, 'a'),
    binariesDirectory: path.join(build, 'b'),
    testResultsDirectory: path.join(build, 'TestResults'),
    tempDirectory: path.join(work, '_temp'),
    toolsDirectory: path.join(work, '_tool'),
  };
}

/** Job-specific or machine-specific predefined variables, and the run number: not known when the pipeline is compiled. */
const JOB_SPECIFIC = /^(Agent\.|Pipeline\.Workspace$|Build\.(BuildNumber|SourcesDirectory|ArtifactStagingDirectory|StagingDirectory|BinariesDirectory|Repository\.LocalPath)$|Common\.|System\.(DefaultWorkingDirectory|ArtifactsDirectory|Stage|Phase|Job))/;

/** Run-wide predefined variables (the caller's overrides applied), as `${{ variables.x }}` and the run see them. */
export function predefinedRunVariables(repositoryRoot: string, callerVariables: Readonly<Record<string, string>> = {}): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaultVariables(placeholderLayout(repositoryRoot)))) if (!JOB_SPECIFIC.test(name)) variables[name] = value;
  return { ...variables, ...callerVariables };
}

/** One variable of a job: raw value (macros expanded when used), secret and read-only flags. */
export interface Variable {
  readonly name: string;
  readonly value: string;
  readonly secret: boolean;
  readonly readonly: boolean;
}

/** The variables of a scope (run, stage, job): names match ignoring case, later `set` wins. */
export class VariableSet {
  private readonly entries = new Map<string, Variable>();

  constructor(from?: VariableSet) {
    if (from) for (const [key, value] of from.entries) this.entries.set(key, value);
  }

  /** Copies every variable of `other` over these. */
  merge(other: VariableSet): void {
    for (const [key, value] of other.entries) this.entries.set(key, value);
  }

  set(name: string, value: string, secret = false, readonly = false): void {
    this.entries.set(name.toLowerCase(), { name, value, secret, readonly });
  }

  get(name: string): Variable | undefined {
    return this.entries.get(name.trim().toLowerCase());
  }

  /** Values with macros expanded recursively, split into public and secret. */
  expanded(): { readonly public: Record<string, string>; readonly secret: Record<string, string> } {
    const result = { public: {} as Record<string, string>, secret: {} as Record<string, string> };
    for (const variable of this.entries.values()) {
      (variable.secret ? result.secret : result.public)[variable.name] = this.expand(variable.value);
    }
    return result;
  }

  expand(text: string): string {
    return expandMacros(text, (name) => this.get(name)?.value);
  }

  /** The `variables` named value of expressions (expanded values, secrets included). */
  toExpressionObject(): ExpressionObject {
    const expanded = this.expanded();
    return new ExpressionObject({ ...expanded.public, ...expanded.secret });
  }
}

/**
 * A run number format (`name:` of a pipeline): `$(Date:yyyyMMdd)`, `$(Rev:r)` (the first run: 1, padded to the number
 * of r's), `$(Year:yy)`, `$(Month)`, `$(DayOfMonth)`, `$(DayOfYear)`, `$(Hours)`, `$(Minutes)`, `$(Seconds)`, the
 * classic names (`$(BuildDefinitionName)`, `$(SourceBranchName)`...) and variables; unknown tokens stay as written.
 */
export function formatRunNumber(format: string, now: Date, lookup: (name: string) => string | undefined): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const dateTokens: Record<string, string> = {
    yyyy: String(now.getFullYear()), yy: pad(now.getFullYear() % 100), MM: pad(now.getMonth() + 1), M: String(now.getMonth() + 1),
    dd: pad(now.getDate()), d: String(now.getDate()), HH: pad(now.getHours()), mm: pad(now.getMinutes()), ss: pad(now.getSeconds()),
  };
  const startOfYear = new Date(now.getFullYear(), 0, 0);
  const dayOfYear = Math.floor((now.getTime() - startOfYear.getTime()) / 86_400_000);
  const aliases: Record<string, string> = {
    builddefinitionname: 'Build.DefinitionName', buildid: 'Build.BuildId', sourcebranchname: 'Build.SourceBranchName',
    sourcebranch: 'Build.SourceBranch', teamproject: 'System.TeamProject', requestedfor: 'Build.RequestedFor',
  };
  const formatted = format.replace(/\$\(([^()]+)\)/g, (whole, token: string) => {
    const [name, argument] = token.split(':', 2) as [string, string | undefined];
    switch (name.trim().toLowerCase()) {
      case 'date':
        return (argument ?? 'yyyyMMdd').replace(/yyyy|yy|MM|M|dd|d|HH|mm|ss/g, (part) => dateTokens[part] ?? part);
      case 'rev': // The first run of the day: revision 1, padded to the number of r's.
        return (argument ?? 'r').replace(/r+/, (rs) => '1'.padStart(rs.length, '0'));
      case 'year':
        return argument === 'yy' ? dateTokens['yy']! : dateTokens['yyyy']!;
      case 'month':
        return dateTokens['MM']!;
      case 'dayofmonth':
        return dateTokens['dd']!;
      case 'dayofyear':
        return String(dayOfYear);
      case 'hours':
        return dateTokens['HH']!;
      case 'minutes':
        return dateTokens['mm']!;
      case 'seconds':
        return dateTokens['ss']!;
      default: {
        const alias = aliases[name.trim().toLowerCase()];
        return lookup(alias ?? token) ?? whole;
      }
    }
  });
  return formatted;
}
