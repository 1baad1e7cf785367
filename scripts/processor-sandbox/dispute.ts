import { stripeId } from './ids.ts';
import { unixTime } from './payment-intent.ts';

/**
 * The Dispute the sandbox answers with, as Stripe's OpenAPI spec (API version 2023-08-16) and
 * its fixture define it for a card payment: every field of the fixture; `balance_transactions`
 * expanded, as Stripe sends them (one when funds were withdrawn, a second when reinstated).
 */

/** Inquiries (`warning_…`) withdraw nothing; chargebacks withdraw the amount at once. */
export type DisputeStatus = 'warning_needs_response' | 'warning_under_review' | 'warning_closed' | 'needs_response' | 'under_review' | 'won' | 'lost';

export const CLOSED_DISPUTE_STATUSES: readonly DisputeStatus[] = ['warning_closed', 'won', 'lost'];

/** Stripe's fee for a chargeback, refunded when the merchant wins (USD; the sandbox charges it in the dispute's currency). */
const DISPUTE_FEE = 1500;
/** Evidence is due 3 weeks out, about what card networks give. */
const EVIDENCE_WINDOW_SECONDS = 21 * 24 * 60 * 60;

const EVIDENCE_FIELDS = [
  'access_activity_log', 'billing_address', 'cancellation_policy', 'cancellation_policy_disclosure', 'cancellation_rebuttal',
  'customer_communication', 'customer_email_address', 'customer_name', 'customer_purchase_ip', 'customer_signature',
  'duplicate_charge_documentation', 'duplicate_charge_explanation', 'duplicate_charge_id', 'product_description', 'receipt',
  'refund_policy', 'refund_policy_disclosure', 'refund_refusal_explanation', 'service_date', 'service_documentation',
  'shipping_address', 'shipping_carrier', 'shipping_date', 'shipping_documentation', 'shipping_tracking_number',
  'uncategorized_file', 'uncategorized_text',
] as const;

export interface BalanceTransaction {
  id: string;
  object: 'balance_transaction';
  amount: number;
  available_on: number;
  created: number;
  currency: string;
  description: string;
  exchange_rate: null;
  fee: number;
  fee_details: Array<{ amount: number; application: null; currency: string; description: string; type: 'stripe_fee' }>;
  net: number;
  reporting_category: 'dispute' | 'dispute_reversal';
  source: string;
  status: 'available';
  type: 'adjustment';
}

export interface Dispute {
  id: string;
  object: 'dispute';
  amount: number;
  balance_transactions: BalanceTransaction[];
  charge: string;
  created: number;
  currency: string;
  evidence: Record<(typeof EVIDENCE_FIELDS)[number], null>;
  evidence_details: { due_by: number | null; has_evidence: boolean; past_due: boolean; submission_count: number };
  is_charge_refundable: boolean;
  livemode: boolean;
  metadata: Record<string, string>;
  payment_intent: string;
  payment_method_details: { card: { brand: string; network_reason_code: string | null }; type: 'card' };
  reason: string;
  status: DisputeStatus;
}

export interface NewDispute {
  amount: number;
  charge: string;
  currency: string;
  paymentIntent: string;
  reason: string;
  /** An inquiry starts `warning_needs_response`; a chargeback `needs_response`, its funds withdrawn. */
  inquiry: boolean;
  /** The disputed payment's mode. */
  livemode: boolean;
}

/** Visa's reason codes for the reasons the sandbox's cards give. */
const NETWORK_REASON_CODES: Record<string, string> = { fraudulent: '10.4', product_not_received: '13.1', general: '13.7' };

/** A new Dispute, its keys in Stripe's (alphabetical) order. */
export function newDispute(fields: NewDispute, createdMs: number): Dispute {
  const id = stripeId('du');
  const created = unixTime(createdMs);
  return {
    id,
    object: 'dispute',
    amount: fields.amount,
    balance_transactions: fields.inquiry ? [] : [withdrawal({ id, amount: fields.amount, currency: fields.currency, charge: fields.charge }, createdMs)],
    charge: fields.charge,
    created,
    currency: fields.currency,
    evidence: Object.fromEntries(EVIDENCE_FIELDS.map((field) => [field, null])) as Dispute['evidence'],
    evidence_details: { due_by: created + EVIDENCE_WINDOW_SECONDS, has_evidence: false, past_due: false, submission_count: 0 },
    // An inquiry moved no money and the payment may still be refunded; a chargeback already took it back.
    is_charge_refundable: fields.inquiry,
    livemode: fields.livemode,
    metadata: {},
    payment_intent: fields.paymentIntent,
    payment_method_details: { card: { brand: 'visa', network_reason_code: NETWORK_REASON_CODES[fields.reason] ?? null }, type: 'card' },
    reason: fields.reason,
    status: fields.inquiry ? 'warning_needs_response' : 'needs_response',
  };
}

/** A chargeback takes the amount and a fee from the merchant: the first balance transaction. */
export function withdrawal(dispute: Pick<Dispute, 'id' | 'amount' | 'currency' | 'charge'>, nowMs: number): BalanceTransaction {
  return disputeTransaction(dispute.id, -dispute.amount, dispute.currency, `Chargeback withdrawal for ${dispute.charge}`, nowMs);
}

/** A chargeback won gives the amount and the fee back: the second balance transaction. */
export function reinstatement(dispute: Dispute, nowMs: number): BalanceTransaction {
  return disputeTransaction(dispute.id, dispute.amount, dispute.currency, `Chargeback reversal for ${dispute.charge}`, nowMs);
}

function disputeTransaction(disputeId: string, amount: number, currency: string, description: string, nowMs: number): BalanceTransaction {
  const fee = amount < 0 ? DISPUTE_FEE : -DISPUTE_FEE;
  return {
    id: stripeId('txn'),
    object: 'balance_transaction',
    amount,
    available_on: unixTime(nowMs),
    created: unixTime(nowMs),
    currency,
    description,
    exchange_rate: null,
    fee,
    fee_details: [{ amount: fee, application: null, currency, description: amount < 0 ? 'Dispute fee' : 'Dispute fee refund', type: 'stripe_fee' }],
    net: amount - fee,
    reporting_category: amount < 0 ? 'dispute' : 'dispute_reversal',
    source: disputeId,
    status: 'available',
    type: 'adjustment',
  };
}
