/**
 * The promotion gate's judgement: pure, no I/O.
 *
 * Per metric (delta = candidate - baseline; the tolerance is the rule's amount, or its percentage of |baseline|):
 *   - tie:    |delta| <= tolerance;
 *   - better: the candidate moved in the rule's direction (lower / higher) by more than the tolerance;
 *   - worse:  it moved the other way by more than the tolerance;
 *   - not compared: the baseline has no value for the metric (reported; the other metrics decide).
 * Overall:
 *   - no baseline (first model): promote;
 *   - no metric could be compared: promote like a first model (the caller warns);
 *   - any metric worse: reject;
 *   - else any metric better: promote;
 *   - else (every compared metric ties): reject, unless ties are allowed.
 */
import type { MetricRule, Tolerance } from './rules';

export type MetricVerdict = 'better' | 'worse' | 'tie' | 'not compared';

export interface MetricComparison {
  readonly rule: MetricRule;
  readonly candidate: number;
  /** Undefined when the baseline has no value for the metric. */
  readonly baseline?: number;
  /** candidate - baseline. */
  readonly delta?: number;
  /** The tolerance as an amount in the metric's unit (a relative one applied to the baseline value). */
  readonly tolerance?: number;
  readonly verdict: MetricVerdict;
}

export type Outcome = 'better' | 'worse' | 'tie' | 'tie allowed' | 'first model' | 'nothing compared';

export interface Evaluation {
  readonly promote: boolean;
  readonly outcome: Outcome;
  /** One per rule, in the rules' order. */
  readonly comparisons: readonly MetricComparison[];
  /** One line that says why (the Decision output). */
  readonly decision: string;
}

/** What the candidate is judged against. */
export type BaselineValues =
  | {
      readonly kind: 'values';
      /** Value of each rule metric the baseline has, by the rule's metric name. */
      readonly values: Readonly<Record<string, number>>;
      /** How the decision names the baseline: `production diabetes-ridge:1 on endpoint x, deployment blue`, `threshold`. */
      readonly label: string;
    }
  | {
      readonly kind: 'none';
      /** Why there is no baseline: `the online endpoint 'x' does not exist yet`. */
      readonly reason: string;
    };

export interface JudgeInput {
  readonly rules: readonly MetricRule[];
  /** Value of every rule metric on the candidate, by the rule's metric name. */
  readonly candidate: Readonly<Record<string, number>>;
  readonly baseline: BaselineValues;
  readonly allowTie: boolean;
}

export function judge(input: JudgeInput): Evaluation {
  const { rules, candidate, baseline } = input;
  for (const rule of rules) {
    if (typeof candidate[rule.metric] !== 'number') throw new Error(`judge: the candidate has no value for '${rule.metric}'`);
  }

  if (baseline.kind === 'none') {
    const comparisons = rules.map((rule): MetricComparison => ({ rule, candidate: candidate[rule.metric]!, verdict: 'not compared' }));
    const values = rules.map((rule) => `${rule.metric} ${formatNumber(candidate[rule.metric]!)}`).join(', ');
    return { promote: true, outcome: 'first model', comparisons, decision: `Promote: first model, as ${baseline.reason} (${values}).` };
  }

  const comparisons = rules.map((rule) => compare(rule, candidate[rule.metric]!, baseline.values[rule.metric]));
  const label = ` (${baseline.label})`;
  const compared = comparisons.filter((c) => c.verdict !== 'not compared');
  const notCompared = comparisons.filter((c) => c.verdict === 'not compared').map((c) => c.rule.metric);
  const missingNote = notCompared.length === 0 ? '' : `; not compared, missing on the baseline: ${notCompared.join(', ')}`;

  if (compared.length === 0) {
    return {
      promote: true,
      outcome: 'nothing compared',
      comparisons,
      decision: `Promote: no rule metric could be compared, as the baseline${label} has none of ${notCompared.join(', ')}; promoted like a first model.`,
    };
  }
  const worse = compared.filter((c) => c.verdict === 'worse');
  if (worse.length > 0) {
    return { promote: false, outcome: 'worse', comparisons, decision: `Reject: ${phrases(worse, label)}.` };
  }
  if (compared.some((c) => c.verdict === 'better')) {
    return { promote: true, outcome: 'better', comparisons, decision: `Promote: ${phrases(compared, label)}${missingNote}.` };
  }
  if (input.allowTie) {
    return { promote: true, outcome: 'tie allowed', comparisons, decision: `Promote: a tie, allowed by allowTie: ${phrases(compared, label)}${missingNote}.` };
  }
  return {
    promote: false,
    outcome: 'tie',
    comparisons,
    decision: `Reject: a tie, no metric is better: ${phrases(compared, label)}${missingNote}. Set allowTie to true to promote ties.`,
  };
}

/** One metric's verdict. The tolerance's edge counts as a tie (a tiny epsilon absorbs floating-point rounding). */
export function compare(rule: MetricRule, candidate: number, baseline: number | undefined): MetricComparison {
  if (baseline === undefined) return { rule, candidate, verdict: 'not compared' };
  const delta = candidate - baseline;
  const tolerance = toleranceAmount(rule.tolerance, baseline);
  const epsilon = 1e-12 * Math.max(Math.abs(candidate), Math.abs(baseline));
  const improvement = rule.direction === 'lower' ? -delta : delta;
  const verdict: MetricVerdict = Math.abs(delta) <= tolerance + epsilon ? 'tie' : improvement > 0 ? 'better' : 'worse';
  return { rule, candidate, baseline, delta, tolerance, verdict };
}

export function toleranceAmount(tolerance: Tolerance, baseline: number): number {
  return tolerance.kind === 'absolute' ? tolerance.value : (Math.abs(baseline) * tolerance.percent) / 100;
}

/** `mse 3353.8 is lower than 3747.54 (label) by 393.745 (tolerance 0)`; the label after the first baseline value. */
function phrases(comparisons: readonly MetricComparison[], label: string): string {
  return comparisons.map((c, index) => phrase(c, index === 0 ? label : '')).join('; ');
}

function phrase(c: MetricComparison, label: string): string {
  const [candidate, baseline] = formatPair(c.candidate, c.baseline!);
  const delta = c.delta!;
  const tolerance = describeTolerance(c);
  const moved = delta < 0 ? 'lower' : 'higher';
  if (c.verdict === 'tie') {
    if (delta === 0) return `${c.rule.metric} ${candidate} equals ${baseline}${label} (${tolerance})`;
    return `${c.rule.metric} ${candidate} is within ${tolerance} of ${baseline}${label} (${moved} by ${formatNumber(Math.abs(delta))})`;
  }
  return `${c.rule.metric} ${candidate} is ${moved} than ${baseline}${label} by ${formatNumber(Math.abs(delta))} (${tolerance})`;
}

/** `tolerance 0`, `tolerance 0.5`, `tolerance 2% = 74.9508`. */
export function describeTolerance(c: Pick<MetricComparison, 'rule' | 'tolerance'>): string {
  const t = c.rule.tolerance;
  if (t.kind === 'absolute') return `tolerance ${formatNumber(t.value)}`;
  return `tolerance ${formatNumber(t.percent)}%${c.tolerance === undefined ? '' : ` = ${formatNumber(c.tolerance)}`}`;
}

/** A metric value for people: 6 significant digits, trailing zeros dropped (`3353.8`, `0.452847`, `12`). */
export function formatNumber(value: number, digits = 6): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return String(Number(value.toPrecision(digits)));
}

/** Two values formatted alike, with as many digits as it takes to show that they differ. */
export function formatPair(a: number, b: number): [string, string] {
  for (let digits = 6; digits <= 17; digits++) {
    const pair: [string, string] = [formatNumber(a, digits), formatNumber(b, digits)];
    if (pair[0] !== pair[1] || a === b) return pair;
  }
  return [String(a), String(b)];
}
