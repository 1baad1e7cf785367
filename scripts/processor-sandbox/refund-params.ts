import type { FormObject } from './form-body.ts';
import { listLimit, metadataOf, missing, optionalString, positiveInteger, rejectUnknown, rejectUnknownQuery } from './params.ts';
import type { RefundReason } from './refund.ts';
import { invalidRequest } from './stripe-errors.ts';

/**
 * Stripe's parameter rules for the Refund endpoints, as params.ts has them for PaymentIntents:
 * pure functions from a decoded request to typed parameters, each broken rule the 400 Stripe
 * answers, and every parameter the sandbox does not model (`currency`, `customer`, `expand`,
 * `instructions_email`, `origin`, `refund_application_fee`, `reverse_transfer`, `created`) refused.
 */

/** What to refund: a PaymentIntent, or its charge (`ch_…`, the intent's `latest_charge`). */
export type RefundTarget = { paymentIntent: string } | { charge: string };

export interface RefundCreateParams {
  target: RefundTarget;
  /** `null`: all that is left to refund. */
  amount: number | null;
  reason: RefundReason | null;
  metadata: Record<string, string>;
}

export interface RefundListParams {
  /** Only the refunds of this PaymentIntent or charge, if given. */
  filter: RefundTarget | null;
  limit: number;
  /** The cursor: at most one of the two. */
  startingAfter: string | null;
  endingBefore: string | null;
}

const CREATE_PARAMS = ['payment_intent', 'charge', 'amount', 'reason', 'metadata'];
const LIST_PARAMS = ['payment_intent', 'charge', 'limit', 'starting_after', 'ending_before'];
const REASONS: readonly RefundReason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];

/** `POST /v1/refunds`. */
export function parseRefundCreate(params: FormObject): RefundCreateParams {
  rejectUnknown(params, CREATE_PARAMS);
  const target = targetOf(optionalString(params, 'payment_intent', 5000), optionalString(params, 'charge', 5000));
  if (target === null) throw missing('charge');
  const amount = params['amount'] === undefined ? null : positiveInteger(params['amount'], 'amount');
  return { target, amount, reason: reasonOf(optionalString(params, 'reason', 5000)), metadata: metadataOf(params) };
}

/** `GET /v1/refunds`. */
export function parseRefundList(query: URLSearchParams): RefundListParams {
  rejectUnknownQuery(query, LIST_PARAMS);
  const startingAfter = query.get('starting_after');
  const endingBefore = query.get('ending_before');
  if (startingAfter !== null && endingBefore !== null) throw onlyOneOf('ending_before', 'starting_after');
  return { filter: targetOf(query.get('payment_intent'), query.get('charge')), limit: listLimit(query), startingAfter, endingBefore };
}

/** An empty id is no id, as when a caller's variable was empty. */
function targetOf(paymentIntent: string | null, charge: string | null): RefundTarget | null {
  if (paymentIntent && charge) throw onlyOneOf('charge', 'payment_intent');
  if (paymentIntent) return { paymentIntent };
  return charge ? { charge } : null;
}

function reasonOf(reason: string | null): RefundReason | null {
  if (reason !== null && !REASONS.includes(reason as RefundReason)) {
    throw invalidRequest(`Invalid reason: must be one of ${REASONS.join(', ')}`, { code: 'parameter_invalid_string', param: 'reason' });
  }
  return reason as RefundReason | null;
}

function onlyOneOf(first: string, second: string) {
  return invalidRequest(`You may only specify one of these parameters: ${first}, ${second}.`, { param: first });
}
