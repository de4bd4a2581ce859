/**
 * Smooth weighted round-robin (as nginx balances upstreams): each pick adds every weight to its deployment's credit,
 * takes the deployment with the most and charges it the total. Deterministic, and spread evenly: 50/50 alternates,
 * 90/10 sends one request in ten. A new set of weights starts afresh.
 */
export class WeightedRoundRobin {
  private signature = '';
  private readonly credit = new Map<string, number>();

  /** The next deployment among those with a positive weight; undefined when none has any. */
  pick(weights: ReadonlyArray<readonly [string, number]>): string | undefined {
    const positive = weights.filter(([, weight]) => weight > 0);
    const signature = JSON.stringify(positive);
    if (signature !== this.signature) {
      this.signature = signature;
      this.credit.clear();
    }
    let total = 0;
    let best: string | undefined;
    let bestCredit = -Infinity;
    for (const [name, weight] of positive) {
      const credit = (this.credit.get(name) ?? 0) + weight;
      this.credit.set(name, credit);
      total += weight;
      if (credit > bestCredit) {
        best = name;
        bestCredit = credit;
      }
    }
    if (best !== undefined) this.credit.set(best, bestCredit - total);
    return best;
  }
}

/** Which requests are copied to a mirror deployment: `percent` of them, evenly (every tenth for 10 %). */
export class MirrorSampler {
  private signature = '';
  private credit = 0;

  take(deployment: string, percent: number): boolean {
    const signature = `${deployment}=${percent}`;
    if (signature !== this.signature) {
      this.signature = signature;
      this.credit = 0;
    }
    this.credit += percent;
    if (this.credit < 100) return false;
    this.credit -= 100;
    return true;
  }
}
