import { randomToken, stripeId } from './ids.ts';

/**
 * The shapes the sandbox answers with, as Stripe's OpenAPI spec (API version 2023-08-16)
 * defines them. Stripe sends every field of a resource, `null` when empty, although the spec
 * marks only ten of them required; so does the sandbox, or the adapter would meet `undefined`
 * locally where it meets `null` in production.
 */

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

/** The reasons a caller may give, and Stripe's own `automatic` for an authorization it let lapse. */
export type CancellationReason = 'duplicate' | 'fraudulent' | 'requested_by_customer' | 'abandoned' | 'automatic';

/** `automatic_async` captures as `automatic` does for cards; `manual` stops at `requires_capture`. */
export type CaptureMethod = 'automatic' | 'automatic_async' | 'manual';

/** `api_errors` in the spec: the `error` of an error response, and `last_payment_error`. */
export interface ApiError {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  message: string;
  code?: string;
  decline_code?: string;
  doc_url?: string;
  param?: string;
  charge?: string;
  payment_intent?: PaymentIntent;
}

export interface AutomaticPaymentMethods {
  enabled: boolean;
  allow_redirects?: 'always' | 'never';
}

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_details: { tip: Record<string, never> };
  amount_received: number;
  application: null;
  application_fee_amount: null;
  automatic_payment_methods: AutomaticPaymentMethods | null;
  canceled_at: number | null;
  cancellation_reason: CancellationReason | null;
  capture_method: CaptureMethod;
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: null;
  description: string | null;
  invoice: null;
  last_payment_error: ApiError | null;
  latest_charge: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
  next_action: { type: 'use_stripe_sdk'; use_stripe_sdk: Record<string, string> } | null;
  on_behalf_of: null;
  payment_method: string | null;
  payment_method_options: { card: CardOptions };
  payment_method_types: string[];
  processing: { type: 'card' } | null;
  receipt_email: null;
  review: null;
  setup_future_usage: null;
  shipping: null;
  statement_descriptor: null;
  statement_descriptor_suffix: null;
  status: PaymentIntentStatus;
  transfer_data: null;
  transfer_group: null;
}

interface CardOptions {
  installments: null;
  mandate_options: null;
  network: null;
  request_three_d_secure: 'automatic';
}

/** What a new intent is made of; everything else starts empty, as Stripe's does. */
export interface NewPaymentIntent {
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
  automaticPaymentMethods: AutomaticPaymentMethods | null;
  paymentMethodTypes: string[];
  paymentMethod: string | null;
  captureMethod: CaptureMethod;
  /** The mode of the key that creates it. */
  livemode: boolean;
}

/** Seconds since the epoch, Stripe's `unix-time`. */
export const unixTime = (ms = Date.now()): number => Math.floor(ms / 1000);

/** A new PaymentIntent, its keys in Stripe's (alphabetical) order. */
export function newPaymentIntent(fields: NewPaymentIntent, createdMs: number): PaymentIntent {
  const id = stripeId('pi');
  return {
    id,
    object: 'payment_intent',
    amount: fields.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: fields.automaticPaymentMethods,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: fields.captureMethod,
    client_secret: `${id}_secret_${randomToken()}`,
    confirmation_method: 'automatic',
    created: unixTime(createdMs),
    currency: fields.currency,
    customer: null,
    description: fields.description,
    invoice: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: fields.livemode,
    metadata: fields.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: fields.paymentMethod,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: fields.paymentMethodTypes,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: fields.paymentMethod === null ? 'requires_payment_method' : 'requires_confirmation',
    transfer_data: null,
    transfer_group: null,
  };
}
