/**
 * The name of the new deployment. Blue/green, as Azure ML's safe-rollout guide does it: the new deployment takes the
 * name that is not serving, so two rollouts in a row alternate `blue` and `green` and a kept previous deployment is
 * reused (updated in place) by the rollout after next.
 */
import { sameName, shareOf, type TrafficState } from './traffic';

/** Online deployment names: 3 to 32 letters, digits and '-', starting with a letter, not ending with '-'. */
export const DEPLOYMENT_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
export const MAX_DEPLOYMENT_NAME = 32;
export const DEFAULT_FIRST_NAME = 'blue';

/** The other name of a blue/green pair: blue <-> green, x-blue <-> x-green; otherwise x <-> x-2. */
export function partnerName(name: string): string {
  const pair = /^(.*?)(blue|green)$/i.exec(name);
  if (pair) {
    const [, stem, color] = pair;
    const other = color!.toLowerCase() === 'blue' ? 'green' : 'blue';
    return `${stem}${other}`;
  }
  const numbered = /^(.*)-2$/.exec(name);
  if (numbered && DEPLOYMENT_NAME_PATTERN.test(numbered[1]!)) return numbered[1]!;
  return `${name.slice(0, MAX_DEPLOYMENT_NAME - 2).replace(/-+$/, '')}-2`;
}

/** True when a deployment can become the new one: it takes no live and no mirrored traffic. */
export function isFree(name: string, traffic: TrafficState): boolean {
  return shareOf(traffic.traffic, name) === 0 && shareOf(traffic.mirror, name) === 0;
}

export interface NameChoice {
  readonly name: string;
  /** Why this name, for the log. */
  readonly reason: string;
}

/**
 * The new deployment's name when the user did not name it: the deployment file's name (or `blue`) when it takes no
 * traffic, else its partner, else the first free `<name>-<n>`.
 */
export function chooseCandidateName(preferred: string | undefined, traffic: TrafficState): NameChoice {
  const first = preferred ?? DEFAULT_FIRST_NAME;
  const origin = preferred ? 'the name in the deployment file' : 'the default name';
  if (isFree(first, traffic)) return { name: first, reason: `${origin}; it takes no traffic` };
  const partner = partnerName(first);
  if (isFree(partner, traffic)) return { name: partner, reason: `'${first}' (${origin}) takes traffic, so its blue/green partner is used` };
  const stem = first.slice(0, MAX_DEPLOYMENT_NAME - 3).replace(/-+$/, '');
  for (let index = 3; index < 100; index++) {
    const name = `${stem}-${index}`;
    if (isFree(name, traffic)) return { name, reason: `'${first}' and '${partner}' both take traffic` };
  }
  // 100 deployments taking traffic cannot happen (an endpoint has at most 20): keep the type total.
  return { name: `${stem}-x`, reason: 'every other name takes traffic' };
}

/** Whether `name` is one of the deployments in a split (case-insensitive). */
export function namedIn(name: string, names: Iterable<string>): boolean {
  for (const other of names) if (sameName(other, name)) return true;
  return false;
}
