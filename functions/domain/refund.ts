import { attemptKey } from './charge.ts';
import { derivedId } from './derived-id.ts';
import type { RefundRequest } from './refund-request.ts';

/**
 * A refund's life inside oncepay. `processing` is `pending` under a worker's lease (the public
 * object shows it as `pending`); `processing → pending` hands it back after a transient error
 * or an undecided refund. `succeeded`, `failed` and `canceled` are terminal; the last two give
 * the refund's reservation back to its charge.
 */
export type RefundStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'canceled';
export type PublicRefundStatus = Exclude<RefundStatus, 'processing'>;
export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

const TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  pending: ['processing'],
  processing: ['pending', 'succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function isRefundTerminal(status: RefundStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** A refund as the domain sees it; times are epoch milliseconds. */
export interface Refund {
  id: string;
  merchantId: string;
  chargeId: string;
  amount: number;
  currency: string;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  status: RefundStatus;
  createdAt: number;
  updatedAt: number;
  /** Why the processor failed or refused the refund (Stripe's `failure_reason`, or its error code). */
  failureReason: string | null;
}

/** The public refund object, Stripe style. */
export interface RefundObject {
  id: string;
  object: 'refund';
  charge: string;
  amount: number;
  currency: string;
  status: PublicRefundStatus;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  created: number;
  failure_reason: string | null;
}

export function toRefundObject(refund: Refund): RefundObject {
  return {
    id: refund.id,
    object: 'refund',
    charge: refund.chargeId,
    amount: refund.amount,
    currency: refund.currency,
    status: refund.status === 'processing' ? 'pending' : refund.status,
    reason: refund.reason,
    metadata: refund.metadata,
    created: Math.floor(refund.createdAt / 1000),
    failure_reason: refund.failureReason,
  };
}

/**
 * The refund id for the `generation`-th use of an idempotency key by a merchant on
 * `POST /v1/refunds`: as for charges, one conditional write on this id claims the key.
 * Refund keys live apart from charge keys (a key may name one charge and one refund).
 */
export function refundIdFor(merchantId: string, idempotencyKey: string, generation: number): string {
  return derivedId('re', ['refund', merchantId, idempotencyKey, generation]);
}

/**
 * The processor idempotency key of a refund's create request: the same on every attempt, until
 * the processor answers an error it keeps for the key (a 500, for 24 hours). The next key is used
 * only after the payment's refund list showed no refund made for this one (see process-refund.ts).
 */
export function processorRefundKey(refundId: string, attempt: number): string {
  return attemptKey(`oncepay_${refundId}_refund`, attempt);
}

/** A new refund, `pending`, as a validated request for `amount` of its charge creates it. */
export function pendingRefund(id: string, merchantId: string, request: RefundRequest, amount: number, currency: string, now: number): Refund {
  return {
    id,
    merchantId,
    chargeId: request.chargeId,
    amount,
    currency,
    reason: request.reason,
    metadata: request.metadata,
    status: 'pending',
    createdAt: now,
    updatedAt: now,
    failureReason: null,
  };
}
