import { derivedId } from './derived-id.ts';

/**
 * A dispute Stripe opened on a charge: an inquiry (`warning_…`: nothing withdrawn, the charge
 * still refundable) or a chargeback (the amount withdrawn at once, refunds refused), closed as
 * `won` (the amount comes back), `lost`, or, for an inquiry, `warning_closed`; `prevented` when
 * the network's prevention settled it before it became one. A lost chargeback may be appealed
 * (`appeal_needs_response`, `appeal_under_review`), which ends `won` or `lost` again. oncepay
 * only mirrors it: every state comes from Stripe's word, read by id.
 */
export const DISPUTE_STATUSES = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
  'appeal_needs_response',
  'appeal_under_review',
  'prevented',
] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** Where a dispute may go next, as Stripe moves it (an inquiry may escalate into a chargeback, a lost one be appealed). */
const NEXT: Readonly<Record<DisputeStatus, readonly DisputeStatus[]>> = {
  warning_needs_response: ['warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented'],
  warning_under_review: ['warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented'],
  needs_response: ['under_review', 'won', 'lost', 'prevented'],
  under_review: ['won', 'lost'],
  lost: ['appeal_needs_response', 'appeal_under_review', 'won'],
  appeal_needs_response: ['appeal_under_review', 'won', 'lost'],
  appeal_under_review: ['won', 'lost'],
  warning_closed: [],
  won: [],
  prevented: [],
};

const CLOSED: ReadonlySet<DisputeStatus> = new Set(['warning_closed', 'won', 'lost', 'prevented']);

/** Closed, as far as the merchant is told (`charge.dispute.closed`); only a lost one may still be appealed. */
export function isDisputeClosed(status: DisputeStatus): boolean {
  return CLOSED.has(status);
}

/** True when Stripe may have moved a dispute from `from` to `to` (in one or more steps). */
export function disputeCanMove(from: DisputeStatus, to: DisputeStatus): boolean {
  return NEXT[from].includes(to);
}

/**
 * Whether the dispute has taken the amount from the merchant: a chargeback not won (an appeal
 * included). The money identity the chaos harness checks counts these: captured − refunded −
 * withdrawn = the ledger.
 */
export function disputeWithdrawsFunds(status: DisputeStatus): boolean {
  return status === 'needs_response' || status === 'under_review' || status === 'lost' || status === 'appeal_needs_response' || status === 'appeal_under_review';
}

export function isDisputeStatus(value: unknown): value is DisputeStatus {
  return (DISPUTE_STATUSES as readonly unknown[]).includes(value);
}

/** A dispute as the domain sees it; times are epoch milliseconds. */
export interface Dispute {
  id: string;
  /** Stripe's id of the dispute (`du_…`), which every later look retrieves. */
  processorDisputeId: string;
  merchantId: string;
  chargeId: string;
  amount: number;
  currency: string;
  /** Stripe's reason (`fraudulent`, `product_not_received`, …): a free string. */
  reason: string;
  status: DisputeStatus;
  /** Whether the charge may still be refunded (Stripe's `is_charge_refundable`: an inquiry, not a chargeback). */
  isChargeRefundable: boolean;
  /** When evidence is due (epoch ms), `null` when the issuer allows no response. */
  evidenceDueBy: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The public dispute object: Stripe's shape, a subset of its fields. */
export interface DisputeObject {
  id: string;
  object: 'dispute';
  amount: number;
  currency: string;
  charge: string;
  reason: string;
  status: DisputeStatus;
  is_charge_refundable: boolean;
  evidence_details: { due_by: number | null };
  created: number;
}

export function toDisputeObject(dispute: Dispute): DisputeObject {
  return {
    id: dispute.id,
    object: 'dispute',
    amount: dispute.amount,
    currency: dispute.currency,
    charge: dispute.chargeId,
    reason: dispute.reason,
    status: dispute.status,
    is_charge_refundable: dispute.isChargeRefundable,
    evidence_details: { due_by: dispute.evidenceDueBy === null ? null : Math.floor(dispute.evidenceDueBy / 1000) },
    created: Math.floor(dispute.createdAt / 1000),
  };
}

/** oncepay's id of the processor's dispute: derived, so every event about it names the same one. */
export function disputeIdFor(processorDisputeId: string): string {
  return derivedId('du', ['dispute', processorDisputeId]);
}
