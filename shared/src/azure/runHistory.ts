import { registerSasUrl } from '../pipeline/secrets';
import { DataPlaneDiscovery } from './dataPlane';
import { sendJsonRequest, SendRequest } from './rest';

export interface RunDetails {
  readonly runId: string;
  /** NotStarted, Queued, Preparing, Running, Finalizing, CancelRequested, Completed, Failed, Canceled… */
  readonly status: string;
  readonly startTimeUtc?: string;
  readonly endTimeUtc?: string;
  readonly error?: { readonly error?: { readonly code?: string; readonly message?: string } } & Record<string, unknown>;
  /**
   * Log path (e.g. `user_logs/std_log.txt`) → read SAS URL. The URLs are secrets (registered as such): never log
   * them; show the path.
   */
  readonly logFiles: Readonly<Record<string, string>>;
}

export interface LogChunk {
  /** New bytes from `fromByte` on (may end inside a UTF-8 character: decode with a StringDecoder). */
  readonly data: Buffer;
  /** Where the next read starts. */
  readonly nextByte: number;
}

/** Azure ML run history: run status and the run's log files. */
export class RunHistoryClient {
  constructor(
    private readonly discovery: DataPlaneDiscovery,
    private readonly send: SendRequest,
    /** For the SAS log URLs: no bearer token (the SAS is the credential), agent proxy per URL. */
    private readonly sendAnonymous: SendRequest,
    private readonly workspaceScope: string,
  ) {}

  /** Status and log files of a run (the MLflow run id / job name), or undefined when it does not exist (yet). */
  async getRunDetails(runId: string, abortSignal?: AbortSignal): Promise<RunDetails | undefined> {
    const { history } = await this.discovery.endpoints(abortSignal);
    const url = `${history}/history/v1.0/${this.workspaceScope}/runs/${encodeURIComponent(runId)}/details`;
    const response = await sendJsonRequest<Partial<RunDetails>>(this.send, 'GET', url, { abortSignal, allowedStatuses: [404] });
    if (response.status === 404 || !response.body) return undefined;
    const logFiles: Record<string, string> = {};
    for (const [logPath, sasUrl] of Object.entries(response.body.logFiles ?? {})) {
      if (typeof sasUrl !== 'string') continue;
      registerSasUrl(sasUrl);
      logFiles[logPath] = sasUrl;
    }
    return {
      ...response.body,
      runId: response.body.runId ?? runId,
      status: response.body.status ?? 'Unknown',
      logFiles,
    };
  }

  /**
   * Bytes of a log file from `fromByte` on, with a Range request, so a log followed while the job runs is
   * downloaded once. No new bytes (416, or a server that ignored Range and sent no more) gives an empty chunk.
   */
  async readLogFile(sasUrl: string, fromByte: number, abortSignal?: AbortSignal): Promise<LogChunk> {
    registerSasUrl(sasUrl);
    const response = await sendJsonRequest<never>(this.sendAnonymous, 'GET', sasUrl, {
      abortSignal,
      binary: true,
      headers: { range: `bytes=${fromByte}-`, accept: '*/*', 'x-ms-version': '2021-08-06' },
      allowedStatuses: [416],
    });
    if (response.status === 416) return { data: Buffer.alloc(0), nextByte: fromByte };
    const bytes = response.rawBody ?? Buffer.alloc(0);
    // 200 means the Range header was ignored: the body is the whole file.
    const data = response.status === 206 ? bytes : bytes.subarray(Math.min(fromByte, bytes.length));
    return { data, nextByte: fromByte + data.length };
  }
}
