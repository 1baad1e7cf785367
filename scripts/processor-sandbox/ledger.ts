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

export type LedgerEntry = CaptureEntry | RefundEntry;

/** Every movement of money, captures and refunds, in the order it happened. */
export class Ledger {
  private readonly entries: LedgerEntry[] = [];

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
  }

  all(): LedgerEntry[] {
    return [...this.entries];
  }
}
