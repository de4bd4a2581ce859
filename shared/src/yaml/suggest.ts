/**
 * "Did you mean ...?" for a misspelt field name: same name in another casing (instanceCount), a known
 * alias (gpus -> instance_count), or the closest name by edit distance when it is close enough.
 */
export function suggestFieldName(
  name: string,
  candidates: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const normalized = normalize(name);
  const byNormalizedName = candidates.find((candidate) => normalize(candidate) === normalized);
  if (byNormalizedName) return byNormalizedName;
  const alias = aliases[name] ?? aliases[normalized];
  if (alias && candidates.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(normalized, normalize(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(1, Math.floor(normalized.length / 4));
  return bestDistance <= tolerance ? best : undefined;
}

function normalize(name: string): string {
  return name.replace(/[-_\s]/g, '').toLowerCase();
}

/** Levenshtein distance (small inputs: field names). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
