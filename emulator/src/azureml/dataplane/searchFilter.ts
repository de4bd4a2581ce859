import { MlflowError } from '../errors';
import { latestMetric, type TrackedRun } from '../tracking';

/**
 * The subset of MLflow's run search syntax the emulator evaluates: clauses joined by AND, each
 * `<metrics|params|tags|attributes>.<key> <op> <value>`, keys bare, "quoted" or `backticked`
 * (e.g. tags.mlflow.parentRunId = 'abc', tags.`mlflow.parentRunId` = 'abc', metrics.r2 > 0.5, attributes.status = 'FINISHED').
 */
export type RunPredicate = (run: TrackedRun) => boolean;

const CLAUSE =
  /^\s*(metrics?|params?|parameters|tags?|attributes?|attr|run)\.(`[^`]+`|"[^"]+"|[\w.\-]+)\s*(!=|>=|<=|=|>|<|\bNOT\s+IN\b|\bIN\b|\bNOT\s+LIKE\b|\bLIKE\b|\bILIKE\b)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\([^)]*\))\s*/i;
const AND = /^AND\b\s*/i;

export function parseRunFilter(filter: string | undefined): RunPredicate {
  const text = (filter ?? '').trim();
  if (text === '') return () => true;
  const predicates: RunPredicate[] = [];
  let rest = text;
  while (rest.length > 0) {
    const m = CLAUSE.exec(rest);
    if (!m) throw invalid(text, `cannot parse '${rest}'`);
    predicates.push(clause(m[1]!.toLowerCase(), unquote(m[2]!), m[3]!.toUpperCase().replace(/\s+/g, ' '), m[4]!, text));
    rest = rest.slice(m[0].length);
    if (rest.length === 0) break;
    const and = AND.exec(rest);
    if (!and) throw invalid(text, `expected AND before '${rest}'`);
    rest = rest.slice(and[0].length);
  }
  return (run) => predicates.every((p) => p(run));
}

function clause(entity: string, key: string, op: string, rawValue: string, filter: string): RunPredicate {
  if (entity.startsWith('metric')) {
    const value = Number(rawValue);
    if (!Number.isFinite(value)) throw invalid(filter, `metric comparisons need a number, got ${rawValue}`);
    return (run) => {
      const latest = latestMetric(run.metrics.get(key) ?? []);
      return latest !== undefined && compareNumbers(latest.value, op, value, filter);
    };
  }
  if (entity.startsWith('param') || entity.startsWith('tag')) {
    const pick = (run: TrackedRun): string | undefined => (entity.startsWith('tag') ? run.tags.get(key) : run.params.get(key));
    return (run) => {
      const actual = pick(run);
      return actual !== undefined && compareStrings(actual, op, rawValue, filter);
    };
  }
  // attributes
  const attribute = key.toLowerCase();
  const read: Record<string, (run: TrackedRun) => string | number | undefined> = {
    status: (r) => r.status,
    run_id: (r) => r.runId,
    run_name: (r) => r.runName,
    user_id: (r) => r.userId,
    start_time: (r) => r.startTime,
    end_time: (r) => r.endTime,
  };
  const reader = read[attribute];
  if (!reader) throw invalid(filter, `unsupported attribute '${key}'`);
  if (attribute === 'start_time' || attribute === 'end_time') {
    const value = Number(rawValue);
    return (run) => {
      const actual = reader(run);
      return typeof actual === 'number' && compareNumbers(actual, op, value, filter);
    };
  }
  return (run) => {
    const actual = reader(run);
    return actual !== undefined && compareStrings(String(actual), op, rawValue, filter);
  };
}

function compareNumbers(actual: number, op: string, value: number, filter: string): boolean {
  switch (op) {
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    default:
      throw invalid(filter, `'${op}' cannot compare numbers`);
  }
}

function compareStrings(actual: string, op: string, rawValue: string, filter: string): boolean {
  if (op === 'IN' || op === 'NOT IN') {
    if (!rawValue.startsWith('(')) throw invalid(filter, `${op} needs a parenthesised list`);
    const values = rawValue.slice(1, -1).split(',').map((v) => unquote(v.trim()));
    return op === 'IN' ? values.includes(actual) : !values.includes(actual);
  }
  if (!/^['"]/.test(rawValue)) throw invalid(filter, `string comparisons need a quoted value, got ${rawValue}`);
  const value = unquote(rawValue);
  switch (op) {
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    case 'LIKE':
    case 'NOT LIKE':
    case 'ILIKE': {
      const pattern = new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, op === 'ILIKE' ? 'i' : '');
      return op === 'NOT LIKE' ? !pattern.test(actual) : pattern.test(actual);
    }
    default:
      throw invalid(filter, `'${op}' cannot compare strings`);
  }
}

function unquote(text: string): string {
  if (/^(['"`]).*\1$/s.test(text)) return text.slice(1, -1).replace(/\\(.)/g, '$1');
  return text;
}

function invalid(filter: string, why: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', `Invalid filter '${filter}': ${why}.`);
}
