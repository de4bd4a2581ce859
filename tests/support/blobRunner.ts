/**
 * Child-process runner (started by tests with NODE_EXTRA_CA_CERTS and the agent proxy variables): uses
 * @azure/storage-blob against production-style URLs, with the proxy a task takes from the agent
 * (azure-pipelines-task-lib getHttpProxyConfiguration). Prints one line `RESULT {json}`; never keys or SAS tokens.
 *
 *   RUNNER_MODE=key   RUNNER_ACCOUNT, RUNNER_KEY, RUNNER_CONTAINER, RUNNER_BLOB, RUNNER_CONTENT: upload, then download
 *   RUNNER_MODE=sas   RUNNER_SAS_URL (read-only blob SAS): download, then try to overwrite (must be refused)
 *   RUNNER_ARM_URL    a URL the bypass list must exempt from the proxy
 */
import * as tl from 'azure-pipelines-task-lib/task';
import { AnonymousCredential, BlobServiceClient, BlockBlobClient, StorageSharedKeyCredential, type StoragePipelineOptions } from '@azure/storage-blob';

function report(result: Record<string, unknown>): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** Proxy options for a URL, from the agent's proxy settings, as a task builds them. */
function pipelineOptionsFor(url: string): StoragePipelineOptions {
  const proxy = tl.getHttpProxyConfiguration(url);
  if (!proxy) return {};
  const proxyUrl = new URL(proxy.proxyUrl);
  return { proxyOptions: { host: `${proxyUrl.protocol}//${proxyUrl.hostname}`, port: Number(proxyUrl.port) } };
}

async function main(): Promise<void> {
  const mode = process.env['RUNNER_MODE'];
  const armUrl = process.env['RUNNER_ARM_URL'];
  const armBypassed = armUrl ? tl.getHttpProxyConfiguration(armUrl) === null : undefined;

  if (mode === 'key') {
    const account = process.env['RUNNER_ACCOUNT']!;
    const serviceUrl = `https://${account}.blob.core.windows.net`;
    const options = pipelineOptionsFor(serviceUrl);
    const service = new BlobServiceClient(serviceUrl, new StorageSharedKeyCredential(account, process.env['RUNNER_KEY']!), options);
    const blob = service.getContainerClient(process.env['RUNNER_CONTAINER']!).getBlockBlobClient(process.env['RUNNER_BLOB']!);
    const content = process.env['RUNNER_CONTENT']!;
    const uploaded = await blob.upload(content, Buffer.byteLength(content));
    const downloaded = (await blob.downloadToBuffer()).toString('utf8');
    report({ ok: true, usedProxy: options.proxyOptions !== undefined, armBypassed, downloaded, etag: uploaded.etag, url: blob.url });
    return;
  }

  if (mode === 'sas') {
    const sasUrl = process.env['RUNNER_SAS_URL']!;
    const options = pipelineOptionsFor(sasUrl);
    const blob = new BlockBlobClient(sasUrl, new AnonymousCredential(), options);
    const downloaded = (await blob.downloadToBuffer()).toString('utf8');
    let writeRefused: { status?: number; code?: string } | undefined;
    try {
      await blob.upload('overwritten', 'overwritten'.length);
    } catch (error) {
      const e = error as { statusCode?: number; code?: string };
      writeRefused = { ...(e.statusCode !== undefined ? { status: e.statusCode } : {}), ...(e.code ? { code: e.code } : {}) };
    }
    report({ ok: true, usedProxy: options.proxyOptions !== undefined, armBypassed, downloaded, writeRefused });
    return;
  }
  throw new Error(`unknown RUNNER_MODE '${mode}'`);
}

main().catch((error: unknown) => {
  const e = error as { name?: string; message?: string; code?: string; statusCode?: number };
  report({ ok: false, errorName: e.name, errorMessage: e.message, code: e.code, status: e.statusCode });
  process.exitCode = 1;
});
