import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { Emulator } from '@azureml-mlops/emulator';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly bearer?: string;
}

/**
 * One HTTPS request to the emulator from the test process, trusting the emulator's CA explicitly (the test process
 * did not start with NODE_EXTRA_CA_CERTS). A fresh connection each time, so dropped connections stay isolated.
 */
export function emulatorRequest(emulator: Pick<Emulator, 'url' | 'caCertPath'>, method: string, pathOrUrl: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const url = new URL(pathOrUrl, emulator.url);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.bearer) headers['authorization'] = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: readFileSync(emulator.caCertPath), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** Form-encoded POST to the tenant's v2 token endpoint. */
export function tokenRequest(emulator: Emulator, fields: Record<string, string>, tenant = emulator.tenantId): Promise<HttpAnswer> {
  return emulatorRequest(emulator, 'POST', `${tenant}/oauth2/v2.0/token`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** An ARM access token for the secret service principal, straight from the token endpoint. */
export async function armAccessToken(emulator: Emulator): Promise<string> {
  const { clientId, clientSecret } = emulator.principals.servicePrincipalSecret;
  const answer = await tokenRequest(emulator, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: `${emulator.url}.default` });
  if (answer.status !== 200) throw new Error(`token request failed with ${answer.status}`);
  return answer.json<{ access_token: string }>().access_token;
}

/** The claims of a JWT (no verification: for assertions on what the emulator issued). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The workspace's ARM path. */
export function workspacePath(emulator: Emulator): string {
  return `subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${emulator.workspaceName}`;
}
