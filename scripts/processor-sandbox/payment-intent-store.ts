import type { EventLog } from './events.ts';
import { stripeId } from './ids.ts';
import type { Ledger } from './ledger.ts';
import type { CaptureParams, ConfirmOptions, ConfirmParams, CreateParams } from './params.ts';
import { newPaymentIntent, unixTime, type ApiError, type PaymentIntent, type PaymentIntentStatus } from './payment-intent.ts';
import { docUrl, invalidRequest, noSuchPaymentIntent, REFUSALS, StripeApiError, unexpectedState } from './stripe-errors.ts';
import { AUTHENTICATION_REQUIRED, GENERIC_DECLINE, TEST_TOKENS, type Decline, type DisputeBehaviour, type RefundBehaviour, type TokenBehaviour } from './test-cards.ts';
import type { Timers } from './timers.ts';

/** What an endpoint that changed an intent answers. */
export interface IntentResult {
  intent: PaymentIntent;
  /** Set by the timeout fault tokens: the answer is saved but never sent (see test-cards.ts). */
  holdResponse?: 'once' | 'always';
}

/** An intent as the refund store sees it: the intent, and how the card that paid it refunds. */
export interface RefundableIntent {
  intent: PaymentIntent;
  /** `undefined` for an ordinary card, or an intent no card paid. */
  refundBehaviour: RefundBehaviour | undefined;
}

/** A PaymentMethod the sandbox made from a test token when it was first used, as Stripe does. */
interface PaymentMethod {
  id: string;
  token: string;
  behaviour: TokenBehaviour;
}

interface IntentRecord {
  intent: PaymentIntent;
  createdMs: number;
  paymentMethod: PaymentMethod | null;
}

export interface StoreOptions {
  timers: Timers;
  /** Where captures are written. */
  ledger: Ledger;
  /** Where every change of an intent is told. */
  events: EventLog;
  /** Read when a payment starts processing, so that a change applies to later ones. */
  processingMs: () => number;
  /** How long after its creation an uncaptured intent (`requires_capture`) lapses (Stripe: 7 days); read when it is authorized. */
  authorizationExpiryMs: () => number;
  /** A captured payment made with a dispute card: its dispute is to open later. */
  onDisputedCapture: (intent: PaymentIntent, dispute: DisputeBehaviour) => void;
}

const CONFIRMABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action'];
const RETURN_URL_REQUIRED =
  'This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don\'t want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.';

/**
 * The PaymentIntents and their state machine, as Stripe runs it for cards:
 * `requires_payment_method` / `requires_confirmation` → confirm → `succeeded` (automatic capture)
 * or `requires_capture` (manual: an authorization, captured in full or in part later, canceled,
 * or lapsing after `authorizationExpiryMs` as `canceled` with reason `automatic`),
 * `requires_action` (3-D Secure), `processing` (settles later), or back to
 * `requires_payment_method` on a decline; cancel from the states Stripe allows. Every capture
 * is written to the ledger. Methods throw {@link StripeApiError} for Stripe's error answers.
 */
export class PaymentIntentStore {
  private readonly records = new Map<string, IntentRecord>();
  private readonly paymentMethods = new Map<string, PaymentMethod>();
  /** The subjects (`confirm:pi_…`, `create:<key>`, `retrieve:pi_…`) whose `once` fault has fired. */
  private readonly firedFaults = new Set<string>();

  constructor(private readonly options: StoreOptions) {}

  /** How many payments are `processing`: money that may still move, so a ledger read is not final yet. */
  processingCount(): number {
    return [...this.records.values()].filter((record) => record.intent.status === 'processing').length;
  }

  /**
   * `confirm=true` confirms in the same request. A keyed create is the same intent on every
   * retry of its key, so its `once` faults fire once per key; a create without a key makes a
   * new intent each time, whose first confirm it is.
   */
  create(params: CreateParams, key: string | null, livemode: boolean): IntentResult {
    const paymentMethod = params.paymentMethod === null ? null : this.paymentMethodFor(params.paymentMethod);
    // Once per charge (or key); a create naming neither meets it every time.
    const subject = params.metadata['oncepay_charge_id'] ?? key;
    if (paymentMethod?.behaviour.error500OnCreateOnce && (subject === null || this.fireOnce(`create-500:${subject}`))) throw REFUSALS.api_error();
    const createdMs = Date.now();
    const record: IntentRecord = {
      intent: newPaymentIntent({ ...params, paymentMethod: paymentMethod?.id ?? null, captureMethod: params.captureMethod ?? 'automatic', livemode }, createdMs),
      createdMs,
      paymentMethod,
    };
    if (params.confirm) {
      this.refuseIfFaulty(key === null ? null : `create:${key}`, paymentMethod);
      const method = confirmable(record.intent, paymentMethod, params);
      this.records.set(record.intent.id, record);
      this.options.events.emit('payment_intent.created', record.intent);
      return this.confirmWith(record, method, params, key);
    }
    this.records.set(record.intent.id, record);
    this.options.events.emit('payment_intent.created', record.intent);
    return { intent: record.intent };
  }

  confirm(id: string, params: ConfirmParams, key: string | null): IntentResult {
    const record = this.find(id);
    const paymentMethod = params.paymentMethod === null ? record.paymentMethod : this.paymentMethodFor(params.paymentMethod);
    this.refuseIfFaulty(`confirm:${id}`, paymentMethod);
    const method = confirmable(record.intent, paymentMethod, params);
    if (params.captureMethod !== null) update(record.intent, { capture_method: params.captureMethod });
    return this.confirmWith(record, method, params, key);
  }

  /**
   * Captures an authorization: all of `amount_capturable`, or `amount_to_capture` of it (the rest
   * is released). Only from `requires_capture`: a captured, canceled or lapsed intent is refused.
   */
  capture(id: string, params: CaptureParams, key: string | null): IntentResult {
    const record = this.find(id);
    const { intent } = record;
    if (intent.status !== 'requires_capture') {
      throw unexpectedState(
        `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        intent,
      );
    }
    const amount = params.amountToCapture ?? intent.amount_capturable;
    if (amount > intent.amount_capturable) {
      throw invalidRequest(`The amount_to_capture (${amount}) must be less than or equal to the PaymentIntent's amount_capturable (${intent.amount_capturable}).`, {
        code: 'amount_too_large',
        param: 'amount_to_capture',
      });
    }
    this.collect(record, key, intent.latest_charge ?? stripeId('ch'), amount);
    return { intent };
  }

  cancel(id: string, reason: PaymentIntent['cancellation_reason']): IntentResult {
    const { intent } = this.find(id);
    if (!CANCELABLE.includes(intent.status)) {
      throw unexpectedState(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
        intent,
      );
    }
    // Canceling an authorization releases all of it.
    update(intent, { status: 'canceled', canceled_at: unixTime(), cancellation_reason: reason, next_action: null, amount_capturable: 0 });
    this.options.events.emit('payment_intent.canceled', intent);
    return { intent };
  }

  /** Strongly consistent, unlike search. */
  retrieve(id: string): PaymentIntent {
    const record = this.find(id);
    if (record.paymentMethod?.behaviour.rejectFirstRetrieve && this.fireOnce(`retrieve:${id}`)) {
      throw new StripeApiError(403, {
        type: 'invalid_request_error',
        message: `The provided key 'sk_test_********' does not have the required permissions for this endpoint on account 'acct_sandbox'. Having the 'rak_payment_intent_read' permission would allow this request to continue.`,
      });
    }
    return record.intent;
  }

  /** The intents created at least `lagMs` ago whose metadata has `key: value`, newest first. */
  search(key: string, value: string, lagMs: number): PaymentIntent[] {
    const visibleUntil = Date.now() - lagMs;
    return [...this.records.values()]
      .filter((record) => record.createdMs <= visibleUntil && record.intent.metadata[key] === value)
      .map((record) => record.intent)
      .reverse();
  }

  /** The intent `id`, or `undefined`; unlike {@link retrieve}, no fault fires. */
  refundable(id: string): RefundableIntent | undefined {
    const record = this.records.get(id);
    return record && refundableOf(record);
  }

  /** The intent whose latest charge is `charge` (`ch_…`), or `undefined`. */
  refundableByCharge(charge: string): RefundableIntent | undefined {
    const record = [...this.records.values()].find(({ intent }) => intent.latest_charge === charge);
    return record && refundableOf(record);
  }

  private find(id: string): IntentRecord {
    const record = this.records.get(id);
    if (!record) throw noSuchPaymentIntent(id);
    return record;
  }

  /** A test token makes a new PaymentMethod (`pm_…`); the id of one made before is accepted too. */
  private paymentMethodFor(tokenOrId: string): PaymentMethod {
    const made = this.paymentMethods.get(tokenOrId);
    if (made) return made;
    if (!Object.hasOwn(TEST_TOKENS, tokenOrId)) {
      throw invalidRequest(`No such PaymentMethod: '${tokenOrId}'`, { code: 'resource_missing', param: 'payment_method' });
    }
    const method = { id: stripeId('pm'), token: tokenOrId, behaviour: TEST_TOKENS[tokenOrId] as TokenBehaviour };
    this.paymentMethods.set(method.id, method);
    return method;
  }

  /** The `refuseConfirm` faults, before anything happens. Without a subject a `once` fault always fires. */
  private refuseIfFaulty(subject: string | null, paymentMethod: PaymentMethod | null): void {
    const refusal = paymentMethod?.behaviour.refuseConfirm;
    if (!refusal) return;
    if (refusal.times === 'once' && subject !== null && !this.fireOnce(subject)) return;
    throw REFUSALS[refusal.error]();
  }

  /** True the first time it is asked about `subject`. */
  private fireOnce(subject: string): boolean {
    if (this.firedFaults.has(subject)) return false;
    this.firedFaults.add(subject);
    return true;
  }

  private confirmWith(record: IntentRecord, method: PaymentMethod, options: ConfirmOptions, key: string | null): IntentResult {
    const { intent } = record;
    record.paymentMethod = method;
    update(intent, { payment_method: method.id, next_action: null });
    const { outcome, holdResponse } = method.behaviour;
    switch (outcome.kind) {
      case 'succeed':
        this.succeed(record, key, stripeId('ch'));
        break;
      case 'decline':
        throw this.decline(record, outcome.decline);
      case 'requireAction':
        if (options.customerAbsent) throw this.decline(record, AUTHENTICATION_REQUIRED);
        requireAction(intent);
        this.options.events.emit('payment_intent.requires_action', intent);
        break;
      case 'process':
        this.process(record, outcome.settlesAs, key);
        break;
    }
    return holdResponse ? { intent, holdResponse } : { intent };
  }

  /** The card accepted the payment: captured at once, or (manual capture) authorized until captured, canceled or lapsed. */
  private succeed(record: IntentRecord, key: string | null, charge: string): void {
    if (record.intent.capture_method === 'manual') this.authorize(record, charge);
    else this.collect(record, key, charge, record.intent.amount);
  }

  private authorize(record: IntentRecord, charge: string): void {
    const { intent } = record;
    update(intent, { status: 'requires_capture', amount_capturable: intent.amount, latest_charge: charge, last_payment_error: null, processing: null });
    this.options.events.emit('payment_intent.amount_capturable_updated', intent);
    // Stripe cancels an intent left uncaptured a set time after it was created (7 days by default).
    this.options.timers.after(Math.max(0, record.createdMs + this.options.authorizationExpiryMs() - Date.now()), () => {
      if (intent.status !== 'requires_capture') return;
      update(intent, { status: 'canceled', canceled_at: unixTime(), cancellation_reason: 'automatic', amount_capturable: 0 });
      this.options.events.emit('payment_intent.canceled', intent);
    });
  }

  /** Money moves: `amount` of the intent is received, and the ledger records the capture. */
  private collect(record: IntentRecord, key: string | null, charge: string, amount: number): void {
    const { intent } = record;
    update(intent, {
      status: 'succeeded',
      amount_received: amount,
      amount_capturable: 0,
      latest_charge: charge,
      last_payment_error: null,
      processing: null,
    });
    this.options.ledger.record({
      kind: 'capture',
      payment_intent: intent.id,
      amount,
      currency: intent.currency,
      idempotency_key: key,
      charge_id: intent.metadata['oncepay_charge_id'] ?? null,
      merchant_id: intent.metadata['oncepay_merchant_id'] ?? null,
      created: unixTime(),
    });
    this.options.events.emit('payment_intent.succeeded', intent);
    const dispute = record.paymentMethod?.behaviour.dispute;
    if (dispute) this.options.onDisputedCapture(intent, dispute);
  }

  /** Stripe's 402: the failed charge and the intent, back to `requires_payment_method`. */
  private decline(record: IntentRecord, decline: Decline): StripeApiError {
    const charge = stripeId('ch');
    const error = cardError(decline, charge);
    this.fail(record, error, charge);
    return new StripeApiError(402, { ...error, payment_intent: record.intent });
  }

  /** Stripe detaches a declined PaymentMethod: confirming again needs a new one. */
  private fail(record: IntentRecord, error: ApiError, charge: string): void {
    record.paymentMethod = null;
    update(record.intent, {
      status: 'requires_payment_method',
      payment_method: null,
      latest_charge: charge,
      last_payment_error: error,
      processing: null,
    });
    this.options.events.emit('payment_intent.payment_failed', record.intent);
  }

  /** `processing` now; the outcome after `processingMs`, as an asynchronous payment settles. */
  private process(record: IntentRecord, settlesAs: 'succeeded' | 'failed', key: string | null): void {
    const charge = stripeId('ch');
    update(record.intent, { status: 'processing', processing: { type: 'card' }, latest_charge: charge, last_payment_error: null });
    this.options.events.emit('payment_intent.processing', record.intent);
    this.options.timers.after(this.options.processingMs(), () => {
      if (settlesAs === 'succeeded') this.succeed(record, key, charge);
      else this.fail(record, cardError(GENERIC_DECLINE, charge), charge);
    });
  }
}

function refundableOf({ intent, paymentMethod }: IntentRecord): RefundableIntent {
  return { intent, refundBehaviour: paymentMethod?.behaviour.refund };
}

/**
 * The payment method confirming would use, if the intent may be confirmed with it: a state
 * that allows confirming, a payment method, and a `return_url` if redirects are allowed.
 */
function confirmable(intent: PaymentIntent, paymentMethod: PaymentMethod | null, options: ConfirmOptions): PaymentMethod {
  if (!CONFIRMABLE.includes(intent.status)) {
    throw unexpectedState(`You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`, intent);
  }
  if (paymentMethod === null) {
    throw unexpectedState(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      intent,
    );
  }
  const automatic = intent.automatic_payment_methods;
  if (automatic?.enabled && automatic.allow_redirects !== 'never' && options.returnUrl === null) {
    throw invalidRequest(RETURN_URL_REQUIRED);
  }
  return paymentMethod;
}

function requireAction(intent: PaymentIntent): void {
  const source = stripeId('src');
  update(intent, {
    status: 'requires_action',
    next_action: {
      type: 'use_stripe_sdk',
      use_stripe_sdk: {
        type: 'three_d_secure_redirect',
        stripe_js: `https://hooks.stripe.com/redirect/authenticate/${source}?client_secret=${intent.client_secret}`,
        source,
      },
    },
  });
}

function cardError(decline: Decline, charge: string): ApiError {
  return {
    charge,
    code: decline.code,
    decline_code: decline.declineCode,
    doc_url: docUrl(decline.code),
    message: decline.message,
    type: 'card_error',
  };
}

/** Typed in-place change of an intent: the object answers and search see the same state. */
function update(intent: PaymentIntent, changes: Partial<PaymentIntent>): void {
  Object.assign(intent, changes);
}
