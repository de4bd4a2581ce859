/**
 * Traffic splits of an online endpoint, as pure values: the split at each rollout step, comparison, and the compact
 * text form used in logs, the summary and the rollout record (`blue=90,green=10`).
 */

/** Percent of the endpoint's live (or mirrored) traffic per deployment name. */
export type Split = Readonly<Record<string, number>>;

/** Everything a rollback restores: live traffic and mirrored traffic, exactly as they were. */
export interface TrafficState {
  readonly traffic: Split;
  readonly mirror: Split;
}

export const EMPTY_TRAFFIC: TrafficState = { traffic: {}, mirror: {} };

/** Deployment names are case-insensitive on the service. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function shareOf(split: Split, deployment: string): number {
  let total = 0;
  for (const [name, percent] of Object.entries(split)) if (sameName(name, deployment)) total += percent;
  return total;
}

/** Sum of the live shares. */
export function totalOf(split: Split): number {
  return Object.values(split).reduce((sum, percent) => sum + percent, 0);
}

/**
 * True when two splits send the same share to the same deployments (names case-insensitive). A zero entry sends
 * nothing: `{blue: 100, green: 0}` is the split `{blue: 100}` (the service keeps or drops zero entries as deployments
 * come and go, and a PUT of one answers the other).
 */
export function sameSplit(a: Split, b: Split): boolean {
  const normalize = (split: Split): string =>
    JSON.stringify(
      Object.entries(split)
        .filter(([, percent]) => percent > 0)
        .map(([name, percent]) => [name.toLowerCase(), percent] as const)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  return normalize(a) === normalize(b);
}

export function sameTraffic(a: TrafficState, b: TrafficState): boolean {
  return sameSplit(a.traffic, b.traffic) && sameSplit(a.mirror, b.mirror);
}

/** `blue=90, green=10` for messages; `none` for an empty split. */
export function describeSplit(split: Split): string {
  const entries = Object.entries(split);
  return entries.length === 0 ? 'none' : entries.map(([name, percent]) => `${name}=${percent}%`).join(', ');
}

/** `traffic blue=90%, green=10%; mirror green=20%` (mirror only when there is some). */
export function describeTraffic(state: TrafficState): string {
  const mirrored = Object.values(state.mirror).some((percent) => percent > 0);
  return `traffic ${describeSplit(state.traffic)}${mirrored ? `; mirrored ${describeSplit(state.mirror)}` : ''}`;
}

/** JSON of a split with its names in the endpoint's order (the Traffic output). */
export function splitJson(split: Split): string {
  return JSON.stringify(split);
}

/**
 * The live split when the candidate takes `percent`: the other deployments keep their proportions of what they had
 * in `base` (the split before the rollout), rounded to whole numbers by largest remainder so that the total is exactly
 * 100. Deployments named in `base` keep their entry (0 when they get nothing), so the endpoint's traffic keeps naming
 * them as it did. At 100 the candidate takes everything.
 *
 * `base` must have live traffic (the first deployment to an endpoint goes to 100 % directly).
 */
export function splitAt(base: Split, candidate: string, percent: number): Split {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`splitAt: percent ${percent} is not a whole number from 0 to 100`);
  const others = Object.entries(base).filter(([name]) => !sameName(name, candidate));
  const otherTotal = others.reduce((sum, [, share]) => sum + share, 0);
  if (percent < 100 && otherTotal <= 0) throw new Error('splitAt: no other deployment takes live traffic to share with the candidate');
  const remaining = 100 - percent;
  const exact = others.map(([name, share]) => ({ name, share, exact: otherTotal > 0 ? (share * remaining) / otherTotal : 0 }));
  const result = new Map<string, number>(exact.map((entry) => [entry.name, Math.floor(entry.exact)]));
  let left = remaining - [...result.values()].reduce((sum, value) => sum + value, 0);
  // Largest remainder first; ties to the larger original share, then by name, so the result is stable.
  const order = [...exact].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || b.share - a.share || a.name.localeCompare(b.name));
  for (const entry of order) {
    if (left <= 0) break;
    if (entry.share <= 0) continue;
    result.set(entry.name, result.get(entry.name)! + 1);
    left -= 1;
  }
  const split: Record<string, number> = {};
  for (const [name] of others) split[name] = result.get(name)!;
  split[candidate] = percent;
  return split;
}

/** The steps of a rollout still to take from `current` percent, ending at `stopAt` (which is always the last step). */
export function remainingSteps(steps: readonly number[], current: number, stopAt: number): number[] {
  const kept = steps.filter((step) => step > current && step < stopAt);
  return current >= stopAt ? [] : [...kept, stopAt];
}

/** Parses `blue=90,green=10` (the record's form); undefined when malformed. `none` is the empty split. */
export function parseCompactSplit(text: string): Split | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return {};
  const split: Record<string, number> = {};
  for (const part of trimmed.split(',')) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_-]*)=(\d{1,3})$/.exec(part.trim());
    if (!match) return undefined;
    const percent = Number(match[2]);
    if (percent > 100) return undefined;
    split[match[1]!] = percent;
  }
  return split;
}

/** `blue=90,green=10`, `none` when empty: the record's form (names never contain ',' or '='). */
export function compactSplit(split: Split): string {
  const entries = Object.entries(split);
  return entries.length === 0 ? 'none' : entries.map(([name, percent]) => `${name}=${percent}`).join(',');
}
