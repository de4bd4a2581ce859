/**
 * The fields of the `az ml` CLI v2 job YAML (azure-ai-ml schemas: BaseJobSchema, CommandJobSchema,
 * ParameterizedCommandSchema, PipelineJobSchema, pipeline node CommandSchema, CommandComponentSchema).
 */

/** Fields the service fills in; a YAML saved from `az ml job show` has them. Ignored, as the CLI does. */
export const READ_ONLY_FIELDS = ['id', 'status', 'creation_context', 'log_files', 'parameters', 'services_status'] as const;

const COMMON_JOB_FIELDS = [
  '$schema',
  'type',
  'name',
  'display_name',
  'experiment_name',
  'description',
  'tags',
  'properties',
  'compute',
  'identity',
  'services',
] as const;

const COMMAND_FIELDS = ['command', 'code', 'environment', 'environment_variables', 'resources', 'distribution', 'limits', 'inputs', 'outputs'] as const;

/** Fields the CLI knows but API 2022-10-01 cannot carry: refused with this explanation. */
export const NOT_IN_API_VERSION: Readonly<Record<string, string>> = {
  queue_settings: 'queue_settings (job tier and priority) is not in Azure ML API 2022-10-01, which this task uses',
  parent_job_name: 'parent_job_name is not supported when submitting a job',
};

export const COMMAND_JOB_FIELDS: readonly string[] = [...COMMON_JOB_FIELDS, ...COMMAND_FIELDS, ...READ_ONLY_FIELDS, ...Object.keys(NOT_IN_API_VERSION)];

export const PIPELINE_JOB_FIELDS: readonly string[] = [...COMMON_JOB_FIELDS, 'settings', 'inputs', 'outputs', 'jobs', ...READ_ONLY_FIELDS];

/** A pipeline step defined inline (type: command with its command, code and environment). */
export const INLINE_STEP_FIELDS: readonly string[] = [
  '$schema',
  'type',
  'display_name',
  'description',
  'tags',
  'properties',
  'compute',
  'identity',
  'services',
  'experiment_name',
  ...COMMAND_FIELDS,
  'queue_settings',
];

/** A pipeline step that runs a component (`component:`). */
export const COMPONENT_STEP_FIELDS: readonly string[] = [
  '$schema',
  'type',
  'component',
  'display_name',
  'description',
  'tags',
  'properties',
  'compute',
  'identity',
  'services',
  'inputs',
  'outputs',
  'environment_variables',
  'resources',
  'distribution',
  'limits',
  'queue_settings',
];

export const COMMAND_COMPONENT_FIELDS: readonly string[] = [
  '$schema',
  'name',
  'version',
  'display_name',
  'description',
  'tags',
  'type',
  'is_deterministic',
  'inputs',
  'outputs',
  'command',
  'code',
  'environment',
  'environment_variables',
  'resources',
  'distribution',
  'properties',
  'id',
  'creation_context',
];

export const PIPELINE_SETTINGS_FIELDS: readonly string[] = [
  'default_compute',
  'default_datastore',
  'continue_on_step_failure',
  'force_rerun',
  'on_init',
  'on_finalize',
];

/** Likely slips, for "Did you mean ...?". */
export const FIELD_ALIASES: Readonly<Record<string, string>> = {
  gpus: 'instance_count',
  gpu: 'instance_count',
  gpu_count: 'instance_count',
  nodes: 'instance_count',
  node_count: 'instance_count',
  instances: 'instance_count',
  vm_size: 'instance_type',
  sku: 'instance_type',
  size: 'instance_type',
  env: 'environment',
  image: 'environment',
  docker_image: 'environment',
  env_vars: 'environment_variables',
  environment_vars: 'environment_variables',
  variables: 'environment_variables',
  experiment: 'experiment_name',
  timeout: 'limits',
  max_run_duration: 'limits',
  script: 'command',
  cmd: 'command',
  source: 'code',
  src: 'code',
  source_directory: 'code',
  target: 'compute',
  compute_target: 'compute',
  cluster: 'compute',
  steps: 'jobs',
  conda: 'conda_file',
  conda_dependencies: 'conda_file',
  docker: 'image',
  processes_per_node: 'process_count_per_instance',
  process_count: 'process_count_per_instance',
  workers: 'worker_count',
  parameter_servers: 'parameter_server_count',
  datastore_name: 'datastore',
  uri: 'path',
  url: 'path',
};

/** Job types of the CLI this task does not run, with a word on why. */
export const UNSUPPORTED_JOB_TYPES: Readonly<Record<string, string>> = {
  sweep: 'sweep (hyperparameter tuning) jobs',
  automl: 'AutoML jobs',
  spark: 'Spark jobs',
  parallel: 'parallel jobs',
  import: 'import jobs',
  data_transfer: 'data transfer jobs',
  finetuning: 'fine-tuning jobs',
  distillation: 'distillation jobs',
  pipeline_component: 'pipeline components',
};
