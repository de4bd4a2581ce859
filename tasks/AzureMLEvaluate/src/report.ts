/** What the task reports: the comparison in the log, the output variables, the run summary section. */
import { info, modelStudioUrl, outputWriter, publishSummary, SummaryBuilder, type WorkspaceClient } from '@azureml-mlops/shared';

import type { Baseline, BaselineValue } from './baseline';
import type { Candidate } from './candidate';
import { describeTolerance, type Evaluation, formatNumber, formatPair, type MetricComparison } from './judgement';
import type { OnReject } from './parameters';

/** Output variables declared in task.json. */
export const OUTPUT_NAMES = ['ShouldRegister', 'Decision', 'BaselineModel', 'CandidateMetrics'] as const;

const writeOutput = outputWriter(OUTPUT_NAMES);

export interface EvaluationReport {
  readonly candidate: Candidate;
  readonly baseline: Baseline;
  readonly evaluation: Evaluation;
  readonly onReject: OnReject;
}

/** ShouldRegister, Decision, BaselineModel (`name:version`, empty without a model) and CandidateMetrics (JSON). */
export function setOutputs(report: EvaluationReport): void {
  const { baseline, evaluation, candidate } = report;
  writeOutput('ShouldRegister', evaluation.promote ? 'true' : 'false');
  writeOutput('Decision', evaluation.decision);
  writeOutput('BaselineModel', baseline.kind === 'found' && baseline.model ? `${baseline.model.name}:${baseline.model.version}` : '');
  const metrics: Record<string, number> = {};
  for (const comparison of evaluation.comparisons) metrics[comparison.rule.metric] = candidate.values[comparison.rule.metric]!.value;
  writeOutput('CandidateMetrics', JSON.stringify(metrics));
}

/** The table of the comparison, as rows of text (log) or cells (summary). */
function rows(report: EvaluationReport): string[][] {
  return report.evaluation.comparisons.map((c) => {
    const baselineValue = report.baseline.kind === 'found' ? report.baseline.values[c.rule.metric] : undefined;
    const [candidate, baseline] = c.baseline === undefined ? [formatNumber(c.candidate), '—'] : formatPair(c.candidate, c.baseline);
    return [
      c.rule.metric,
      `${c.rule.direction} is better`,
      `${candidate}${stepNote(report.candidate.values[c.rule.metric]?.step, report.candidate.step)}`,
      baselineValue ? `${baseline}${sourceNote(baselineValue)}` : baseline,
      c.delta === undefined ? '—' : signed(c.delta),
      c.baseline === undefined ? '—' : describeTolerance(c).replace(/^tolerance /, ''),
      verdictText(c, report.baseline),
    ];
  });
}

const HEADERS = ['Metric', 'Rule', 'Candidate', 'Baseline', 'Delta', 'Tolerance', 'Verdict'] as const;

function stepNote(step: string | undefined, chosenStep: string | undefined): string {
  return step !== undefined && step !== chosenStep ? ` (step ${step})` : '';
}

function sourceNote(value: BaselineValue): string {
  return value.source.kind === 'model property' ? ' (recorded on the model)' : value.source.kind === 'job' && value.source.step ? ` (step ${value.source.step})` : '';
}

function signed(delta: number): string {
  return delta > 0 ? `+${formatNumber(delta)}` : formatNumber(delta);
}

function verdictText(c: MetricComparison, baseline: Baseline): string {
  if (c.verdict !== 'not compared') return c.verdict;
  return baseline.kind === 'none' ? 'no baseline' : 'not compared: missing on the baseline';
}

/** The comparison in the task log: one aligned line per metric, then the decision. */
export function logComparison(report: EvaluationReport): void {
  const table = [[...HEADERS], ...rows(report)];
  const widths = HEADERS.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  info('');
  for (const row of table) info(`  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}`);
  info('');
}

/** The run summary: the verdict, candidate against baseline metric by metric, links to both jobs (and the model). */
export function publishEvaluationSummary(report: EvaluationReport, workspace: Pick<WorkspaceClient, 'workspaceArmPath' | 'connection'>): void {
  const { candidate, baseline, evaluation } = report;
  const summary = new SummaryBuilder().heading(`Azure ML evaluation: ${evaluation.promote ? 'promote' : 'reject'} ${candidate.jobName}`);
  summary.paragraph(evaluation.decision);
  summary.keyValueTable([
    ['Candidate job', candidate.step !== undefined ? `${candidate.jobName} (step ${candidate.step})` : candidate.jobName],
    ['Baseline', baseline.kind === 'found' ? `${baseline.label}` : `none: ${baseline.reason}`],
    ['Baseline metrics from', baseline.kind === 'found' ? describeSources(baseline) : undefined],
    ['Traffic', baseline.kind === 'found' && baseline.production ? describeTraffic(baseline.production) : undefined],
    ['ShouldRegister', evaluation.promote ? 'true' : `false (onReject: ${report.onReject})`],
  ]);
  summary.table(HEADERS, rows(report));
  linksOf(report, workspace, summary);
  try {
    publishSummary('Azure ML evaluation', summary.toMarkdown());
  } catch (error) {
    // The summary is a convenience: never let it change the task's result.
    info(`The run summary was not published: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function linksOf(report: EvaluationReport, workspace: Pick<WorkspaceClient, 'workspaceArmPath' | 'connection'>, summary: SummaryBuilder): void {
  const links: Array<[string, string]> = [[`Candidate job ${report.candidate.jobName} in Azure ML studio`, report.candidate.studioUrl]];
  const { baseline } = report;
  if (baseline.kind === 'found' && baseline.job) links.push([`Baseline job ${baseline.job.name} in Azure ML studio`, baseline.job.studioUrl]);
  if (baseline.kind === 'found' && baseline.model) {
    links.push([`Baseline model ${baseline.model.name}:${baseline.model.version} in Azure ML studio`, modelStudioUrl(workspace, baseline.model.name, baseline.model.version)]);
  }
  summary.links(links);
}

function describeTraffic(production: NonNullable<Extract<Baseline, { kind: 'found' }>['production']>): string {
  const tie = production.tiedWith.length > 0 ? ` (tied with ${production.tiedWith.join(', ')}: the first by name is used)` : '';
  return `deployment ${production.deployment} takes ${production.percent}% on endpoint ${production.endpointName}${tie}`;
}

/** `the MLflow run of job x`, `metrics recorded on the model`, or both when the metrics came from both. */
export function describeSources(baseline: Extract<Baseline, { kind: 'found' }>): string {
  const kinds = new Set(Object.values(baseline.values).map((value) => value.source.kind));
  const parts: string[] = [];
  if (kinds.has('threshold')) parts.push('the thresholds input');
  if (kinds.has('job') && baseline.job) parts.push(`the MLflow run of job ${baseline.job.name}`);
  if (kinds.has('model property')) parts.push('metrics recorded on the model (model properties azureml-mlops.metric.*)');
  return parts.length === 0 ? 'none of the rules\' metrics were found' : parts.join(' and ');
}
