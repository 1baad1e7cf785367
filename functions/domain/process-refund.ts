import { PoisonMessageError, ProcessorConfigurationError, ProcessorUnavailableError } from './errors.ts';
import type { ProcessorRefundState, RefundOutcome, RefundProcessor, RefundRecord, RefundRefusal, RefundRepository } from './ports.ts';
import type { ProcessChargeOutcome } from './process-charge.ts';
import { isRefundTerminal, processorRefundKey } from './refund.ts';

export interface ProcessRefundDeps {
  refunds: RefundRepository;
  processor: RefundProcessor;
  now: () => number;
  processorTimeoutMs: number;
}

const RECORD_MARGIN_MS = 1_000;

export interface ProcessRefundInput {
  refundId: string;
  /** Unique per attempt: who holds the lease. */
  leaseOwner: string;
  leaseDurationMs: number;
}

/**
 * The worker's refund use case. Creating a refund at the processor moves money at once, so
 * the order is: claim the refund under a lease; if no processor refund is recorded, and an
 * earlier attempt may have sent the create (its outcome unknown), look for it in the payment's
 * refund list, which is strongly consistent (the processor's idempotency key may be forgotten,
 * the list is not); only if it is not there, create it with the refund's current key (a key the
 * processor spent on a 500 it keeps is moved past, so the create after the list is a new
 * question); record the processor's refund id; record its final outcome (a failure gives the
 * reservation back), or hand the refund back to look again later. Every later look is a
 * retrieve by the recorded id. A refusal oncepay cannot read is flagged for a person, never
 * sent again.
 */
export async function processRefund(deps: ProcessRefundDeps, input: ProcessRefundInput): Promise<ProcessChargeOutcome> {
  const current = await deps.refunds.get(input.refundId);
  if (!current) throw new PoisonMessageError(`No refund ${input.refundId}`);
  if (isRefundTerminal(current.refund.status)) return { kind: 'final', status: publicFinal(current) };
  // Refused in a way oncepay cannot read: a person settles it. Sending it again (a duplicate
  // delivery of its message) could move money while they decide.
  if (current.processorRefusal !== null) return awaitingPerson(current.processorRefusal);
  const readAt = deps.now();
  if (current.lease && current.lease.expiresAt > readAt) return { kind: 'busy', retryAfterMs: current.lease.expiresAt - readAt };

  const claim = await deps.refunds.claim(current.refund.id, { owner: input.leaseOwner, expiresAt: readAt + input.leaseDurationMs }, readAt);
  switch (claim.kind) {
    case 'not_found':
      throw new PoisonMessageError(`No refund ${input.refundId}`);
    case 'final':
      return { kind: 'final', status: claim.status === 'succeeded' ? 'succeeded' : 'failed' };
    case 'leased':
      return { kind: 'busy', retryAfterMs: Math.max(0, claim.lease.expiresAt - readAt) };
    case 'claimed':
      break;
  }
  const { record } = claim;
  if (record.processorRefusal !== null) {
    // Flagged between the read above and the claim.
    await deps.refunds.release(record.refund.id, input.leaseOwner, deps.now());
    return awaitingPerson(record.processorRefusal);
  }
  // The claim counted this attempt: any before it may have sent the create.
  const attemptsBefore = record.attempts - 1;
  const attemptEnds = readAt + input.leaseDurationMs;
  const call = <T>(request: () => Promise<T>): Promise<T> => {
    if (deps.now() + deps.processorTimeoutMs + RECORD_MARGIN_MS > attemptEnds) {
      throw new ProcessorUnavailableError('no time left in this invocation for another processor call');
    }
    return request();
  };

  try {
    const state = await stateOfRefund(deps, record, input.leaseOwner, attemptsBefore, call);
    if (state === null) throw new ProcessorUnavailableError('no processor refund found or created');
    if (state.kind === 'refused') {
      const reason = `the processor refused the refund (${state.code}): ${state.message}`;
      await deps.refunds.flagRefused(record.refund.id, input.leaseOwner, state.code, { reason, since: deps.now() }, deps.now());
      return { kind: 'review', reason };
    }
    if (state.processorRefundId !== null) {
      await deps.refunds.recordProcessorRefund(record.refund.id, input.leaseOwner, state.processorRefundId);
    }
    if (state.kind === 'not_final') {
      await deps.refunds.release(record.refund.id, input.leaseOwner, deps.now());
      return { kind: 'retry', attempt: record.attempts, reason: `processor refund ${state.processorRefundId} is not final (${state.status})` };
    }
    return await completeUnderLease(deps, input, state);
  } catch (error) {
    await deps.refunds.release(record.refund.id, input.leaseOwner, deps.now());
    if (error instanceof ProcessorUnavailableError) return { kind: 'retry', attempt: record.attempts, reason: error.message };
    if (error instanceof ProcessorConfigurationError) return { kind: 'misconfigured', attempt: record.attempts, reason: error.message };
    throw error;
  }
}

/**
 * The processor's refund for this one: by its recorded id; else, if an earlier attempt may have
 * created it, from the payment's refund list; else created now (the only call that moves money).
 */
async function stateOfRefund(
  deps: ProcessRefundDeps,
  record: RefundRecord,
  leaseOwner: string,
  attemptsBefore: number,
  call: <T>(request: () => Promise<T>) => Promise<T>,
): Promise<ProcessorRefundState | RefundRefusal | null> {
  if (record.processorRefundId !== null) {
    const recorded = record.processorRefundId;
    return call(() => deps.processor.retrieveRefund(recorded));
  }
  if (attemptsBefore > 0) {
    const found = await call(() => deps.processor.findRefund(record.paymentId, record.refund.id));
    if (found) return found;
  }
  const { refund } = record;
  try {
    return await call(() =>
      deps.processor.createRefund(
        { refundId: refund.id, chargeId: refund.chargeId, merchantId: refund.merchantId, paymentId: record.paymentId, amount: refund.amount, reason: refund.reason },
        processorRefundKey(refund.id, record.processorKeyAttempt),
      ),
    );
  } catch (error) {
    // The processor keeps that 500 for the key: after the next attempt's list shows no refund, it creates under the next key.
    if (error instanceof ProcessorUnavailableError && error.keySpent) await deps.refunds.spendProcessorKey(refund.id, leaseOwner, record.processorKeyAttempt);
    throw error;
  }
}

async function completeUnderLease(deps: ProcessRefundDeps, input: ProcessRefundInput, outcome: RefundOutcome): Promise<ProcessChargeOutcome> {
  const completed = await deps.refunds.complete(input.refundId, input.leaseOwner, outcome, deps.now());
  if (completed.kind === 'lease_lost') return { kind: 'busy', retryAfterMs: 0 };
  return { kind: 'final', status: outcome.kind === 'succeeded' ? 'succeeded' : 'failed' };
}

/** A refund flagged for the processor's refusal waits for a person (`review settle`), never for another send. */
function awaitingPerson(refusal: string): ProcessChargeOutcome {
  return { kind: 'review', reason: `the processor refused the refund (${refusal}); a person settles it` };
}

function publicFinal(record: RefundRecord): 'succeeded' | 'failed' {
  return record.refund.status === 'succeeded' ? 'succeeded' : 'failed';
}
