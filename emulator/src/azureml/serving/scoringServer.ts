import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CertificateAndKey } from '../../tls/pki';

export interface ScoringServer {
  /** Port on 127.0.0.1 the agent proxy tunnels the scoring host names to. */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The HTTPS server behind the online endpoints' host names (`*.<region>.inference.ml.azure.com`,
 * `*.<region>.cloudapp.azure.com`), with a certificate for them signed by the emulator's CA: clients reach it through
 * the agent proxy (CONNECT <endpoint>.<region>.inference.ml.azure.com:443), with TLS end to end, as they reach Azure.
 */
export async function startScoringServer(options: {
  readonly tls: CertificateAndKey;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
}): Promise<ScoringServer> {
  const server: Server = createServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, options.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
