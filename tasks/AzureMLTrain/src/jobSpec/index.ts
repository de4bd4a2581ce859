export { buildJobSubmissionPlan, type BuildPlanOptions } from './buildPlan';
export { EXPERIMENT_NAME_PATTERN, type JobTaskInputs } from './commonFields';
export { materializeSubmission, type MaterializedComponent, type MaterializedSubmission, type ResolvedPlaceholders } from './materialize';
export * from './plan';
