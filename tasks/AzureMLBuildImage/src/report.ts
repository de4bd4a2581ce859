/** What the task reports: output variables and the run summary section. */
import { info, outputWriter, publishSummary, SummaryBuilder } from '@azureml-mlops/shared';

/** Output variables declared in task.json. */
export const OUTPUT_NAMES = [
  'ImageName',
  'ImageDigest',
  'ImageTags',
  'RegistryLoginServer',
  'EnvironmentId',
  'EnvironmentName',
  'EnvironmentVersion',
  'EnvironmentReference',
  'RunId',
  'AlreadyBuilt',
] as const;

const writeOutput = outputWriter(OUTPUT_NAMES);

export interface BuildReport {
  readonly loginServer: string;
  readonly registryName: string;
  readonly registryId: string;
  readonly repository: string;
  readonly digest: string;
  /** `<loginServer>/<repository>@<digest>`. */
  readonly imageName: string;
  readonly tags: readonly string[];
  /** The ACR run that built the image (this run's or an earlier one's). */
  readonly runId: string | undefined;
  readonly alreadyBuilt: boolean;
  /** Where the context came from. */
  readonly source: string;
  readonly platform: string;
  readonly model: { readonly name: string; readonly version: string; readonly included: boolean } | undefined;
  readonly environment: {
    readonly id: string;
    readonly name: string;
    readonly version: string;
    readonly reference: string;
    readonly created: boolean;
    readonly studioUrl: string;
  };
  readonly tenantId: string;
  /** Azure portal host of the connection's cloud (undefined: no portal link). */
  readonly portalHost: string | undefined;
}

export function setBuildOutputs(report: BuildReport): void {
  writeOutput('ImageName', report.imageName);
  writeOutput('ImageDigest', report.digest);
  writeOutput('ImageTags', report.tags.join(','));
  writeOutput('RegistryLoginServer', report.loginServer);
  writeOutput('EnvironmentId', report.environment.id);
  writeOutput('EnvironmentName', report.environment.name);
  writeOutput('EnvironmentVersion', report.environment.version);
  writeOutput('EnvironmentReference', report.environment.reference);
  if (report.runId) writeOutput('RunId', report.runId);
  writeOutput('AlreadyBuilt', report.alreadyBuilt);
}

/** The registry's ACR Tasks runs in the Azure portal, where each run's log is. */
export function registryRunsUrl(report: Pick<BuildReport, 'portalHost' | 'tenantId' | 'registryId'>): string | undefined {
  return report.portalHost ? `https://${report.portalHost}/#@${report.tenantId}/resource${report.registryId}/tasks` : undefined;
}

/** The Azure portal of a cloud, by the connection's environment name. */
export function portalHostOf(environment: string): string | undefined {
  switch (environment.toLowerCase()) {
    case 'azurecloud':
      return 'portal.azure.com';
    case 'azureusgovernment':
      return 'portal.azure.us';
    case 'azurechinacloud':
      return 'portal.azure.cn';
    default:
      return undefined;
  }
}

/** The run summary section: the image, its tags, the environment and the build log link. */
export function publishBuildSummary(report: BuildReport): void {
  const summary = new SummaryBuilder().heading(`Scoring image ${report.repository}`);
  summary.keyValueTable([
    ['Image', report.imageName],
    ['Tags', report.tags.map((tag) => `${report.repository}:${tag}`).join(', ')],
    ['Registry', `${report.registryName} (${report.loginServer})`],
    ['Built', report.alreadyBuilt ? `earlier, from the same context (ACR run ${report.runId ?? 'unknown'}): this run only tagged it` : `by this run (ACR run ${report.runId})`],
    ['Source', report.source],
    ['Platform', report.platform],
    ['Model', report.model ? `${report.model.name}:${report.model.version}${report.model.included ? ' (in the image)' : ' (not in the image: the deployment mounts it)'}` : undefined],
    ['Environment', `${report.environment.reference}${report.environment.created ? ' (registered by this run)' : ' (registered earlier for this image)'}`],
  ]);
  const links: Array<readonly [string, string]> = [['Open the environment in Azure ML studio', report.environment.studioUrl]];
  const runs = registryRunsUrl(report);
  if (runs && report.runId) links.push([`Build log of ACR run ${report.runId} (Azure portal: the registry's Tasks, Runs)`, runs]);
  summary.links(links);
  if (report.runId) summary.paragraph(`Build log from the command line: az acr task logs --registry ${report.registryName} --run-id ${report.runId}`);
  try {
    publishSummary('Azure ML scoring image', summary.toMarkdown());
  } catch (error) {
    // The summary is a convenience: never let it change the task's result.
    info(`The run summary was not published: ${error instanceof Error ? error.message : String(error)}`);
  }
}
