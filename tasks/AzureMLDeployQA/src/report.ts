/** What the task reports: output variables and the run summary section. */
import { formatTraffic, info, outputWriter, publishSummary, type SmokeTestResult, smokeTestSummary, SummaryBuilder } from '@azureml-mlops/shared';

/** Output variables declared in task.json. */
export const OUTPUT_NAMES = ['ScoringUri', 'SwaggerUri', 'EndpointName', 'DeploymentName', 'Changed'] as const;

const writeOutput = outputWriter(OUTPUT_NAMES);

export interface DeploymentReport {
  readonly endpointName: string;
  readonly deploymentName: string;
  readonly scoringUri?: string;
  readonly swaggerUri?: string;
  readonly changed: boolean;
  readonly model?: string;
  readonly environment?: string;
  readonly computeType: string;
  readonly authMode?: string;
  readonly traffic?: Readonly<Record<string, number>>;
  /** What this run did, one line each (created, updated, unchanged...). */
  readonly actions: readonly string[];
  readonly smokeTest?: SmokeTestResult;
  readonly teardown?: string;
  readonly failure?: string;
}

export function setDeploymentOutputs(report: DeploymentReport): void {
  if (report.scoringUri) writeOutput('ScoringUri', report.scoringUri);
  if (report.swaggerUri) writeOutput('SwaggerUri', report.swaggerUri);
  writeOutput('EndpointName', report.endpointName);
  writeOutput('DeploymentName', report.deploymentName);
  writeOutput('Changed', report.changed);
}

/** The run summary section: endpoint, deployment, what changed, the smoke test. Never fails the task. */
export function publishDeploymentSummary(report: DeploymentReport): void {
  const summary = new SummaryBuilder().heading(`Azure ML QA deployment ${report.endpointName}/${report.deploymentName}`);
  summary.keyValueTable([
    ['Endpoint', `${report.endpointName} (${report.computeType}${report.authMode ? `, ${report.authMode} authentication` : ''})`],
    ['Deployment', report.deploymentName],
    ['Model', report.model],
    ['Environment', report.environment],
    ['Scoring URI', report.scoringUri],
    ['Traffic', report.traffic ? formatTraffic(report.traffic) : undefined],
    ['This run', report.actions.join('; ') || undefined],
    ['Teardown', report.teardown],
    ['Failure', report.failure],
  ]);
  let markdown = summary.toMarkdown();
  if (report.smokeTest) markdown += `\n${smokeTestSummary([report.smokeTest])}`;
  try {
    publishSummary('Azure ML QA deployment', markdown);
  } catch (error) {
    info(`The run summary was not published: ${error instanceof Error ? error.message : String(error)}`);
  }
}
