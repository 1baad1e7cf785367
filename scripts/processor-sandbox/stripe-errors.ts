import type { ApiError, PaymentIntent } from './payment-intent.ts';

/**
 * A Stripe error response: endpoints throw it, the server answers `{error}` with its status.
 * The types and codes are Stripe's, so that the SDK raises the same error classes locally as
 * in production (402 → StripeCardError, 403 → StripePermissionError, 429 → StripeRateLimitError…).
 * An error thrown once an endpoint began is saved for the request's key, as Stripe saves it (500s
 * included), unless `savedForKey` is false: a conflict with a concurrent request (429s).
 */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
    readonly savedForKey = true,
  ) {
    super(error.message);
  }
}

/** A 400 about the request's parameters. */
export function invalidRequest(message: string, fields: { code?: string; param?: string } = {}): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', message, ...fields });
}

export function noSuchPaymentIntent(id: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: 'intent',
    message: `No such payment_intent: '${id}'`,
  });
}

/**
 * Stripe's answer to an id that names nothing: 404 when it is the path's object, 400 when a
 * parameter names it (a refund's `payment_intent`, a list's cursor).
 */
export function noSuch(object: string, id: string, param: string, status: 400 | 404): StripeApiError {
  return new StripeApiError(status, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    doc_url: docUrl('resource_missing'),
    param,
    message: `No such ${object}: '${id}'`,
  });
}

/** A 400 about the intent's state, which carries the intent as Stripe's does. */
export function unexpectedState(message: string, intent: PaymentIntent): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message,
    payment_intent: intent,
  });
}

/** Stripe links every error code to its page. */
export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;
}

/** The answers of the `refuseConfirm` faults (see test-cards.ts). */
export const REFUSALS: Readonly<Record<'api_error' | 'rate_limit' | 'lock_timeout', () => StripeApiError>> = {
  api_error: () =>
    new StripeApiError(500, {
      type: 'api_error',
      message: 'An unexpected error occurred on our end (processor sandbox fault). Please try again.',
    }),
  rate_limit: () =>
    new StripeApiError(
      429,
      {
        type: 'invalid_request_error',
        code: 'rate_limit',
        doc_url: docUrl('rate_limit'),
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      },
      false,
    ),
  lock_timeout: () =>
    new StripeApiError(
      429,
      {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        doc_url: docUrl('lock_timeout'),
        message:
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request.',
      },
      false,
    ),
};
