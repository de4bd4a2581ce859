/**
 * Waiting for a submitted Azure ML job: status polling (pollSchedule.ts), live logs of every process and pipeline
 * step, cancellation when the pipeline is cancelled or the timeout is reached, and the job's results.
 */
export { waitForJob, MAX_CONSECUTIVE_POLL_FAILURES } from './waitForJob';
export type { WaitOptions, JobOutcome, WaitDependencies } from './waitForJob';
export { collectJobResults } from './results';
export type { JobResults } from './results';
export type { JobWorkspace } from './jobResource';
export type { Clock } from './clock';
export type { WaitLog } from './waitLog';
export { POLL_SCHEDULE } from './pollSchedule';
export { isTerminalStatus } from './statuses';
