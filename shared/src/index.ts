// Public API of @azureml-mlops/shared. Tasks import only from here.

// Agent plumbing
export * from './pipeline/agentEnvironment';
export * from './pipeline/errors';
export * from './pipeline/describeError';
export * from './pipeline/main';
export * from './pipeline/inputs';
export * from './pipeline/outputs';
export * from './pipeline/summary';
export * from './pipeline/logging';
export * from './pipeline/logLines';
export * from './pipeline/secrets';
export * from './pipeline/lineage';
export * from './pipeline/proxy';
export * from './pipeline/taskIdentity';
export * from './pipeline/artifacts';

// Azure: connection, credential, HTTP, workspace
export * from './azure/connection';
export * from './azure/authErrors';
export * from './azure/oidc';
export * from './azure/credential';
export * from './azure/httpPolicies';
export * from './azure/rest';
export * from './azure/armOperations';
export * from './azure/dataPlane';
export * from './azure/mlflow';
export * from './azure/runHistory';
export * from './azure/datastore';
export * from './azure/workspace';
export * from './azure/connectWorkspace';

// Azure ML resources: jobs, models, online endpoints
export * from './azureml';

// Storage: content-hash upload
export * from './storage/fileSet';
export * from './storage/contentHash';
export * from './storage/upload';

// YAML: loading with line numbers in errors, az ml --set overrides
export * from './yaml';

// Online endpoints and deployments: az ml YAML, create-or-update, traffic, logs, smoke tests
export * from './deploy';
