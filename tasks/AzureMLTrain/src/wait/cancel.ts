import { AzureRequestError, describeError } from '@azureml-mlops/shared';

import type { Clock } from './clock';
import { getJob, jobArmPath, type JobWorkspace } from './jobResource';
import { isTerminalStatus } from './statuses';

export interface CancelSettings {
  /** Bound on each request (the cancel POST, each status read): a cancelled pipeline leaves only seconds. */
  readonly requestTimeoutMs: number;
  /** How long to wait for a terminal status after the cancel request was accepted. */
  readonly settleMs: number;
  readonly pollMs: number;
}

export interface CancelResult {
  /** The service accepted the cancel request. */
  readonly requested: boolean;
  /** The job's last status seen (terminal when it stopped within `settleMs`). */
  readonly status?: string;
  /** The job had already finished: there was nothing to cancel. */
  readonly alreadyFinished: boolean;
  /** Why the cancel request failed. */
  readonly error?: string;
}

/**
 * Sends the job's cancel request (`POST .../jobs/<name>/cancel`, a long-running operation whose end is not
 * waited for), then watches the job's status for at most `settleMs` so the log can say whether it stopped.
 */
export async function cancelJob(workspace: JobWorkspace, jobName: string, clock: Clock, settings: CancelSettings): Promise<CancelResult> {
  const readStatus = async (): Promise<string | undefined> => {
    try {
      return (await getJob(workspace, jobName, AbortSignal.timeout(settings.requestTimeoutMs))).properties?.status;
    } catch {
      return undefined;
    }
  };

  try {
    await workspace.armRequest('POST', `${jobArmPath(workspace, jobName)}/cancel`, undefined, { abortSignal: AbortSignal.timeout(settings.requestTimeoutMs) });
  } catch (error) {
    // The service refuses to cancel a job that has finished meanwhile (HTTP 400/409).
    const status = error instanceof AzureRequestError && error.status < 500 ? await readStatus() : undefined;
    if (isTerminalStatus(status)) return { requested: false, status, alreadyFinished: true };
    return { requested: false, status, alreadyFinished: false, error: describeError(error) };
  }

  const deadline = clock.now() + settings.settleMs;
  let status: string | undefined;
  for (;;) {
    status = (await readStatus()) ?? status;
    if (isTerminalStatus(status)) break;
    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    await clock.sleep(Math.min(settings.pollMs, remaining));
  }
  return { requested: true, status, alreadyFinished: false };
}
