import type { CancelReason, PaymentRequest } from './ports.ts';
import type { ChargeRequest } from './charge-request.ts';
import { derivedId } from './derived-id.ts';

export type ChargeStatus = 'pending' | 'processing' | 'succeeded' | 'failed';

/**
 * The charge state machine. `processing → pending` is the worker handing a charge back
 * after a transient processor error or an unknown outcome, so the next attempt can claim it.
 * `succeeded` and `failed` are terminal.
 */
const TRANSITIONS: Readonly<Record<ChargeStatus, readonly ChargeStatus[]>> = {
  pending: ['processing'],
  processing: ['pending', 'succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

/** The statuses a charge may be in just before it moves to `to`. */
export function statusesLeadingTo(to: ChargeStatus): ChargeStatus[] {
  return (Object.keys(TRANSITIONS) as ChargeStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

export function isTerminal(status: ChargeStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * True when the state machine leads from `from` to `to` in one or more steps. Observers that
 * sample a charge (tests, the chaos harness) use it: they may miss the steps in between.
 */
export function canReach(from: ChargeStatus, to: ChargeStatus): boolean {
  const seen = new Set<ChargeStatus>();
  const frontier = [...TRANSITIONS[from]];
  for (let status = frontier.shift(); status !== undefined; status = frontier.shift()) {
    if (status === to) return true;
    if (seen.has(status)) continue;
    seen.add(status);
    frontier.push(...TRANSITIONS[status]);
  }
  return false;
}

/** A charge as the domain sees it; times are epoch milliseconds. */
export interface Charge {
  id: string;
  merchantId: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  paymentMethod: string;
  description: string | null;
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  failureCode: string | null;
  failureMessage: string | null;
  /** The issuer's reason for a card decline (Stripe's `decline_code`), e.g. `insufficient_funds`. */
  declineCode: string | null;
  /**
   * What refunds have reserved of `amount`: pending and succeeded refunds, as Stripe counts it.
   * Grows in the same atomic write that records a refund; a refund that fails gives its part back.
   */
  amountRefunded: number;
  /** The dispute Stripe opened on the charge (one at most), and whether it forbids refunds (a chargeback). */
  dispute: { id: string; blocksRefunds: boolean } | null;
}

/** The public charge object, Stripe style: snake_case, times in epoch seconds. */
export interface ChargeObject {
  id: string;
  object: 'charge';
  status: ChargeStatus;
  amount: number;
  currency: string;
  payment_method: string;
  description: string | null;
  metadata: Record<string, string>;
  created: number;
  updated: number;
  failure_code: string | null;
  failure_message: string | null;
  decline_code: string | null;
  amount_refunded: number;
  refunded: boolean;
  disputed: boolean;
  /** The dispute's id (`du_…`), or `null`. */
  dispute: string | null;
}

/** Maps a charge to its public object; the key order here is the order clients see. */
export function toChargeObject(charge: Charge): ChargeObject {
  return {
    id: charge.id,
    object: 'charge',
    status: charge.status,
    amount: charge.amount,
    currency: charge.currency,
    payment_method: charge.paymentMethod,
    description: charge.description,
    metadata: charge.metadata,
    created: Math.floor(charge.createdAt / 1000),
    updated: Math.floor(charge.updatedAt / 1000),
    failure_code: charge.failureCode,
    failure_message: charge.failureMessage,
    decline_code: charge.declineCode,
    amount_refunded: charge.amountRefunded,
    refunded: charge.amountRefunded === charge.amount,
    disputed: charge.dispute !== null,
    dispute: charge.dispute?.id ?? null,
  };
}

/**
 * The charge id for the `generation`-th use of an idempotency key by a merchant.
 *
 * Deriving the id from (merchant, key, generation) is what lets a single conditional
 * write on the charge's own primary key both claim the key and create the charge:
 * two requests with the same key compute the same id, and only one write can win.
 * The generation moves on only when a key is reused after its retention ran out.
 */
export function chargeIdFor(merchantId: string, idempotencyKey: string, generation: number): string {
  return derivedId('ch', [merchantId, idempotencyKey, generation]);
}

/**
 * The idempotency keys oncepay sends to the card processor for a charge: one per endpoint (the
 * processor refuses one key on two endpoints), each from the charge id and an attempt number
 * alone, so every redelivery and reconciliation asks the same question again. A new attempt
 * number asks afresh; it is needed once the processor has answered an error it keeps for the
 * key (Stripe keeps a 500 for 24 hours), and it is safe only after asking what happened:
 *
 * - creating moves no money: after a kept 500 the next prepare key is used (the charge records
 *   how many were spent); a payment created twice is never recorded twice, and the stray is cancelled;
 * - confirming is keyed by the charge's claim count: a confirm after the first always follows a
 *   retrieve that showed the recorded payment unconfirmed, and the processor's state machine
 *   confirms one payment at most once, whatever the key.
 */
export function prepareKeyFor(chargeId: string, attempt: number): string {
  return attemptKey(`oncepay_${chargeId}_prepare`, attempt);
}

export function confirmKeyFor(chargeId: string, attempt: number): string {
  return attemptKey(`oncepay_${chargeId}_confirm`, attempt);
}

/** `base` for the first attempt, `base_<n>` after (`…_confirm_2`, …). */
export function attemptKey(base: string, attempt: number): string {
  return attempt <= 1 ? base : `${base}_${attempt}`;
}

/**
 * The key for cancelling a processor payment, one per payment and reason: the processor
 * refuses one key with other parameters, and a payment may be cancelled for either reason.
 */
export function cancelKeyFor(paymentId: string, reason: CancelReason): string {
  return `oncepay_cancel_${paymentId}_${reason}`;
}

/** What the processor is asked to charge for `charge`. */
export function paymentRequestFor(charge: Charge): PaymentRequest {
  return {
    chargeId: charge.id,
    merchantId: charge.merchantId,
    amount: charge.amount,
    currency: charge.currency,
    paymentMethod: charge.paymentMethod,
    description: charge.description,
  };
}

/** A new charge, `pending`, as a validated request creates it. */
export function pendingCharge(id: string, merchantId: string, request: ChargeRequest, now: number): Charge {
  return {
    id,
    merchantId,
    status: 'pending',
    amount: request.amount,
    currency: request.currency,
    paymentMethod: request.paymentMethod,
    description: request.description,
    metadata: request.metadata,
    createdAt: now,
    updatedAt: now,
    failureCode: null,
    failureMessage: null,
    declineCode: null,
    amountRefunded: 0,
    dispute: null,
  };
}
