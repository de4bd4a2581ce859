/**
 * JobSubmissionPlan: what the Train task must do to submit an `az ml` job YAML, as data. It is built
 * without any network call (buildJobSubmissionPlan) and executed by run.ts, which needs no YAML knowledge.
 *
 * The job body and the component specs hold placeholder tokens (`{{plan:<kind>:<n>}}`) for what only
 * exists once run.ts has acted: uploaded data, registered code, `@latest` versions. run.ts executes a plan:
 *   1. assets       For each AssetReference: kind 'version' -> optionally GET `armId` to fail early with a
 *                   clear message when it does not exist; kind 'latest' -> GET the container
 *                   (`{workspaceId}/{assetType}/{name}`), take `properties.latestVersion`, and set
 *                   resolved[placeholder] = `{workspaceId}/{assetType}/{name}/versions/{latestVersion}`.
 *   2. uploads      Upload each PlannedUpload (file or folder) to its datastore (the default one when
 *                   `datastore` is undefined) under a content-hash folder; resolved[placeholder] =
 *                   `azureml://datastores/{datastore name}/paths/{blob path of the file or folder}`.
 *   3. codes        Upload each PlannedCode and register it as a code version (.amlignore/.gitignore apply);
 *                   resolved[placeholder] = the code version's ARM id.
 *   4. environments For each PlannedEnvironment: GET `armId`; PUT `body` to it when absent (404).
 *   5. materializeSubmission(plan, resolved) -> final component bodies (their versions are content hashes
 *                   computed once code and environment ids are known) and the final job body.
 *   6. components   For each MaterializedComponent: GET `armId`; PUT `body` when absent.
 *   7. job          PUT `{workspaceId}/jobs/{jobName ?? generated name}` with `job` (api-version 2022-10-01),
 *                   as a raw request: pipeline child jobs are free-form objects the SDK must not reshape.
 * Nothing is created on the Azure side before the whole YAML has been validated.
 */
import type { AppliedOverride } from '@azureml-mlops/shared';

export const API_VERSION = '2022-10-01';

/** Where the job goes: ARM ids of computes, assets and components are built from it. */
export interface WorkspaceScope {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly workspaceName: string;
}

export interface JobSubmissionPlan {
  readonly jobType: 'Command' | 'Pipeline';
  /** The YAML `name` (the job's name, PUT path); undefined when run.ts must generate one. */
  readonly jobName: string | undefined;
  /** ARM id of the workspace: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{w}`. */
  readonly workspaceId: string;
  /** The job YAML as named in messages. */
  readonly specFile: string;
  readonly assets: readonly AssetReference[];
  readonly uploads: readonly PlannedUpload[];
  readonly codes: readonly PlannedCode[];
  readonly environments: readonly PlannedEnvironment[];
  /** Anonymous components of pipeline steps, registered after codes and environments. */
  readonly components: readonly PlannedComponent[];
  /** The job PUT body (with placeholders). */
  readonly job: JobBody;
  /** Non-fatal remarks for the log (ignored read-only fields, single-brace placeholders rewritten...). */
  readonly warnings: readonly string[];
  /** The overrides applied, for the log. */
  readonly overrides: readonly AppliedOverride[];
}

export type AssetType = 'environments' | 'data' | 'components' | 'codes' | 'models';

/** An existing workspace asset the job references. */
export type AssetReference =
  | {
      readonly kind: 'version';
      readonly assetType: AssetType;
      readonly name: string;
      readonly version: string;
      readonly armId: string;
      /** YAML paths that reference it, e.g. ["inputs.training_data"], for messages. */
      readonly usedBy: readonly string[];
    }
  | {
      readonly kind: 'latest';
      readonly assetType: AssetType;
      readonly name: string;
      /** Set resolved[placeholder] to the ARM id of the latest version. */
      readonly placeholder: string;
      readonly usedBy: readonly string[];
    };

/** A local file or folder given as a job input: upload it, then set resolved[placeholder] to its azureml:// URI. */
export interface PlannedUpload {
  readonly placeholder: string;
  /** Absolute local path. */
  readonly localPath: string;
  readonly pathKind: 'file' | 'folder';
  /** Datastore named by the input's `datastore:`; undefined: the workspace's default datastore (workspaceblobstore). */
  readonly datastore?: string;
  readonly usedBy: readonly string[];
}

/** A local code folder (or single file): upload and register as a code version; resolved[placeholder] = its ARM id. */
export interface PlannedCode {
  readonly placeholder: string;
  readonly localPath: string;
  readonly pathKind: 'file' | 'folder';
  readonly usedBy: readonly string[];
}

/** An environment version to create when it does not exist (inline environments of the YAML). */
export interface PlannedEnvironment {
  readonly name: string;
  readonly version: string;
  readonly armId: string;
  /** True for inline environments without name/version (name CliV2AnonymousEnvironment, version = content hash). */
  readonly anonymous: boolean;
  readonly body: { readonly properties: RestEnvironmentVersion };
  readonly usedBy: readonly string[];
}

export interface RestEnvironmentVersion {
  readonly image: string;
  readonly condaFile?: string;
  readonly osType?: 'Linux' | 'Windows';
  readonly description?: string;
  readonly tags?: Record<string, string>;
  readonly isAnonymous?: boolean;
}

/** A pipeline step's command component, registered anonymously (name azureml_anonymous, version = content hash). */
export interface PlannedComponent {
  /** Token used as the step's componentId in the job body. */
  readonly placeholder: string;
  readonly name: string;
  /** componentSpec (YAML form, as azure-ai-ml sends it), with placeholders; `version` is added when materialized. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly usedBy: readonly string[];
}

// ---- REST shapes (Azure ML 2022-10-01, camelCase as on the wire) ----

export interface JobBody {
  readonly properties: RestCommandJob | RestPipelineJob;
}

interface RestJobBase {
  readonly displayName?: string;
  readonly description?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: Record<string, string>;
  readonly experimentName: string;
  readonly computeId?: string;
  readonly identity?: RestIdentity;
  readonly services?: Record<string, RestJobService>;
}

export interface RestCommandJob extends RestJobBase {
  readonly jobType: 'Command';
  readonly command: string;
  readonly environmentId: string;
  readonly codeId?: string;
  readonly environmentVariables?: Record<string, string>;
  readonly inputs?: Record<string, RestJobInput>;
  readonly outputs?: Record<string, RestJobOutput>;
  readonly resources?: RestJobResources;
  readonly limits?: { readonly jobLimitsType: 'Command'; readonly timeout?: string };
  readonly distribution?: RestDistribution;
}

export interface RestPipelineJob extends RestJobBase {
  readonly jobType: 'Pipeline';
  /** snake_case keys, as azure-ai-ml sends them: default_compute (ARM id), continue_on_step_failure, _source... */
  readonly settings: Record<string, unknown>;
  readonly inputs?: Record<string, RestJobInput>;
  readonly outputs?: Record<string, RestJobOutput>;
  /** Child jobs, free-form objects in the API; see PipelineChildJob. */
  readonly jobs: Record<string, PipelineChildJob>;
}

/**
 * A pipeline step as azure-ai-ml serializes it: top-level keys `name`, `type` ('command'), `componentId`,
 * `computeId`, `_source`, `display_name`, `tags`, `properties`; nested values in snake_case:
 *   inputs:  { x: { job_input_type: 'literal', value: '0.5' | '${{parent.inputs.a}}' [, mode] }
 *            | { job_input_type: 'uri_folder', uri, mode? } }
 *   outputs: { o: { job_output_type: 'uri_folder', uri?, mode? } | { type: 'literal', value: '${{parent.outputs.m}}', mode? } }
 *   environment_variables, limits {job_limits_type, timeout}, resources {instance_count...},
 *   distribution {distribution_type...}, services, identity {type: managed|aml_token|user_identity, ...}.
 */
export type PipelineChildJob = Record<string, unknown>;

export type RestInputDeliveryMode = 'ReadOnlyMount' | 'ReadWriteMount' | 'Download' | 'Direct' | 'EvalMount' | 'EvalDownload';
export type RestOutputDeliveryMode = 'ReadWriteMount' | 'Upload';
export type DataType = 'uri_file' | 'uri_folder' | 'mltable' | 'custom_model' | 'mlflow_model' | 'triton_model';

export type RestJobInput =
  | { readonly jobInputType: 'literal'; readonly value: string; readonly description?: string }
  | { readonly jobInputType: DataType; readonly uri: string; readonly mode?: RestInputDeliveryMode; readonly description?: string };

export interface RestJobOutput {
  readonly jobOutputType: DataType;
  readonly uri?: string;
  readonly mode?: RestOutputDeliveryMode;
  readonly description?: string;
}

export interface RestJobResources {
  readonly instanceCount?: number;
  readonly instanceType?: string;
  readonly shmSize?: string;
  readonly dockerArgs?: string;
  readonly properties?: Record<string, unknown>;
}

export type RestDistribution =
  | { readonly distributionType: 'PyTorch'; readonly processCountPerInstance?: number }
  | { readonly distributionType: 'Mpi'; readonly processCountPerInstance?: number }
  | { readonly distributionType: 'TensorFlow'; readonly workerCount?: number; readonly parameterServerCount?: number };

export type RestIdentity =
  | { readonly identityType: 'AMLToken' }
  | { readonly identityType: 'UserIdentity' }
  | { readonly identityType: 'Managed'; readonly clientId?: string; readonly objectId?: string; readonly resourceId?: string };

export interface RestJobService {
  readonly jobServiceType?: string;
  readonly port?: number;
  readonly properties?: Record<string, string>;
}
