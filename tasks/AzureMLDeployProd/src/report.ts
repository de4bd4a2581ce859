/** What the task reports: output variables and the run summary section (steps taken, smoke tests, traffic). */
import { info, outputWriter, publishSummary, smokeTestSummary, type SmokeTestResult, SummaryBuilder } from '@azureml-mlops/shared';

import type { JournalEntry } from './rollout/engine';
import { describeTraffic, type TrafficState } from './rollout/traffic';

/** Output variables declared in task.json. */
export const OUTPUT_NAMES = ['ScoringUri', 'DeploymentName', 'PreviousDeploymentName', 'Traffic'] as const;

const writeOutput = outputWriter(OUTPUT_NAMES);

export interface RolloutOutputs {
  readonly scoringUri: string | undefined;
  /** The deployment this run rolled out (or the one serving, when nothing was rolled out). */
  readonly deploymentName: string | undefined;
  /** The deployment that served before the rollout. */
  readonly previousDeploymentName: string | undefined;
  /** The endpoint's live traffic at the end, as it answers it. */
  readonly traffic: Readonly<Record<string, number>> | undefined;
}

export function setRolloutOutputs(outputs: RolloutOutputs): void {
  if (outputs.scoringUri) writeOutput('ScoringUri', outputs.scoringUri);
  writeOutput('DeploymentName', outputs.deploymentName ?? '');
  writeOutput('PreviousDeploymentName', outputs.previousDeploymentName ?? '');
  if (outputs.traffic) writeOutput('Traffic', JSON.stringify(outputs.traffic));
}

export interface SummaryInput {
  readonly endpointName: string;
  readonly action: string;
  /** One line: what happened (`Completed: 'green' takes all the traffic`, `Rolled back: ...`). */
  readonly result: string;
  readonly model: string | undefined;
  readonly newDeployment: string | undefined;
  readonly previousDeployment: string | undefined;
  readonly before: TrafficState | undefined;
  readonly after: TrafficState | undefined;
  readonly scoringUri: string | undefined;
  readonly journal: readonly JournalEntry[];
  readonly smokeTests: readonly SmokeTestResult[];
  readonly notes: readonly string[];
}

const STATUS_ICONS: Record<JournalEntry['status'], string> = { done: '✅ done', failed: '❌ failed', 'rolled back': '↩️ rolled back' };

/** The run summary section: the outcome, the traffic before and after, every step taken, the smoke test results. */
export function publishRolloutSummary(input: SummaryInput): void {
  const summary = new SummaryBuilder().heading(`Azure ML production rollout: ${input.endpointName}`);
  summary.keyValueTable([
    ['Action', input.action],
    ['Result', input.result],
    ['Model', input.model],
    ['New deployment', input.newDeployment],
    ['Previous deployment', input.previousDeployment],
    ['Traffic before', input.before ? describeTraffic(input.before) : undefined],
    ['Traffic now', input.after ? describeTraffic(input.after) : undefined],
    ['Scoring URI', input.scoringUri],
  ]);
  if (input.journal.length > 0) summary.table(['Step', 'Status', 'Detail'], input.journal.map((entry) => [entry.title, STATUS_ICONS[entry.status], entry.detail]));
  for (const note of input.notes) summary.paragraph(note);
  let markdown = summary.toMarkdown();
  const smoke = smokeTestSummary(input.smokeTests);
  if (smoke) markdown += `\n${smoke}`;
  try {
    publishSummary('Azure ML production rollout', markdown);
  } catch (error) {
    // The summary is a convenience: never let it change the task's result.
    info(`The run summary was not published: ${error instanceof Error ? error.message : String(error)}`);
  }
}
