import type { FaultKind, FaultRule } from '../api';

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
}

/** Fault rules tests add to make the emulator misbehave like a real service under load or failure. */
export class FaultInjector {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`Fault rule 'times' must be a positive integer, got ${times}`);
    this.rules.push({ rule, remaining: times });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if a rule matches (each match uses one of the rule's `times`). */
  take(method: string, path: string): FaultKind | undefined {
    const active = this.rules.find((r) => matches(r.rule, method, path));
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
    return active.rule.fault;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (typeof rule.path === 'string') return path.includes(rule.path);
  rule.path.lastIndex = 0; // a global/sticky RegExp keeps state between test() calls
  return rule.path.test(path);
}

/** The answer a `status` fault gives: the error a throttled or failing Azure front end answers with. */
export function faultStatusBody(status: number): { error: { code: string; message: string } } {
  if (status === 429) {
    return { error: { code: 'TooManyRequests', message: 'The request is being throttled as the limit has been reached for operation type. Please retry after the time given in Retry-After.' } };
  }
  if (status === 503) {
    return { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry the request.' } };
  }
  if (status >= 500) {
    return { error: { code: 'InternalServerError', message: 'The server encountered an internal error. Please retry the request.' } };
  }
  return { error: { code: 'InjectedFault', message: `Injected fault with status ${status}.` } };
}
