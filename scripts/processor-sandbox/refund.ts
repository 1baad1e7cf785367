import { stripeId } from './ids.ts';
import { unixTime } from './payment-intent.ts';

/**
 * The Refund the sandbox answers with, as Stripe's OpenAPI spec (API version 2023-08-16) and
 * its fixture define it for a card refund: every field of the fixture, `null` when empty;
 * `failure_reason` and `failure_balance_transaction` only once it failed.
 */

/** The reasons a caller may give; Stripe alone sets `expired_uncaptured_charge`. */
export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

/** The failure reasons the sandbox gives (Stripe's list has more). */
export type RefundFailureReason = 'expired_or_canceled_card' | 'charge_for_pending_refund_disputed';

/** A card refund's statuses (Stripe's spec: a free string; these three for cards). */
export type RefundStatus = 'pending' | 'succeeded' | 'failed';

export interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string;
  charge: string;
  created: number;
  currency: string;
  failure_balance_transaction?: string;
  /** Stripe lists lost_or_stolen_card, expired_or_canceled_card, charge_for_pending_refund_disputed, declined, … */
  failure_reason?: RefundFailureReason;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: RefundReason | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: RefundStatus;
  transfer_reversal: null;
}

/** What a new refund is made of. */
export interface NewRefund {
  amount: number;
  charge: string;
  currency: string;
  metadata: Record<string, string>;
  paymentIntent: string;
  reason: RefundReason | null;
  status: Extract<RefundStatus, 'pending' | 'succeeded'>;
}

/** A new Refund, its keys in Stripe's (alphabetical) order. Its balance transaction exists at once, as Stripe's does. */
export function newRefund(fields: NewRefund, createdMs: number): Refund {
  return {
    id: stripeId('re'),
    object: 'refund',
    amount: fields.amount,
    balance_transaction: stripeId('txn'),
    charge: fields.charge,
    created: unixTime(createdMs),
    currency: fields.currency,
    metadata: fields.metadata,
    payment_intent: fields.paymentIntent,
    reason: fields.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: fields.status,
    transfer_reversal: null,
  };
}

/** The refund failed (a pending one, or one that had succeeded): Stripe reverses its balance transaction with a second one. Keys stay in order. */
export function failedRefund(refund: Refund, reason: RefundFailureReason): Refund {
  const { id, object, amount, balance_transaction, charge, created, currency, ...rest } = refund;
  return {
    id,
    object,
    amount,
    balance_transaction,
    charge,
    created,
    currency,
    failure_balance_transaction: stripeId('txn'),
    failure_reason: reason,
    ...rest,
    status: 'failed',
  };
}
