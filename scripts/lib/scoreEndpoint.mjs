// Scores an online endpoint of the emulator as a client application would: an Entra token for a service principal,
// the endpoint and its key from ARM (GET, then POST listKeys), then HTTPS to the endpoint's production-style scoring
// URI, tunnelled through the emulator's proxy (the demo's process does not trust the emulator's CA globally, so
// every connection is given it explicitly; nothing is left unverified).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

const ML_API = 'api-version=2022-10-01';

function send(url, { method = 'GET', headers = {}, body, agent, ca }) {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) }, agent, ...(agent ? {} : { ca }) }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** HTTPS through the agent's CONNECT proxy, verifying the server against the emulator's CA. */
class ProxyTunnelAgent extends https.Agent {
  constructor(proxyUrl, ca) {
    super({ keepAlive: false });
    this.proxy = new URL(proxyUrl);
    this.ca = ca;
  }

  createConnection(options, callback) {
    const target = `${options.host}:${options.port ?? 443}`;
    const connect = http.request({ host: this.proxy.hostname, port: this.proxy.port, method: 'CONNECT', path: target, headers: { host: target } });
    connect.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`the proxy answered CONNECT ${target} with ${response.statusCode}`));
        return;
      }
      callback(null, tls.connect({ socket, servername: options.servername ?? options.host, ca: this.ca }));
    });
    connect.once('error', (error) => callback(error));
    connect.end();
    return undefined;
  }
}

function expectOk(answer, what) {
  if (answer.status < 200 || answer.status > 299) throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return answer.text ? JSON.parse(answer.text) : {};
}

/**
 * A client of one online endpoint: reads its scoring URI and primary key from ARM once, then `score(body)` POSTs to
 * the scoring URI with the key. `close()` when done.
 */
export async function openScoringClient(emulator, endpointName) {
  const ca = fs.readFileSync(emulator.caCertPath);
  const { clientId, clientSecret } = emulator.principals.servicePrincipalSecret;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: `${emulator.url}.default` }).toString();
  const token = expectOk(
    await send(`${emulator.url}${emulator.tenantId}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, ca }),
    'the Entra token endpoint',
  ).access_token;
  const authorization = { authorization: `Bearer ${token}` };
  const endpointUrl =
    `${emulator.url}subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${emulator.workspaceName}/onlineEndpoints/${endpointName}`;
  const endpoint = expectOk(await send(`${endpointUrl}?${ML_API}`, { headers: authorization, ca }), `GET online endpoint '${endpointName}'`);
  const keys = expectOk(await send(`${endpointUrl}/listKeys?${ML_API}`, { method: 'POST', headers: authorization, body: '', ca }), 'listKeys');
  const agent = new ProxyTunnelAgent(emulator.proxyUrl, ca);
  const scoringUri = endpoint.properties.scoringUri;
  return {
    scoringUri,
    /** The endpoint's traffic split now. */
    async traffic() {
      return expectOk(await send(`${endpointUrl}?${ML_API}`, { headers: authorization, ca }), `GET online endpoint '${endpointName}'`).properties.traffic ?? {};
    },
    /** `{ status, deployment (the azureml-model-deployment header), body }`. */
    async score(requestBody) {
      const answer = await send(scoringUri, {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.primaryKey}`, 'content-type': 'application/json' },
        body: requestBody,
        agent,
      });
      return { status: answer.status, deployment: answer.headers['azureml-model-deployment'], body: answer.text };
    },
    close() {
      agent.destroy();
    },
  };
}

/**
 * Clients scoring an endpoint until stopped, one request at a time: how many requests each deployment answered and
 * which ones failed (status or connection error).
 */
export function startScoringLoop(client, requestBody) {
  let stopped = false;
  const outcome = { sent: 0, failed: 0, failures: [], servedBy: {} };
  const loop = (async () => {
    while (!stopped) {
      outcome.sent += 1;
      try {
        const answer = await client.score(requestBody);
        if (answer.status === 200) outcome.servedBy[answer.deployment] = (outcome.servedBy[answer.deployment] ?? 0) + 1;
        else {
          outcome.failed += 1;
          if (outcome.failures.length < 5) outcome.failures.push(`HTTP ${answer.status} from ${answer.deployment ?? 'the front end'}: ${answer.body.slice(0, 200)}`);
        }
      } catch (error) {
        outcome.failed += 1;
        if (outcome.failures.length < 5) outcome.failures.push(error instanceof Error ? error.message : String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return outcome;
    },
  };
}
