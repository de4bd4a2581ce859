/**
 * HTTPS through an HTTP CONNECT proxy, trusting the emulator's CA: how an agent behind a proxy reaches storage and
 * scoring URIs. The emulator's proxy tunnels production-style host names (blob storage, online endpoints) to it; TLS
 * stays end to end and is verified (nothing is turned off).
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export class ProxyTunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    private readonly ca: Buffer,
    options: https.AgentOptions = { keepAlive: false },
  ) {
    super(options);
  }

  override createConnection(options: tls.ConnectionOptions & { host?: string; port?: number }, callback: (err: Error | null, socket?: Duplex) => void): Duplex | undefined {
    const target = `${options.host}:${options.port ?? 443}`;
    const connect = http.request({ host: this.proxy.hostname, port: this.proxy.port, method: 'CONNECT', path: target, headers: { host: target } });
    connect.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`the proxy answered CONNECT ${target} with ${res.statusCode}`));
        return;
      }
      callback(null, tls.connect({ socket, servername: options.servername ?? options.host, ca: this.ca }));
    });
    connect.once('error', (error) => callback(error));
    connect.end();
    return undefined;
  }
}
