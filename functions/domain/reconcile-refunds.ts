import { ProcessorConfigurationError, ProcessorUnavailableError } from './errors.ts';
import type { ProcessorRefundState, RefundProcessor, RefundRecord, RefundRepository, WorkQueue } from './ports.ts';
import { isRefundTerminal } from './refund.ts';
import type { ReconcileAction } from './reconcile.ts';

export interface ReconcileRefundDeps {
  refunds: RefundRepository;
  refundProcessor: RefundProcessor;
  queue: Pick<WorkQueue, 'enqueueRefund'>;
  now: () => number;
  stuckAfterMs: number;
  reviewAfterMs: number;
}

export interface LeaseInput {
  leaseOwner: string;
  leaseDurationMs: number;
}

/**
 * A refund no worker made progress on for `stuckAfterMs`. One that never reached the processor
 * (no attempt yet) goes back to the workers, once; any other is resolved against the processor.
 * `null` when it turns out not to be stuck.
 */
export async function reconcileStuckRefund(deps: ReconcileRefundDeps, input: LeaseInput, refundId: string): Promise<ReconcileAction | null> {
  const current = await deps.refunds.get(refundId);
  if (!current || isRefundTerminal(current.refund.status)) return null;
  const now = deps.now();
  const staleBefore = now - deps.stuckAfterMs;
  if (current.refund.updatedAt >= staleBefore) return null;
  if (current.refund.status === 'processing' && current.lease && current.lease.expiresAt > now) return null;
  if (current.refund.status === 'pending' && current.attempts === 0) {
    if (!(await deps.refunds.touchStalePending(refundId, staleBefore, now, input.leaseOwner))) return 'in_progress';
    await deps.queue.enqueueRefund(refundId);
    return (await flagIfOverdue(deps, current, 'never sent to the processor yet; the workers keep retrying')) ?? 're_enqueued';
  }
  return resolveOpenRefund(deps, input, refundId, 'stuck');
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

  let state: ProcessorRefundState | null;
  try {
    const recorded = record.processorRefundId;
    state = recorded !== null ? await deps.refundProcessor.retrieveRefund(recorded) : await deps.refundProcessor.findRefund(record.paymentId, refundId);
  } catch (error) {
    await release();
    if (error instanceof ProcessorUnavailableError) return 'deferred';
    if (error instanceof ProcessorConfigurationError) {
      return (await flag(deps, record, `the processor refused the lookup of refund ${refundId}: ${error.message}`)) ?? 'deferred';
    }
    throw error;
  }
  if (state === null) {
    await release();
    // The processor refused it in a way oncepay cannot read: a person decides; sending it again would be refused again.
    if (record.processorRefusal !== null) return 'deferred';
    await deps.queue.enqueueRefund(refundId);
    return (await flagIfOverdue(deps, record, `${why}; the processor has no refund for it yet`)) ?? 're_enqueued';
  }
  if (state.processorRefundId !== null) await deps.refunds.recordProcessorRefund(refundId, input.leaseOwner, state.processorRefundId);
  if (state.kind === 'not_final') {
    await release();
    return (await flagIfOverdue(deps, record, `${why}; processor refund ${state.processorRefundId} still ${state.status}`)) ?? 'deferred';
  }
  const completed = await deps.refunds.complete(refundId, input.leaseOwner, state, deps.now());
  return completed.kind === 'completed' ? 'finalized' : 'in_progress';
}

async function flagIfOverdue(deps: ReconcileRefundDeps, record: RefundRecord, reason: string): Promise<ReconcileAction | null> {
  if (deps.now() - record.refund.createdAt < deps.reviewAfterMs) return null;
  return flag(deps, record, `open for more than ${Math.round(deps.reviewAfterMs / 1000)} s: ${reason}`);
}

async function flag(deps: ReconcileRefundDeps, record: RefundRecord, reason: string): Promise<ReconcileAction | null> {
  if (record.review) return null;
  await deps.refunds.flagForReview(record.refund.id, { reason, since: deps.now() });
  return 'flagged_for_review';
}
