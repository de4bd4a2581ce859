// Azure ML resources the tasks read and write through the workspace's ARM requests.
export * from './resources';
export * from './jobs';
export * from './models';
export * from './modelMetrics';
export * from './endpoints';
export * from './workspaceInputs';
