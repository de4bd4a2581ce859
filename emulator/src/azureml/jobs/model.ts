import type { AuthenticatedPrincipal } from '../../http/router';
import type { Json, SystemData } from '../resources';

/** JobStatus of the 2022-10-01 API. */
export type JobStatus =
  | 'NotStarted'
  | 'Starting'
  | 'Provisioning'
  | 'Preparing'
  | 'Queued'
  | 'Running'
  | 'Finalizing'
  | 'CancelRequested'
  | 'Completed'
  | 'Failed'
  | 'Canceled'
  | 'NotResponding'
  | 'Paused'
  | 'Unknown';

export type TerminalStatus = 'Completed' | 'Failed' | 'Canceled';

export function isTerminal(status: JobStatus): status is TerminalStatus {
  return status === 'Completed' || status === 'Failed' || status === 'Canceled';
}

export const INPUT_TYPES = ['literal', 'uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'] as const;
export type InputType = (typeof INPUT_TYPES)[number];
export const OUTPUT_TYPES = ['uri_file', 'uri_folder', 'mltable', 'custom_model', 'mlflow_model', 'triton_model'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

export interface LiteralInput {
  readonly type: 'literal';
  readonly value: string;
}

export interface AssetInput {
  readonly type: Exclude<InputType, 'literal'>;
  readonly uri: string;
  /** InputDeliveryMode; `Direct` hands the URI to the script instead of a local copy. */
  readonly mode?: string;
}

export type JobInput = LiteralInput | AssetInput;

export interface JobOutput {
  readonly type: OutputType;
  /** Where the output is uploaded; the default is `azureml://datastores/workspaceblobstore/paths/azureml/<job>/<output>/`. */
  readonly uri?: string;
  readonly mode?: string;
}

export type Distribution =
  | { readonly type: 'PyTorch' | 'Mpi'; readonly processCountPerInstance: number }
  | { readonly type: 'TensorFlow'; readonly workerCount: number; readonly parameterServerCount: number };

/** Everything needed to run a command job (or a pipeline step once its bindings are resolved). */
export interface CommandDefinition {
  readonly command: string;
  /** Storage URI of the code snapshot, resolved from codeId. */
  readonly codeUri?: string;
  readonly codeId?: string;
  readonly environmentId: string;
  readonly computeName: string;
  readonly inputs: Readonly<Record<string, JobInput>>;
  readonly outputs: Readonly<Record<string, JobOutput>>;
  readonly environmentVariables: Readonly<Record<string, string>>;
  readonly distribution?: Distribution;
  readonly instanceCount: number;
  readonly timeoutSeconds?: number;
  /** The limits.timeout text, for messages. */
  readonly timeout?: string;
}

/** A pipeline step's input before the step runs. */
export type StepInput =
  | { readonly kind: 'value'; readonly input: JobInput }
  | { readonly kind: 'parentInput'; readonly name: string }
  | { readonly kind: 'stepOutput'; readonly step: string; readonly output: string; readonly type: Exclude<InputType, 'literal'> };

export interface StepOutput {
  readonly type: OutputType;
  /** Pipeline output this step output is bound to (`${{parent.outputs.<name>}}`). */
  readonly parentOutput?: string;
  readonly uri?: string;
  readonly mode?: string;
}

export interface StepDefinition {
  readonly name: string;
  readonly componentId?: string;
  /** The command definition without inputs and outputs (those come from bindings at run time). */
  readonly template: Omit<CommandDefinition, 'inputs' | 'outputs'>;
  readonly inputs: Readonly<Record<string, StepInput>>;
  readonly outputs: Readonly<Record<string, StepOutput>>;
  readonly dependsOn: readonly string[];
  /** The step as the client sent it (shown on the child job). */
  readonly submitted: Json;
}

export interface PipelineDefinition {
  readonly inputs: Readonly<Record<string, JobInput>>;
  readonly outputs: Readonly<Record<string, JobOutput>>;
  /** Steps in an order where every step comes after the steps it depends on. */
  readonly steps: readonly StepDefinition[];
  readonly continueOnStepFailure: boolean;
}

export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly time: string;
}

export interface JobRecord {
  readonly name: string;
  readonly jobType: 'Command' | 'Pipeline';
  /** Properties as the client sent them, to tell an identical re-PUT from a change. */
  submitted: Json;
  /** Properties GET shows, without the live fields (status, services, output URIs). */
  properties: Json;
  status: JobStatus;
  systemData: SystemData;
  readonly experimentName: string;
  readonly computeName: string;
  readonly principal?: AuthenticatedPrincipal;
  readonly parentName?: string;
  readonly stepName?: string;
  readonly childNames: string[];
  /** Output name -> URI of the uploaded output, once uploaded. */
  readonly outputUris: Record<string, string>;
  error?: JobError;
  startTimeUtc?: string;
  endTimeUtc?: string;
  /** Log paths relative to the run's artifact folder (`user_logs/std_log.txt`, ...). */
  readonly logFiles: string[];
  readonly command?: CommandDefinition;
  readonly pipeline?: PipelineDefinition;
  /** Set while the job executes. */
  runner?: { cancel(): void };
}
