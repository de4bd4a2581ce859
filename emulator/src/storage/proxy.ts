import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Where the proxy sends a CONNECT for a host it does not reach as storage. */
export interface ProxyTunnel {
  /**
   * The port on 127.0.0.1 that serves `host:port`; `unresolved` when the name is of this tunnel's domain but exists
   * nowhere (the proxy answers as for a failed DNS lookup); undefined when the host is not this tunnel's.
   */
  route(host: string, port: number): number | 'unresolved' | undefined;
}

export interface StorageProxyOptions {
  /** The storage host the proxy tunnels to Azurite: <account>.blob.core.windows.net. */
  readonly storageHost: string;
  /** Azurite's HTTPS port on 127.0.0.1. */
  readonly azuritePort: number;
  /** Other hosts the proxy tunnels (the online endpoints' scoring hosts). */
  readonly tunnels?: readonly ProxyTunnel[];
  readonly debug: (message: string) => void;
}

export interface StorageProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy (the agent's proxy in tests and the demo) that tunnels (CONNECT) the storage account's production
 * host name to Azurite, and the hosts of its other tunnels (online endpoints) to their servers. TLS stays end to end:
 * Azurite serves a certificate for *.blob.core.windows.net and reads the account from the Host header
 * (production-style URL), so shared-key and SAS signatures verify exactly as in Azure. Any other host gets 403.
 */
export async function startStorageProxy(options: StorageProxyOptions): Promise<StorageProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const allowedTarget = `${options.storageHost.toLowerCase()}:443`;

  const server: Server = createServer((_req, res) => {
    // Only tunnelling is offered: storage is HTTPS, and nothing else should be sent through this proxy.
    res.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'CONNECT' });
    res.end(`This proxy only tunnels HTTPS (CONNECT) to ${allowedTarget}.`);
  });
  server.on('connection', track);
  server.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    const target = (req.url ?? '').toLowerCase();
    const upstreamPort = target === allowedTarget ? options.azuritePort : tunnelPort(options.tunnels ?? [], target);
    if (upstreamPort === 'unresolved') {
      options.debug(`proxy: no such host in CONNECT ${target}`);
      clientSocket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (upstreamPort === undefined) {
      options.debug(`proxy: refused CONNECT ${target}`);
      clientSocket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = connect(upstreamPort, '127.0.0.1', () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    track(upstream);
    const closeBoth = (): void => {
      upstream.destroy();
      clientSocket.destroy();
    };
    upstream.on('error', (error) => {
      options.debug(`proxy: upstream error ${error.message}`);
      if (!clientSocket.destroyed && clientSocket.writable && upstream.connecting) {
        clientSocket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
      closeBoth();
    });
    clientSocket.on('error', closeBoth);
    upstream.on('close', () => clientSocket.destroy());
    clientSocket.on('close', () => upstream.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The first tunnel's answer for a CONNECT target `host:port`. */
function tunnelPort(tunnels: readonly ProxyTunnel[], target: string): number | 'unresolved' | undefined {
  const colon = target.lastIndexOf(':');
  const host = colon < 0 ? target : target.slice(0, colon);
  const port = colon < 0 ? 443 : Number(target.slice(colon + 1));
  for (const tunnel of tunnels) {
    const route = tunnel.route(host, port);
    if (route !== undefined) return route;
  }
  return undefined;
}
