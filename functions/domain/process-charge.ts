import { cancelKeyFor, confirmKeyFor, isTerminal, paymentRequestFor, prepareKeyFor, type ChargeStatus } from './charge.ts';
import { PoisonMessageError, ProcessorConfigurationError, ProcessorModeMismatchError, ProcessorUnavailableError } from './errors.ts';
import type { CardProcessor, ChargeRepository, PaymentState, PreparedPayment, ProcessorOutcome } from './ports.ts';

export interface ProcessChargeDeps {
  charges: ChargeRepository;
  processor: CardProcessor;
  now: () => number;
  /** The longest one processor call may take (its timeout): none starts without that much time left. */
  processorTimeoutMs: number;
}

/** Time kept after the last processor call to record the outcome under the lease. */
const RECORD_MARGIN_MS = 1_000;

export interface ProcessChargeInput {
  chargeId: string;
  /** Unique per attempt: who holds the lease. */
  leaseOwner: string;
  /** How long this attempt may run (the rest of the invocation); the lease lasts that long. */
  leaseDurationMs: number;
}

export type ProcessChargeOutcome =
  /** The charge reached a terminal status, now or earlier; the message is done. */
  | { kind: 'final'; status: ChargeStatus }
  /** Another attempt holds a live lease; look again once it has expired. */
  | { kind: 'busy'; retryAfterMs: number }
  /**
   * The processor failed transiently, its outcome is unknown, or it has not decided yet
   * (a payment still `processing`): look again after a backoff.
   */
  | { kind: 'retry'; attempt: number; reason: string }
  /**
   * The processor refused oncepay's request for a reason that is not the charge's (a revoked
   * key, a missing permission, a key of the other mode), or answered from the other mode (the
   * charge is then also flagged for review): nothing is final, a person must act; look again after a backoff.
   */
  | { kind: 'misconfigured'; attempt: number; reason: string }
  /** Flagged for a person, who settles it (`npm run cli -- review settle`); the message is done. */
  | { kind: 'review'; reason: string };

/**
 * The worker's use case, in the order that keeps money safe:
 *
 * 1. make sure the charge's processor payment exists, **unconfirmed** (this moves no money);
 * 2. claim the charge under a lease with the write that also records that payment's id, unless
 *    an id is recorded already: one id per charge, forever;
 * 3. confirm **that recorded id** (the only call that moves money), or, on a later attempt,
 *    first retrieve it (strongly consistent) and confirm only if it never was, under this
 *    attempt's own key (the earlier key may hold a 500 the processor keeps for a day);
 * 4. record the processor's final answer under the lease, or hand the charge back to look
 *    again later when the processor has not decided.
 *
 * Stripe forgets idempotency keys after 24 hours, and a create answered 500 spends its key (the
 * next attempt creates under the next key). Either way a late step 1 may create a second,
 * unconfirmed payment; it is never recorded and so never confirmed, and it is cancelled here.
 * Throws {@link PoisonMessageError} for a charge that does not exist.
 */
export async function processCharge(deps: ProcessChargeDeps, input: ProcessChargeInput): Promise<ProcessChargeOutcome> {
  const current = await deps.charges.get(input.chargeId);
  if (!current) throw new PoisonMessageError(`No charge ${input.chargeId}`);
  if (isTerminal(current.charge.status)) return { kind: 'final', status: current.charge.status };
  const readAt = deps.now();
  if (current.lease && current.lease.expiresAt > readAt) return { kind: 'busy', retryAfterMs: current.lease.expiresAt - readAt };

  // No processor call starts unless it can finish, and its answer be recorded, inside the lease.
  const attemptEnds = readAt + input.leaseDurationMs;
  const timeForACall = () => deps.now() + deps.processorTimeoutMs + RECORD_MARGIN_MS <= attemptEnds;
  let prepared: PreparedPayment | null = null;
  if (current.processorPaymentId === null) {
    if (!timeForACall()) return { kind: 'retry', attempt: current.attempts + 1, reason: 'no time left in this invocation' };
    try {
      prepared = await deps.processor.preparePayment(paymentRequestFor(current.charge), prepareKeyFor(current.charge.id, current.prepareKeyAttempt));
    } catch (error) {
      // The processor keeps its 500 for that key: the next attempt creates under the next one.
      if (error instanceof ProcessorUnavailableError && error.keySpent) await deps.charges.spendPrepareKey(current.charge.id, current.prepareKeyAttempt);
      // No lease is held yet: nothing to hand back.
      const outcome = notSettled(error, current.attempts + 1);
      await flagIfOtherMode(deps, current.charge.id, error);
      return outcome;
    }
  }

  const claimedAt = deps.now();
  const claim = await deps.charges.claim(
    current.charge.id,
    { owner: input.leaseOwner, expiresAt: claimedAt + input.leaseDurationMs },
    claimedAt,
    prepared?.kind === 'prepared' ? prepared.paymentId : undefined,
  );
  switch (claim.kind) {
    case 'not_found':
      throw new PoisonMessageError(`No charge ${input.chargeId}`);
    case 'final':
      return { kind: 'final', status: claim.status };
    case 'leased':
      return { kind: 'busy', retryAfterMs: Math.max(0, claim.lease.expiresAt - claimedAt) };
    case 'claimed':
      break;
  }

  const { record } = claim;
  const recorded = record.processorPaymentId;
  if (prepared?.kind === 'prepared' && prepared.paymentId !== recorded && timeForACall()) {
    await cancelStrayPayment(deps.processor, prepared.paymentId);
  }
  const settle = (outcome: ProcessorOutcome) => completeUnderLease(deps, input, outcome);
  if (recorded === null) {
    if (prepared?.kind === 'refused') {
      // The processor refused to create a payment for this charge: nothing exists, no money moved.
      return settle({ kind: 'failed', paymentId: null, code: prepared.code, declineCode: null, message: prepared.message });
    }
    await deps.charges.release(record.charge.id, input.leaseOwner, deps.now());
    return { kind: 'retry', attempt: record.attempts, reason: 'no processor payment recorded' };
  }

  try {
    const call = <T>(request: () => Promise<T>): Promise<T> => {
      if (!timeForACall()) throw new ProcessorUnavailableError('no time left in this invocation for another processor call');
      return request();
    };
    // A payment we created and recorded just now was never confirmed; any other may have been,
    // and confirming a declined payment again would try the card again.
    const createdNow = current.processorPaymentId === null && prepared?.kind === 'prepared' && prepared.paymentId === recorded;
    let state: PaymentState = createdNow
      ? { kind: 'awaiting_confirmation', paymentId: recorded }
      : await call(() => deps.processor.retrievePayment(recorded));
    if (state.kind === 'awaiting_confirmation') state = await call(() => deps.processor.confirmPayment(recorded, confirmKeyFor(record.charge.id, record.attempts)));
    if (state.kind === 'requires_authentication') {
      state = await call(() => deps.processor.cancelPayment(recorded, cancelKeyFor(recorded, 'requires_authentication'), 'requires_authentication'));
    }
    if (state.kind === 'succeeded' || state.kind === 'failed') return await settle(state);
    await deps.charges.release(record.charge.id, input.leaseOwner, deps.now());
    return { kind: 'retry', attempt: record.attempts, reason: `processor payment ${recorded} is not final (${describe(state)})` };
  } catch (error) {
    const outcome = notSettled(error, record.attempts);
    await deps.charges.release(record.charge.id, input.leaseOwner, deps.now());
    await flagIfOtherMode(deps, record.charge.id, error);
    return outcome;
  }
}

async function completeUnderLease(deps: ProcessChargeDeps, input: ProcessChargeInput, outcome: ProcessorOutcome): Promise<ProcessChargeOutcome> {
  const completed = await deps.charges.complete(input.chargeId, input.leaseOwner, outcome, deps.now());
  if (completed.kind === 'lease_lost') {
    // Our lease expired and another attempt took over. It retrieves the same recorded payment,
    // so it records the same outcome; nothing is lost.
    return { kind: 'busy', retryAfterMs: 0 };
  }
  return { kind: 'final', status: outcome.kind };
}

/** Maps a processor error that leaves the charge open; rethrows anything else. */
function notSettled(error: unknown, attempt: number): ProcessChargeOutcome {
  if (error instanceof ProcessorUnavailableError) return { kind: 'retry', attempt, reason: error.message };
  if (error instanceof ProcessorConfigurationError) return { kind: 'misconfigured', attempt, reason: error.message };
  throw error;
}

/**
 * An answer from the other mode than the stage's is about another account's money: the charge
 * stays open (retried like any configuration error) and is flagged for a person at once, who
 * finds out where its payment went. Flagging twice keeps the first reason.
 */
async function flagIfOtherMode(deps: ProcessChargeDeps, chargeId: string, error: unknown): Promise<void> {
  if (error instanceof ProcessorModeMismatchError) await deps.charges.flagForReview(chargeId, { reason: error.message, since: deps.now() });
}

/**
 * Cancels a payment created after the processor forgot the charge's key: it was never recorded,
 * so nothing will ever confirm it. Best effort: an unconfirmed payment moves no money anyway.
 */
async function cancelStrayPayment(processor: CardProcessor, paymentId: string): Promise<void> {
  try {
    await processor.cancelPayment(paymentId, cancelKeyFor(paymentId, 'duplicate'), 'duplicate');
  } catch (error) {
    if (!(error instanceof ProcessorUnavailableError || error instanceof ProcessorConfigurationError)) throw error;
  }
}

function describe(state: PaymentState): string {
  return state.kind === 'not_final' ? state.status : state.kind;
}
