import {
  createHttpHeaders,
  createPipelineRequest,
  HttpHeaders,
  HttpMethods,
  PipelineRequest,
  PipelineResponse,
} from '@azure/core-rest-pipeline';

import { TaskError } from '../pipeline/errors';
import { redactSecrets, urlWithoutQuery } from '../pipeline/secrets';

/** Sends one request through a configured pipeline (an SDK client's `sendRequest`, or pipeline + HttpClient). */
export type SendRequest = (request: PipelineRequest) => Promise<PipelineResponse>;

export interface RestRequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly abortSignal?: AbortSignal;
  /** Statuses returned instead of thrown, besides 2xx (e.g. [404] to test existence). */
  readonly allowedStatuses?: readonly number[];
  /** Read the body as bytes (`rawBody`) instead of JSON. */
  readonly binary?: boolean;
}

export interface RestResponse<T> {
  readonly status: number;
  readonly headers: HttpHeaders;
  /** Parsed JSON body; undefined when empty or not JSON. */
  readonly body: T | undefined;
  /** Raw bytes, only with `binary: true`. */
  readonly rawBody?: Buffer;
}

/** An Azure service answered with an error. The message names the call (no query string), status and service code. */
export class AzureRequestError extends TaskError {
  constructor(
    readonly method: string,
    /** URL without query string. */
    readonly url: string,
    readonly status: number,
    readonly code: string | undefined,
    readonly serviceMessage: string,
  ) {
    super(redactSecrets(`${method} ${url} failed with HTTP ${status}${code ? ` ${code}` : ''}: ${serviceMessage || '(no details)'}`));
    this.name = 'AzureRequestError';
  }
}

/** Service error code and message from ARM (`{error:{code,message}}`), MLflow (`{error_code,message}`) and others. */
export function parseServiceError(body: unknown, fallbackText = ''): { code?: string; message: string } {
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const error = record.error;
    if (error && typeof error === 'object') {
      const e = error as Record<string, unknown>;
      const details = Array.isArray(e.details)
        ? (e.details as Array<Record<string, unknown>>)
            .map((d) => (typeof d.message === 'string' ? d.message : undefined))
            .filter((m): m is string => !!m)
        : [];
      const message = [typeof e.message === 'string' ? e.message : '', ...details].filter(Boolean).join(' ');
      return { code: typeof e.code === 'string' ? e.code : undefined, message };
    }
    if (typeof record.error_code === 'string' || typeof record.message === 'string') {
      return {
        code: typeof record.error_code === 'string' ? record.error_code : undefined,
        message: typeof record.message === 'string' ? record.message : '',
      };
    }
  }
  return { message: fallbackText.slice(0, 500) };
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Sends a JSON request and parses the answer; non-2xx statuses not in `allowedStatuses` throw AzureRequestError. */
export async function sendJsonRequest<T>(
  send: SendRequest,
  method: HttpMethods,
  url: string,
  options: RestRequestOptions = {},
): Promise<RestResponse<T>> {
  const headers = createHttpHeaders({ accept: 'application/json', ...(options.headers ?? {}) });
  const request = createPipelineRequest({ url, method, headers, abortSignal: options.abortSignal });
  if (options.body !== undefined) {
    request.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  if (options.binary) request.streamResponseStatusCodes = new Set([200, 206]);
  const response = await send(request);
  const ok = response.status >= 200 && response.status < 300;
  let rawBody: Buffer | undefined;
  if (options.binary && response.readableStreamBody) rawBody = await readStream(response.readableStreamBody);
  const text = response.bodyAsText ?? undefined;
  let body: T | undefined;
  if (text) {
    try {
      body = JSON.parse(text) as T;
    } catch {
      body = undefined;
    }
  }
  if (!ok && !(options.allowedStatuses ?? []).includes(response.status)) {
    const { code, message } = parseServiceError(body, text ?? '');
    throw new AzureRequestError(method, urlWithoutQuery(url), response.status, code, message);
  }
  return { status: response.status, headers: response.headers, body, rawBody };
}
