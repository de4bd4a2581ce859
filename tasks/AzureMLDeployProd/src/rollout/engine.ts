/**
 * The rollout state machine. It runs a plan (plan.ts) step by step through RolloutOperations and keeps a journal;
 * any failure, and a cancellation, rolls back:
 *
 *   record → create the new deployment (0 %) → smoke test it → [mirror m %, watch, smoke test, mirror off]
 *          → for each step s: traffic s % (the others keep their proportions), watch, smoke test
 *          → at 100 %: delete (or keep) the previous deployments → remove the record
 *
 * Rollback guarantees, whatever step failed (including the deletion of the previous deployment):
 * 1. the live AND mirrored traffic are put back exactly as they were before the rollout started (the split read when
 *    it started, kept in the rollout record so a later run restores the same one), unless they already are: the
 *    traffic is read at once, without waiting for anything, and a rollout stopped before its first traffic change
 *    writes no traffic at all;
 * 2. the new deployment's logs are printed (not on cancellation: time is short), then it is deleted or kept at 0 %
 *    as asked (an endpoint this run created is deleted with it);
 * 3. the record is removed only once the traffic is restored and the new deployment is gone (or its deletion
 *    accepted): an unfinished rollback stays recorded, and action `reject` finishes it.
 * Rollback writes wait until the endpoint is idle and retry while it is busy (409: an operation whose wait was
 * interrupted is still running). On cancellation they share a budget that ends before the agent's SIGTERM (7.5 s after
 * SIGINT); deletions are then only requested (Azure ML finishes them: a deletion, like a creation, takes minutes),
 * and when the budget runs out the error says what state the endpoint may be in and how to finish.
 */
import { AzureRequestError, CancelledError, describeError, TaskError } from '@azureml-mlops/shared';

import { azDeleteDeployment, azDeleteEndpoint, azSetTraffic, type AzTarget } from './azCommands';
import type { RolloutIo, RolloutOperations, RolloutResource, SmokeOutcome } from './operations';
import type { Plan } from './plan';
import type { RolloutRecord } from './record';
import { describeTraffic, remainingSteps, sameName, sameTraffic, shareOf, splitAt, type Split, type TrafficState } from './traffic';

/** Provisioning states of a resource with an operation running, and what that operation is doing to it. */
const RUNNING: Readonly<Record<string, string>> = { creating: 'created', updating: 'updated', scaling: 'scaled', deleting: 'deleted' };

export interface EngineSettings {
  /** Traffic steps of a rollout, ending at 100. */
  readonly steps: readonly number[];
  readonly mirror: { readonly percent: number; readonly durationMs: number } | undefined;
  /** How long each traffic step is watched before its smoke test. */
  readonly stepWaitMs: number;
  /** What happens to the previous deployments once the new one takes all the traffic. */
  readonly previousDeployment: 'delete' | 'keep';
  /** What happens to the new deployment when the rollout is rolled back. */
  readonly onRollback: 'delete' | 'keep';
  /** Time the rollback may take after a cancellation (before the agent's SIGTERM). */
  readonly cancelBudgetMs: number;
  /** Where the rollout runs: the az ml commands of messages name it. */
  readonly target: AzTarget;
}

export interface JournalEntry {
  readonly title: string;
  readonly status: 'done' | 'failed' | 'rolled back';
  readonly detail?: string;
}

export type RolloutResult = 'first' | 'completed' | 'canary' | 'rejected';

export interface RolloutReport {
  readonly result: RolloutResult | 'rolled back' | 'failed';
  readonly candidate: string;
  readonly previous: string | undefined;
  readonly journal: readonly JournalEntry[];
  readonly smokeTests: readonly SmokeOutcome[];
  /** The traffic the rollout started from (what a rollback restores). */
  readonly before: TrafficState;
}

/** A rollout that failed (and was rolled back, completely or not): its message says which. */
export class RolloutFailedError extends TaskError {
  constructor(
    message: string,
    readonly report: RolloutReport,
  ) {
    super(message);
    this.name = 'RolloutFailedError';
  }
}

export class RolloutCancelledError extends CancelledError {
  constructor(
    message: string,
    readonly report: RolloutReport,
  ) {
    super(message);
    this.name = 'RolloutCancelledError';
  }
}

type ExecutablePlan = Extract<Plan, { kind: 'first' | 'rollout' | 'reject' }>;

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly error: unknown,
  ) {
    super(describeError(error));
  }
}

export class RolloutEngine {
  private readonly journal: JournalEntry[] = [];
  private readonly smokeTests: SmokeOutcome[] = [];
  private recordOnEndpoint = false;
  private endpointCreated = false;
  /** The new deployment may exist: rollback deals with it. */
  private candidateTouched = false;
  /** Something was changed on the endpoint by this run (or by the run that started a recorded rollout). */
  private wroteSomething = false;

  constructor(
    private readonly ops: RolloutOperations,
    private readonly settings: EngineSettings,
    private readonly io: RolloutIo,
  ) {}

  /**
   * Runs `plan` from the traffic found on the endpoint (`current`). Resolves with the report of a rollout that did
   * what it was asked; rejects with RolloutFailedError / RolloutCancelledError after rolling back.
   */
  async execute(plan: ExecutablePlan, current: TrafficState, signal: AbortSignal): Promise<RolloutReport> {
    if (plan.kind === 'reject') return this.reject(plan.record, plan.candidateExists, current, signal);
    const candidate = plan.candidate;
    const previous = plan.kind === 'rollout' ? plan.previous : undefined;
    const before = plan.before;
    if (plan.kind === 'rollout' && plan.resumed) {
      this.recordOnEndpoint = true;
      this.candidateTouched = true;
      this.wroteSomething = true;
    }
    let step = 'starting';
    const run = async <T>(title: string, action: () => Promise<T>): Promise<T> => {
      step = title;
      signal.throwIfAborted();
      const result = await action();
      this.wroteSomething = true;
      return result;
    };
    try {
      const result = plan.kind === 'first' ? await this.first(plan, current, signal, run) : await this.rollout(plan, current, signal, run);
      return this.report(result, candidate, previous, before);
    } catch (error) {
      const failure = error instanceof StepFailure ? error : new StepFailure(step, error);
      throw await this.rollBack(failure, candidate, previous, before, signal);
    }
  }

  private async first(plan: Extract<Plan, { kind: 'first' }>, current: TrafficState, signal: AbortSignal, run: Runner): Promise<RolloutResult> {
    const { candidate } = plan;
    this.io.section(`First deployment to the endpoint: '${candidate}' (no deployment serves yet, so no gradual rollout is needed)`);
    if (plan.createEndpoint) {
      await run('create the endpoint', async () => {
        this.endpointCreated = true;
        await this.ops.createEndpoint(signal);
      });
      this.done('Created the endpoint');
    }
    await this.deploy(plan.deployCandidate, candidate, run, signal);
    await this.smoke(candidate, `${candidate} at 0 %`, run, signal);
    const target: TrafficState = { traffic: { ...zeroed(current.traffic), [candidate]: 100 }, mirror: withoutEntry(current.mirror, candidate) };
    await this.moveTraffic(target, `'${candidate}' takes all the traffic`, run, signal);
    return 'first';
  }

  private async rollout(plan: Extract<Plan, { kind: 'rollout' }>, current: TrafficState, signal: AbortSignal, run: Runner): Promise<RolloutResult> {
    const { candidate, before } = plan;
    if (plan.newRecord) {
      const record = plan.newRecord;
      await run('record the rollout on the endpoint', async () => {
        // Set first: a write whose answer a cancellation cut short may still have recorded it.
        this.recordOnEndpoint = true;
        await this.ops.writeRecord(record, signal);
      });
      this.done('Recorded the rollout on the endpoint', `before: ${describeTraffic(before)}`);
    } else {
      this.io.log(`Continuing the rollout of '${candidate}' recorded on the endpoint (before it: ${describeTraffic(before)}; now: ${describeTraffic(current)}).`);
    }
    await this.deploy(plan.deployCandidate, candidate, run, signal);

    const share = shareOf(current.traffic, candidate);
    await this.smoke(candidate, `${candidate} at ${share} %`, run, signal);

    // Mirrored traffic keeps what the endpoint mirrored before (never to the new deployment, which takes live traffic).
    const mirrorDuring = withoutEntry(before.mirror, candidate);
    const mirror = this.settings.mirror;
    if (mirror && mirror.percent > 0 && share === 0) {
      const live = current.traffic;
      await this.moveTraffic({ traffic: live, mirror: { [candidate]: mirror.percent } }, `mirror ${mirror.percent} % of the traffic to '${candidate}'`, run, signal);
      await run(`watch '${candidate}' while it receives mirrored traffic`, async () => {
        const problem = await this.ops.watch(candidate, mirror.durationMs, signal);
        if (problem) throw new Error(problem);
      });
      this.done(`Watched '${candidate}' for ${seconds(mirror.durationMs)} with ${mirror.percent} % mirrored traffic`, 'no error in its log');
      await this.smoke(candidate, `${candidate} after mirroring`, run, signal);
      await this.moveTraffic({ traffic: live, mirror: mirrorDuring }, 'stop mirroring', run, signal);
    } else if (mirror && mirror.percent > 0) {
      this.io.log(`'${candidate}' already takes ${share} % of the live traffic: mirroring is skipped.`);
    }

    for (const percent of remainingSteps(this.settings.steps, share, plan.stopAt)) {
      const split = splitAt(before.traffic, candidate, percent);
      await this.moveTraffic({ traffic: split, mirror: mirrorDuring }, `traffic step ${percent} %`, run, signal);
      if (this.settings.stepWaitMs > 0) {
        await run(`watch '${candidate}' at ${percent} %`, async () => {
          const problem = await this.ops.watch(candidate, this.settings.stepWaitMs, signal);
          if (problem) throw new Error(problem);
        });
      }
      await this.smoke(candidate, `${candidate} at ${percent} %`, run, signal);
    }

    if (plan.stopAt < 100) {
      this.io.section(`Canary: '${candidate}' takes ${plan.stopAt} % of the traffic. Promote it (action promote) or roll it back (action reject).`);
      return 'canary';
    }

    const previousDeployments = Object.entries(before.traffic).filter(([name, percent]) => percent > 0 && !sameName(name, candidate)).map(([name]) => name);
    for (const name of previousDeployments) {
      if (this.settings.previousDeployment === 'keep') {
        this.done(`Kept the previous deployment '${name}' (0 % traffic)`, 'for a quick manual rollback; the next rollout reuses its name');
        continue;
      }
      await run(`delete the previous deployment '${name}'`, async () => {
        await this.ops.deleteDeployment(name, signal);
      });
      this.done(`Deleted the previous deployment '${name}'`);
    }
    // The rollout is complete: a record left behind only makes the next run finish it again, so this never rolls back.
    try {
      await this.ops.writeRecord(undefined, signal);
      this.recordOnEndpoint = false;
    } catch (error) {
      if (signal.aborted) throw error;
      this.io.warn(`The rollout is complete, but its record could not be removed from the endpoint's tags: ${describeError(error)}. Run the task with action promote to remove it.`);
    }
    return 'completed';
  }

  private async reject(record: RolloutRecord, candidateExists: boolean, current: TrafficState, signal: AbortSignal): Promise<RolloutReport> {
    this.recordOnEndpoint = true;
    this.candidateTouched = candidateExists;
    this.io.section(`Rejecting the rollout of '${record.candidate}': restoring ${describeTraffic(record.before)}`);
    this.io.log(`Traffic now: ${describeTraffic(current)}.`);
    const budget = rollbackSignal(signal, this.settings.cancelBudgetMs);
    let outcome: RestoreOutcome;
    try {
      outcome = await this.restore(record.candidate, record.before, { signal: budget.signal, printLogs: true, hurry: () => signal.aborted });
    } finally {
      budget.dispose();
    }
    const report = this.report('rejected', record.candidate, record.previous, record.before);
    if (outcome.problems.length > 0) {
      const unfinished = this.unfinished(outcome, signal.aborted);
      if (signal.aborted) throw new RolloutCancelledError(`The task was cancelled while it rolled back the rollout of '${record.candidate}'. ${unfinished}`, { ...report, result: 'failed' });
      throw new RolloutFailedError(`The rollout of '${record.candidate}' could not be rolled back completely. ${unfinished}`, { ...report, result: 'failed' });
    }
    return report;
  }

  private async deploy(deploy: boolean, candidate: string, run: Runner, signal: AbortSignal): Promise<void> {
    if (!deploy) {
      this.io.log(`The deployment '${candidate}' already runs this model, environment and code: it is not updated.`);
      return;
    }
    const result = await run(`create the deployment '${candidate}'`, async () => {
      this.candidateTouched = true;
      return this.ops.deployCandidate(signal);
    });
    this.done(`${result.created ? 'Created' : 'Updated'} the deployment '${candidate}' (0 % traffic)`);
  }

  private async smoke(deployment: string, label: string, run: Runner, signal: AbortSignal): Promise<void> {
    const outcome = await run(`smoke test of ${label}`, () => this.ops.smokeTest(deployment, label, signal));
    this.smokeTests.push(outcome);
    if (!outcome.passed) throw new StepFailure(`smoke test of ${label}`, new Error(`the smoke test failed: ${outcome.detail}`));
    this.done(`Smoke test of ${label}`, outcome.detail);
  }

  private async moveTraffic(target: TrafficState, title: string, run: Runner, signal: AbortSignal): Promise<void> {
    await run(title, () => this.ops.setTraffic(target, signal));
    this.done(capitalize(title), describeTraffic(target));
  }

  /** Rolls back after `failure`; returns the error to throw (its message says what was restored). */
  private async rollBack(failure: StepFailure, candidate: string, previous: string | undefined, before: TrafficState, signal: AbortSignal): Promise<Error> {
    const cancelled = signal.aborted;
    this.journal.push({ title: capitalize(failure.step), status: 'failed', detail: failure.message });
    const printedFailureLogs = this.ops.printFailureLogs(failure.error);
    this.io.section(cancelled ? `Cancelled during '${failure.step}': rolling back` : `The rollout failed at '${failure.step}': rolling back`);
    if (!cancelled) this.io.log(failure.message);

    if (!this.wroteSomething && isConflict(failure.error)) {
      // Another operation started on the endpoint between the checks and this run's first change: nothing was changed.
      return new RolloutFailedError(
        `The online endpoint is being updated by another operation: ${failure.message}. Nothing was changed. Wait for that operation to finish, then run the task again.`,
        { ...this.report('failed', candidate, previous, before) },
      );
    }
    const budget = rollbackSignal(signal, this.settings.cancelBudgetMs);
    let outcome: RestoreOutcome;
    try {
      outcome = await this.restore(candidate, before, { signal: budget.signal, printLogs: !cancelled && !printedFailureLogs, hurry: () => signal.aborted });
    } finally {
      budget.dispose();
    }
    const { problems, fate } = outcome;
    const report: RolloutReport = { ...this.report('rolled back', candidate, previous, before), result: problems.length === 0 ? 'rolled back' : 'failed' };
    let restored: string;
    if (problems.length > 0) {
      restored = this.unfinished(outcome, signal.aborted);
    } else if (outcome.endpointDeleted) {
      restored = `Rolled back: ${fate}.`;
    } else {
      restored = `Rolled back: the endpoint's traffic is as before the rollout (${describeTraffic(before)})${fate ? ` and ${fate}` : ''}.`;
    }
    if (cancelled) return new RolloutCancelledError(`The task was cancelled during '${failure.step}'. ${restored}`, report);
    const logs = printedFailureLogs || outcome.logsPrinted ? ` The logs of '${candidate}' are in the task log above.` : '';
    return new RolloutFailedError(`The rollout of '${candidate}' failed at '${failure.step}': ${failure.message}. ${restored}${logs}`, report);
  }

  /**
   * Puts the traffic back to `before`, then deals with the new deployment (or the endpoint this run created) and the
   * record. Nothing waits unless it must: the traffic is read at once (in Azure a deployment still being created keeps
   * its creation running for minutes, and it does not stop a read), and is written only when it differs from `before`.
   * In a hurry (after a cancellation), deletions are requested rather than awaited, and the record is removed as soon
   * as the service has accepted them.
   */
  private async restore(candidate: string, before: TrafficState, options: RestoreOptions): Promise<RestoreOutcome> {
    const outcome: RestoreOutcome = { problems: [], fixes: [], fate: '', logsPrinted: false, endpointDeleted: false };
    const restored = await this.restoreTraffic(before, options.signal, outcome);
    const deletes = this.settings.onRollback === 'delete';

    if (!restored && deletes && this.endpointCreated) outcome.problems.push(`the endpoint '${this.settings.target.endpointName}' this run created was not deleted`);
    else if (!restored && deletes && this.candidateTouched) outcome.problems.push(`the deployment '${candidate}' was not deleted`);

    if (this.candidateTouched && options.printLogs && !options.hurry()) {
      try {
        await this.ops.printLogs(candidate, AbortSignal.any([options.signal, AbortSignal.timeout(30_000)]));
        outcome.logsPrinted = true;
      } catch (error) {
        this.io.warn(`The logs of '${candidate}' could not be read: ${describeError(error)}`);
      }
    }

    let pending: PendingDeletion | undefined;
    if (restored && deletes && this.endpointCreated) {
      pending = await this.removeCreatedEndpoint(candidate, options, outcome);
    } else if (restored && deletes && this.candidateTouched) {
      pending = await this.removeCandidate(candidate, options, outcome);
    } else if (restored && this.candidateTouched) {
      this.journal.push({ title: `Kept the deployment '${candidate}' at 0 % for debugging`, status: 'rolled back' });
      outcome.fate = `the deployment '${candidate}' was kept at 0 % for debugging`;
    }

    if (restored && this.recordOnEndpoint && outcome.problems.length === 0) {
      try {
        await whenIdle(this.ops, () => this.ops.writeRecord(undefined, options.signal), options.signal);
        this.recordOnEndpoint = false;
      } catch (error) {
        outcome.problems.push(`the rollout record could not be removed from the endpoint's tags (${describeError(error)})`);
      }
    }
    if (pending) await this.awaitDeletion(pending, options.signal, outcome);
    return outcome;
  }

  /** Step 1 of a rollback: true when the traffic is as before (or needs no restoring: the endpoint goes). */
  private async restoreTraffic(before: TrafficState, signal: AbortSignal, outcome: RestoreOutcome): Promise<boolean> {
    // The endpoint goes away with the deployment: nothing to put back first.
    if (this.endpointCreated && Object.keys(before.traffic).length === 0 && this.settings.onRollback === 'delete') return true;
    let now: TrafficState | undefined;
    try {
      now = await this.ops.readTraffic(signal);
    } catch (error) {
      if (signal.aborted) {
        outcome.problems.push(`the traffic was not restored to ${describeTraffic(before)}: the time was up before the endpoint's traffic could even be read (${describeError(error)})`);
        outcome.fixes.push(azSetTraffic(this.settings.target, before, undefined));
        return false;
      }
      // Unreadable: it is written anyway.
    }
    if (now && sameTraffic(now, before)) {
      this.io.log(`The traffic is as before the rollout (${describeTraffic(before)}): nothing to restore.`);
      return true;
    }
    let sent = false;
    try {
      await whenIdle(
        this.ops,
        async () => {
          sent = true;
          try {
            await this.ops.setTraffic(before, signal);
          } catch (error) {
            // A 409 refused it: nothing reached the endpoint.
            if (isConflict(error)) sent = false;
            throw error;
          }
        },
        signal,
      );
      this.io.log(`Restored the traffic: ${describeTraffic(before)}.`);
      this.journal.push({ title: 'Restored the traffic', status: 'rolled back', detail: describeTraffic(before) });
      return true;
    } catch (error) {
      let state: string;
      if (!now) state = "the endpoint's traffic could not be read";
      else if (sent && signal.aborted) state = `the update may have reached Azure ML, so the endpoint serves either ${describeTraffic(now)} or ${describeTraffic(before)}`;
      else if (!sent && signal.aborted) state = `the endpoint serves ${describeTraffic(now)}, and an operation still running on it (the one the cancellation interrupted) may change that`;
      else state = `the endpoint still serves ${describeTraffic(now)}`;
      outcome.problems.push(`the traffic could not be restored to ${describeTraffic(before)} (${describeError(error)}): ${state}`);
      outcome.fixes.push(azSetTraffic(this.settings.target, before, now));
      return false;
    }
  }

  /** Deletes the new deployment: waits for the deletion, or in a hurry only has it accepted. */
  private async removeCandidate(candidate: string, options: RestoreOptions, outcome: RestoreOutcome): Promise<PendingDeletion | undefined> {
    const { signal } = options;
    const resource: RolloutResource = { deployment: candidate };
    const label = `the deployment '${candidate}'`;
    const deleteByHand = azDeleteDeployment(this.settings.target, candidate);
    if (!options.hurry()) {
      try {
        if (!(await this.ops.readState(resource, signal))) return undefined;
        await whenIdle(this.ops, () => this.ops.deleteDeployment(candidate, signal), signal, { deployment: candidate });
        this.journal.push({ title: `Deleted the deployment '${candidate}'`, status: 'rolled back' });
        outcome.fate = `${label} was deleted`;
      } catch (error) {
        outcome.problems.push(`'${candidate}' could not be deleted (${describeError(error)}): it still exists, with no traffic`);
        outcome.fixes.push(deleteByHand);
      }
      return undefined;
    }
    let state: string | undefined;
    try {
      const found = await this.ops.readState(resource, signal);
      if (!found) return undefined;
      state = found.provisioningState;
      if (!isDeleting(state) && !(await whenIdle(this.ops, () => this.ops.requestDeletion(resource, signal), signal, { waitFirst: false }))) return undefined;
    } catch (error) {
      const running = runningOperation(state);
      if (running) {
        const remove = this.recordOnEndpoint ? `run the task with action reject, or ${deleteByHand}` : deleteByHand;
        outcome.problems.push(
          `${label} is still being ${running} (provisioning state ${state}) and Azure ML did not accept its deletion (${describeError(error)}): it exists, with no traffic. Once it has been ${running}, remove it: ${remove}`,
        );
      } else {
        outcome.problems.push(`'${candidate}' could not be deleted (${describeError(error)}): it still exists, with no traffic`);
        outcome.fixes.push(deleteByHand);
      }
      return undefined;
    }
    this.io.log(`Requested the deletion of ${label}${runningOperation(state) ? ` (provisioning state ${state})` : ''}: Azure ML accepted it.`);
    return { resource, label, state, deletedFate: `${label} was deleted` };
  }

  /** The first deployment failed on an endpoint this run created: the endpoint goes, with the deployment. */
  private async removeCreatedEndpoint(candidate: string, options: RestoreOptions, outcome: RestoreOutcome): Promise<PendingDeletion | undefined> {
    const { signal } = options;
    const { endpointName } = this.settings.target;
    const deletedFate = `the endpoint this run created was deleted with '${candidate}'`;
    let state: string | undefined;
    try {
      if (!options.hurry()) {
        await whenIdle(this.ops, () => this.ops.deleteEndpoint(signal), signal);
        this.deletedEndpoint(deletedFate, outcome);
        return undefined;
      }
      const found = await this.ops.readState('endpoint', signal);
      state = found?.provisioningState;
      if (!found || (!isDeleting(state) && !(await whenIdle(this.ops, () => this.ops.requestDeletion('endpoint', signal), signal, { waitFirst: false })))) {
        this.deletedEndpoint(deletedFate, outcome);
        return undefined;
      }
    } catch (error) {
      const running = runningOperation(state);
      outcome.problems.push(`the endpoint '${endpointName}' this run created could not be deleted (${describeError(error)}): it still exists${running ? `, still being ${running} (provisioning state ${state})` : ''}`);
      outcome.fixes.push(azDeleteEndpoint(this.settings.target));
      return undefined;
    }
    this.io.log(`Requested the deletion of the endpoint '${endpointName}' this run created: Azure ML accepted it.`);
    return { resource: 'endpoint', label: `the endpoint this run created (with '${candidate}')`, state, deletedFate };
  }

  /**
   * After a cancellation: waits, for what is left of the time, for a deletion Azure ML accepted. When the time runs
   * out first, the deletion goes on in Azure and the message says so.
   */
  private async awaitDeletion(pending: PendingDeletion, signal: AbortSignal, outcome: RestoreOutcome): Promise<void> {
    try {
      for (let attempt = 0; ; attempt++) {
        if (!(await this.ops.readState(pending.resource, signal))) break;
        await sleep(Math.min(250 * 2 ** attempt, 2_000), signal);
      }
    } catch {
      const running = runningOperation(pending.state);
      const during = running && running !== 'deleted' ? ` (it was still being ${running})` : '';
      this.journal.push({ title: `Requested the deletion of ${pending.label}`, status: 'rolled back', detail: 'accepted by Azure ML; it continues after the task ends' });
      outcome.fate = `the deletion of ${pending.label}${during} was accepted by Azure ML and continues after the task ends`;
      if (pending.resource === 'endpoint') outcome.endpointDeleted = true;
      return;
    }
    if (pending.resource === 'endpoint') {
      this.deletedEndpoint(pending.deletedFate, outcome);
    } else {
      this.journal.push({ title: `Deleted ${pending.label}`, status: 'rolled back' });
      outcome.fate = pending.deletedFate;
    }
  }

  private deletedEndpoint(fate: string, outcome: RestoreOutcome): void {
    this.journal.push({ title: 'Deleted the endpoint this run created', status: 'rolled back' });
    outcome.fate = fate;
    outcome.endpointDeleted = true;
    this.endpointCreated = false;
  }

  /** What the error says when the rollback did not finish: what is left, in what state, and how to finish. */
  private unfinished(outcome: RestoreOutcome, cancelled: boolean): string {
    const what = `The rollback did not finish${cancelled ? ' in the time the agent gives a cancelled task' : ''}: ${outcome.problems.join('; ')}.`;
    if (this.recordOnEndpoint) {
      return cancelled
        ? `${what} The rollout is still recorded on the endpoint: once the operations still running on it have ended, run the task with action reject to finish the rollback.`
        : `${what} The rollout is still recorded on the endpoint: run the task with action reject to finish the rollback.`;
    }
    return outcome.fixes.length > 0 ? `${what} Finish it by hand: ${outcome.fixes.join(', then ')}.` : what;
  }

  private done(title: string, detail?: string): void {
    this.journal.push({ title, status: 'done', ...(detail ? { detail } : {}) });
    this.io.log(detail ? `${title}: ${detail}.` : `${title}.`);
  }

  private report(result: RolloutReport['result'], candidate: string, previous: string | undefined, before: TrafficState): RolloutReport {
    return { result, candidate, previous, journal: [...this.journal], smokeTests: [...this.smokeTests], before };
  }
}

type Runner = <T>(title: string, action: () => Promise<T>) => Promise<T>;

interface RestoreOptions {
  /** The rollback's signal (after a cancellation: aborted when the time the agent gives is up). */
  readonly signal: AbortSignal;
  readonly printLogs: boolean;
  /** True once the pipeline is cancelled: from then on nothing is awaited that Azure ML finishes alone. */
  readonly hurry: () => boolean;
}

interface RestoreOutcome {
  /** What could not be done, each with the state it leaves (empty: everything is as it was, apart from a kept deployment). */
  readonly problems: string[];
  /** az ml commands that finish by hand what is left, for when no rollout record lets action reject do it. */
  readonly fixes: string[];
  /** What became of the new deployment, for the message ('' when it was never created). */
  fate: string;
  logsPrinted: boolean;
  endpointDeleted: boolean;
}

/** A deletion Azure ML accepted and runs on its own. */
interface PendingDeletion {
  readonly resource: RolloutResource;
  /** `the deployment 'green'`, for messages. */
  readonly label: string;
  /** Its provisioning state when the deletion was requested. */
  readonly state: string | undefined;
  /** The fate once it is gone. */
  readonly deletedFate: string;
}

/** What the operation running on a resource in `state` does to it (`created`...); undefined when none runs. */
function runningOperation(state: string | undefined): string | undefined {
  return state === undefined ? undefined : RUNNING[state.toLowerCase()];
}

function isDeleting(state: string | undefined): boolean {
  return state?.toLowerCase() === 'deleting';
}

/** A 409 from the service (the shared library wraps it in a TaskError whose cause it is). */
export function isConflict(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof AzureRequestError && current.status === 409) return true;
  }
  return false;
}

/**
 * The signal rollback calls run under: not aborted by the pipeline's cancellation itself, but `budgetMs` after it
 * (now, when the rollback is the response to a cancellation).
 */
function rollbackSignal(signal: AbortSignal, budgetMs: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const start = (): void => {
    timer = setTimeout(() => controller.abort(new CancelledError('The rollback ran out of time after the cancellation.')), budgetMs);
  };
  if (signal.aborted) start();
  else signal.addEventListener('abort', start, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', start);
    },
  };
}

/**
 * Runs a rollback write once the endpoint (and `deployment`, when named) is idle, and again while the service answers
 * 409 (another operation started meanwhile), until `signal` aborts. With `waitFirst: false` it is sent at once (a 409
 * says when it must wait).
 */
async function whenIdle<T>(
  ops: RolloutOperations,
  action: () => Promise<T>,
  signal: AbortSignal,
  options: { readonly deployment?: string; readonly waitFirst?: boolean } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (options.waitFirst !== false) await ops.waitForIdle(signal, options.deployment);
    try {
      return await action();
    } catch (error) {
      if (!isConflict(error) || signal.aborted) throw error;
      // Out of time while the service still refuses: its refusal is the reason to report.
      await sleep(Math.min(250 * 2 ** attempt, 5_000), signal).catch(() => Promise.reject(error));
    }
  }
}

function zeroed(split: Split): Record<string, number> {
  return Object.fromEntries(Object.keys(split).map((name) => [name, 0]));
}

function withoutEntry(split: Split, name: string): Record<string, number> {
  return Object.fromEntries(Object.entries(split).filter(([other]) => !sameName(other, name)));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

