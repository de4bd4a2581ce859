import { randomUUID } from 'node:crypto';
import { BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { StorageService } from '../context';

/** The container holding ACR Tasks' uploaded sources and run logs (ACR keeps them in storage of its own). */
export const ACR_TASKS_CONTAINER = 'acr-tasks';
const SAS_LIFETIME_SECONDS = 3600;

/**
 * Where ACR Tasks keeps build sources and run logs, with the SAS URLs it hands out. The URLs are production-style
 * (`https://<account>.blob.core.windows.net/...`): clients reach them through the agent proxy, as datastore uploads.
 */
export class TaskStorage {
  private readonly credential: StorageSharedKeyCredential;
  private ready: Promise<unknown> | undefined;

  constructor(private readonly storage: StorageService) {
    this.credential = new StorageSharedKeyCredential(storage.accountName, storage.accountKey);
  }

  /** A new upload location: `source/<yyyyMMddHHmm>/<guid>.tar.gz`, writable through the returned SAS URL for an hour. */
  async newSourceUpload(): Promise<{ relativePath: string; uploadUrl: string }> {
    await this.ensureContainer();
    const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 12);
    const relativePath = `source/${stamp}/${randomUUID()}.tar.gz`;
    return { relativePath, uploadUrl: this.sasUrl(relativePath, 'cw') };
  }

  /** The uploaded source at `relativePath`, or undefined when nothing was uploaded there. */
  async readSource(relativePath: string): Promise<Buffer | undefined> {
    const blob = this.container().getBlockBlobClient(relativePath);
    if (!(await blob.exists())) return undefined;
    return blob.downloadToBuffer();
  }

  /** Creates the (empty) log blob of a run. */
  async createLog(runId: string): Promise<void> {
    await this.ensureContainer();
    await this.container().getAppendBlobClient(logPath(runId)).createIfNotExists({ blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } });
  }

  async appendLog(runId: string, text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length === 0) return;
    await this.container().getAppendBlobClient(logPath(runId)).appendBlock(bytes, bytes.length);
  }

  async readLog(runId: string): Promise<string> {
    const blob = this.container().getAppendBlobClient(logPath(runId));
    return (await blob.exists()) ? (await blob.downloadToBuffer()).toString('utf8') : '';
  }

  /** A read-only SAS URL of the run's log. */
  logUrl(runId: string): string {
    return this.sasUrl(logPath(runId), 'r');
  }

  private sasUrl(blobPath: string, permissions: string): string {
    const now = Date.now();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: ACR_TASKS_CONTAINER,
        blobName: blobPath,
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(now - 5 * 60_000),
        expiresOn: new Date(now + SAS_LIFETIME_SECONDS * 1000),
        protocol: SASProtocol.Https,
      },
      this.credential,
    );
    return `${this.storage.blobUrl(ACR_TASKS_CONTAINER, blobPath)}?${sas.toString()}`;
  }

  private container() {
    return this.storage.client.getContainerClient(ACR_TASKS_CONTAINER);
  }

  private ensureContainer(): Promise<unknown> {
    if (!this.ready) {
      this.ready = this.container().createIfNotExists();
      this.ready.catch(() => (this.ready = undefined));
    }
    return this.ready;
  }
}

function logPath(runId: string): string {
  return `logs/${runId}/rawtext.log`;
}
