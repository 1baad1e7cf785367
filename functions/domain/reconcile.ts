import { isTerminal } from './charge.ts';
import type {
  CardProcessor,
  ChargeRecord,
  ChargeRepository,
  DeadLetter,
  DeadLetterQueue,
  DisputeRepository,
  ProcessorEventNotice,
  ProcessorEventSource,
  RefundProcessor,
  RefundRepository,
  WorkQueue,
} from './ports.ts';
import { handleProcessorEvent } from './processor-events.ts';
import { reconcileStuckRefund, resolveOpenRefund } from './reconcile-refunds.ts';
import { flagIfOverdue, lookupFailed, reconcileStuck, type OpenOperation, type ReconcilableOperations, type ReconcileAction, type ReconcileTiming } from './reconcile-operation.ts';
import { parseWorkMessage } from './work-message.ts';

export type { ReconcileAction } from './reconcile-operation.ts';

export interface ReconcileDeps extends ReconcileTiming {
  charges: ChargeRepository;
  refunds: RefundRepository;
  refundProcessor: RefundProcessor;
  queue: Pick<WorkQueue, 'enqueue' | 'enqueueRefund'>;
  deadLetters: DeadLetterQueue;
  processor: CardProcessor;
  /** For dead-lettered processor events: what they name is looked into as the workers would, moving no money. */
  processorEvents: { source: ProcessorEventSource; disputes: DisputeRepository };
  maxChargesPerPass: number;
  maxDeadLettersPerPass: number;
}

export interface ReconcileInput {
  /** Unique per pass: the lease owner while the pass resolves a charge. */
  leaseOwner: string;
  /** How long this pass may hold a lease (the rest of the invocation). */
  leaseDurationMs: number;
  /** Epoch ms after which the pass starts no new item, so it ends inside its function's timeout. */
  deadline: number;
  /** Told of each action as it happens, so that counts are published while the pass runs. */
  onAction?: (entry: ReconcileActionEntry) => void;
}


export interface ReconcileActionEntry {
  /** The charge acted on (`null` for a refund, or for an error that names none). */
  chargeId: string | null;
  /** The refund acted on, for refund entries. */
  refundId?: string;
  source: 'stuck' | 'dead_letter';
  action: ReconcileAction;
  reason?: string;
}

export interface ReconcileReport {
  /** Stuck charges found in the open-charges index. */
  found: number;
  /** Charges given their true final status from the processor. */
  fixed: number;
  reEnqueued: number;
  /** Charges flagged for a person in this pass. */
  flaggedForReview: number;
  /** Open charges flagged for a person, earlier passes' and this one's (up to 1,000 counted). */
  inReview: number;
  /** Items this pass could not handle (each isolated: the pass went on). */
  errors: number;
  deadLetters: { received: number; deleted: number; unresolvable: number };
  /** False when the time budget ran out before every item was looked at. */
  completed: boolean;
  actions: ReconcileActionEntry[];
}

/** How many flagged charges a pass counts at most; the alarm fires at one. */
const MAX_IN_REVIEW_COUNTED = 1000;

/**
 * One reconciliation pass: finishes what crashes left half done. Safe to run concurrently
 * with itself and with workers, because every change it makes goes through the same lease
 * and conditional writes as the worker's, and it asks the processor — by the payment id
 * recorded on the charge, strongly consistent, never a search — before deciding.
 *
 * - `pending` charges nobody touched for `stuckAfterMs` and with no payment recorded are
 *   enqueued again (by one pass only): no money can have moved for them;
 * - other stuck charges (a recorded payment, or an expired lease) and the charges named by dead
 *   letters are resolved against the processor: its final answer is recorded, an unconfirmed or
 *   unauthenticated payment goes back to the workers, and one the processor has not decided
 *   stays open and is looked at again on the next pass;
 * - a charge still open after `reviewAfterMs`, or whose lookup the processor refuses, is
 *   flagged for a person. It stays open: never `failed` while money may have moved.
 *
 * One bad item never stops a pass: each is isolated and reported as `error`. The pass starts
 * no item after `deadline`. Flagged charges are looked at from the review index, so however
 * many wait for a person, newer stuck charges are still reached.
 */
export async function reconcile(deps: ReconcileDeps, input: ReconcileInput): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    found: 0,
    fixed: 0,
    reEnqueued: 0,
    flaggedForReview: 0,
    inReview: 0,
    errors: 0,
    deadLetters: { received: 0, deleted: 0, unresolvable: 0 },
    completed: true,
    actions: [],
  };
  const record = (entry: ReconcileActionEntry) => {
    report.actions.push(entry);
    if (entry.action === 'finalized') report.fixed += 1;
    if (entry.action === 're_enqueued') report.reEnqueued += 1;
    if (entry.action === 'flagged_for_review') report.flaggedForReview += 1;
    if (entry.action === 'error') report.errors += 1;
    input.onAction?.(entry);
  };
  const outOfTime = () => {
    if (deps.now() < input.deadline) return false;
    report.completed = false;
    return true;
  };
  const isolated = async (chargeId: string | null, source: ReconcileActionEntry['source'], work: () => Promise<ReconcileAction | null>) => {
    try {
      return await work();
    } catch (error) {
      record({ chargeId, source, action: 'error', reason: (error as Error).message });
      return 'error' as const;
    }
  };

  let stuckIds: string[] = [];
  try {
    stuckIds = await deps.charges.findOpenCharges(deps.now() - deps.stuckAfterMs, deps.maxChargesPerPass);
  } catch (error) {
    record({ chargeId: null, source: 'stuck', action: 'error', reason: `finding open charges: ${(error as Error).message}` });
  }
  // Charges flagged for review have left the open-charges index; they are looked at on their own.
  let inReview: string[] = [];
  try {
    inReview = await deps.charges.findInReview(MAX_IN_REVIEW_COUNTED);
    report.inReview = inReview.length;
  } catch (error) {
    record({ chargeId: null, source: 'stuck', action: 'error', reason: `finding charges in review: ${(error as Error).message}` });
  }
  for (const chargeId of [...stuckIds, ...inReview.slice(0, deps.maxChargesPerPass)]) {
    if (outOfTime()) break;
    const action = await isolated(chargeId, 'stuck', () => reconcileStuckCharge(deps, input, chargeId));
    if (action === null || action === 'error') continue;
    report.found += 1;
    record({ chargeId, source: 'stuck', action });
  }

  // Refunds: the same sweep over their own partitions of the open and review indexes.
  let stuckRefunds: string[] = [];
  try {
    stuckRefunds = await deps.refunds.findOpenRefunds(deps.now() - deps.stuckAfterMs, deps.maxChargesPerPass);
    const refundsInReview = await deps.refunds.findInReview(MAX_IN_REVIEW_COUNTED);
    report.inReview += refundsInReview.length;
    stuckRefunds.push(...refundsInReview.slice(0, deps.maxChargesPerPass));
  } catch (error) {
    record({ chargeId: null, source: 'stuck', action: 'error', reason: `finding open refunds: ${(error as Error).message}` });
  }
  for (const refundId of stuckRefunds) {
    if (outOfTime()) break;
    try {
      const action = await reconcileStuckRefund(deps, input, refundId);
      if (action === null) continue;
      report.found += 1;
      record({ chargeId: null, refundId, source: 'stuck', action });
    } catch (error) {
      record({ chargeId: null, refundId, source: 'stuck', action: 'error', reason: (error as Error).message });
    }
  }

  const hideFor = Math.max(1, Math.ceil(input.leaseDurationMs / 1000));
  while (report.deadLetters.received < deps.maxDeadLettersPerPass && !outOfTime()) {
    let letters;
    try {
      letters = await deps.deadLetters.receive(Math.min(10, deps.maxDeadLettersPerPass - report.deadLetters.received), hideFor);
    } catch (error) {
      record({ chargeId: null, source: 'dead_letter', action: 'error', reason: `receiving dead letters: ${(error as Error).message}` });
      break;
    }
    if (letters.length === 0) break;
    for (const letter of letters) {
      // A letter left unhandled here becomes visible again after `hideFor`, for the next pass.
      if (outOfTime()) break;
      report.deadLetters.received += 1;
      const item = parseWorkMessage(letter.body);
      if (item === null) {
        report.deadLetters.unresolvable += 1;
        record({ chargeId: null, source: 'dead_letter', action: 'unresolvable', reason: `message ${letter.messageId} is not a work message; left in the DLQ` });
        continue;
      }
      const chargeId = item.kind === 'charge' ? item.id : null;
      const refundId = item.kind === 'refund' ? { refundId: item.id } : {};
      const named = item.kind === 'processor_event' ? `processor event ${item.notice.id}` : `${item.kind} ${item.id}`;
      const action = await isolated(chargeId, 'dead_letter', async () => {
        const why = `dead-lettered after ${letter.receiveCount} receives`;
        const resolved =
          item.kind === 'charge'
            ? await resolveOpenCharge(deps, input, item.id, why)
            : item.kind === 'refund'
              ? await resolveOpenRefund(deps, input, item.id, why)
              : await lookIntoDeadEvent(deps, input, item.notice, letter, why);
        // Unless the charge is unknown, it is final or still open in the open-charges index,
        // which later passes look at: the letter has done its job. A processor event the
        // processor could not answer about stays for the next pass.
        if (resolved !== 'unresolvable' && resolved !== 'deferred') {
          await deps.deadLetters.delete(letter);
          report.deadLetters.deleted += 1;
        }
        return resolved;
      });
      if (action === 'error') continue;
      if (action === 'unresolvable') report.deadLetters.unresolvable += 1;
      record({
        chargeId,
        ...refundId,
        source: 'dead_letter',
        action: action ?? 'unresolvable',
        ...(action === 'unresolvable' ? { reason: `no ${named}; left in the DLQ` } : {}),
      });
    }
  }
  report.inReview += report.flaggedForReview;
  return report;
}

/**
 * A processor event the workers gave up on: what it names is looked into as a worker would, but
 * settling an open charge or refund goes through the reconciler's own path, which moves no money.
 */
async function lookIntoDeadEvent(deps: ReconcileDeps, input: ReconcileInput, notice: ProcessorEventNotice, letter: DeadLetter, why: string): Promise<ReconcileAction> {
  const handled = await handleProcessorEvent(
    {
      ...deps.processorEvents,
      charges: deps.charges,
      refunds: deps.refunds,
      settleCharge: (chargeId) => resolveOpenCharge(deps, input, chargeId, why),
      settleRefund: (refundId) => resolveOpenRefund(deps, input, refundId, why),
      now: deps.now,
    },
    notice,
    { attempt: letter.receiveCount },
  );
  return handled.kind === 'done' ? 'event_handled' : 'deferred';
}

/** A stuck charge (reconcile-operation.ts); one with no payment recorded cannot have moved money. `null` when it is not stuck after all. */
async function reconcileStuckCharge(deps: ReconcileDeps, input: ReconcileInput, chargeId: string): Promise<ReconcileAction | null> {
  const current = await deps.charges.get(chargeId);
  return reconcileStuck(deps, chargeOperations(deps), current && openCharge(current), input.leaseOwner, 'no processor payment recorded yet; the workers keep retrying', () =>
    resolveOpenCharge(deps, input, chargeId, 'stuck'),
  );
}

/**
 * Takes the charge's lease (only an expired lease can be taken over) and settles it from the
 * processor's word on the recorded payment. Moves no money: confirming and cancelling stay
 * with the workers.
 */
async function resolveOpenCharge(deps: ReconcileDeps, input: ReconcileInput, chargeId: string, why: string): Promise<ReconcileAction> {
  const now = deps.now();
  const claim = await deps.charges.claim(chargeId, { owner: input.leaseOwner, expiresAt: now + input.leaseDurationMs }, now);
  if (claim.kind === 'not_found') return 'unresolvable';
  if (claim.kind === 'final') return 'already_final';
  if (claim.kind === 'leased') return 'in_progress';
  const { record } = claim;
  const release = () => deps.charges.release(chargeId, input.leaseOwner, deps.now());
  const overdue = (reason: string) => flagIfOverdue(deps, chargeOperations(deps), openCharge(record), reason);
  const paymentId = record.processorPaymentId;

  if (paymentId === null) {
    await release();
    await deps.queue.enqueue(chargeId);
    return (await overdue(`${why}; no processor payment recorded yet`)) ?? 're_enqueued';
  }

  let state;
  try {
    state = await deps.processor.retrievePayment(paymentId);
  } catch (error) {
    return lookupFailed(deps, chargeOperations(deps), openCharge(record), error, release, paymentId);
  }

  switch (state.kind) {
    case 'succeeded':
    case 'failed': {
      const completed = await deps.charges.complete(chargeId, input.leaseOwner, state, deps.now());
      return completed.kind === 'completed' ? 'finalized' : 'in_progress';
    }
    case 'awaiting_confirmation':
    case 'requires_authentication':
      await release();
      await deps.queue.enqueue(chargeId);
      return (await overdue(`${why}; processor payment ${paymentId} still ${state.kind}`)) ?? 're_enqueued';
    case 'not_final':
      await release();
      return (await overdue(`${why}; processor payment ${paymentId} still ${state.status}`)) ?? 'deferred';
  }
}

function chargeOperations(deps: ReconcileDeps): ReconcilableOperations {
  return {
    touchStalePending: (...args) => deps.charges.touchStalePending(...args),
    enqueue: (chargeId) => deps.queue.enqueue(chargeId),
    flagForReview: (chargeId, review) => deps.charges.flagForReview(chargeId, review),
  };
}

function openCharge(record: ChargeRecord): OpenOperation {
  const { charge } = record;
  return {
    id: charge.id,
    status: charge.status,
    terminal: isTerminal(charge.status),
    createdAt: charge.createdAt,
    updatedAt: charge.updatedAt,
    lease: record.lease,
    review: record.review,
    neverSent: record.processorPaymentId === null,
  };
}
