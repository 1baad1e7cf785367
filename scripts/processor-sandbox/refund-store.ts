import type { Dispute } from './dispute.ts';
import type { EventLog } from './events.ts';
import type { Ledger } from './ledger.ts';
import { formatMinor } from './params.ts';
import { unixTime, type PaymentIntent } from './payment-intent.ts';
import type { PaymentIntentStore, RefundableIntent } from './payment-intent-store.ts';
import { failedRefund, newRefund, type Refund, type RefundFailureReason } from './refund.ts';
import type { RefundCreateParams, RefundListParams, RefundTarget } from './refund-params.ts';
import { docUrl, invalidRequest, noSuch, REFUSALS, StripeApiError } from './stripe-errors.ts';
import type { Timers } from './timers.ts';

/** What creating a refund answers. */
export interface RefundResult {
  refund: Refund;
  /** Set by `pm_sandbox_refundTimeoutAfterSucceedingOnce`: the answer is saved but never sent. */
  holdResponse?: 'once';
}

/** One page of `GET /v1/refunds`, newest first. */
export interface RefundPage {
  data: Refund[];
  has_more: boolean;
}

export interface RefundStoreOptions {
  intents: PaymentIntentStore;
  ledger: Ledger;
  timers: Timers;
  events: EventLog;
  /** A chargeback on the intent refuses every refund of it (`charge_disputed`). */
  disputes: () => { blockingRefunds(intentId: string): Dispute | undefined };
  /** How long a pending refund stays pending, and a failing one succeeded; read when it is created. */
  timing: () => { processingMs: number; refundFailAfterMs: number };
}

interface RefundRecord {
  /** Its place in creation order, which cursors compare. */
  index: number;
  refund: Refund;
  intent: PaymentIntent;
  /** The key of the request that created it, for the ledger. */
  key: string | null;
}

/**
 * Refunds of card payments, as Stripe runs them: a refund of a PaymentIntent's successful
 * charge is `succeeded` at once, or `pending` and later `succeeded` or `failed`, and a succeeded
 * one may still fail later (test-cards.ts says which). Pending and succeeded refunds never add
 * up to more than the intent received; a failed one gives its amount back. A chargeback refuses
 * every refund, and fails the pending ones. Money moving writes the ledger; every change is an
 * event. Reads are strongly consistent. Methods throw {@link StripeApiError} for Stripe's error answers.
 */
export class RefundStore {
  /** In creation order; lists answer newest first. */
  private readonly records: RefundRecord[] = [];
  /** The intents whose `error500Once` fault has fired. */
  private readonly firedFaults = new Set<string>();
  /** Succeeded refunds still to fail on a timer: money that may yet move. */
  private failingLater = 0;

  constructor(private readonly options: RefundStoreOptions) {}

  /** How many refunds are `pending` or will fail: money that may still move, so a ledger read is not final yet. */
  pendingCount(): number {
    return this.records.filter((record) => record.refund.status === 'pending').length + this.failingLater;
  }

  /** What the intent's succeeded refunds gave back. */
  succeededAmount(intentId: string): number {
    return this.records.filter(({ intent, refund }) => intent.id === intentId && refund.status === 'succeeded').reduce((sum, { refund }) => sum + refund.amount, 0);
  }

  create(params: RefundCreateParams, key: string | null): RefundResult {
    const { intent, refundBehaviour = {} } = this.intentOf(params.target);
    if (refundBehaviour.error500Once && !this.firedFaults.has(intent.id)) {
      this.firedFaults.add(intent.id);
      throw REFUSALS.api_error();
    }
    const charge = successfulCharge(intent);
    if (this.options.disputes().blockingRefunds(intent.id)) throw chargeDisputed(charge);
    const left = intent.amount_received - this.reserved(intent.id);
    if (left === 0) throw chargeAlreadyRefunded(charge);
    const amount = params.amount ?? left;
    if (amount > left) throw amountTooLarge(amount, left, intent.currency);

    const { pendingThen, holdResponse, failsLater } = refundBehaviour;
    const { metadata, reason } = params;
    const status = pendingThen ? 'pending' : 'succeeded';
    const refund = newRefund({ amount, charge, currency: intent.currency, metadata, paymentIntent: intent.id, reason, status }, Date.now());
    const record: RefundRecord = { index: this.records.length, refund, intent, key };
    this.records.push(record);
    this.options.events.emit('refund.created', refund, undefined, intent.livemode);
    const { timers, timing } = this.options;
    if (pendingThen === undefined) this.moveMoney(record);
    else timers.after(timing().processingMs, () => this.settle(record, pendingThen));
    if (failsLater && pendingThen === undefined) {
      this.failingLater += 1;
      timers.after(timing().refundFailAfterMs, () => {
        this.failingLater -= 1;
        this.failSucceeded(record, failsLater);
      });
    }
    return holdResponse ? { refund, holdResponse } : { refund };
  }

  /** A chargeback opened: the intent's pending refunds fail with `reason` (their money never moved). */
  failPending(intentId: string, reason: RefundFailureReason): void {
    for (const record of this.records) {
      if (record.intent.id === intentId && record.refund.status === 'pending') this.change(record, failedRefund(record.refund, reason));
    }
  }

  retrieve(id: string): Refund {
    return this.find(id, 'refund').refund;
  }

  /** A page of the refunds (of one intent or charge, if filtered), newest first, after or before a cursor. */
  list({ filter, limit, startingAfter, endingBefore }: RefundListParams): RefundPage {
    const intentId = filter === null ? null : this.intentOf(filter).intent.id;
    const matching = this.records.filter((record) => intentId === null || record.intent.id === intentId);
    if (endingBefore !== null) {
      // The `limit` refunds just newer than the cursor; more are newer still.
      const cursor = this.find(endingBefore, 'ending_before').index;
      const newer = matching.filter(({ index }) => index > cursor);
      return { data: newer.slice(0, limit).reverse().map(({ refund }) => refund), has_more: newer.length > limit };
    }
    const cursor = startingAfter === null ? Infinity : this.find(startingAfter, 'starting_after').index;
    const older = matching.filter(({ index }) => index < cursor).reverse();
    return { data: older.slice(0, limit).map(({ refund }) => refund), has_more: older.length > limit };
  }

  /** The intent a refund or a list names; one it does not know is a 400, as the parameter's fault. */
  private intentOf(target: RefundTarget): RefundableIntent {
    const { intents } = this.options;
    if ('paymentIntent' in target) {
      return intents.refundable(target.paymentIntent) ?? throwing(noSuch('payment_intent', target.paymentIntent, 'payment_intent', 400));
    }
    return intents.refundableByCharge(target.charge) ?? throwing(noSuch('charge', target.charge, 'charge', 400));
  }

  /** The refund `id`, named by the parameter `param` (a path's `refund` is a 404, a cursor's a 400). */
  private find(id: string, param: 'refund' | 'starting_after' | 'ending_before'): RefundRecord {
    const record = this.records.find(({ refund }) => refund.id === id);
    if (!record) throw noSuch('refund', id, param, param === 'refund' ? 404 : 400);
    return record;
  }

  /** What the intent's pending and succeeded refunds hold: it may not be refunded again. */
  private reserved(intentId: string): number {
    return this.records
      .filter(({ intent, refund }) => intent.id === intentId && (refund.status === 'pending' || refund.status === 'succeeded'))
      .reduce((sum, { refund }) => sum + refund.amount, 0);
  }

  /** A pending refund settles (unless a chargeback failed it meanwhile). */
  private settle(record: RefundRecord, outcome: 'succeeded' | 'failed'): void {
    if (record.refund.status !== 'pending') return;
    if (outcome === 'failed') {
      this.change(record, failedRefund(record.refund, 'expired_or_canceled_card'));
      return;
    }
    this.change(record, { ...record.refund, status: 'succeeded' });
    this.moveMoney(record);
  }

  /** A succeeded refund fails: the card could not take the money, which comes back to the merchant. */
  private failSucceeded(record: RefundRecord, reason: RefundFailureReason): void {
    if (record.refund.status !== 'succeeded') return;
    this.change(record, failedRefund(record.refund, reason));
    const { refund, intent, key } = record;
    this.options.ledger.record({ ...this.ledgerFields(refund, intent, key), kind: 'refund_failure', failure_reason: reason });
  }

  /** Replaces the refund's state and makes the events of the change: `refund.updated` (and the older `charge.refund.updated`), `refund.failed` on failure. */
  private change(record: RefundRecord, next: Refund): void {
    const previous = record.refund.status;
    record.refund = next;
    const { events } = this.options;
    const { livemode } = record.intent;
    events.emit('refund.updated', next, { status: previous }, livemode);
    events.emit('charge.refund.updated', next, { status: previous }, livemode);
    if (next.status === 'failed') events.emit('refund.failed', next, undefined, livemode);
  }

  private moveMoney({ refund, intent, key }: RefundRecord): void {
    this.options.ledger.record({ ...this.ledgerFields(refund, intent, key), kind: 'refund' });
  }

  private ledgerFields(refund: Refund, intent: PaymentIntent, key: string | null) {
    return {
      refund: refund.id,
      payment_intent: intent.id,
      amount: refund.amount,
      currency: refund.currency,
      idempotency_key: key,
      charge_id: intent.metadata['oncepay_charge_id'] ?? null,
      merchant_id: intent.metadata['oncepay_merchant_id'] ?? null,
      refund_id: refund.metadata['oncepay_refund_id'] ?? null,
      created: unixTime(),
    };
  }
}

/** The intent's charge, if it succeeded: only a `succeeded` card payment has money to give back. */
function successfulCharge(intent: PaymentIntent): string {
  if (intent.status !== 'succeeded' || intent.latest_charge === null) {
    throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`);
  }
  return intent.latest_charge;
}

/** Stripe's refusal to refund a charged-back payment (observed wording). */
function chargeDisputed(charge: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'charge_disputed',
    doc_url: docUrl('charge_disputed'),
    message: `Charge ${charge} has been charged back; cannot issue a refund.`,
  });
}

function chargeAlreadyRefunded(charge: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'charge_already_refunded',
    doc_url: docUrl('charge_already_refunded'),
    message: `Charge ${charge} has already been refunded.`,
  });
}

function amountTooLarge(amount: number, left: number, currency: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'amount_too_large',
    doc_url: docUrl('amount_too_large'),
    param: 'amount',
    message: `Refund amount (${formatMinor(amount, currency)}) is greater than unrefunded amount on charge (${formatMinor(left, currency)})`,
  });
}

function throwing(error: StripeApiError): never {
  throw error;
}
