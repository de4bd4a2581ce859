/**
 * AzureMLEvaluate@1, the promotion gate: judge a Completed candidate job's metrics against a baseline (the model in
 * production, a tagged or the newest model version, or fixed thresholds) with the `rules`, and say whether the model
 * should be registered (ShouldRegister) and why (Decision).
 *
 * The task only reads: the candidate is checked first (so a wrong job or metric name fails before the baseline is
 * looked up), then the baseline is found and judged. A rejection is not an error unless `onReject: fail`.
 */
import { group, info, TaskError, warning, type WorkspaceClient } from '@azureml-mlops/shared';

import { findBaseline } from './baseline';
import { readCandidate } from './candidate';
import { formatNumber, judge } from './judgement';
import type { EvaluateParameters } from './parameters';
import { type EvaluationReport, logComparison, publishEvaluationSummary, setOutputs } from './report';
import { describeRule } from './rules';

/** The Azure clients run() needs, created by index.ts from the service connection (tests inject fakes). */
export interface EvaluateClients {
  /** Opens the workspace (reads it: a wrong resource group or workspace name fails here). */
  connectWorkspace(signal: AbortSignal): Promise<WorkspaceClient>;
}

export async function run(params: EvaluateParameters, clients: EvaluateClients, signal: AbortSignal): Promise<EvaluationReport> {
  info(`Rules: ${params.rules.map(describeRule).join(', ')}${params.allowTie ? ' (ties allowed)' : ''}.`);
  const workspace = await clients.connectWorkspace(signal);
  info(`Azure ML workspace: ${workspace.workspaceName} (resource group ${workspace.resourceGroup}, subscription ${workspace.subscriptionId}).`);

  const candidate = await group(`Candidate: job ${params.jobName}${params.pipelineStep !== undefined ? `, step ${params.pipelineStep}` : ''}`, async () => {
    const found = await readCandidate(workspace, params.jobName, params.pipelineStep, params.rules, signal);
    info(`The job '${found.jobName}' completed. ${found.studioUrl}`);
    for (const rule of params.rules) {
      const value = found.values[rule.metric]!;
      info(`  ${rule.metric} = ${formatNumber(value.value)}${value.step !== undefined && value.step !== found.step ? ` (step ${value.step})` : ''}`);
    }
    return found;
  });

  const baseline = await group(`Baseline: ${describeBaselineSpec(params)}`, () =>
    findBaseline(
      workspace,
      {
        spec: params.baseline,
        rules: params.rules,
        candidateJobName: params.jobName,
        ...(params.pipelineStep !== undefined ? { pipelineStep: params.pipelineStep } : {}),
      },
      signal,
    ),
  );

  const values: Record<string, number> = {};
  if (baseline.kind === 'found') for (const [metric, value] of Object.entries(baseline.values)) values[metric] = value.value;
  const candidateValues: Record<string, number> = {};
  for (const [metric, value] of Object.entries(candidate.values)) candidateValues[metric] = value.value;
  const evaluation = judge({
    rules: params.rules,
    candidate: candidateValues,
    baseline: baseline.kind === 'found' ? { kind: 'values', values, label: baseline.label } : { kind: 'none', reason: baseline.reason },
    allowTie: params.allowTie,
  });

  const report: EvaluationReport = { candidate, baseline, evaluation, onReject: params.onReject };
  logComparison(report);
  const missing = evaluation.comparisons.filter((c) => c.verdict === 'not compared' && baseline.kind === 'found').map((c) => c.rule.metric);
  if (evaluation.outcome === 'nothing compared') {
    warning(
      `The baseline (${baseline.kind === 'found' ? baseline.label : ''}) has none of the rules' metrics (${missing.join(', ')}), so nothing could be compared and the candidate is promoted like a first model. ` +
        'Register models with their metrics (AzureMLRegisterModel records them), or use baseline: threshold.',
    );
  } else if (missing.length > 0) {
    info(`Not compared, as the baseline has no value for them: ${missing.join(', ')}. The other metrics decide.`);
  }
  setOutputs(report);
  publishEvaluationSummary(report, workspace);

  if (evaluation.promote) {
    info(evaluation.decision);
    info('ShouldRegister: true.');
    return report;
  }
  if (params.onReject === 'fail') throw new TaskError(evaluation.decision);
  warning(evaluation.decision);
  info('ShouldRegister: false. The task succeeds (onReject: skip): steps with a condition on ShouldRegister are skipped.');
  return report;
}

function describeBaselineSpec(params: EvaluateParameters): string {
  const spec = params.baseline;
  const auto = 'chosenBy' in spec && spec.chosenBy === 'auto' ? ' (baseline: auto)' : '';
  switch (spec.kind) {
    case 'production':
      return `production, the model on the online endpoint ${spec.endpointName}${auto}`;
    case 'taggedModel':
      return `taggedModel, the newest version of ${spec.modelName} with the tag ${spec.tag.key}${spec.tag.value === undefined ? '' : `=${spec.tag.value}`}`;
    case 'latestVersion':
      return `latestVersion, the newest version of ${spec.modelName}${auto}`;
    case 'threshold':
      return 'threshold';
  }
}
