import Stripe from 'stripe';
import { ProcessorRejectedError, ProcessorUnavailableError } from '#domain/errors.ts';
import type { CaptureRequest, CardProcessor, ProcessorLookup, ProcessorOutcome } from '#domain/ports.ts';

export interface StripeProcessorOptions {
  secretKey: string;
  /** Base URL of the API, `https://api.stripe.com` in production, the sandbox locally. */
  apiUrl: string;
  /** Per-request timeout; must leave the worker time to record the outcome. */
  timeoutMs: number;
}

/** Metadata key linking a PaymentIntent back to its oncepay charge. */
export const CHARGE_ID_METADATA_KEY = 'oncepay_charge_id';

/**
 * {@link CardProcessor} on Stripe PaymentIntents, created and confirmed in one call with the
 * charge's stable idempotency key. The SDK's own retries are off: the queue retries, with
 * backoff and the same key, so every attempt is visible and bounded by the worker's timeout.
 */
export class StripeCardProcessor implements CardProcessor {
  private readonly stripe: Stripe;

  constructor(options: StripeProcessorOptions) {
    const url = new URL(options.apiUrl);
    this.stripe = new Stripe(options.secretKey, {
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? 443 : 80),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      timeout: options.timeoutMs,
      maxNetworkRetries: 0,
      telemetry: false,
    });
  }

  async capture(request: CaptureRequest): Promise<ProcessorOutcome> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency,
          payment_method: request.paymentMethod,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          confirm: true,
          ...(request.description === null ? {} : { description: request.description }),
          metadata: { [CHARGE_ID_METADATA_KEY]: request.chargeId, oncepay_merchant_id: request.merchantId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return outcomeOf(intent);
    } catch (error) {
      const declined = declineOf(error);
      if (declined) return declined;
      throw translateError(error);
    }
  }

  /**
   * Finds the PaymentIntent oncepay created for the charge through Stripe's search on the
   * charge-id metadata. Search is eventually consistent (Stripe documents about a minute),
   * which is why the reconciler only asks about charges stuck for longer than that.
   */
  async lookup(request: CaptureRequest): Promise<ProcessorLookup> {
    let intents: Stripe.PaymentIntent[];
    try {
      const result = await this.stripe.paymentIntents.search({
        query: `metadata['${CHARGE_ID_METADATA_KEY}']:'${request.chargeId}'`,
        limit: 10,
      });
      intents = result.data;
    } catch (error) {
      throw translateError(error);
    }
    const succeeded = intents.find((intent) => intent.status === 'succeeded');
    if (succeeded) return { kind: 'succeeded', paymentId: succeeded.id };
    const [latest] = [...intents].sort((a, b) => b.created - a.created);
    if (!latest) return { kind: 'not_found' };
    return outcomeOf(latest);
  }
}

function outcomeOf(intent: Stripe.PaymentIntent): ProcessorOutcome {
  if (intent.status === 'succeeded') return { kind: 'succeeded', paymentId: intent.id };
  const lastError = intent.last_payment_error;
  if (intent.status === 'requires_payment_method' && lastError) {
    return { kind: 'failed', paymentId: intent.id, code: lastError.code ?? 'card_declined', message: lastError.message ?? '' };
  }
  if (intent.status === 'requires_action') {
    return {
      kind: 'failed',
      paymentId: intent.id,
      code: 'authentication_required',
      message: 'The card requires authentication, which a server-side charge cannot complete.',
    };
  }
  // `processing` or anything newer: the outcome is not known yet. Ask again later.
  throw new ProcessorUnavailableError(`PaymentIntent ${intent.id} is ${intent.status}`);
}

/** A decline or an invalid request is the processor's final answer about this charge. */
function declineOf(error: unknown): ProcessorOutcome | undefined {
  if (error instanceof Stripe.errors.StripeCardError) {
    return {
      kind: 'failed',
      paymentId: error.payment_intent?.id ?? null,
      code: error.code ?? 'card_declined',
      message: error.message,
    };
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 400) {
    return { kind: 'failed', paymentId: null, code: error.code ?? 'invalid_request', message: error.message };
  }
  return undefined;
}

/**
 * Network failures, timeouts, rate limits, 409 (same key in flight) and 5xx leave the outcome
 * unknown: retried with the same key. Anything else (authentication, a key reused with other
 * parameters) is a fault in oncepay or its configuration, not in the charge.
 */
function translateError(error: unknown): Error {
  const transient =
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    (error instanceof Stripe.errors.StripeError && (error.statusCode === 409 || (error.statusCode ?? 0) >= 500));
  const message = error instanceof Error ? error.message : String(error);
  return transient
    ? new ProcessorUnavailableError(`Stripe: ${message}`, { cause: error })
    : new ProcessorRejectedError(`Stripe rejected the request: ${message}`, { cause: error });
}
