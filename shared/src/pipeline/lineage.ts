import { AgentEnvironment, taskLibEnvironment } from './agentEnvironment';

/**
 * Tag keys put on Azure ML jobs, models and deployments to trace them back to the pipeline run that made them.
 * These names are a public contract (users query and filter on them): never rename one.
 */
export const LINEAGE_TAG_KEYS = {
  buildId: 'azure-pipelines.build-id',
  buildNumber: 'azure-pipelines.build-number',
  buildUrl: 'azure-pipelines.build-url',
  pipelineName: 'azure-pipelines.pipeline-name',
  pipelineId: 'azure-pipelines.pipeline-id',
  project: 'azure-pipelines.project',
  stage: 'azure-pipelines.stage',
  job: 'azure-pipelines.job',
  repositoryUri: 'azure-pipelines.repository-uri',
  repositoryName: 'azure-pipelines.repository-name',
  sourceVersion: 'azure-pipelines.source-version',
  sourceBranch: 'azure-pipelines.source-branch',
  releaseId: 'azure-pipelines.release-id',
  releaseUrl: 'azure-pipelines.release-url',
  releaseEnvironment: 'azure-pipelines.release-environment',
} as const;

export type LineageTagName = keyof typeof LINEAGE_TAG_KEYS;

/** Link to a build's results page: `<System.CollectionUri><System.TeamProject>/_build/results?buildId=<id>`. */
export function buildResultsUrl(env: AgentEnvironment = taskLibEnvironment): string | undefined {
  const collectionUri = env.getVariable('System.CollectionUri') ?? env.getVariable('System.TeamFoundationCollectionUri');
  const project = env.getVariable('System.TeamProject');
  const buildId = env.getVariable('Build.BuildId');
  if (!collectionUri || !project || !buildId) return undefined;
  const base = collectionUri.endsWith('/') ? collectionUri : `${collectionUri}/`;
  return `${base}${encodeURIComponent(project)}/_build/results?buildId=${encodeURIComponent(buildId)}`;
}

/**
 * Lineage tags from the pipeline variables (see LINEAGE_TAG_KEYS). Variables that are not set (e.g. release
 * variables in a YAML pipeline) are left out rather than written empty.
 */
export function lineageTags(env: AgentEnvironment = taskLibEnvironment): Record<string, string> {
  const values: Record<LineageTagName, string | undefined> = {
    buildId: env.getVariable('Build.BuildId'),
    buildNumber: env.getVariable('Build.BuildNumber'),
    buildUrl: buildResultsUrl(env),
    pipelineName: env.getVariable('Build.DefinitionName'),
    pipelineId: env.getVariable('System.DefinitionId'),
    project: env.getVariable('System.TeamProject'),
    stage: env.getVariable('System.StageName'),
    job: env.getVariable('System.JobDisplayName'),
    repositoryUri: withoutUserInfo(env.getVariable('Build.Repository.Uri')),
    repositoryName: env.getVariable('Build.Repository.Name'),
    sourceVersion: env.getVariable('Build.SourceVersion'),
    sourceBranch: env.getVariable('Build.SourceBranch'),
    releaseId: env.getVariable('Release.ReleaseId'),
    releaseUrl: env.getVariable('Release.ReleaseWebUrl'),
    releaseEnvironment: env.getVariable('Release.EnvironmentName'),
  };
  const tags: Record<string, string> = {};
  for (const name of Object.keys(LINEAGE_TAG_KEYS) as LineageTagName[]) {
    const value = values[name];
    if (value !== undefined && value !== '') tags[LINEAGE_TAG_KEYS[name]] = value;
  }
  return tags;
}

/** Repository URLs can carry a user name (`https://org@dev.azure.com/...`): tags never keep user info. */
function withoutUserInfo(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url;
  }
}
