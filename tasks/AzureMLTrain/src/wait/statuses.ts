/**
 * Azure ML job statuses (JobStatus of the 2022-10-01 API). Terminal ones are those azure-ai-ml's
 * RunHistoryConstants.TERMINAL_STATUSES lists: a job in NotResponding or Paused is not making progress by itself, so
 * waiting for it would only end at the pipeline's timeout.
 */
const TERMINAL_STATUSES = ['completed', 'failed', 'canceled', 'notresponding', 'paused'];

/** The only status that means the job did what it was asked. */
export const SUCCEEDED_STATUS = 'Completed';

export function isTerminalStatus(status: string | undefined): boolean {
  return status !== undefined && TERMINAL_STATUSES.includes(status.toLowerCase());
}

export function isSucceededStatus(status: string | undefined): boolean {
  return status !== undefined && status.toLowerCase() === SUCCEEDED_STATUS.toLowerCase();
}
