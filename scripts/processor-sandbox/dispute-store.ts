import { CLOSED_DISPUTE_STATUSES, newDispute, reinstatement, withdrawal, type Dispute, type DisputeStatus } from './dispute.ts';
import { createdRange, type EventListParams, type EventLog } from './events.ts';
import type { Ledger } from './ledger.ts';
import { listLimit, rejectUnknownQuery } from './params.ts';
import { unixTime, type PaymentIntent } from './payment-intent.ts';
import { invalidRequest, noSuch } from './stripe-errors.ts';
import type { DisputeBehaviour } from './test-cards.ts';
import type { Timers } from './timers.ts';

export interface DisputeStoreOptions {
  ledger: Ledger;
  timers: Timers;
  events: EventLog;
  /** What the intent's succeeded refunds gave back, and failing its pending ones when a chargeback opens. */
  refunds: () => { succeededAmount(intentId: string): number; failPending(intentId: string, reason: string): void };
  /** Read when a dispute is scheduled, so a change applies to later ones. */
  timing: () => { disputeAfterMs: number; disputeCloseMs: number };
}

export interface DisputeListParams {
  charge: string | null;
  paymentIntent: string | null;
  created: EventListParams['created'];
  limit: number;
  startingAfter: string | null;
  endingBefore: string | null;
}

/** How a dispute may move; closed ones never move again. Inquiries may escalate into chargebacks. */
const NEXT: Readonly<Record<DisputeStatus, readonly DisputeStatus[]>> = {
  warning_needs_response: ['warning_under_review', 'warning_closed', 'needs_response'],
  warning_under_review: ['warning_closed', 'needs_response'],
  needs_response: ['under_review', 'won', 'lost'],
  under_review: ['won', 'lost'],
  warning_closed: [],
  won: [],
  lost: [],
};

interface DisputeRecord {
  index: number;
  dispute: Dispute;
  intent: PaymentIntent;
}

/**
 * Disputes as Stripe opens them on the dispute test cards: `disputeAfterMs` after the payment
 * succeeded, a chargeback (`needs_response`, its amount withdrawn from the merchant at once, which
 * also fails the payment's pending refunds) or an inquiry (`warning_needs_response`, nothing
 * withdrawn). A chargeback won gives the amount back. Each change is an event; money is the ledger's.
 */
export class DisputeStore {
  private readonly records: DisputeRecord[] = [];
  /** Disputes still to open or to close on a timer: money that may yet move. */
  private scheduled = 0;

  constructor(private readonly options: DisputeStoreOptions) {}

  pendingCount(): number {
    return this.scheduled;
  }

  /** The cardholder disputes the succeeded payment `disputeAfterMs` from now. */
  scheduleFor(intent: PaymentIntent, behaviour: DisputeBehaviour): void {
    this.scheduled += 1;
    this.options.timers.after(this.options.timing().disputeAfterMs, () => {
      this.scheduled -= 1;
      this.open(intent, behaviour);
    });
  }

  retrieve(id: string): Dispute {
    return this.find(id, 'dispute').dispute;
  }

  /** The intent's dispute that forbids refunds (a chargeback), if any. */
  blockingRefunds(intentId: string): Dispute | undefined {
    return this.records.find(({ intent, dispute }) => intent.id === intentId && !dispute.is_charge_refundable)?.dispute;
  }

  list({ charge, paymentIntent, created, limit, startingAfter, endingBefore }: DisputeListParams): { data: Dispute[]; has_more: boolean } {
    const matching = this.records.filter(
      ({ dispute }) =>
        (charge === null || dispute.charge === charge) &&
        (paymentIntent === null || dispute.payment_intent === paymentIntent) &&
        (created.gte === undefined || dispute.created >= created.gte) &&
        (created.gt === undefined || dispute.created > created.gt) &&
        (created.lte === undefined || dispute.created <= created.lte) &&
        (created.lt === undefined || dispute.created < created.lt),
    );
    if (endingBefore !== null) {
      const cursor = this.find(endingBefore, 'ending_before').index;
      const newer = matching.filter(({ index }) => index > cursor);
      return { data: newer.slice(0, limit).reverse().map(({ dispute }) => dispute), has_more: newer.length > limit };
    }
    const cursor = startingAfter === null ? Infinity : this.find(startingAfter, 'starting_after').index;
    const older = matching.filter(({ index }) => index < cursor).reverse();
    return { data: older.slice(0, limit).map(({ dispute }) => dispute), has_more: older.length > limit };
  }

  /**
   * Moves an open dispute on (`under_review`, or closed as `won`, `lost` or `warning_closed`), as
   * evidence and the issuer would; `POST /_sandbox/disputes/{id}/close` and the closing cards use it.
   */
  move(id: string, to: DisputeStatus): Dispute {
    const record = this.find(id, 'dispute');
    const { dispute } = record;
    const from = dispute.status;
    if (!NEXT[from].includes(to)) throw invalidRequest(`A dispute that is ${from} cannot become ${to}.`, { param: 'status' });
    const now = Date.now();
    const escalated = from.startsWith('warning_') && !to.startsWith('warning_');
    dispute.status = to;
    if (escalated) this.withdraw(record, now);
    if (to === 'warning_closed') dispute.is_charge_refundable = true;
    const { events } = this.options;
    if (!CLOSED_DISPUTE_STATUSES.includes(to)) {
      events.emit('charge.dispute.updated', dispute, { status: from });
      if (escalated) events.emit('charge.dispute.funds_withdrawn', dispute);
      return dispute;
    }
    if (to === 'won') {
      dispute.balance_transactions.push(reinstatement(dispute, now));
      this.record(record, 'dispute_reinstatement', now);
    }
    events.emit('charge.dispute.closed', dispute, { status: from });
    if (to === 'won') events.emit('charge.dispute.funds_reinstated', dispute);
    return dispute;
  }

  private open(intent: PaymentIntent, behaviour: DisputeBehaviour): void {
    const charge = intent.latest_charge;
    // The disputed amount is what the customer still paid: a payment refunded in full has nothing left to dispute.
    const amount = intent.amount_received - this.options.refunds().succeededAmount(intent.id);
    if (charge === null || amount <= 0) return;
    const now = Date.now();
    const dispute = newDispute({ amount, charge, currency: intent.currency, paymentIntent: intent.id, reason: behaviour.reason, inquiry: behaviour.inquiry, livemode: intent.livemode }, now);
    const record = { index: this.records.length, dispute, intent };
    this.records.push(record);
    if (!behaviour.inquiry) this.withdraw(record, now);
    this.options.events.emit('charge.dispute.created', dispute);
    if (!behaviour.inquiry) this.options.events.emit('charge.dispute.funds_withdrawn', dispute);
    const closesAs = behaviour.closesAs;
    if (closesAs === undefined) return;
    const { disputeCloseMs } = this.options.timing();
    this.scheduled += 1;
    this.options.timers.after(disputeCloseMs / 2, () => this.move(dispute.id, behaviour.inquiry ? 'warning_under_review' : 'under_review'));
    this.options.timers.after(disputeCloseMs, () => {
      this.scheduled -= 1;
      this.move(dispute.id, closesAs);
    });
  }

  /** A chargeback takes the amount back from the merchant (once: an opened one has its transaction); pending refunds of the payment fail. */
  private withdraw(record: DisputeRecord, now: number): void {
    const { dispute, intent } = record;
    dispute.is_charge_refundable = false;
    if (dispute.balance_transactions.length === 0) dispute.balance_transactions.push(withdrawal(dispute, now));
    this.record(record, 'dispute_withdrawal', now);
    this.options.refunds().failPending(intent.id, 'charge_for_pending_refund_disputed');
  }

  private record({ dispute, intent }: DisputeRecord, kind: 'dispute_withdrawal' | 'dispute_reinstatement', now: number): void {
    this.options.ledger.record({
      kind,
      dispute: dispute.id,
      payment_intent: intent.id,
      amount: dispute.amount,
      currency: dispute.currency,
      charge_id: intent.metadata['oncepay_charge_id'] ?? null,
      merchant_id: intent.metadata['oncepay_merchant_id'] ?? null,
      created: unixTime(now),
    });
  }

  private find(id: string, param: 'dispute' | 'starting_after' | 'ending_before'): DisputeRecord {
    const record = this.records.find(({ dispute }) => dispute.id === id);
    if (!record) throw noSuch('dispute', id, param, param === 'dispute' ? 404 : 400);
    return record;
  }
}

/** `GET /v1/disputes`: `charge`, `payment_intent`, `created` and the paging parameters (no status filter at Stripe). */
export function parseDisputeList(query: URLSearchParams): DisputeListParams {
  rejectUnknownQuery(query, ['charge', 'payment_intent', 'created', 'limit', 'starting_after', 'ending_before']);
  const startingAfter = query.get('starting_after');
  const endingBefore = query.get('ending_before');
  if (startingAfter !== null && endingBefore !== null) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', { param: 'ending_before' });
  }
  return {
    charge: query.get('charge'),
    paymentIntent: query.get('payment_intent'),
    created: createdRange(query),
    limit: listLimit(query),
    startingAfter,
    endingBefore,
  };
}
