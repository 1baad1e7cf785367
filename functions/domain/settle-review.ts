import { randomUUID } from 'node:crypto';
import { cancelKeyFor } from './charge.ts';
import { OncePayError } from './errors.ts';
import type { CardProcessor, ChargeRepository, ProcessorOutcome, RefundOutcome, RefundProcessor, RefundRepository } from './ports.ts';

export interface SettleReviewDeps {
  charges: ChargeRepository;
  processor: CardProcessor;
  now: () => number;
}

export interface SettleReviewInput {
  chargeId: string;
  as: 'succeeded' | 'failed';
  /** Who settles, for the record and as the lease owner while settling. */
  operator: string;
}

/** The settlement was refused; nothing was written. `message` says why, in one line. */
export class SettlementRefusedError extends OncePayError {}

/**
 * `npm run cli -- review settle <charge> --as succeeded|failed`: a person closes an open charge.
 * The processor is asked first and never contradicted: a charge whose recorded payment
 * succeeded cannot be settled `failed`, one with no successful payment cannot be `succeeded`,
 * and one the processor has not decided cannot be settled at all. A payment that never moved
 * money (unconfirmed, or waiting for authentication) is cancelled before the charge is `failed`.
 */
export async function settleReview(deps: SettleReviewDeps, input: SettleReviewInput): Promise<ProcessorOutcome> {
  const now = deps.now();
  // Unique per run: two settlements by the same person must exclude each other too.
  const lease = { owner: `operator/${input.operator}/${randomUUID()}`, expiresAt: now + 60_000 };
  const claim = await deps.charges.claim(input.chargeId, lease, now);
  if (claim.kind === 'not_found') throw new SettlementRefusedError(`No charge ${input.chargeId}.`);
  if (claim.kind === 'final') throw new SettlementRefusedError(`Charge ${input.chargeId} is already ${claim.status}.`);
  if (claim.kind === 'leased') {
    const seconds = Math.ceil((claim.lease.expiresAt - now) / 1000);
    throw new SettlementRefusedError(`Charge ${input.chargeId} is being processed right now; try again in ${seconds} s.`);
  }

  const refuse = async (message: string): Promise<never> => {
    await deps.charges.release(input.chargeId, lease.owner, deps.now());
    throw new SettlementRefusedError(message);
  };
  const paymentId = claim.record.processorPaymentId;
  let outcome: ProcessorOutcome;
  if (paymentId === null) {
    // No payment was ever recorded, so none was ever confirmed: no money moved.
    if (input.as === 'succeeded') return refuse(`Charge ${input.chargeId} has no processor payment; it cannot have succeeded.`);
    outcome = {
      kind: 'failed',
      paymentId: null,
      code: 'settled_by_operator',
      declineCode: null,
      message: `Settled as failed by ${input.operator}: no processor payment was ever created.`,
    };
  } else {
    let state = await deps.processor.retrievePayment(paymentId).catch(async (error: unknown) => refuse(`The processor could not be asked: ${(error as Error).message}`));
    // Payments that moved no money and that Stripe lets be cancelled: cancel, then record failed.
    const cancellable =
      state.kind === 'awaiting_confirmation' ||
      state.kind === 'requires_authentication' ||
      (state.kind === 'not_final' && state.status === 'requires_payment_method');
    const howFar = state.kind === 'not_final' ? state.status : state.kind;
    const neverDone = state.kind === 'requires_authentication' ? 'was never authenticated' : 'was never confirmed';
    // Settling never confirms: a payment nobody confirmed will not succeed by being settled.
    if (input.as === 'succeeded' && cancellable) {
      return refuse(`Payment ${paymentId} ${neverDone} (${howFar}): no money moved; settle it --as failed (the payment is cancelled first).`);
    }
    if (input.as === 'failed' && cancellable) {
      const reason = state.kind === 'requires_authentication' ? 'requires_authentication' : 'duplicate';
      const cancelled = await deps.processor
        .cancelPayment(paymentId, cancelKeyFor(paymentId, reason), reason)
        .catch(async (error: unknown) => refuse(`The processor could not cancel ${paymentId}: ${(error as Error).message}`));
      state =
        cancelled.kind === 'failed'
          ? { ...cancelled, message: `Settled as failed by ${input.operator}: payment ${paymentId} ${neverDone}; it was cancelled and no money moved.` }
          : cancelled;
    }
    if (state.kind !== 'succeeded' && state.kind !== 'failed') {
      return refuse(`The processor has not decided payment ${paymentId} (${state.kind === 'not_final' ? state.status : state.kind}); settle it once it has.`);
    }
    if (state.kind !== input.as) return refuse(`The processor says payment ${paymentId} ${state.kind}; refusing to record it as ${input.as}.`);
    outcome = state;
  }
  const completed = await deps.charges.complete(input.chargeId, lease.owner, outcome, deps.now());
  if (completed.kind === 'lease_lost') throw new SettlementRefusedError(`Charge ${input.chargeId} was taken over while settling; look again.`);
  return outcome;
}

export interface SettleRefundReviewDeps {
  refunds: RefundRepository;
  processor: RefundProcessor;
  now: () => number;
}

export interface SettleRefundReviewInput {
  refundId: string;
  as: 'succeeded' | 'failed';
  operator: string;
}

/**
 * `npm run cli -- review settle <re_…> --as succeeded|failed`: a person closes an open refund
 * (one the processor refused in a way oncepay cannot read, or one long undecided). The processor
 * is asked first (the recorded refund, else the payment's refund list) and never contradicted:
 * a refund it has cannot be settled against its state, nor while it is undecided; one it does
 * not have cannot have succeeded, and settling it `failed` gives its amount back to the charge.
 */
export async function settleRefundReview(deps: SettleRefundReviewDeps, input: SettleRefundReviewInput): Promise<RefundOutcome> {
  const now = deps.now();
  const lease = { owner: `operator/${input.operator}/${randomUUID()}`, expiresAt: now + 60_000 };
  const claim = await deps.refunds.claim(input.refundId, lease, now);
  if (claim.kind === 'not_found') throw new SettlementRefusedError(`No refund ${input.refundId}.`);
  if (claim.kind === 'final') throw new SettlementRefusedError(`Refund ${input.refundId} is already ${claim.status}.`);
  if (claim.kind === 'leased') {
    throw new SettlementRefusedError(`Refund ${input.refundId} is being processed right now; try again in ${Math.ceil((claim.lease.expiresAt - now) / 1000)} s.`);
  }
  const refuse = async (message: string): Promise<never> => {
    await deps.refunds.release(input.refundId, lease.owner, deps.now());
    throw new SettlementRefusedError(message);
  };
  const { record } = claim;
  const state = await (record.processorRefundId !== null
    ? deps.processor.retrieveRefund(record.processorRefundId)
    : deps.processor.findRefund(record.paymentId, record.refund.id)
  ).catch(async (error: unknown) => refuse(`The processor could not be asked: ${(error as Error).message}`));
  let outcome: RefundOutcome;
  if (state === null) {
    if (input.as === 'succeeded') return refuse(`The processor has no refund for ${input.refundId}; it cannot have succeeded.`);
    outcome = { kind: 'failed', processorRefundId: null, reason: record.processorRefusal ?? 'settled_by_operator' };
  } else {
    if (state.kind === 'not_final') return refuse(`The processor has not decided refund ${state.processorRefundId} (${state.status}); settle it once it has.`);
    const says = state.kind === 'succeeded' ? 'succeeded' : 'failed';
    if (says !== input.as) return refuse(`The processor says refund ${state.processorRefundId} ${state.kind}; refusing to record it as ${input.as}.`);
    outcome = state;
  }
  const completed = await deps.refunds.complete(input.refundId, lease.owner, outcome, deps.now());
  if (completed.kind === 'lease_lost') throw new SettlementRefusedError(`Refund ${input.refundId} was taken over while settling; look again.`);
  return outcome;
}
