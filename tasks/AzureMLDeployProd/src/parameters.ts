/**
 * Every input of AzureMLDeployProd@1, read and validated in one place, offline. The endpoint and deployment inputs
 * are AzureMLDeployQA@1's (same names, same az ml YAML), so a pipeline promotes what it tested in QA with the same
 * files; the rollout and smoke test inputs are this task's. A bad input is one InputError naming it, before anything
 * happens on the Azure side.
 */
import {
  type AgentEnvironment,
  type AzureRmConnection,
  type DeploymentSpec,
  displayPath,
  type EndpointSpec,
  InputError,
  InputReader,
  lineageTags,
  loadDeploymentSpec,
  loadEndpointSpec,
  ONLINE_DEPLOYMENT_INPUTS,
  readAzureRmConnectionInput,
  readOnlineDeploymentInputs,
  readSmokeTestInputs,
  readWorkspaceInputs,
  type SmokeTestSpec,
  taskLibEnvironment,
  type WorkspaceInputs,
} from '@azureml-mlops/shared';

import { DEFAULT_FIRST_NAME } from './rollout/naming';
import type { RolloutAction } from './rollout/plan';

/** Input names, as task.json declares them (messages and tests use these). */
export const INPUTS = {
  connection: 'azureSubscription',
  resourceGroup: 'resourceGroup',
  workspace: 'workspace',
  action: 'action',
  ...ONLINE_DEPLOYMENT_INPUTS,
  trafficSteps: 'trafficSteps',
  canaryPercentage: 'canaryPercentage',
  mirrorPercentage: 'mirrorPercentage',
  mirrorDurationSeconds: 'mirrorDurationSeconds',
  stepWaitSeconds: 'stepWaitSeconds',
  previousDeployment: 'previousDeployment',
  newDeploymentOnRollback: 'newDeploymentOnRollback',
} as const;

export const ACTIONS: readonly RolloutAction[] = ['deploy', 'canary', 'promote', 'reject'];
export const DEFAULT_TRAFFIC_STEPS: readonly number[] = [10, 50, 100];
/** Azure ML mirrors at most 50 % of the live traffic. */
export const MAX_MIRROR_PERCENT = 50;
const MAX_WAIT_SECONDS = 24 * 3600;

export interface DeployProdParameters {
  readonly connection: AzureRmConnection;
  readonly workspace: WorkspaceInputs;
  readonly action: RolloutAction;
  readonly endpointName: string;
  /**
   * The endpoint spec (deploy and canary). It is used only to CREATE a missing endpoint; an existing endpoint is never
   * updated from it: only its compute kind (and Kubernetes compute) is checked against it.
   */
  readonly endpoint: EndpointSpec | undefined;
  /** The deployment to roll out (deploy and canary). Its name is a preference: see deploymentNameGiven. */
  readonly deployment: DeploymentSpec | undefined;
  /** True when the deploymentName input names the new deployment (used as is); false: blue/green alternation. */
  readonly deploymentNameGiven: boolean;
  /** The name the deployment file (or its overrides) gives; undefined when it names none (naming.ts then uses its default). */
  readonly deploymentFileName: string | undefined;
  /** The rollout settings; those an action does not use are not read (mirroring: 0, steps: none for reject). */
  readonly rollout: {
    readonly steps: readonly number[];
    /** Where the run stops: 100, or the canary percentage. */
    readonly stopAt: number;
    readonly mirrorPercent: number;
    readonly mirrorDurationMs: number;
    readonly stepWaitMs: number;
    readonly previousDeployment: 'delete' | 'keep';
    readonly onRollback: 'delete' | 'keep';
  };
  /** Required for deploy, canary and promote (the new deployment is tested before and between steps); undefined for reject. */
  readonly smokeTest: SmokeTestSpec | undefined;
  /** The pipeline run, for the rollout record. */
  readonly buildUrl: string | undefined;
}

export function readParameters(env: AgentEnvironment = taskLibEnvironment): DeployProdParameters {
  const inputs = new InputReader(env);
  const connection = readAzureRmConnectionInput(INPUTS.connection, env);
  const workspace = readWorkspaceInputs(inputs, connection, { resourceGroup: INPUTS.resourceGroup, workspace: INPUTS.workspace });
  const action = inputs.enumValue(INPUTS.action, ACTIONS, 'deploy');
  const deploys = action === 'deploy' || action === 'canary';
  // deploy, canary and promote move traffic in steps, watch them and smoke test; reject only restores.
  const movesTraffic = action !== 'reject';

  const { endpoint, deployment, endpointName, deploymentFileName } = deploys ? readSpecs(inputs, env) : readEndpointNameOnly(inputs, env);
  // Each input is read, and so validated, only for the actions that use it (those task.json shows it for): a value
  // left in an input another action hides never fails this one.
  const canary = action === 'canary' ? inputs.integer(INPUTS.canaryPercentage, 10, { min: 1, max: 99 }) : undefined;
  const mirrorPercent = deploys ? inputs.integer(INPUTS.mirrorPercentage, 0, { min: 0, max: MAX_MIRROR_PERCENT }) : 0;
  const rollout = {
    steps: movesTraffic ? readSteps(inputs) : [],
    stopAt: canary ?? 100,
    mirrorPercent,
    mirrorDurationMs: mirrorPercent > 0 ? inputs.integer(INPUTS.mirrorDurationSeconds, 120, { min: 0, max: MAX_WAIT_SECONDS }) * 1000 : 0,
    stepWaitMs: movesTraffic ? inputs.integer(INPUTS.stepWaitSeconds, 60, { min: 0, max: MAX_WAIT_SECONDS }) * 1000 : 0,
    previousDeployment: movesTraffic ? inputs.enumValue(INPUTS.previousDeployment, ['delete', 'keep'] as const, 'delete') : 'delete',
    onRollback: inputs.enumValue(INPUTS.newDeploymentOnRollback, ['delete', 'keep'] as const, 'delete'),
  };
  // deploy, canary and promote test the new deployment before it gets traffic and after every traffic step.
  const smokeTest = movesTraffic
    ? readSmokeTestInputs(inputs, { required: `action ${action} smoke tests the new deployment before it gets traffic and after every traffic step` })
    : undefined;
  const buildUrl = lineageTags(env)['azure-pipelines.build-url'];
  return {
    connection,
    workspace,
    action,
    endpointName,
    endpoint,
    deployment,
    deploymentNameGiven: deployment?.nameFrom === 'input',
    deploymentFileName,
    rollout,
    smokeTest,
    buildUrl,
  };
}

interface Specs {
  readonly endpoint: EndpointSpec | undefined;
  readonly deployment: DeploymentSpec | undefined;
  readonly endpointName: string;
  readonly deploymentFileName: string | undefined;
}

/** deploy and canary: the endpoint and deployment specs, exactly as AzureMLDeployQA@1 reads them. */
function readSpecs(inputs: InputReader, env: AgentEnvironment): Specs {
  // The name is chosen against the endpoint (blue/green): only the file's own name counts (see fileNamesDeployment).
  const { endpoint, deployment } = readOnlineDeploymentInputs(inputs, env, { defaultDeploymentName: DEFAULT_FIRST_NAME });
  if (!deployment.model) {
    throw new InputError(
      INPUTS.model,
      'a value is required: a production rollout deploys a registered model version',
      `Set '${INPUTS.model}' (e.g. $(register.ModelReference) from AzureMLRegisterModel@1, or azureml:<name>:<version>), or model in the deployment YAML`,
    );
  }
  // The deployment's name from the file: a preference only (blue/green alternation applies).
  const deploymentFileName = deployment.nameFrom === 'file' ? deployment.name : undefined;
  return { endpoint, deployment, endpointName: endpoint.name, deploymentFileName };
}

/**
 * promote and reject work on the rollout recorded on the endpoint: only the endpoint's name is needed, from the
 * input or the files (the model and other deployment inputs are ignored, so the same step inputs can be reused with
 * another action even where the variables they name are not set).
 */
function readEndpointNameOnly(inputs: InputReader, env: AgentEnvironment): Specs {
  const name = inputs.optionalString(INPUTS.endpointName);
  const fix = `Set '${INPUTS.endpointName}' to the online endpoint whose rollout to finish or roll back (or give '${INPUTS.endpointFile}' or '${INPUTS.deploymentFile}' naming it)`;
  if (name !== undefined) return { endpoint: undefined, deployment: undefined, endpointName: checkEndpointName(name), deploymentFileName: undefined };
  const endpointFile = inputs.path(INPUTS.endpointFile, { kind: 'file' });
  if (endpointFile !== undefined) {
    const spec = loadEndpointSpec(endpointFile, { overrides: inputs.optionalString(INPUTS.endpointOverrides), displayName: displayPath(endpointFile, env) });
    return { endpoint: undefined, deployment: undefined, endpointName: spec.name, deploymentFileName: undefined };
  }
  const deploymentFile = inputs.path(INPUTS.deploymentFile, { kind: 'file' });
  if (deploymentFile !== undefined) {
    const spec = loadDeploymentSpec(deploymentFile, {
      // Only endpoint_name is read: any valid name lets the file load.
      defaultName: DEFAULT_FIRST_NAME,
      overrides: inputs.optionalString(INPUTS.deploymentOverrides),
      displayName: displayPath(deploymentFile, env),
    });
    return { endpoint: undefined, deployment: undefined, endpointName: spec.endpointName, deploymentFileName: undefined };
  }
  throw new InputError(INPUTS.endpointName, 'a value is required', fix);
}

const ENDPOINT_NAME = /^[A-Za-z][A-Za-z0-9-]{1,30}[A-Za-z0-9]$/;

function checkEndpointName(name: string): string {
  if (!ENDPOINT_NAME.test(name)) {
    throw new InputError(INPUTS.endpointName, `'${name}' is not a valid online endpoint name`, "Use 3 to 32 letters, digits and '-', starting with a letter and not ending with '-'");
  }
  return name;
}

/** `10, 50, 100` (commas, spaces or lines; `%` allowed): whole percentages, increasing, ending at 100. */
export function readSteps(inputs: InputReader): number[] {
  const text = inputs.optionalString(INPUTS.trafficSteps);
  if (text === undefined) return [...DEFAULT_TRAFFIC_STEPS];
  const fix = 'Give increasing whole percentages ending with 100, e.g. 10, 50, 100 (to stop part of the way, use action canary)';
  const parts = text.split(/[\s,;]+/).map((part) => part.replace(/%$/, '')).filter((part) => part !== '');
  const steps: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) < 1 || Number(part) > 100) throw new InputError(INPUTS.trafficSteps, `'${part}' is not a percentage from 1 to 100`, fix);
    const value = Number(part);
    if (steps.length > 0 && value <= steps[steps.length - 1]!) throw new InputError(INPUTS.trafficSteps, `${value} does not increase on ${steps[steps.length - 1]}`, fix);
    steps.push(value);
  }
  if (steps.length === 0 || steps[steps.length - 1] !== 100) {
    throw new InputError(INPUTS.trafficSteps, `'${text}' does not end with 100: the rollout ends with the new deployment taking all the traffic`, fix);
  }
  return steps;
}
