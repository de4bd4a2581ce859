import type { Router } from '../../http/router';
import type { AzureMlService } from '../service';

/**
 * The workspace's discovery document (workspace.properties.discoveryUrl): every Azure ML data-plane service answers
 * on the regional host, which here is the emulator itself (no trailing slash, like the service's).
 */
export function registerDiscoveryRoute(router: Router, svc: AzureMlService): void {
  router.add('GET', '/discovery', { kind: 'open' }, () => {
    const host = svc.ctx.baseUrl.replace(/\/+$/, '');
    const services = ['api', 'catalog', 'experimentation', 'gallery', 'history', 'hyperdrive', 'labeling', 'modelmanagement', 'pipelines', 'studiometadata'];
    return { status: 200, body: Object.fromEntries(services.map((s) => [s, host])) };
  });
}
