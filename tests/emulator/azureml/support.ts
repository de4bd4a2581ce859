import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { BlobServiceClient, Pipeline, StorageSharedKeyCredential, type RequestPolicy, type RequestPolicyFactory } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import type { Emulator } from '@azureml-mlops/emulator';
import { armAccessToken } from '../../support/emulatorHttp';
import { ProxyTunnelAgent } from '../../support/proxyTunnelAgent';

export type Json = Record<string, any>;

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Json;
  readonly text: string;
}

const TERMINAL = ['Completed', 'Failed', 'Canceled'];

/**
 * A client of the emulated Azure ML workspace for tests: ARM and data-plane calls with a service principal's token,
 * and blob storage reached the way the product reaches it (datastore + listSecrets, through the emulator's proxy).
 */
export class AzureMlTestClient {
  private storage?: { client: BlobServiceClient; accountName: string; container: string };

  private constructor(
    readonly emulator: Emulator,
    private readonly ca: Buffer,
    private readonly token: string,
  ) {}

  static async connect(emulator: Emulator): Promise<AzureMlTestClient> {
    return new AzureMlTestClient(emulator, fs.readFileSync(emulator.caCertPath), await armAccessToken(emulator));
  }

  /** `subscriptions/.../workspaces/<ws>` (the `W` of docs/architecture.md). */
  get workspacePath(): string {
    const e = this.emulator;
    return `subscriptions/${e.subscriptionId}/resourceGroups/${e.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${e.workspaceName}`;
  }

  /** ARM call: `relative` is appended to the workspace URL ('' for the workspace), or is a path from the root when it starts with '/'. */
  arm(method: string, relative: string, body?: unknown): Promise<HttpResult> {
    const url = relative.startsWith('/') ? `${this.emulator.url}${relative.slice(1)}` : `${this.emulator.url}${this.workspacePath}${relative === '' ? '' : `/${relative}`}`;
    return this.request(method, url.includes('api-version=') ? url : `${url}${url.includes('?') ? '&' : '?'}api-version=2022-10-01`, body);
  }

  request(method: string, url: string, body?: unknown, withToken = true): Promise<HttpResult> {
    const headers: Record<string, string> = withToken ? { authorization: `Bearer ${this.token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    return send(this.ca, method, url, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers);
  }

  mlflowUrl(op: string): string {
    return `${this.emulator.url}mlflow/v1.0/${this.workspacePath}/api/2.0/mlflow/${op}`;
  }

  mlflowGet(op: string, query: Record<string, string>): Promise<HttpResult> {
    return this.request('GET', `${this.mlflowUrl(op)}?${new URLSearchParams(query).toString()}`);
  }

  mlflowPost(op: string, body: unknown): Promise<HttpResult> {
    return this.request('POST', this.mlflowUrl(op), body);
  }

  runDetails(runId: string): Promise<HttpResult> {
    return this.request('GET', `${this.emulator.url}history/v1.0/${this.workspacePath}/runs/${runId}/details`);
  }

  async job(name: string): Promise<Json> {
    const res = await this.arm('GET', `jobs/${name}`);
    if (res.status !== 200) throw new Error(`GET job ${name}: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Polls the job until `done(status)` (default: a terminal status); returns the job and every status it saw. */
  async waitForJob(name: string, done: (status: string) => boolean = (s) => TERMINAL.includes(s), timeoutMs = 30_000): Promise<{ job: Json; seen: string[] }> {
    const seen: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.job(name);
      const status = String(job['properties']['status']);
      if (seen[seen.length - 1] !== status) seen.push(status);
      if (done(status)) return { job, seen };
      if (Date.now() > deadline) throw new Error(`job ${name} still ${status} after ${timeoutMs} ms (saw ${seen.join(' -> ')})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Blob storage of the workspace's default datastore, with the key listSecrets returns, through the emulator's proxy. */
  async blobStore(): Promise<{ client: BlobServiceClient; accountName: string; container: string }> {
    if (this.storage) return this.storage;
    const datastore = (await this.arm('GET', 'datastores/workspaceblobstore')).body;
    const secrets = (await this.arm('POST', 'datastores/workspaceblobstore/listSecrets')).body;
    const accountName = String(datastore['properties']['accountName']);
    const credential = new StorageSharedKeyCredential(accountName, String(secrets['key']));
    const agent = new ProxyTunnelAgent(new URL(this.emulator.proxyUrl), this.ca);
    const client = new BlobServiceClient(`https://${accountName}.blob.${datastore['properties']['endpoint']}`, new Pipeline([credential, withAgent(agent)]));
    this.storage = { client, accountName, container: String(datastore['properties']['containerName']) };
    return this.storage;
  }

  /** Uploads a local folder under `prefix` of the default datastore; returns its production-style URL. */
  async uploadFolder(dir: string, prefix: string): Promise<string> {
    const { client, accountName, container } = await this.blobStore();
    const containerClient = client.getContainerClient(container);
    for (const file of listFiles(dir)) {
      const name = `${prefix}/${path.relative(dir, file).split(path.sep).join('/')}`;
      await containerClient.getBlockBlobClient(name).uploadFile(file);
    }
    return `https://${accountName}.blob.core.windows.net/${container}/${prefix}`;
  }

  async uploadText(blobPath: string, text: string): Promise<void> {
    const { client, container } = await this.blobStore();
    await client.getContainerClient(container).getBlockBlobClient(blobPath).upload(text, Buffer.byteLength(text));
  }

  /** Text of a blob in the default datastore, or undefined when it does not exist. */
  async readBlob(blobPath: string, container?: string): Promise<string | undefined> {
    const store = await this.blobStore();
    const blob = store.client.getContainerClient(container ?? store.container).getBlobClient(blobPath);
    if (!(await blob.exists())) return undefined;
    return (await blob.downloadToBuffer()).toString('utf8');
  }

  /** GET of a (SAS) URL of the storage account through the proxy, as a client streaming a log does. */
  async fetchThroughProxy(url: string): Promise<{ status: number; text: string }> {
    const agent = new ProxyTunnelAgent(new URL(this.emulator.proxyUrl), this.ca);
    return new Promise((resolve, reject) => {
      https
        .get(url, { agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        })
        .on('error', reject);
    });
  }
}

/** A name no other test of the shared emulator uses (job and asset names are workspace-wide). */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Writes files (relative path -> content) into a new folder. */
export function writeFolder(dir: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return dir;
}

/**
 * Whether a process is alive (signal 0 probes without killing). A zombie (killed, not yet reaped by its new parent,
 * which in a container may be a slow PID 1) is not.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return fs.existsSync('/proc/self') ? false : true;
  }
}

function send(ca: Buffer, method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Json = {};
        try {
          parsed = text === '' ? {} : (JSON.parse(text) as Json);
        } catch {
          parsed = {};
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}


function withAgent(agent: https.Agent): RequestPolicyFactory {
  return {
    create: (next: RequestPolicy): RequestPolicy => ({
      sendRequest: (request) => {
        request.agent = agent;
        return next.sendRequest(request);
      },
    }),
  };
}
