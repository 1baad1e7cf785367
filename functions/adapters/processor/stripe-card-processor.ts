import Stripe from 'stripe';
import { ConfigurationError, ProcessorConfigurationError, ProcessorModeMismatchError, ProcessorUnavailableError } from '#domain/errors.ts';
import type {
  CancelReason,
  CardProcessor,
  PaymentRequest,
  PaymentState,
  PreparedPayment,
  ProcessorDispute,
  ProcessorEventPage,
  ProcessorEventQuery,
  ProcessorEventSource,
  ProcessorRefundRequest,
  ProcessorRefundState,
  RefundProcessor,
  RefundRefusal,
} from '#domain/ports.ts';
import { isDisputeStatus } from '#domain/dispute.ts';
import type { RequestPacer } from './request-pacer.ts';
import { acceptedKeys, stripeKeyProblem, type ProcessorMode } from './stripe-key.ts';

export interface StripeProcessorOptions {
  /**
   * The key, or how to read it, asked before every request: the functions read it from
   * Secrets Manager with a max age, so a rotated key is used without a cold start.
   */
  secretKey: string | (() => Promise<string>);
  /** Where the key is kept, for the message refusing a wrong one (`secret oncepay/prod/stripe-secret-key`). */
  keyOrigin: string;
  /** The stage's mode: the key's prefix and every answer's `livemode` must match it. */
  mode: ProcessorMode;
  /** Told of each answer from the other mode (the functions count `ProcessorLivemodeMismatch`); the call also throws. */
  onModeMismatch?: (detail: string) => void;
  /** Told of each 429 Stripe answers (the functions count `ProcessorRateLimited`, alarmed); the call then fails as transient. */
  onRateLimited?: () => void;
  /** Base URL of the API, `https://api.stripe.com` in production, the sandbox locally. */
  apiUrl: string;
  /** Per-request timeout, waiting for the request's turn included; the worker's timeout leaves room for several. */
  timeoutMs: number;
  /** Paces requests to this container's share of the account's rate limit; none: unpaced (the CLI). */
  pacer?: RequestPacer;
}

/** Secrets Manager's answers that mean the secret is not there, or not ours to read: oncepay's configuration. */
const SECRET_CONFIGURATION_ERRORS = new Set(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure', 'InvalidRequestException']);

/** An error and its causes, outermost first (Powertools wraps the SDK's error in its own). */
function errorChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let link = error; link instanceof Error && chain.length < 5; link = link.cause) chain.push(link);
  return chain;
}

/** Metadata keys linking a PaymentIntent back to its oncepay charge and merchant. */
export const CHARGE_ID_METADATA_KEY = 'oncepay_charge_id';
export const MERCHANT_ID_METADATA_KEY = 'oncepay_merchant_id';
/** Metadata key linking a Stripe Refund back to its oncepay refund: how an unknown outcome is found in the list. */
export const REFUND_ID_METADATA_KEY = 'oncepay_refund_id';

/**
 * Stripe's refusals of a refund itself that are final for it (nothing is created, no money moves):
 * the refund ends `failed` with the code as its reason, and its amount goes back to the charge.
 * `amount_too_large` and `charge_already_refunded` mean refunds oncepay did not make (the
 * Dashboard); `charge_disputed` and `refund_disputed_payment` a chargeback; `charge_not_refundable`
 * a payment too old or of a kind Stripe no longer refunds; `amount_too_small` below the minimum.
 * The refund refusal table in docs/money-path.md lists them. Any other refusal of the refund is a {@link RefundRefusal}:
 * a person decides.
 */
export const FINAL_REFUND_REFUSALS: ReadonlySet<string> = new Set([
  'amount_too_large',
  'amount_too_small',
  'charge_already_refunded',
  'charge_disputed',
  'charge_not_refundable',
  'refund_disputed_payment',
]);
/**
 * Refusals that say oncepay's request or configuration is wrong (a payment id this account does not
 * have, a parameter oncepay built wrong, the key): never the refund's, alarmed and retried.
 */
const CONFIGURATION_REFUSALS: ReadonlySet<string> = new Set([
  'resource_missing',
  'parameter_unknown',
  'parameter_missing',
  'parameter_invalid_empty',
  'parameter_invalid_integer',
  'parameter_invalid_string',
  'parameters_exclusive',
  'api_key_expired',
  'secret_key_required',
  'livemode_mismatch',
  'testmode_charges_only',
]);
/** Pages of the refund list read while looking for one refund. */
const REFUND_LIST_PAGE = 100;

/** Request parameters that describe the charge itself: Stripe refusing them refuses the charge. */
const CHARGE_PARAMETERS = new Set(['amount', 'currency', 'payment_method']);

/**
 * {@link CardProcessor} on Stripe PaymentIntents: created unconfirmed, confirmed by id,
 * retrieved by id (strongly consistent; search is never used, it lags). Redirect-based payment
 * methods are refused (`allow_redirects: 'never'`), which keeps the states a server-side charge
 * can meet small: no `return_url`, and `requires_action` only for 3-D Secure. (`payment_method_types`
 * would say "cards only" outright, but the SDK's API version no longer takes it on create.)
 *
 * The SDK's own retries are off: the queue retries, with backoff and the same keys, so every
 * attempt is visible and bounded by the worker's timeout. See the processor table in docs/money-path.md
 * for how each Stripe answer maps.
 */
export class StripeCardProcessor implements CardProcessor, RefundProcessor, ProcessorEventSource {
  private readonly stripeConfig: Stripe.StripeConfig;
  /** The client for the key last read, rebuilt when the key changes (a rotation). */
  private current: { key: string; stripe: Stripe } | null = null;
  private readonly timeoutMs: number;
  private readonly pacer: RequestPacer | undefined;

  constructor(private readonly options: StripeProcessorOptions) {
    this.timeoutMs = options.timeoutMs;
    this.pacer = options.pacer;
    const url = new URL(options.apiUrl);
    this.stripeConfig = {
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      timeout: options.timeoutMs,
      maxNetworkRetries: 0,
      telemetry: false,
    };
  }

  async preparePayment(request: PaymentRequest, idempotencyKey: string): Promise<PreparedPayment> {
    try {
      const intent = await this.send((stripe, timeout) => stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency,
          payment_method: request.paymentMethod,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          ...(request.description === null ? {} : { description: request.description }),
          metadata: { [CHARGE_ID_METADATA_KEY]: request.chargeId, [MERCHANT_ID_METADATA_KEY]: request.merchantId },
        },
        { idempotencyKey, timeout },
      ));
      return { kind: 'prepared', paymentId: this.inMode(intent, 'payment').id };
    } catch (error) {
      // Creating moves no money: a refusal of the charge's own parameters is final for the charge.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && CHARGE_PARAMETERS.has(error.param ?? '')) {
        return { kind: 'refused', code: error.code ?? 'invalid_request', message: error.message };
      }
      throw translateError(error);
    }
  }

  async confirmPayment(paymentId: string, idempotencyKey: string): Promise<PaymentState> {
    return this.answerOrCurrentState(paymentId, (stripe, timeout) => stripe.paymentIntents.confirm(paymentId, {}, { idempotencyKey, timeout }));
  }

  async retrievePayment(paymentId: string): Promise<PaymentState> {
    try {
      return stateOf(this.inMode(await this.send((stripe, timeout) => stripe.paymentIntents.retrieve(paymentId, {}, { timeout })), 'payment'));
    } catch (error) {
      throw translateError(error);
    }
  }

  async cancelPayment(paymentId: string, idempotencyKey: string, reason: CancelReason): Promise<PaymentState> {
    const cancellation_reason = reason === 'requires_authentication' ? 'abandoned' : 'duplicate';
    return this.answerOrCurrentState(paymentId, (stripe, timeout) =>
      stripe.paymentIntents.cancel(paymentId, { cancellation_reason }, { idempotencyKey, timeout }),
    );
  }

  async createRefund(request: ProcessorRefundRequest, idempotencyKey: string): Promise<ProcessorRefundState | RefundRefusal> {
    try {
      const refund = await this.send((stripe, timeout) =>
        stripe.refunds.create(
          {
            payment_intent: request.paymentId,
            amount: request.amount,
            ...(request.reason === null ? {} : { reason: request.reason as Stripe.RefundCreateParams.Reason }),
            metadata: {
              [REFUND_ID_METADATA_KEY]: request.refundId,
              [CHARGE_ID_METADATA_KEY]: request.chargeId,
              [MERCHANT_ID_METADATA_KEY]: request.merchantId,
            },
          },
          { idempotencyKey, timeout },
        ),
      );
      return refundStateOf(refund);
    } catch (error) {
      const refusal = refundRefusalOf(error);
      if (refusal === null) throw translateError(error);
      return FINAL_REFUND_REFUSALS.has(refusal.code) ? { kind: 'failed', processorRefundId: null, reason: refusal.code } : refusal;
    }
  }

  async retrieveRefund(processorRefundId: string): Promise<ProcessorRefundState> {
    try {
      return refundStateOf(await this.send((stripe, timeout) => stripe.refunds.retrieve(processorRefundId, {}, { timeout })));
    } catch (error) {
      throw translateError(error);
    }
  }

  /** Reads the payment's refunds newest first, page by page (a list: strongly consistent, unlike search). */
  async findRefund(paymentId: string, refundId: string): Promise<ProcessorRefundState | null> {
    try {
      let startingAfter: string | undefined;
      for (;;) {
        const page = await this.send((stripe, timeout) =>
          stripe.refunds.list(
            { payment_intent: paymentId, limit: REFUND_LIST_PAGE, ...(startingAfter ? { starting_after: startingAfter } : {}) },
            { timeout },
          ),
        );
        const found = page.data.find((refund) => refund.metadata?.[REFUND_ID_METADATA_KEY] === refundId);
        if (found) return refundStateOf(found);
        const last = page.data.at(-1);
        if (!page.has_more || !last) return null;
        startingAfter = last.id;
      }
    } catch (error) {
      throw translateError(error);
    }
  }

  async paymentOwner(paymentId: string): Promise<{ chargeId: string; merchantId: string } | null> {
    const intent = this.inMode(await this.read((stripe, timeout) => stripe.paymentIntents.retrieve(paymentId, {}, { timeout })), 'payment');
    const chargeId = intent.metadata?.[CHARGE_ID_METADATA_KEY];
    const merchantId = intent.metadata?.[MERCHANT_ID_METADATA_KEY];
    return chargeId && merchantId ? { chargeId, merchantId } : null;
  }

  async refundOwner(processorRefundId: string): Promise<{ refundId: string | null; state: ProcessorRefundState }> {
    const refund = await this.read((stripe, timeout) => stripe.refunds.retrieve(processorRefundId, {}, { timeout }));
    return { refundId: refund.metadata?.[REFUND_ID_METADATA_KEY] ?? null, state: refundStateOf(refund) };
  }

  async retrieveDispute(processorDisputeId: string): Promise<ProcessorDispute> {
    const dispute = this.inMode(await this.read((stripe, timeout) => stripe.disputes.retrieve(processorDisputeId, {}, { timeout })), 'dispute');
    if (!isDisputeStatus(dispute.status)) {
      throw new ProcessorConfigurationError(`Stripe answered dispute ${dispute.id} with status ${dispute.status}, which this code does not know`);
    }
    const paymentIntent = dispute.payment_intent;
    return {
      processorDisputeId: dispute.id,
      paymentId: typeof paymentIntent === 'string' ? paymentIntent : (paymentIntent?.id ?? null),
      amount: dispute.amount,
      currency: dispute.currency,
      reason: dispute.reason,
      status: dispute.status,
      isChargeRefundable: dispute.is_charge_refundable,
      // Stripe's `0` means no response is allowed.
      evidenceDueBy: dispute.evidence_details?.due_by ? dispute.evidence_details.due_by * 1000 : null,
      createdAt: dispute.created * 1000,
    };
  }

  /** One page of Stripe's Events API: newest first, the given types, created in the range. */
  async listEvents(query: ProcessorEventQuery): Promise<ProcessorEventPage> {
    const page = await this.read((stripe, timeout) =>
      stripe.events.list(
        {
          types: [...query.types],
          created: { gte: query.createdFrom, ...(query.createdTo === null ? {} : { lte: query.createdTo }) },
          limit: query.limit,
          ...(query.startingAfter === null ? {} : { starting_after: query.startingAfter }),
        },
        { timeout },
      ),
    );
    for (const event of page.data) this.inMode(event, 'event');
    return {
      events: page.data.map((event) => ({ id: event.id, type: event.type, objectId: String((event.data.object as { id?: unknown }).id ?? ''), created: event.created })),
      hasMore: page.has_more,
    };
  }

  /** A read, its Stripe errors translated. */
  private async read<T>(request: (stripe: Stripe, timeoutMs: number) => Promise<T>): Promise<T> {
    try {
      return await this.send(request);
    } catch (error) {
      throw translateError(error);
    }
  }

  /**
   * Runs a state-changing call. A decline is the answer; `payment_intent_unexpected_state` means
   * the payment moved on (confirmed earlier, by a request whose key Stripe has since forgotten),
   * so its current state is the answer.
   */
  private async answerOrCurrentState(paymentId: string, call: (stripe: Stripe, timeoutMs: number) => Promise<Stripe.PaymentIntent>): Promise<PaymentState> {
    try {
      return stateOf(this.inMode(await this.send(call), 'payment'));
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        if (error.payment_intent) this.inMode(error.payment_intent, 'payment');
        return declineOf(error, paymentId);
      }
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_intent_unexpected_state') {
        return this.retrievePayment(paymentId);
      }
      throw translateError(error);
    }
  }

  /**
   * Sends one request when its turn comes, with what is left of the request timeout: waiting
   * and sending together never take longer than `timeoutMs`. A turn further off than half the
   * timeout is not taken (nothing is sent) and reads as a busy processor: retry later.
   */
  private async send<T>(request: (stripe: Stripe, timeoutMs: number) => Promise<T>): Promise<T> {
    const stripe = await this.client();
    const waitedMs = this.pacer ? await this.pacer.turn(this.timeoutMs / 2) : 0;
    if (waitedMs === null) throw new ProcessorUnavailableError('this container is at its share of the processor’s request rate');
    return request(stripe, this.timeoutMs - waitedMs);
  }

  /**
   * The client for the current key. A key of the other mode, or no Stripe secret key at all, is
   * refused before any request: a configuration error, as Stripe refusing the key would be.
   * Only an accepted key is kept, so a refused one is checked again on every call.
   */
  private async client(): Promise<Stripe> {
    const key = typeof this.options.secretKey === 'string' ? this.options.secretKey : await this.readKey(this.options.secretKey);
    if (this.current?.key === key) return this.current.stripe;
    const problem = stripeKeyProblem(key, this.options.mode);
    if (problem !== null) {
      throw new ProcessorConfigurationError(`The Stripe key in ${this.options.keyOrigin} ${problem}; put ${acceptedKeys(this.options.mode)} there`);
    }
    const stripe = new Stripe(key, this.stripeConfig);
    const { onRateLimited } = this.options;
    if (onRateLimited) stripe.on('response', (response: { status?: number }) => void (response.status === 429 && onRateLimited()));
    this.current = { key, stripe };
    return stripe;
  }

  /**
   * Reads the key, so that a failed read takes the processor's own paths: a secret that is
   * missing, empty or not ours to read is oncepay's configuration (counted and alarmed, the
   * charge stays open); anything else (throttling, the network) is transient. Nothing is sent.
   */
  private async readKey(read: () => Promise<string>): Promise<string> {
    try {
      return await read();
    } catch (error) {
      const names = errorChain(error).map((link) => link.name);
      const configuration = error instanceof ConfigurationError || names.some((name) => SECRET_CONFIGURATION_ERRORS.has(name));
      const message = `The Stripe key in ${this.options.keyOrigin} could not be read: ${(error as Error).message}`;
      throw configuration ? new ProcessorConfigurationError(message, { cause: error }) : new ProcessorUnavailableError(message, { cause: error });
    }
  }

  /**
   * Every answer that says its mode must say the stage's: one from the other mode is about
   * another account's money (a wrong key or endpoint), so it is never used. Stripe's Refund
   * objects carry no `livemode`; a refund is only ever made on a payment checked here.
   */
  private inMode<T extends { id: string; livemode: boolean }>(answer: T, what: string): T {
    if (answer.livemode === (this.options.mode === 'live')) return answer;
    const detail = `Stripe answered ${what} ${answer.id} with livemode ${answer.livemode}, but this stage is ${this.options.mode}: the key or the API URL is not this stage's`;
    this.options.onModeMismatch?.(detail);
    throw new ProcessorModeMismatchError(detail);
  }
}

/** Maps a PaymentIntent's status to what it means for the charge (docs/money-path.md: "The processor's answers"). */
export function stateOf(intent: Stripe.PaymentIntent): PaymentState {
  const paymentId = intent.id;
  const lastError = intent.last_payment_error;
  switch (intent.status) {
    case 'succeeded':
      return { kind: 'succeeded', paymentId };
    case 'requires_payment_method':
      // After a failed confirmation the intent waits for another card: this charge's card failed.
      if (lastError) return failedFrom(paymentId, lastError.code, lastError.decline_code, lastError.message);
      return { kind: 'not_final', paymentId, status: intent.status };
    case 'requires_confirmation':
      return { kind: 'awaiting_confirmation', paymentId };
    case 'requires_action':
      return { kind: 'requires_authentication', paymentId };
    case 'canceled':
      if (lastError) return failedFrom(paymentId, lastError.code, lastError.decline_code, lastError.message);
      if (intent.cancellation_reason === 'abandoned') {
        return failedFrom(paymentId, 'authentication_required', null, 'The card requires authentication (3-D Secure), which a server-side charge cannot complete.');
      }
      return failedFrom(paymentId, 'payment_canceled', null, `The payment was canceled (${intent.cancellation_reason ?? 'no reason given'}).`);
    default:
      // `processing`, `requires_capture`, or a status newer than this code: not decided.
      return { kind: 'not_final', paymentId, status: intent.status };
  }
}

/** Maps a Stripe Refund's status: `succeeded`, `failed` and `canceled` are final; anything else is not yet. */
export function refundStateOf(refund: Stripe.Refund): ProcessorRefundState {
  const processorRefundId = refund.id;
  switch (refund.status) {
    case 'succeeded':
      return { kind: 'succeeded', processorRefundId };
    case 'failed':
      return { kind: 'failed', processorRefundId, reason: refund.failure_reason ?? 'unknown' };
    case 'canceled':
      return { kind: 'canceled', processorRefundId, reason: 'canceled' };
    default:
      return { kind: 'not_final', processorRefundId, status: refund.status ?? 'unknown' };
  }
}

/** Stripe refusing the refund itself (a 400 or 402 about it, not about oncepay's request); `null` for anything else. */
function refundRefusalOf(error: unknown): RefundRefusal | null {
  const refusalOfTheRefund =
    (error instanceof Stripe.errors.StripeInvalidRequestError || error instanceof Stripe.errors.StripeCardError) &&
    (error.statusCode === 400 || error.statusCode === 402) &&
    error.rawType !== 'idempotency_error' &&
    !CONFIGURATION_REFUSALS.has(error.code ?? '');
  if (!refusalOfTheRefund) return null;
  return { kind: 'refused', code: error.code ?? 'no_code', message: error.message };
}

function failedFrom(paymentId: string, code: string | undefined, declineCode: string | undefined | null, message: string | undefined): PaymentState {
  return { kind: 'failed', paymentId, code: code ?? 'card_declined', declineCode: declineCode ?? null, message: message ?? '' };
}

function declineOf(error: Stripe.errors.StripeCardError, paymentId: string): PaymentState {
  return failedFrom(error.payment_intent?.id ?? paymentId, error.code, error.decline_code, error.message);
}

/**
 * Rate limits (429, `lock_timeout` included), 409 (same key in flight), 5xx, timeouts and
 * connection errors leave the outcome unknown: transient. A 500 is Stripe's own answer, which it
 * saved for the request's key for 24 hours (`keySpent`): asked again with that key, Stripe repeats
 * it. A 502, 503 or 504 may come from in front of Stripe while the request still runs there, so
 * the key is kept: a new one could then make a second refund the list does not show yet.
 * Authentication, permissions, a key reused with other parameters, an unknown payment id and
 * other invalid requests are oncepay's configuration, never the charge's.
 */
function translateError(error: unknown): Error {
  if (!(error instanceof Stripe.errors.StripeError)) return error instanceof Error ? error : new Error(String(error));
  const answered5xx = (error.statusCode ?? 0) >= 500;
  const savedForTheKey = error.statusCode === 500;
  const transient =
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error.statusCode === 409 ||
    answered5xx;
  return transient
    ? new ProcessorUnavailableError(`Stripe: ${error.message}`, { cause: error, keySpent: savedForTheKey })
    : new ProcessorConfigurationError(`Stripe refused oncepay's request (${describeError(error)}): ${error.message}`, { cause: error });
}

function describeError(error: InstanceType<typeof Stripe.errors.StripeError>): string {
  return `${error.statusCode ?? '?'} ${error.rawType ?? error.type}${error.code ? `/${error.code}` : ''}`;
}
