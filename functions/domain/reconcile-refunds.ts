import type { ProcessorRefundState, RefundProcessor, RefundRecord, RefundRepository, WorkQueue } from './ports.ts';
import { isRefundTerminal } from './refund.ts';
import { flagIfOverdue, lookupFailed, reconcileStuck, type OpenOperation, type ReconcilableOperations, type ReconcileAction, type ReconcileTiming } from './reconcile-operation.ts';

export interface ReconcileRefundDeps extends ReconcileTiming {
  refunds: RefundRepository;
  refundProcessor: RefundProcessor;
  queue: Pick<WorkQueue, 'enqueueRefund'>;
}

export interface LeaseInput {
  leaseOwner: string;
  leaseDurationMs: number;
}

/**
 * A refund no worker made progress on for `stuckAfterMs` (reconcile-operation.ts). One that never
 * reached the processor (no attempt yet) goes back to the workers, once; any other is resolved
 * against the processor. `null` when it turns out not to be stuck.
 */
export async function reconcileStuckRefund(deps: ReconcileRefundDeps, input: LeaseInput, refundId: string): Promise<ReconcileAction | null> {
  const current = await deps.refunds.get(refundId);
  return reconcileStuck(deps, refundOperations(deps), current && openRefund(current), input.leaseOwner, 'never sent to the processor yet; the workers keep retrying', () =>
    resolveOpenRefund(deps, input, refundId, 'stuck'),
  );
}

/**
 * Takes the refund's lease and settles it from the processor's word: by the recorded processor
 * refund id, or, when none is recorded, by the payment's strongly consistent refund list. Moves
 * no money: a refund the processor does not have goes back to the workers, which create it.
 */
export async function resolveOpenRefund(deps: ReconcileRefundDeps, input: LeaseInput, refundId: string, why: string): Promise<ReconcileAction> {
  const now = deps.now();
  const claim = await deps.refunds.claim(refundId, { owner: input.leaseOwner, expiresAt: now + input.leaseDurationMs }, now);
  if (claim.kind === 'not_found') return 'unresolvable';
  if (claim.kind === 'final') return 'already_final';
  if (claim.kind === 'leased') return 'in_progress';
  const { record } = claim;
  const release = () => deps.refunds.release(refundId, input.leaseOwner, deps.now());
  const overdue = (reason: string) => flagIfOverdue(deps, refundOperations(deps), openRefund(record), reason);

  let state: ProcessorRefundState | null;
  try {
    const recorded = record.processorRefundId;
    state = recorded !== null ? await deps.refundProcessor.retrieveRefund(recorded) : await deps.refundProcessor.findRefund(record.paymentId, refundId);
  } catch (error) {
    return lookupFailed(deps, refundOperations(deps), openRefund(record), error, release, `refund ${refundId}`);
  }
  if (state === null) {
    await release();
    // The processor refused it in a way oncepay cannot read: a person decides; sending it again would be refused again.
    if (record.processorRefusal !== null) return 'deferred';
    await deps.queue.enqueueRefund(refundId);
    return (await overdue(`${why}; the processor has no refund for it yet`)) ?? 're_enqueued';
  }
  if (state.processorRefundId !== null) await deps.refunds.recordProcessorRefund(refundId, input.leaseOwner, state.processorRefundId);
  if (state.kind === 'not_final') {
    await release();
    return (await overdue(`${why}; processor refund ${state.processorRefundId} still ${state.status}`)) ?? 'deferred';
  }
  const completed = await deps.refunds.complete(refundId, input.leaseOwner, state, deps.now());
  return completed.kind === 'completed' ? 'finalized' : 'in_progress';
}

function refundOperations(deps: ReconcileRefundDeps): ReconcilableOperations {
  return {
    touchStalePending: (...args) => deps.refunds.touchStalePending(...args),
    enqueue: (refundId) => deps.queue.enqueueRefund(refundId),
    flagForReview: (refundId, review) => deps.refunds.flagForReview(refundId, review),
  };
}

function openRefund(record: RefundRecord): OpenOperation {
  const { refund } = record;
  return {
    id: refund.id,
    status: refund.status,
    terminal: isRefundTerminal(refund.status),
    createdAt: refund.createdAt,
    updatedAt: refund.updatedAt,
    lease: record.lease,
    review: record.review,
    neverSent: record.attempts === 0,
  };
}
