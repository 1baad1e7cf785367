/** One capture: money really moved to the merchant. Tests count these to prove "exactly once". */
export interface CaptureEntry {
  kind: 'capture';
  payment_intent: string;
  amount: number;
  currency: string;
  /** The key of the request that confirmed the payment. */
  idempotency_key: string | null;
  /** From the PaymentIntent's metadata, where oncepay writes its ids. */
  charge_id: string | null;
  merchant_id: string | null;
  created: number;
}

/** One refund whose money really moved back to the customer. */
export interface RefundEntry {
  kind: 'refund';
  /** Stripe's id of the refund, `re_…`. */
  refund: string;
  payment_intent: string;
  amount: number;
  currency: string;
  /** The key of the request that created the refund. */
  idempotency_key: string | null;
  /** From the PaymentIntent's metadata (`oncepay_charge_id`, `oncepay_merchant_id`). */
  charge_id: string | null;
  merchant_id: string | null;
  /** From the refund's metadata (`oncepay_refund_id`). */
  refund_id: string | null;
  created: number;
}

/** A refund that had succeeded failed later: its money came back to the merchant. */
export interface RefundFailureEntry extends Omit<RefundEntry, 'kind'> {
  kind: 'refund_failure';
  failure_reason: string;
}

/** A chargeback took the disputed amount from the merchant, or (won) gave it back. Inquiries move nothing. */
export interface DisputeEntry {
  kind: 'dispute_withdrawal' | 'dispute_reinstatement';
  /** Stripe's id of the dispute, `du_…`. */
  dispute: string;
  payment_intent: string;
  amount: number;
  currency: string;
  charge_id: string | null;
  merchant_id: string | null;
  created: number;
}

export type LedgerEntry = CaptureEntry | RefundEntry | RefundFailureEntry | DisputeEntry;

/** What the merchant holds of an entry's amount: captures and reinstatements add, the rest take away. */
export function merchantShare(entry: LedgerEntry): number {
  return entry.kind === 'capture' || entry.kind === 'refund_failure' || entry.kind === 'dispute_reinstatement' ? entry.amount : -entry.amount;
}

/** Every movement of money, in the order it happened: captures, refunds (and their late failures), chargebacks. */
export class Ledger {
  private readonly entries: LedgerEntry[] = [];

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
  }

  all(): LedgerEntry[] {
    return [...this.entries];
  }
}
