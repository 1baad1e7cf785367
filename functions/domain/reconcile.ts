import { captureRequestFor, isTerminal } from './charge.ts';
import { ProcessorUnavailableError } from './errors.ts';
import type { CardProcessor, ChargeRepository, DeadLetterQueue, WorkQueue } from './ports.ts';
import { parseWorkMessage } from './work-message.ts';

export interface ReconcileDeps {
  charges: ChargeRepository;
  queue: WorkQueue;
  deadLetters: DeadLetterQueue;
  processor: CardProcessor;
  now: () => number;
  /** A charge counts as stuck once it is this old and no worker made progress for as long. */
  stuckAfterMs: number;
  maxChargesPerPass: number;
  maxDeadLettersPerPass: number;
}

export interface ReconcileInput {
  /** Unique per pass: the lease owner while the pass resolves a charge. */
  leaseOwner: string;
  /** How long this pass may hold a lease (the rest of the invocation). */
  leaseDurationMs: number;
}

/** What one pass did to one charge or dead letter. */
export type ReconcileAction =
  | 'finalized'
  | 're_enqueued'
  | 'needs_review'
  | 'already_final'
  | 'in_progress'
  | 'deferred'
  | 'unresolvable';

export interface ReconcileReport {
  /** Stuck charges found in the open-charges index. */
  found: number;
  /** Charges given their true final status from the processor. */
  fixed: number;
  reEnqueued: number;
  needsReview: number;
  deadLetters: { received: number; deleted: number; unresolvable: number };
  actions: Array<{ chargeId: string | null; source: 'stuck' | 'dead_letter'; action: ReconcileAction; reason?: string }>;
}

/**
 * One reconciliation pass: finishes what crashes left half done. Safe to run concurrently
 * with itself and with workers, because every change it makes goes through the same lease
 * and conditional writes as the worker's, and it asks the processor before deciding.
 *
 * - `pending` charges nobody touched for `stuckAfterMs` are enqueued again (by one pass only);
 * - `processing` charges whose lease expired are resolved against the processor: the true
 *   outcome is recorded, or the charge is enqueued again if the processor never saw it;
 * - dead letters: the charge is resolved against the processor and finalized, or marked
 *   `failed` / `needs_review` with a reason; the message is deleted only after that.
 */
export async function reconcile(deps: ReconcileDeps, input: ReconcileInput): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    found: 0,
    fixed: 0,
    reEnqueued: 0,
    needsReview: 0,
    deadLetters: { received: 0, deleted: 0, unresolvable: 0 },
    actions: [],
  };
  const record = (chargeId: string | null, source: 'stuck' | 'dead_letter', action: ReconcileAction, reason?: string) => {
    report.actions.push({ chargeId, source, action, ...(reason ? { reason } : {}) });
    if (action === 'finalized') report.fixed += 1;
    if (action === 're_enqueued') report.reEnqueued += 1;
    if (action === 'needs_review') report.needsReview += 1;
  };

  const startedAt = deps.now();
  const stuckIds = await deps.charges.findOpenCharges(startedAt - deps.stuckAfterMs, deps.maxChargesPerPass);
  for (const chargeId of stuckIds) {
    const action = await reconcileStuckCharge(deps, input, chargeId);
    if (action === null) continue;
    report.found += 1;
    record(chargeId, 'stuck', action);
  }

  while (report.deadLetters.received < deps.maxDeadLettersPerPass) {
    const hideFor = Math.max(1, Math.ceil(input.leaseDurationMs / 1000));
    const letters = await deps.deadLetters.receive(Math.min(10, deps.maxDeadLettersPerPass - report.deadLetters.received), hideFor);
    if (letters.length === 0) break;
    for (const letter of letters) {
      report.deadLetters.received += 1;
      const chargeId = parseWorkMessage(letter.body);
      if (chargeId === null) {
        report.deadLetters.unresolvable += 1;
        record(null, 'dead_letter', 'unresolvable', `message ${letter.messageId} is not a work message; left in the DLQ`);
        continue;
      }
      const reason = `dead-lettered after ${letter.receiveCount} receives and unknown to the processor`;
      const action = await resolveAgainstProcessor(deps, input, chargeId, { whenProcessorNeverSawIt: 'needs_review', reason });
      record(chargeId, 'dead_letter', action, action === 'needs_review' ? reason : undefined);
      if (action === 'unresolvable') report.deadLetters.unresolvable += 1;
      if (action === 'finalized' || action === 'needs_review' || action === 'already_final') {
        await deps.deadLetters.delete(letter);
        report.deadLetters.deleted += 1;
      }
    }
  }
  return report;
}

/** `null` when the charge turns out not to be stuck after all. */
async function reconcileStuckCharge(deps: ReconcileDeps, input: ReconcileInput, chargeId: string): Promise<ReconcileAction | null> {
  const current = await deps.charges.get(chargeId);
  if (!current || isTerminal(current.charge.status)) return null;
  const now = deps.now();
  const staleBefore = now - deps.stuckAfterMs;
  if (current.charge.status === 'pending') {
    if (current.charge.updatedAt >= staleBefore) return null;
    if (!(await deps.charges.touchStalePending(chargeId, staleBefore, now))) return 'in_progress';
    await deps.queue.enqueue(chargeId);
    return 're_enqueued';
  }
  if (current.lease && current.lease.expiresAt > now) return null;
  return resolveAgainstProcessor(deps, input, chargeId, { whenProcessorNeverSawIt: 're_enqueue' });
}

/**
 * Takes the charge's lease (only an expired lease can be taken over), asks the processor
 * what happened under the charge's processor key, and records that.
 */
async function resolveAgainstProcessor(
  deps: ReconcileDeps,
  input: ReconcileInput,
  chargeId: string,
  options: { whenProcessorNeverSawIt: 're_enqueue' } | { whenProcessorNeverSawIt: 'needs_review'; reason: string },
): Promise<ReconcileAction> {
  const now = deps.now();
  const claim = await deps.charges.claim(chargeId, { owner: input.leaseOwner, expiresAt: now + input.leaseDurationMs }, now);
  if (claim.kind === 'not_found') return 'unresolvable';
  if (claim.kind === 'final') return 'already_final';
  if (claim.kind === 'leased') return 'in_progress';

  let lookup;
  try {
    lookup = await deps.processor.lookup(captureRequestFor(claim.record.charge));
  } catch (error) {
    if (!(error instanceof ProcessorUnavailableError)) throw error;
    await deps.charges.release(chargeId, input.leaseOwner, deps.now());
    return 'deferred';
  }

  if (lookup.kind === 'not_found') {
    if (options.whenProcessorNeverSawIt === 're_enqueue') {
      await deps.charges.release(chargeId, input.leaseOwner, deps.now());
      await deps.queue.enqueue(chargeId);
      return 're_enqueued';
    }
    const marked = await deps.charges.complete(
      chargeId,
      input.leaseOwner,
      { kind: 'failed', paymentId: null, code: 'needs_review', message: options.reason },
      deps.now(),
    );
    return marked.kind === 'completed' ? 'needs_review' : 'in_progress';
  }
  const completed = await deps.charges.complete(chargeId, input.leaseOwner, lookup, deps.now());
  return completed.kind === 'completed' ? 'finalized' : 'in_progress';
}
