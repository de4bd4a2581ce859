import type { ProxyTunnel } from '../../storage/proxy';
import type { ScoringGateway } from './scoringGateway';

/**
 * The agent proxy's tunnel to the scoring server: CONNECT <endpoint>.<region>.inference.ml.azure.com:443 (and a
 * Kubernetes compute's <compute>.<region>.cloudapp.azure.com:443) reaches it when the name resolves; a scoring host
 * name that does not (no such endpoint) is answered as a failed DNS lookup. Made before the proxy starts; it serves
 * once the scoring server is attached.
 */
export class ScoringTunnel implements ProxyTunnel {
  private target: { readonly gateway: ScoringGateway; readonly port: number } | undefined;

  attach(gateway: ScoringGateway, port: number): void {
    this.target = { gateway, port };
  }

  route(host: string, port: number): number | 'unresolved' | undefined {
    if (!this.target || port !== 443 || !this.target.gateway.servesHost(host)) return undefined;
    return this.target.gateway.resolves(host) ? this.target.port : 'unresolved';
  }
}
