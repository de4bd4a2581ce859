import fs from 'node:fs';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { ContainerRegistryManagementClient, type Run } from '@azure/arm-containerregistry';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { Emulator } from '@azureml-mlops/emulator';
import { pack } from 'tar-stream';
import { armAccessToken } from '../../support/emulatorHttp';
import { ProxyTunnelAgent } from '../../support/proxyTunnelAgent';

/** The product reaches ACR through @azure/arm-containerregistry 11: the emulator is tested through the same client. */
export async function acrClient(emulator: Emulator): Promise<ContainerRegistryManagementClient> {
  const token = await armAccessToken(emulator);
  const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  return new ContainerRegistryManagementClient(credential, emulator.subscriptionId, {
    endpoint: emulator.url,
    $host: emulator.url,
    credentialScopes: [`${emulator.url}.default`],
    tlsOptions: { ca: fs.readFileSync(emulator.caCertPath, 'utf8') },
  });
}

/** A build context as a .tar.gz, the way az acr build packs one (paths relative to the context root). */
export async function contextArchive(files: Record<string, string>): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    tar.on('end', () => resolve());
    tar.on('error', reject);
  });
  for (const name of Object.keys(files).sort()) {
    await new Promise<void>((resolve, reject) => tar.entry({ name, mtime: new Date(0), mode: 0o644 }, files[name]!, (error) => (error ? reject(error) : resolve())));
  }
  tar.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

/** PUT of a block blob at a SAS URL through the emulator's storage proxy (as an agent behind a proxy uploads). */
export function putBlob(emulator: Emulator, sasUrl: string, bytes: Buffer): Promise<number> {
  const agent = new ProxyTunnelAgent(new URL(emulator.proxyUrl), fs.readFileSync(emulator.caCertPath));
  return new Promise((resolve, reject) => {
    const req = https.request(sasUrl, { method: 'PUT', agent, headers: { 'x-ms-blob-type': 'BlockBlob', 'content-length': String(bytes.length), 'x-ms-version': '2021-08-06' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

/** GET of a SAS URL through the proxy. */
export function getThroughProxy(emulator: Emulator, url: string): Promise<{ status: number; text: string }> {
  const agent = new ProxyTunnelAgent(new URL(emulator.proxyUrl), fs.readFileSync(emulator.caCertPath));
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

/** Uploads a context and schedules a quick build of it; returns the queued run. */
export async function quickBuild(
  emulator: Emulator,
  sdk: ContainerRegistryManagementClient,
  files: Record<string, string>,
  request: { imageNames: string[]; dockerFilePath?: string; arguments?: Array<{ name: string; value: string; isSecret?: boolean }> },
): Promise<Run> {
  const registry = emulator.inspect.containerRegistry().name;
  const upload = await sdk.registries.getBuildSourceUploadUrl(emulator.resourceGroup, registry);
  const status = await putBlob(emulator, upload.uploadUrl!, await contextArchive(files));
  if (status !== 201) throw new Error(`upload answered ${status}`);
  const poller = await sdk.registries.beginScheduleRun(emulator.resourceGroup, registry, {
    type: 'DockerBuildRequest',
    imageNames: request.imageNames,
    isPushEnabled: true,
    dockerFilePath: request.dockerFilePath ?? 'Dockerfile',
    sourceLocation: upload.relativePath!,
    platform: { os: 'Linux', architecture: 'amd64' },
    ...(request.arguments ? { arguments: request.arguments } : {}),
  });
  return poller.getResult()!;
}

/** Polls the run until it ends; returns it and the statuses seen. */
export async function waitForRun(emulator: Emulator, sdk: ContainerRegistryManagementClient, runId: string, timeoutMs = 30_000): Promise<{ run: Run; seen: string[] }> {
  const registry = emulator.inspect.containerRegistry().name;
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await sdk.runs.get(emulator.resourceGroup, registry, runId);
    if (seen[seen.length - 1] !== run.status) seen.push(run.status!);
    if (['Succeeded', 'Failed', 'Canceled', 'Error', 'Timeout'].includes(run.status!)) return { run, seen };
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A repository name no other test of the shared emulator uses. */
export function uniqueRepository(stem: string): string {
  return `${stem}-${randomBytes(4).toString('hex')}`;
}

