/** The traffic the QA deployment should end with, planned before anything is written (so a bad share is bad input). */
import { InputError, rebalanceTraffic, TaskError } from '@azureml-mlops/shared';

import { INPUTS } from './parameters';

export interface TrafficPlanInput {
  readonly deploymentName: string;
  /** The endpoint's live traffic now ({} for a new endpoint). */
  readonly current: Readonly<Record<string, number>>;
  /** Deployments that exist on the endpoint now (besides ours, which will exist). */
  readonly existingDeployments: readonly string[];
  readonly trafficPercent: number | undefined;
  /** `traffic:` of the endpoint YAML, and the file it came from. */
  readonly yamlTraffic: Readonly<Record<string, number>> | undefined;
  readonly endpointFile: string | undefined;
}

/**
 * The live traffic to set: `trafficPercent` for our deployment with the others sharing the rest in proportion; else
 * the endpoint YAML's traffic as written; else 100 % to our deployment.
 */
export function planTraffic(input: TrafficPlanInput): Record<string, number> {
  if (input.trafficPercent === undefined && input.yamlTraffic) {
    const known = new Set([...input.existingDeployments, input.deploymentName].map((name) => name.toLowerCase()));
    const missing = Object.keys(input.yamlTraffic).filter((name) => !known.has(name.toLowerCase()));
    if (missing.length > 0) {
      throw new InputError(
        INPUTS.endpointFile,
        `${input.endpointFile ?? 'the endpoint YAML'}: traffic names ${missing.map((m) => `'${m}'`).join(', ')}, which ${missing.length === 1 ? 'is not a deployment' : 'are not deployments'} of the endpoint`,
        `Name '${input.deploymentName}' or an existing deployment, or set '${INPUTS.trafficPercent}' instead`,
      );
    }
    const sum = Object.values(input.yamlTraffic).reduce((a, b) => a + b, 0);
    if (sum !== 100 && sum !== 0) {
      throw new InputError(INPUTS.endpointFile, `${input.endpointFile ?? 'the endpoint YAML'}: traffic sums to ${sum}%`, 'Make the shares sum to 100 (or 0 for no traffic), or set trafficPercent instead');
    }
    return { ...input.yamlTraffic };
  }
  try {
    return rebalanceTraffic(input.current, input.deploymentName, input.trafficPercent ?? 100);
  } catch (error) {
    if (error instanceof TaskError && input.trafficPercent !== undefined) {
      throw new InputError(INPUTS.trafficPercent, `is ${input.trafficPercent}, but no other deployment of the endpoint takes traffic, and the live traffic must sum to 100 (or 0)`, 'Use 100, or 0 to test the deployment alone through the azureml-model-deployment header');
    }
    throw error;
  }
}
