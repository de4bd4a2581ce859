/**
 * The `rules` and `thresholds` inputs: their syntax, parsed offline. Every problem is an InputError naming the input
 * and the line.
 *
 *   rules:       <metric>:<lower|higher>[:<tolerance>]   e.g. `mse:lower`, `r2:higher:0.01`, `mae:lower:2%`
 *   thresholds:  <metric>=<value>                        e.g. `mse=3500`
 */
import { InputError } from '@azureml-mlops/shared';

export type Direction = 'lower' | 'higher';

/** How far apart two values may be and still tie: a fixed amount, or a percentage of the baseline's value. */
export type Tolerance = { readonly kind: 'absolute'; readonly value: number } | { readonly kind: 'relative'; readonly percent: number };

export interface MetricRule {
  /** The metric as written: `mse`, or `train.mse` for a pipeline step's metric. */
  readonly metric: string;
  readonly direction: Direction;
  readonly tolerance: Tolerance;
  /** 1-based line of the input. */
  readonly line: number;
}

export interface Threshold {
  readonly metric: string;
  readonly value: number;
  readonly line: number;
}

/**
 * Metric names as MLflow accepts them (letters, digits, `_`, `-`, `.`, ` ` and `/`). A `:` never occurs in one, so
 * it can separate the parts of a rule.
 */
const METRIC_NAME = /^[A-Za-z0-9_\-. /]+$/;
const DIRECTIONS: Readonly<Record<string, Direction>> = { lower: 'lower', higher: 'higher' };
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const RULE_FORM = '<metric>:<lower|higher>[:<tolerance>], e.g. mse:lower, r2:higher:0.01 or mae:lower:2%';

/** Non-empty lines that are not comments, with their 1-based numbers. */
function contentLines(text: string | undefined): Array<{ readonly text: string; readonly line: number }> {
  if (text === undefined) return [];
  return text
    .split(/\r?\n/)
    .map((raw, index) => ({ text: raw.trim(), line: index + 1 }))
    .filter((entry) => entry.text !== '' && !entry.text.startsWith('#'));
}

/** Parses the `rules` input: at least one rule, one metric per rule. */
export function parseRules(text: string | undefined, inputName: string): MetricRule[] {
  const rules: MetricRule[] = [];
  const firstLine = new Map<string, number>();
  for (const { text: line, line: number } of contentLines(text)) {
    const rule = parseRule(line, number, inputName);
    const previous = firstLine.get(rule.metric);
    if (previous !== undefined) {
      throw new InputError(inputName, `line ${number} repeats the metric '${rule.metric}' (first given on line ${previous})`, 'Keep one rule per metric');
    }
    firstLine.set(rule.metric, number);
    rules.push(rule);
  }
  if (rules.length === 0) {
    throw new InputError(inputName, 'a value is required', `Write one rule per line: ${RULE_FORM}`);
  }
  return rules;
}

function parseRule(text: string, line: number, inputName: string): MetricRule {
  const parts = text.split(':').map((part) => part.trim());
  const at = `line ${line} ('${text}')`;
  if (parts.length < 2 || parts.length > 3) {
    throw new InputError(inputName, `${at} is not a rule`, `Write ${RULE_FORM}`);
  }
  const [metric, directionText, toleranceText] = parts as [string, string, string | undefined];
  checkMetricName(metric, at, inputName, RULE_FORM);
  const direction = DIRECTIONS[directionText.toLowerCase()];
  if (direction === undefined) {
    throw new InputError(inputName, `${at} has the direction '${directionText}'`, `Use lower (smaller is better, e.g. mse) or higher (larger is better, e.g. r2 or accuracy)`);
  }
  const tolerance = toleranceText === undefined ? { kind: 'absolute' as const, value: 0 } : parseTolerance(toleranceText, at, inputName);
  return { metric, direction, tolerance, line };
}

function parseTolerance(text: string, at: string, inputName: string): Tolerance {
  const fix = 'Give a tolerance of 0 or more: an amount in the unit of the metric (0.5) or a percentage of the baseline value (2%)';
  const relative = text.endsWith('%');
  const number = (relative ? text.slice(0, -1) : text).trim();
  if (!NUMBER.test(number)) throw new InputError(inputName, `${at} has the tolerance '${text}', which is not a number`, fix);
  const value = Number(number);
  if (!Number.isFinite(value) || value < 0) throw new InputError(inputName, `${at} has the tolerance '${text}'`, fix);
  return relative ? { kind: 'relative', percent: value } : { kind: 'absolute', value };
}

function checkMetricName(metric: string, at: string, inputName: string, form: string): void {
  if (metric === '') throw new InputError(inputName, `${at} has no metric name`, `Write ${form}`);
  if (!METRIC_NAME.test(metric)) {
    throw new InputError(inputName, `${at} names the metric '${metric}', which is not a valid MLflow metric name`, `Use the name the training script logs (letters, digits, _, -, ., space and /), and write ${form}`);
  }
}

const THRESHOLD_FORM = '<metric>=<value>, e.g. mse=3500';

/** Parses the `thresholds` input (may be empty: the caller says when it is required). */
export function parseThresholds(text: string | undefined, inputName: string): Threshold[] {
  const thresholds: Threshold[] = [];
  const firstLine = new Map<string, number>();
  for (const { text: line, line: number } of contentLines(text)) {
    const at = `line ${number} ('${line}')`;
    const equals = line.indexOf('=');
    if (equals < 0) throw new InputError(inputName, `${at} is not in metric=value form`, `Write one threshold per line: ${THRESHOLD_FORM}`);
    const metric = line.slice(0, equals).trim();
    const valueText = line.slice(equals + 1).trim();
    checkMetricName(metric, at, inputName, THRESHOLD_FORM);
    const value = Number(valueText);
    if (!NUMBER.test(valueText) || !Number.isFinite(value)) {
      throw new InputError(inputName, `${at} gives '${valueText}' for '${metric}', which is not a number`, `Write ${THRESHOLD_FORM}`);
    }
    const previous = firstLine.get(metric);
    if (previous !== undefined) {
      throw new InputError(inputName, `line ${number} repeats the metric '${metric}' (first given on line ${previous})`, 'Keep one threshold per metric');
    }
    firstLine.set(metric, number);
    thresholds.push({ metric, value, line: number });
  }
  return thresholds;
}

/** `lower`, `higher:0.5`, `lower:2%`: how a rule reads in messages and the summary. */
export function describeRule(rule: MetricRule): string {
  const tolerance = rule.tolerance.kind === 'relative' ? `${rule.tolerance.percent}%` : rule.tolerance.value === 0 ? '' : String(rule.tolerance.value);
  return `${rule.metric}:${rule.direction}${tolerance === '' ? '' : `:${tolerance}`}`;
}
