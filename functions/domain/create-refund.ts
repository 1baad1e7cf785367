import type { Charge } from './charge.ts';
import { OncePayError } from './errors.ts';
import { answerExisting, canonicalRequest, enqueueBestEffort, newLifecycle, type KeyedRequest, type OperationLifecycleDeps, type OperationQueue } from './operation-lifecycle.ts';
import type { ChargeRepository, RefundRecord, RefundRepository, StoredResponse, WorkQueue } from './ports.ts';
import { isRefundTerminal, pendingRefund, refundIdFor, toRefundObject } from './refund.ts';
import { parseRefundRequest, type RefundRequest } from './refund-request.ts';

/** The same lifecycle deps as charges: the same key retention, the same re-enqueue interval. */
export interface CreateRefundDeps extends OperationLifecycleDeps {
  refunds: RefundRepository;
  charges: Pick<ChargeRepository, 'get'>;
  queue: Pick<WorkQueue, 'enqueueRefund'>;
}

export type CreateRefundInput = KeyedRequest;

export type CreateRefundOutcome =
  | { kind: 'created'; refundId: string; response: StoredResponse }
  | { kind: 'replayed'; refundId: string; response: StoredResponse }
  | { kind: 'key_reused_with_other_body'; differingFields: string[] }
  /** No such charge, or another merchant's: the same answer, so ids cannot be probed. */
  | { kind: 'charge_not_found'; chargeId: string }
  | { kind: 'charge_not_refundable'; chargeId: string; reason: string }
  /** The charge was charged back: its dispute takes the money back; Stripe refuses refunds (`charge_disputed`). */
  | { kind: 'charge_disputed'; chargeId: string; disputeId: string }
  | { kind: 'amount_too_large'; requested: number; left: number };

export class RefundKeyExhaustedError extends OncePayError {}

const MAX_KEY_GENERATIONS = 1000;
/** A reservation refused by a charge that, read again, would allow it (it changed in between) is tried again this often. */
const MAX_RESERVATION_ATTEMPTS = 3;

/**
 * `POST /v1/refunds`: the key's refund, if there is one, is the answer (replayed byte for byte,
 * or `422` for another body), whatever has happened to the charge since. Otherwise the charge
 * is read, the request checked against it, and one transaction creates the refund and reserves
 * its amount on the charge, on the condition that the charge is still the merchant's, still
 * `succeeded`, not charged back, and that `amount_refunded + amount ≤ amount`: racing refunds
 * never reserve more than was captured. Refusals (no such charge, not refundable, too much) are not remembered:
 * nothing was created, and the client may retry the key once the charge allows it.
 */
export async function createRefund(deps: CreateRefundDeps, input: CreateRefundInput): Promise<CreateRefundOutcome> {
  const request = parseRefundRequest(input.body);
  const canonical = canonicalRequest(input.body);
  const queue: OperationQueue = {
    enqueue: (refundId) => deps.queue.enqueueRefund(refundId),
    touchStalePending: (...args) => deps.refunds.touchStalePending(...args),
  };
  const expiredGenerations: RefundRecord[] = [];

  for (let generation = 0; generation < MAX_KEY_GENERATIONS; generation += 1) {
    const refundId = refundIdFor(input.merchantId, input.idempotencyKey, generation);
    let existing = await deps.refunds.get(refundId);
    for (let attempt = 1; existing === undefined; attempt += 1) {
      const read = await deps.charges.get(request.chargeId);
      const chargeRecord = read?.charge.merchantId === input.merchantId ? read : undefined;
      const refusal = chargeRecord ? refusalOf(chargeRecord.charge, request) : ({ kind: 'charge_not_found', chargeId: request.chargeId } as const);
      if (!chargeRecord || refusal) {
        // A request with the same key may have created the refund since we looked (and taken what
        // was left of the charge): then the key's refund is the answer, not the refusal.
        existing = await deps.refunds.get(refundId);
        if (existing) break;
        return refusal ?? { kind: 'charge_not_found', chargeId: request.chargeId };
      }
      const { charge } = chargeRecord;
      // A succeeded charge always has its processor payment recorded: its outcome came from it.
      const paymentId = chargeRecord.processorPaymentId;
      if (paymentId === null) throw new OncePayError(`Succeeded charge ${charge.id} has no processor payment recorded`);

      const now = deps.now();
      const amount = request.amount ?? charge.amount - charge.amountRefunded;
      const refund = pendingRefund(refundId, input.merchantId, request, amount, charge.currency, now);
      const record: RefundRecord = {
        refund,
        ...newLifecycle(deps, input, canonical, generation, toRefundObject(refund), now),
        paymentId,
        processorRefundId: null,
        processorKeyAttempt: 1,
        processorRefusal: null,
      };
      const result = await deps.refunds.createReserving(
        record,
        { chargeId: charge.id, merchantId: input.merchantId, chargeAmount: charge.amount, keepChargeUntil: Math.max(chargeRecord.purgeAt, record.purgeAt) },
        expiredGenerations,
      );
      if (result.kind === 'created') {
        await enqueueBestEffort(deps, queue, refundId);
        return { kind: 'created', refundId, response: result.record.idempotency.response };
      }
      if (result.kind === 'exists') {
        existing = result.record;
        break;
      }
      // The charge changed between our read and the transaction (another refund reserved): read
      // both again; the loop answers from what they are now.
      if (attempt >= MAX_RESERVATION_ATTEMPTS) throw new OncePayError(`The reservation on ${charge.id} kept conflicting`);
      existing = await deps.refunds.get(refundId);
    }
    if (!existing) continue;

    const answer = await answerExisting(
      deps,
      queue,
      { id: existing.refund.id, status: existing.refund.status, updatedAt: existing.refund.updatedAt, terminal: isRefundTerminal(existing.refund.status), record: existing },
      input,
      canonical,
    );
    if (answer.kind === 'next_generation') {
      expiredGenerations.push(existing);
      continue;
    }
    return answer.kind === 'replayed' ? { kind: 'replayed', refundId: existing.refund.id, response: answer.response } : answer;
  }
  throw new RefundKeyExhaustedError(`Idempotency key reused after expiry ${MAX_KEY_GENERATIONS} times`);
}

/** Why the charge, as it is, cannot take this refund; `undefined` when it can. */
function refusalOf(charge: Charge, request: RefundRequest): CreateRefundOutcome | undefined {
  if (charge.dispute?.blocksRefunds) return { kind: 'charge_disputed', chargeId: charge.id, disputeId: charge.dispute.id };
  if (charge.status !== 'succeeded') {
    return { kind: 'charge_not_refundable', chargeId: charge.id, reason: `its status is ${charge.status}; only a succeeded charge can be refunded` };
  }
  const left = charge.amount - charge.amountRefunded;
  if (left === 0) return { kind: 'charge_not_refundable', chargeId: charge.id, reason: 'it has been refunded in full already' };
  if (request.amount !== null && request.amount > left) return { kind: 'amount_too_large', requested: request.amount, left };
  return undefined;
}
