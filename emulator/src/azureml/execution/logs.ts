import type { AppendBlobClient } from '@azure/storage-blob';

/** How often buffered output is appended to the log blob: clients streaming the log see it this fresh. */
const FLUSH_INTERVAL_MS = 200;
/** Append Block accepts at most 4 MiB per call. */
const MAX_APPEND_BYTES = 4 * 1024 * 1024;

/**
 * A log file of a run, written to an append blob as output appears, so `GET` of the blob (as clients streaming logs
 * do) sees it grow while the job runs.
 */
export class BlobLogWriter {
  private pending: Buffer[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly blob: AppendBlobClient,
    private readonly onError: (error: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  static async open(blob: AppendBlobClient, onError: (error: unknown) => void): Promise<BlobLogWriter> {
    await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } });
    return new BlobLogWriter(blob, onError);
  }

  write(data: Buffer | string): void {
    if (this.closed) return;
    this.pending.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  /** Appends what is buffered; appends never overlap, so the blob keeps the output's order. */
  flush(): Promise<void> {
    if (this.pending.length === 0) return this.writing;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.writing = this.writing.then(async () => {
      try {
        for (let offset = 0; offset < data.length; offset += MAX_APPEND_BYTES) {
          const block = data.subarray(offset, offset + MAX_APPEND_BYTES);
          await this.blob.appendBlock(block, block.length);
        }
      } catch (error) {
        this.onError(error);
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }
}

/** Keeps the last bytes of a stream (a failed script's stderr) for the run's error message. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(data: Buffer): void {
    this.chunks.push(data);
    this.size += data.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/**
 * The part of a failed script's stderr the service quotes in the run error: the last Python traceback when there is
 * one, else the last lines.
 */
export function errorExcerpt(stderr: string): string {
  const text = stderr.replace(/\r\n/g, '\n').trimEnd();
  const traceback = text.lastIndexOf('Traceback (most recent call last):');
  if (traceback >= 0) return text.slice(traceback);
  const lines = text.split('\n');
  return lines.slice(-20).join('\n');
}
