import { badRequest } from '../errors';
import { isObject } from '../resources';
import type { EndpointRecord, TrafficMap } from './model';

/** At most this percentage of the live traffic may be mirrored (safe rollout: it counts against the endpoint's bandwidth). */
export const MAX_MIRROR_PERCENT = 50;

/** A `{ deployment: percent }` map of a request body: whole numbers between 0 and 100. */
export function parseTraffic(raw: unknown, where: string): TrafficMap {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw badRequest(`${where} must be an object mapping deployment names to a percentage, such as { "blue": 90, "green": 10 }.`);
  const out: TrafficMap = {};
  for (const [deployment, value] of Object.entries(raw)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
      throw badRequest(`${where}.${deployment} must be a whole number of percent between 0 and 100, got ${JSON.stringify(value)}.`);
    }
    out[deployment] = value;
  }
  return out;
}

/**
 * The rules the service applies to an endpoint's traffic on every update:
 * - live traffic: every named deployment exists; only a deployment whose provisioning has Succeeded gets more than it
 *   had (one being updated keeps its share); the values sum to 100, or to 0 when no deployment takes any;
 * - mirrored traffic (safe rollout): not on Kubernetes endpoints, one deployment at most, at most 50 %, to a deployment
 *   that exists, has provisioned and takes no live traffic (a deployment receives live or mirrored traffic, not both).
 */
export function checkTraffic(endpoint: EndpointRecord, traffic: TrafficMap, mirror: TrafficMap): void {
  checkDeployments(endpoint, traffic, endpoint.traffic, 'properties.traffic');
  const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
  if (sum !== 0 && sum !== 100) {
    throw badRequest(`Traffic values need to sum to 100 (or to 0 when no deployment takes traffic): the traffic of endpoint '${endpoint.name}' sums to ${sum} (${describe(traffic)}).`);
  }

  const mirrored = Object.entries(mirror).filter(([, percent]) => percent > 0);
  if (mirrored.length === 0) return;
  if (endpoint.computeType === 'Kubernetes') {
    throw badRequest(`Mirror traffic is not supported for Kubernetes online endpoints: remove properties.mirrorTraffic from endpoint '${endpoint.name}'.`);
  }
  if (mirrored.length > 1) {
    throw badRequest(`Traffic can be mirrored to only one deployment of an endpoint; properties.mirrorTraffic names ${mirrored.length} (${describe(mirror)}).`);
  }
  const [deployment, percent] = mirrored[0]!;
  if (percent > MAX_MIRROR_PERCENT) {
    throw badRequest(`Mirror traffic values need to sum to at most ${MAX_MIRROR_PERCENT}: properties.mirrorTraffic.${deployment} is ${percent}.`);
  }
  checkDeployments(endpoint, mirror, endpoint.mirrorTraffic, 'properties.mirrorTraffic');
  const live = traffic[deployment] ?? 0;
  if (live > 0) {
    throw badRequest(
      `The deployment '${deployment}' takes ${live}% of the live traffic and cannot also receive mirrored traffic: a deployment receives live traffic or mirrored traffic, not both.`,
    );
  }
}

function checkDeployments(endpoint: EndpointRecord, shares: TrafficMap, current: TrafficMap, where: string): void {
  for (const [name, percent] of Object.entries(shares)) {
    const deployment = endpoint.deployments.get(name.toLowerCase());
    if (!deployment) {
      const known = [...endpoint.deployments.values()].map((d) => d.name);
      throw badRequest(
        `${where} names the deployment '${name}', which does not exist on endpoint '${endpoint.name}'. ` +
          (known.length > 0 ? `Its deployments: ${known.join(', ')}.` : 'The endpoint has no deployments yet: create the deployment first.'),
      );
    }
    if (percent > shareOf(current, name) && deployment.provisioningState !== 'Succeeded') {
      throw badRequest(
        `${where}.${name}: the deployment '${deployment.name}' is ${deployment.provisioningState}; traffic can only be moved to a deployment whose provisioning has Succeeded.`,
      );
    }
  }
}

function describe(shares: TrafficMap): string {
  const entries = Object.entries(shares);
  return entries.length === 0 ? 'none' : entries.map(([name, percent]) => `${name}=${percent}`).join(', ');
}

/** The share of live or mirrored traffic a deployment takes (names are case-insensitive). */
export function shareOf(shares: TrafficMap, deployment: string): number {
  let total = 0;
  for (const [name, percent] of Object.entries(shares)) if (name.toLowerCase() === deployment.toLowerCase()) total += percent;
  return total;
}
