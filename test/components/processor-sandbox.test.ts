/**
 * The processor sandbox against Stripe's rules, over HTTP: one test per rule, each checking
 * the status and validating every body against Stripe's own OpenAPI schemas
 * (test/support/stripe-schemas.ts). Each test gets a fresh sandbox; timing is shortened with
 * options or the control API, and waits poll with a deadline.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError, PaymentIntent } from '../../scripts/processor-sandbox/payment-intent.ts';
import { INSTANT_LATENCY, startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';
import { eventually } from '../support/eventually.ts';
import { stripeFixtures, stripeValidator } from '../support/stripe-schemas.ts';

type Params = Record<string, string | number | boolean>;

/** Stripe's answer shapes in one type; each test reads the one its status implies. */
type StripeBody = PaymentIntent & { error: ApiError & { payment_intent: PaymentIntent }; data: PaymentIntent[]; has_more: boolean };

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: StripeBody;
}

interface CallOptions {
  key?: string;
  /** The Authorization header; `null` sends none. */
  authorization?: string | null;
  signal?: AbortSignal;
}

const validator = stripeValidator();
const NO_REDIRECTS: Params = { 'automatic_payment_methods[enabled]': true, 'automatic_payment_methods[allow_redirects]': 'never' };
const PAYMENT: Params = { amount: 4200, currency: 'usd', ...NO_REDIRECTS };
/** Long enough for a local answer, short enough to prove one never comes. */
const HOLD_PROBE_MS = 300;

let sandbox: ProcessorSandbox;
beforeEach(async () => {
  // The account's rate limit has its own suite (processor-rate-limit.test.ts); these tests send bursts.
  sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, searchLagMs: 300, processingMs: 200, rateLimitPerSecond: 0 });
});
afterEach(() => sandbox.stop());

/** One request to the Stripe API of the sandbox; the body must match Stripe's schema for it. */
async function call(method: 'GET' | 'POST', path: string, params: Params = {}, options: CallOptions = {}): Promise<Answer> {
  const form = new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, String(value)]));
  const authorization = options.authorization === undefined ? `Bearer ${sandbox.secretKey}` : options.authorization;
  const response = await fetch(method === 'GET' ? `${sandbox.url}${path}?${form}` : `${sandbox.url}${path}`, {
    method,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(authorization === null ? {} : { Authorization: authorization }),
      ...(options.key === undefined ? {} : { 'Idempotency-Key': options.key }),
    },
    body: method === 'POST' ? form : undefined,
    signal: options.signal ?? AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  const answer = { status: response.status, headers: response.headers, text, body: JSON.parse(text) as StripeBody };
  expectStripeShape(path, answer);
  return answer;
}

function expectStripeShape(path: string, { status, text, body }: Answer): void {
  const errors =
    status !== 200
      ? validator.validateError(body)
      : path === '/v1/payment_intents/search'
        ? validator.validateSearchResult(body)
        : validator.validatePaymentIntent(body);
  expect(errors, `${path} answered ${status} ${text}`).toEqual([]);
}

const create = (params: Params = {}, key?: string) => call('POST', '/v1/payment_intents', { ...PAYMENT, ...params }, { key });
const confirm = (id: string, params: Params = {}, key?: string) => call('POST', `/v1/payment_intents/${id}/confirm`, params, { key });
const cancel = (id: string, params: Params = {}, key?: string) => call('POST', `/v1/payment_intents/${id}/cancel`, params, { key });
const capture = (id: string, params: Params = {}, key?: string) => call('POST', `/v1/payment_intents/${id}/capture`, params, { key });
const retrieve = (id: string) => call('GET', `/v1/payment_intents/${id}`);
const search = (query: string) => call('GET', '/v1/payment_intents/search', { query });
const newKey = () => `key_${randomUUID()}`;

/** Creates an intent with `paymentMethod` attached, unconfirmed: `requires_confirmation`. */
async function intentWith(paymentMethod: string, params: Params = {}): Promise<PaymentIntent> {
  const created = await create({ payment_method: paymentMethod, ...params });
  expect(created.status).toBe(200);
  return created.body;
}

/** The request gets no answer: the client gives up, as on a lost response. */
async function expectHeld(request: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  await expect(request(AbortSignal.timeout(HOLD_PROBE_MS))).rejects.toThrow(/timeout|aborted/i);
}

async function control(method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.url}${path}`, { method, body });
  const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
  if (answer.status !== 200) expect(validator.validateError(answer.body)).toEqual([]);
  return answer;
}

describe('Stripe’s schemas, the yardstick', () => {
  it('accept Stripe’s own fixtures, and refuse an intent with a missing or unknown field or an unknown status', () => {
    const { payment_intent: intent, refund } = stripeFixtures();
    expect(validator.validatePaymentIntent(intent)).toEqual([]);
    expect(validator.validateRefund(refund)).toEqual([]);
    const incomplete = { ...intent };
    delete incomplete['customer'];
    expect(validator.validatePaymentIntent(incomplete)).not.toEqual([]);
    expect(validator.validatePaymentIntent({ ...intent, invented: true })).not.toEqual([]);
    expect(validator.validatePaymentIntent({ ...intent, status: 'pending' })).not.toEqual([]);
    expect(validator.validateError({ error: { type: 'card_error', message: 'x', payment_intent: incomplete } })).not.toEqual([]);
  });
});

describe('authentication and routing', () => {
  it.each([
    ['no Authorization header', null],
    ['a key with no mode', 'Bearer sk_123'],
    ['a publishable key', 'Bearer pk_test_123'],
  ])('answers 401 in Stripe’s shape to %s', async (_, authorization) => {
    const answer = await call('POST', '/v1/payment_intents', PAYMENT, { authorization });
    expect(answer.status).toBe(401);
    expect(answer.body.error.type).toBe('invalid_request_error');
    expect(sandbox.ledger()).toEqual([]);
  });

  it.each([
    ['sk_test_a1', false],
    ['rk_test_a1', false],
    ['sk_live_a1', true],
    ['rk_live_a1', true],
  ] as const)('takes %s: what it creates, its events and disputes say livemode %s, as Stripe’s do', async (key, livemode) => {
    const authorization = `Bearer ${key}`;
    const { disputeAfterMs } = sandbox.configure({});
    sandbox.configure({ disputeAfterMs: 50 });
    try {
      const created = await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: 'pm_card_createDispute' }, { authorization });
      expect(created.body).toMatchObject({ object: 'payment_intent', livemode });
      const confirmed = await call('POST', `/v1/payment_intents/${created.body.id}/confirm`, {}, { authorization });
      expect(confirmed.body).toMatchObject({ status: 'succeeded', livemode });
      const list = async (path: string) =>
        ((await (await fetch(`${sandbox.url}${path}`, { headers: { Authorization: authorization } })).json()) as { data: Array<{ livemode: boolean; data?: { object: { id: string } } }> }).data;
      const events = await list('/v1/events?type=payment_intent.succeeded&limit=100');
      expect(events.find((event) => event.data?.object.id === created.body.id)).toMatchObject({ livemode });
      const disputes = await eventually(() => list(`/v1/disputes?payment_intent=${created.body.id}`), (data) => data.length > 0, { what: 'the dispute' });
      expect(disputes).toEqual([expect.objectContaining({ livemode })]);
    } finally {
      sandbox.configure({ disputeAfterMs });
    }
  });

  it('answers 401 api_key_expired to a key expired as rolling it in the Dashboard does, never showing the key', async () => {
    sandbox.expireKey('sk_live_rolled0123456789');
    const answer = await call('POST', '/v1/payment_intents', PAYMENT, { authorization: 'Bearer sk_live_rolled0123456789' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'api_key_expired' });
    expect(answer.body.error.message).not.toContain('rolled0123456789');
  });

  it.each([
    ['GET', '/v1/charges'],
    ['POST', '/v1/payment_intents/search'],
    ['GET', '/v1/payment_intents/pi_123/confirm'],
  ] as const)('answers 404 in Stripe’s shape to %s %s', async (method, path) => {
    const answer = await call(method, path);
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toMatch(/^Unrecognized request URL/);
  });

  it('serves health, ledger and config on its control API, without a key', async () => {
    expect(await control('GET', '/_sandbox/health')).toEqual({ status: 200, body: { ok: true } });
    expect(await control('GET', '/_sandbox/ledger')).toEqual({ status: 200, body: { data: [], processing: 0 } });
    const defaults = {
      searchLagMs: 300,
      idempotencyKeyTtlMs: 86_400_000,
      processingMs: 200,
      latency: INSTANT_LATENCY,
      latencySeed: 1,
      latencyMs: 0,
      rateLimitPerSecond: 0,
      disputeAfterMs: 3000,
      refundFailAfterMs: 3000,
      disputeCloseMs: 6000,
      authorizationExpiryMs: 604_800_000,
      webhookRetryMs: 2000,
      webhookAttempts: 4,
    };
    expect(await control('GET', '/_sandbox/config')).toEqual({ status: 200, body: defaults });
    const changed = await control('POST', '/_sandbox/config', JSON.stringify({ latencyMs: 5, searchLagMs: 0 }));
    expect(changed).toEqual({ status: 200, body: { ...defaults, latencyMs: 5, searchLagMs: 0 } });
    expect(sandbox.configure({ processingMs: 7 })).toEqual({ ...defaults, latencyMs: 5, searchLagMs: 0, processingMs: 7 });
    // One call type's latency changes; the others keep theirs.
    const slowConfirm = await control('POST', '/_sandbox/config', JSON.stringify({ latency: { confirmPayment: { medianMs: 5, p99Ms: 9 } } }));
    expect(slowConfirm.body).toMatchObject({ latency: { ...INSTANT_LATENCY, confirmPayment: { medianMs: 5, p99Ms: 9 } } });
    sandbox.configure({ latencyMs: 0, searchLagMs: 300, processingMs: 200, latency: INSTANT_LATENCY });
  });

  it('delays each request by its call type’s latency: a slow confirm, an instant retrieve', async () => {
    const created = await create({ payment_method: 'pm_card_visa' });
    sandbox.configure({ latency: { confirmPayment: { medianMs: 300, p99Ms: 300 } } });
    try {
      let started = performance.now();
      expect((await retrieve(created.body.id)).status).toBe(200);
      expect(performance.now() - started).toBeLessThan(250);
      started = performance.now();
      expect((await confirm(created.body.id)).body.status).toBe('succeeded');
      expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    } finally {
      sandbox.configure({ latency: INSTANT_LATENCY });
    }
  });

  it.each([
    ['bad JSON', '{latencyMs:'],
    ['not an object', '[1]'],
    ['an unknown field', '{"speed":1}'],
    ['a negative delay', '{"latencyMs":-1}'],
    ['a fractional delay', '{"processingMs":1.5}'],
    ['a string delay', '{"searchLagMs":"300"}'],
    ['an unknown call type', '{"latency":{"charge":{"medianMs":1,"p99Ms":2}}}'],
    ['a p99 below the median', '{"latency":{"retrieve":{"medianMs":10,"p99Ms":5}}}'],
    ['a latency without its p99', '{"latency":{"retrieve":{"medianMs":10}}}'],
    ['a latency that is not an object', '{"latency":300}'],
  ])('refuses a configuration with %s (400), changing nothing', async (_, body) => {
    const before = await control('GET', '/_sandbox/config');
    expect((await control('POST', '/_sandbox/config', body)).status).toBe(400);
    expect(await control('GET', '/_sandbox/config')).toEqual(before);
  });
});

describe('creating a PaymentIntent', () => {
  it('starts in requires_payment_method, or requires_confirmation with a payment method; confirm defaults to false', async () => {
    const bare = await create();
    expect(bare.status).toBe(200);
    expect(bare.body).toMatchObject({ status: 'requires_payment_method', payment_method: null, amount_received: 0, latest_charge: null });
    const withCard = await create({ payment_method: 'pm_card_visa' });
    // Like Stripe, the sandbox makes a PaymentMethod of the test token.
    expect(withCard.body).toMatchObject({ status: 'requires_confirmation', payment_method: expect.stringMatching(/^pm_/) });
    expect(withCard.body.payment_method).not.toBe('pm_card_visa');
    expect(withCard.body.client_secret).toMatch(new RegExp(`^${withCard.body.id}_secret_`));
    expect(sandbox.ledger()).toEqual([]);
  });

  it('turns automatic payment methods on, redirects allowed, when neither they nor payment_method_types are given', async () => {
    const answer = await call('POST', '/v1/payment_intents', { amount: 4200, currency: 'usd' });
    expect(answer.body).toMatchObject({ automatic_payment_methods: { enabled: true }, payment_method_types: ['card'] });
    const cardsOnly = await call('POST', '/v1/payment_intents', { amount: 4200, currency: 'usd', 'payment_method_types[0]': 'card' });
    expect(cardsOnly.body).toMatchObject({ automatic_payment_methods: null, payment_method_types: ['card'] });
  });

  it('confirms in the same request with confirm=true, recording the capture under the create’s key', async () => {
    const key = newKey();
    const answer = await create({ payment_method: 'pm_card_visa', confirm: true, 'metadata[oncepay_charge_id]': 'ch_1' }, key);
    expect(answer.body).toMatchObject({ status: 'succeeded', amount_received: 4200 });
    expect(sandbox.ledger()).toEqual([expect.objectContaining({ payment_intent: answer.body.id, idempotency_key: key, charge_id: 'ch_1' })]);
  });

  it('requires an amount: parameter_missing', async () => {
    const answer = await call('POST', '/v1/payment_intents', { currency: 'usd' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_missing', param: 'amount' });
  });

  it.each(['abc', '1.5', '0', '-100', ''])('refuses amount=%j: parameter_invalid_integer', async (amount) => {
    const answer = await create({ amount });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'amount' });
  });

  it.each(['USD', 'us', 'usdd', '12a'])('refuses currency=%j', async (currency) => {
    const answer = await create({ currency });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param: 'currency' });
  });

  it.each([
    ['usd', 50], ['eur', 50], ['gbp', 30], ['jpy', 50], ['aud', 50], ['cad', 50], ['chf', 50], ['dkk', 250],
    ['hkd', 400], ['huf', 17500], ['inr', 50], ['mxn', 1000], ['myr', 200], ['nok', 300], ['nzd', 50], ['pln', 200],
    ['ron', 200], ['sek', 300], ['sgd', 50], ['thb', 1000], ['czk', 1500], ['aed', 200], ['bgn', 100], ['brl', 50],
    ['kes', 50],
  ])('charges at least Stripe’s minimum in %s, %i minor units: amount_too_small below it', async (currency, minimum) => {
    const below = await create({ currency, amount: minimum - 1 });
    expect(below.status).toBe(400);
    expect(below.body.error).toMatchObject({ code: 'amount_too_small', param: 'amount' });
    expect((await create({ currency, amount: minimum })).status).toBe(200);
  });

  it('charges at most 99999999: amount_too_large above it', async () => {
    expect((await create({ amount: 99_999_999 })).status).toBe(200);
    const above = await create({ amount: 100_000_000 });
    expect(above.status).toBe(400);
    expect(above.body.error).toMatchObject({ code: 'amount_too_large', param: 'amount' });
  });

  it.each([
    ['return_url', 'https://example.com/back', 'return_url'],
    ['off_session', true, 'off_session'],
    ['error_on_requires_action', true, 'error_on_requires_action'],
    ['mandate_data[customer_acceptance][type]', 'online', 'mandate_data'],
  ])('refuses %s unless confirm=true', async (name, value, param) => {
    for (const confirmParam of [{}, { confirm: false }] as Params[]) {
      const answer = await create({ payment_method: 'pm_card_visa', [name]: value, ...confirmParam });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param });
    }
    expect((await create({ payment_method: 'pm_card_visa', [name]: value, confirm: true })).status).toBe(200);
  });

  it('refuses automatic_payment_methods together with payment_method_types', async () => {
    const answer = await create({ 'payment_method_types[0]': 'card' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ param: 'automatic_payment_methods' });
  });

  it('requires automatic_payment_methods[enabled], and allow_redirects of always or never', async () => {
    const base = { amount: 4200, currency: 'usd' };
    const noEnabled = await call('POST', '/v1/payment_intents', { ...base, 'automatic_payment_methods[allow_redirects]': 'never' });
    expect(noEnabled.status).toBe(400);
    expect(noEnabled.body.error).toMatchObject({ code: 'parameter_missing', param: 'automatic_payment_methods[enabled]' });
    const sometimes = await call('POST', '/v1/payment_intents', { ...base, ...NO_REDIRECTS, 'automatic_payment_methods[allow_redirects]': 'sometimes' });
    expect(sometimes.status).toBe(400);
    expect(sometimes.body.error).toMatchObject({ param: 'automatic_payment_methods[allow_redirects]' });
    const always = await call('POST', '/v1/payment_intents', { ...base, ...NO_REDIRECTS, 'automatic_payment_methods[allow_redirects]': 'always' });
    expect(always.body.automatic_payment_methods).toEqual({ allow_redirects: 'always', enabled: true });
  });

  it('refuses an unknown payment method: resource_missing', async () => {
    const answer = await create({ payment_method: 'pm_card_unknown' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'resource_missing', param: 'payment_method', message: "No such PaymentMethod: 'pm_card_unknown'" });
  });

  it('decodes a hostile __proto__ parameter as a plain key, polluting nothing', async () => {
    const answer = await create({ '__proto__[polluted]': 'yes', 'metadata[__proto__][polluted]': 'yes' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'parameter_unknown', param: '__proto__' });
    expect((await create({ 'metadata[__proto__]': 'kept' })).body.metadata).toEqual(JSON.parse('{"__proto__":"kept"}'));
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses parameters it does not model, as Stripe refuses unknown ones: parameter_unknown', async () => {
    const answer = await create({ setup_future_usage: 'off_session' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'parameter_unknown', param: 'setup_future_usage' });
  });
});

describe('confirming a PaymentIntent', () => {
  it('answers 404 resource_missing for an unknown intent', async () => {
    const answer = await confirm('pi_unknown', { payment_method: 'pm_card_visa' });
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'resource_missing', param: 'intent' });
  });

  it('confirms from requires_payment_method only with a payment method, and refuses a finished intent with the intent', async () => {
    const { id } = (await create()).body;
    const missing = await confirm(id);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { id, status: 'requires_payment_method' } });
    expect((await confirm(id, { payment_method: 'pm_card_visa' })).body.status).toBe('succeeded');
    const again = await confirm(id, { payment_method: 'pm_card_visa' });
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { id, status: 'succeeded' } });
    expect(sandbox.ledger()).toHaveLength(1);
  });

  it('refuses to confirm a canceled intent', async () => {
    const { id } = await intentWith('pm_card_visa');
    await cancel(id);
    const answer = await confirm(id);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { status: 'canceled' } });
  });

  it('requires a return_url when the intent’s automatic payment methods may redirect', async () => {
    for (const redirects of [{}, { 'automatic_payment_methods[allow_redirects]': 'always' }] as Params[]) {
      const { id } = (await call('POST', '/v1/payment_intents', { amount: 4200, currency: 'usd', 'automatic_payment_methods[enabled]': true, ...redirects, payment_method: 'pm_card_visa' })).body;
      const refused = await confirm(id);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/must provide a `return_url`/);
      expect((await confirm(id, { return_url: 'https://example.com/back' })).body.status).toBe('succeeded');
    }
    const { id } = await intentWith('pm_card_visa');
    expect((await confirm(id)).body.status).toBe('succeeded');
  });

  it.each(['pm_card_visa', 'pm_card_visa_debit', 'pm_card_mastercard', 'pm_card_amex'])(
    'captures with %s: succeeded, amount_received, latest_charge, one ledger row',
    async (token) => {
      const { id } = await intentWith(token, { 'metadata[oncepay_charge_id]': 'ch_42', 'metadata[oncepay_merchant_id]': 'mer_1' });
      const key = newKey();
      const answer = await confirm(id, {}, key);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'succeeded', amount_received: 4200, latest_charge: expect.stringMatching(/^ch_/), last_payment_error: null });
      expect(sandbox.ledger()).toEqual([
        { kind: 'capture', payment_intent: id, amount: 4200, currency: 'usd', idempotency_key: key, charge_id: 'ch_42', merchant_id: 'mer_1', created: expect.any(Number) },
      ]);
    },
  );

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ['pm_card_chargeDeclinedFraudulent', 'card_declined', 'fraudulent'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error', 'processing_error'],
  ])('declines %s with 402 card_error %s / %s, saved for the key; the intent needs a new payment method', async (token, code, declineCode) => {
    const { id } = await intentWith(token);
    const key = newKey();
    const declined = await confirm(id, {}, key);
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({
      type: 'card_error',
      code,
      decline_code: declineCode,
      charge: expect.stringMatching(/^ch_/),
      payment_intent: { id, status: 'requires_payment_method', payment_method: null, last_payment_error: { type: 'card_error', code, decline_code: declineCode } },
    });
    const replay = await confirm(id, {}, key);
    expect([replay.status, replay.text, replay.headers.get('Idempotent-Replayed')]).toEqual([402, declined.text, 'true']);
    expect((await retrieve(id)).body).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code } });
    expect(sandbox.ledger()).toEqual([]);
  });

  it.each(['pm_card_authenticationRequired', 'pm_card_threeDSecure2Required'])(
    'asks for 3-D Secure with %s: requires_action with next_action, no money; confirmable again with another card',
    async (token) => {
      const { id } = await intentWith(token);
      const answer = await confirm(id);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: expect.any(Object) }, amount_received: 0 });
      expect(sandbox.ledger()).toEqual([]);
      expect((await confirm(id, { payment_method: 'pm_card_visa' })).body).toMatchObject({ status: 'succeeded', next_action: null });
      expect(sandbox.ledger()).toHaveLength(1);
    },
  );

  it.each([
    ['off_session', true],
    ['error_on_requires_action', true],
  ])('declines a card needing authentication with authentication_required when %s says nobody can act', async (name, value) => {
    const answer = await create({ payment_method: 'pm_card_authenticationRequired', confirm: true, [name]: value });
    expect(answer.status).toBe(402);
    expect(answer.body.error).toMatchObject({ type: 'card_error', code: 'authentication_required', payment_intent: { status: 'requires_payment_method' } });
  });

  it.each([
    ['pm_sandbox_processingThenSucceeds', 'succeeded', 1],
    ['pm_sandbox_processingThenFails', 'requires_payment_method', 0],
  ])('keeps %s processing for processingMs, then settles as %s', async (token, settled, captures) => {
    const { id } = await intentWith(token);
    const key = newKey();
    const started = Date.now();
    const processing = await confirm(id, {}, key);
    expect(processing.body).toMatchObject({ status: 'processing', processing: { type: 'card' }, amount_received: 0 });
    expect(sandbox.ledger()).toEqual([]);
    const final = await eventually(() => retrieve(id), (answer) => answer.body.status !== 'processing', { timeoutMs: 5_000, what: 'settlement' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(final.body.status).toBe(settled);
    expect(sandbox.ledger()).toHaveLength(captures);
    if (captures) expect(sandbox.ledger()[0]).toMatchObject({ payment_intent: id, idempotency_key: key });
    else expect(final.body.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' });
  });
});

describe('fault tokens', () => {
  it('pm_sandbox_error500BeforeCaptureOnce: the first confirm answers 500 api_error, saved for its key as Stripe saves it; another key confirms', async () => {
    const { id } = await intentWith('pm_sandbox_error500BeforeCaptureOnce');
    const key = newKey();
    const failed = await confirm(id, {}, key);
    expect(failed.status).toBe(500);
    expect(failed.body.error.type).toBe('api_error');
    expect((await retrieve(id)).body.status).toBe('requires_confirmation');
    const replayed = await confirm(id, {}, key);
    expect([replayed.status, replayed.headers.get('Idempotent-Replayed')]).toEqual([500, 'true']);
    const other = newKey();
    expect((await confirm(id, {}, other)).status).toBe(200);
    expect(sandbox.ledger()).toEqual([expect.objectContaining({ payment_intent: id, idempotency_key: other })]);
  });

  it('pm_sandbox_error500BeforeCaptureOnce with confirm=true: the 500 is saved for the key, capturing nothing', async () => {
    const key = newKey();
    expect((await create({ payment_method: 'pm_sandbox_error500BeforeCaptureOnce', confirm: true }, key)).status).toBe(500);
    const replayed = await create({ payment_method: 'pm_sandbox_error500BeforeCaptureOnce', confirm: true }, key);
    expect([replayed.status, replayed.headers.get('Idempotent-Replayed')]).toEqual([500, 'true']);
    expect(sandbox.ledger()).toEqual([]);
  });

  it('pm_sandbox_error500BeforeCaptureAlways: every confirm answers 500, and nothing happens', async () => {
    const { id } = await intentWith('pm_sandbox_error500BeforeCaptureAlways');
    const key = newKey();
    for (const attemptKey of [key, key, newKey()]) expect((await confirm(id, {}, attemptKey)).status).toBe(500);
    expect((await retrieve(id)).body.status).toBe('requires_confirmation');
    expect(sandbox.ledger()).toEqual([]);
  });

  it('pm_sandbox_timeoutAfterCaptureOnce: the confirm captures but never answers; a replay of the key answers', async () => {
    const { id } = await intentWith('pm_sandbox_timeoutAfterCaptureOnce');
    const key = newKey();
    await expectHeld((signal) => call('POST', `/v1/payment_intents/${id}/confirm`, {}, { key, signal }));
    expect(sandbox.ledger()).toEqual([expect.objectContaining({ payment_intent: id, idempotency_key: key })]);
    expect((await retrieve(id)).body.status).toBe('succeeded');
    const replay = await confirm(id, {}, key);
    expect([replay.status, replay.body.status, replay.headers.get('Idempotent-Replayed')]).toEqual([200, 'succeeded', 'true']);
    expect(sandbox.ledger()).toHaveLength(1);
  });

  it('pm_sandbox_timeoutAfterCaptureAlways: replays of the key are held too; retrieve answers', async () => {
    const { id } = await intentWith('pm_sandbox_timeoutAfterCaptureAlways');
    const key = newKey();
    await expectHeld((signal) => call('POST', `/v1/payment_intents/${id}/confirm`, {}, { key, signal }));
    await expectHeld((signal) => call('POST', `/v1/payment_intents/${id}/confirm`, {}, { key, signal }));
    expect((await retrieve(id)).body.status).toBe('succeeded');
    expect(sandbox.ledger()).toHaveLength(1);
  });

  it.each([
    ['pm_sandbox_rateLimitedOnce', 'rate_limit'],
    ['pm_sandbox_lockTimeoutOnce', 'lock_timeout'],
  ])('%s: the first confirm answers 429 %s, unsaved; the retry with the key succeeds', async (token, code) => {
    const { id } = await intentWith(token);
    const key = newKey();
    const limited = await confirm(id, {}, key);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ type: 'invalid_request_error', code });
    expect(sandbox.ledger()).toEqual([]);
    expect((await confirm(id, {}, key)).body.status).toBe('succeeded');
    expect(sandbox.ledger()).toHaveLength(1);
  });

  it('pm_sandbox_lookupRejectedOnce: the confirm captures but never answers, and the first retrieve answers 403', async () => {
    const { id } = await intentWith('pm_sandbox_lookupRejectedOnce');
    const key = newKey();
    await expectHeld((signal) => call('POST', `/v1/payment_intents/${id}/confirm`, {}, { key, signal }));
    expect(sandbox.ledger()).toHaveLength(1);
    const rejected = await retrieve(id);
    expect(rejected.status).toBe(403);
    expect(rejected.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('does not have the required permissions') });
    expect((await retrieve(id)).body.status).toBe('succeeded');
    expect((await confirm(id, {}, key)).body.status).toBe('succeeded');
  });

  it('raises, through the official SDK, the error classes the adapter relies on', async () => {
    const url = new URL(sandbox.url);
    const options = { host: url.hostname, port: url.port, protocol: 'http' as const, maxNetworkRetries: 0, telemetry: false };
    const stripe = new Stripe(sandbox.secretKey, options);
    const confirmed = (token: string) => intentWith(token).then(({ id }) => stripe.paymentIntents.confirm(id));
    await expect(confirmed('pm_card_chargeDeclined')).rejects.toMatchObject({ type: 'StripeCardError', payment_intent: { status: 'requires_payment_method' } });
    await expect(confirmed('pm_sandbox_rateLimitedOnce')).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    await expect(confirmed('pm_sandbox_error500BeforeCaptureAlways')).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    const { id } = await intentWith('pm_sandbox_lookupRejectedOnce');
    await expect(stripe.paymentIntents.retrieve(id)).rejects.toBeInstanceOf(Stripe.errors.StripePermissionError);
    const key = newKey();
    await stripe.paymentIntents.create({ amount: 4200, currency: 'usd' }, { idempotencyKey: key });
    await expect(stripe.paymentIntents.create({ amount: 4300, currency: 'usd' }, { idempotencyKey: key })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    );
    sandbox.expireKey('sk_test_expired_key');
    await expect(new Stripe('sk_test_expired_key', options).paymentIntents.retrieve(id)).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('idempotency keys, on every POST', () => {
  it('replay the saved answer byte for byte, with Idempotent-Replayed: true, even after the intent moved on', async () => {
    const key = newKey();
    const first = await create({ payment_method: 'pm_card_visa' }, key);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    await confirm(first.body.id);
    const replay = await create({ payment_method: 'pm_card_visa' }, key);
    expect([replay.status, replay.text, replay.headers.get('Idempotent-Replayed')]).toEqual([200, first.text, 'true']);
    expect(replay.body.status).toBe('requires_confirmation');
    expect(replay.headers.get('Original-Request')).toBe(first.headers.get('Request-Id'));
  });

  it('refuse the key with other parameters: 400 idempotency_error', async () => {
    const key = newKey();
    await create({}, key);
    const other = await create({ amount: 4300 }, key);
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ type: 'idempotency_error', message: expect.stringContaining('same parameters') });
  });

  it('refuse the key on another endpoint: 400 idempotency_error', async () => {
    const key = newKey();
    const { id } = (await create({ payment_method: 'pm_card_visa' }, key)).body;
    const confirmed = await confirm(id, {}, key);
    expect(confirmed.status).toBe(400);
    expect(confirmed.body.error).toMatchObject({ type: 'idempotency_error', message: expect.stringContaining('same endpoint') });
    expect(sandbox.ledger()).toEqual([]);
  });

  it('answer 409 idempotency_key_in_use while the key’s first request runs', async () => {
    sandbox.configure({ latencyMs: 200 });
    const key = newKey();
    const answers = await Promise.all([create({}, key), create({}, key)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    const after = await create({}, key);
    expect(after.text).toBe(answers.find((answer) => answer.status === 200)?.text);
  });

  it('save confirm and cancel answers too', async () => {
    const confirmKey = newKey();
    const { id } = await intentWith('pm_card_visa');
    const confirmed = await confirm(id, {}, confirmKey);
    expect((await confirm(id, {}, confirmKey)).text).toBe(confirmed.text);
    expect(sandbox.ledger()).toHaveLength(1);
    const cancelKey = newKey();
    const other = await intentWith('pm_card_visa');
    const canceled = await cancel(other.id, { cancellation_reason: 'duplicate' }, cancelKey);
    const replay = await cancel(other.id, { cancellation_reason: 'duplicate' }, cancelKey);
    expect([replay.status, replay.text, replay.headers.get('Idempotent-Replayed')]).toEqual([200, canceled.text, 'true']);
  });

  it('do not save a parameter error: the key runs again once the request is fixed', async () => {
    const key = newKey();
    expect((await create({ amount: 10 }, key)).status).toBe(400);
    const fixed = await create({ amount: 4200 }, key);
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('are forgotten idempotencyKeyTtlMs after they were saved: the same create then makes a new intent', async () => {
    expect((await control('POST', '/_sandbox/config', JSON.stringify({ idempotencyKeyTtlMs: 300 }))).status).toBe(200);
    const key = newKey();
    const first = await create({}, key);
    expect((await create({}, key)).body.id).toBe(first.body.id);
    const fresh = await eventually(() => create({}, key), (answer) => answer.body.id !== first.body.id, { timeoutMs: 5_000, what: 'the key to be forgotten' });
    expect(fresh.headers.get('Idempotent-Replayed')).toBeNull();
  });
});

describe('canceling a PaymentIntent', () => {
  const inState: Record<string, () => Promise<PaymentIntent>> = {
    requires_payment_method: async () => (await create()).body,
    requires_confirmation: () => intentWith('pm_card_visa'),
    requires_action: async () => (await confirm((await intentWith('pm_card_authenticationRequired')).id)).body,
    succeeded: async () => (await confirm((await intentWith('pm_card_visa')).id)).body,
    processing: async () => (await confirm((await intentWith('pm_sandbox_processingThenSucceeds')).id)).body,
    canceled: async () => (await cancel((await create()).body.id)).body,
  };

  it.each(['requires_payment_method', 'requires_confirmation', 'requires_action'])('cancels from %s, with canceled_at and the reason', async (state) => {
    const intent = await inState[state]!();
    expect(intent.status).toBe(state);
    const answer = await cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'canceled', canceled_at: expect.any(Number), cancellation_reason: 'requested_by_customer', next_action: null });
  });

  it.each(['succeeded', 'processing', 'canceled'])('refuses to cancel from %s: payment_intent_unexpected_state', async (state) => {
    sandbox.configure({ processingMs: 60_000 });
    const intent = await inState[state]!();
    expect(intent.status).toBe(state);
    const answer = await cancel(intent.id);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { id: intent.id, status: state } });
  });

  it('refuses an unknown cancellation_reason', async () => {
    const answer = await cancel((await create()).body.id, { cancellation_reason: 'changed_my_mind' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ param: 'cancellation_reason' });
  });
});

describe('manual capture: authorize now, capture later', () => {
  /** A confirmed manual-capture intent: an authorization of 4,200. */
  async function authorized(paymentMethod = 'pm_card_visa'): Promise<PaymentIntent> {
    const answer = await create({ payment_method: paymentMethod, confirm: true, capture_method: 'manual' });
    expect(answer.status).toBe(200);
    return answer.body;
  }
  const eventTypesOf = async (id: string) => {
    const response = await fetch(`${sandbox.url}/v1/events?limit=100`, { headers: { Authorization: `Bearer ${sandbox.secretKey}` } });
    const events = ((await response.json()) as { data: Array<{ type: string; data: { object: { id: string } } }> }).data;
    return events.filter((event) => event.data.object.id === id).map((event) => event.type).reverse();
  };

  it('stops at requires_capture with amount_capturable, moving no money, and tells of it', async () => {
    const intent = await authorized();
    expect(intent).toMatchObject({ status: 'requires_capture', capture_method: 'manual', amount_capturable: 4200, amount_received: 0, latest_charge: expect.stringMatching(/^ch_/) });
    expect(sandbox.ledger()).toEqual([]);
    expect(await eventTypesOf(intent.id)).toEqual(['payment_intent.created', 'payment_intent.amount_capturable_updated']);
  });

  it('takes capture_method on confirm too', async () => {
    const intent = await intentWith('pm_card_visa');
    const confirmed = await confirm(intent.id, { capture_method: 'manual' });
    expect(confirmed.body).toMatchObject({ status: 'requires_capture', capture_method: 'manual', amount_capturable: 4200 });
  });

  it('captures part: amount_received is what was captured, the rest is released, and the ledger has that capture', async () => {
    const intent = await authorized();
    const captured = await capture(intent.id, { amount_to_capture: 3000 });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ status: 'succeeded', amount: 4200, amount_received: 3000, amount_capturable: 0, latest_charge: intent.latest_charge });
    expect(sandbox.ledger()).toEqual([expect.objectContaining({ kind: 'capture', payment_intent: intent.id, amount: 3000 })]);
    expect(await eventTypesOf(intent.id)).toEqual(['payment_intent.created', 'payment_intent.amount_capturable_updated', 'payment_intent.succeeded']);
  });

  it('captures everything without amount_to_capture; refunds reach only what was captured', async () => {
    const intent = await authorized();
    expect((await capture(intent.id)).body).toMatchObject({ status: 'succeeded', amount_received: 4200 });
    const partial = await authorized();
    await capture(partial.id, { amount_to_capture: 1000 });
    const refund = await fetch(`${sandbox.url}/v1/refunds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.secretKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_intent: partial.id, amount: '1001' }),
    });
    expect(refund.status).toBe(400);
    const refused = (await refund.json()) as { error: ApiError };
    expect(validator.validateError(refused)).toEqual([]);
  });

  it('captures once: a second capture, or one after cancel, is payment_intent_unexpected_state; a keyed retry replays the first', async () => {
    const intent = await authorized();
    const key = newKey();
    const first = await capture(intent.id, { amount_to_capture: 2000 }, key);
    expect((await capture(intent.id, { amount_to_capture: 2000 }, key)).text).toBe(first.text);
    const again = await capture(intent.id, {}, newKey());
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { status: 'succeeded' } });
    const other = await authorized();
    expect((await cancel(other.id, { cancellation_reason: 'abandoned' })).body).toMatchObject({ status: 'canceled', amount_capturable: 0, cancellation_reason: 'abandoned' });
    const late = await capture(other.id);
    expect(late.status).toBe(400);
    expect(late.body.error).toMatchObject({ code: 'payment_intent_unexpected_state', payment_intent: { status: 'canceled' } });
    expect(sandbox.ledger()).toEqual([expect.objectContaining({ payment_intent: intent.id, amount: 2000 })]);
  });

  it('refuses more than amount_capturable, a non-positive amount, a capture of an automatic payment, and fields it does not model', async () => {
    const intent = await authorized();
    const tooMuch = await capture(intent.id, { amount_to_capture: 4201 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toMatchObject({ param: 'amount_to_capture' });
    expect((await capture(intent.id, { amount_to_capture: 0 })).body.error).toMatchObject({ param: 'amount_to_capture' });
    expect((await capture(intent.id, { statement_descriptor: 'x' })).status).toBe(400);
    expect((await create({ capture_method: 'later' })).body.error).toMatchObject({ param: 'capture_method' });
    const automatic = await confirm((await intentWith('pm_card_visa')).id);
    expect((await capture(automatic.body.id)).body.error).toMatchObject({ code: 'payment_intent_unexpected_state' });
    expect(sandbox.ledger()).toEqual([expect.objectContaining({ payment_intent: automatic.body.id, amount: 4200 })]);
  });

  it('lets an authorization lapse after authorizationExpiryMs: canceled, reason automatic, nothing captured', async () => {
    sandbox.configure({ authorizationExpiryMs: 200 });
    const intent = await authorized();
    const lapsed = await eventually(async () => (await retrieve(intent.id)).body, (body) => body.status === 'canceled', { what: 'the lapse' });
    expect(lapsed).toMatchObject({ cancellation_reason: 'automatic', amount_capturable: 0, amount_received: 0, canceled_at: expect.any(Number) });
    expect((await capture(intent.id)).status).toBe(400);
    expect(await eventTypesOf(intent.id)).toEqual(['payment_intent.created', 'payment_intent.amount_capturable_updated', 'payment_intent.canceled']);
    expect(sandbox.ledger()).toEqual([]);
  });
});

describe('retrieving and searching', () => {
  it('retrieves an intent in its current state, or answers 404 resource_missing', async () => {
    const { id } = await intentWith('pm_card_visa');
    await confirm(id);
    expect((await retrieve(id)).body).toMatchObject({ id, status: 'succeeded' });
    const missing = await retrieve('pi_missing');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'resource_missing' });
  });

  it('finds an intent by metadata only searchLagMs after its creation, in its state as of now', async () => {
    sandbox.configure({ searchLagMs: 1_000 });
    const chargeId = `ch_${randomUUID()}`;
    const query = `metadata['oncepay_charge_id']:'${chargeId}'`;
    const started = Date.now();
    const { id } = await intentWith('pm_card_visa', { 'metadata[oncepay_charge_id]': chargeId });
    await create({ 'metadata[oncepay_charge_id]': 'someone-else' });
    await confirm(id);
    const early = await search(query);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(early.body).toEqual({ object: 'search_result', data: [], has_more: false, next_page: null, url: '/v1/payment_intents/search' });
    const found = await eventually(() => search(query), (answer) => answer.body.data.length > 0, { timeoutMs: 5_000, what: 'search to catch up' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(found.body.data).toEqual([expect.objectContaining({ id, status: 'succeeded' })]);
  });

  it.each([["status:'succeeded'"], ["metadata['a']:'b' AND metadata['c']:'d'"], ['']])('refuses the search query %j', async (query) => {
    const answer = await search(query);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param: 'query' });
  });
});

describe('stopping', () => {
  it('leaves no timer or connection behind: a process with a pending settlement and a held request exits', async () => {
    const sandboxModule = fileURLToPath(new URL('../../scripts/processor-sandbox/sandbox.ts', import.meta.url));
    const script = join(mkdtempSync(join(tmpdir(), 'sandbox-stop-')), 'stop.mjs');
    writeFileSync(
      script,
      `import { startProcessorSandbox } from ${JSON.stringify(sandboxModule)};
const sandbox = await startProcessorSandbox({ processingMs: 60000 });
const post = (paymentMethod) => fetch(sandbox.url + '/v1/payment_intents', {
  method: 'POST',
  headers: { Authorization: 'Bearer ' + sandbox.secretKey, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'amount=4200&currency=usd&confirm=true&automatic_payment_methods[enabled]=true&automatic_payment_methods[allow_redirects]=never&payment_method=' + paymentMethod,
});
const processing = await (await post('pm_sandbox_processingThenSucceeds')).json();
const held = post('pm_sandbox_timeoutAfterCaptureAlways').then(() => 'answered', () => 'closed');
while (sandbox.ledger().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
await sandbox.stop();
console.log(processing.status, await held);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exit = await new Promise<number | null | 'hung'>((resolve) => {
      const deadline = setTimeout(() => {
        child.kill();
        resolve('hung');
      }, 15_000);
      child.on('exit', (code) => {
        clearTimeout(deadline);
        resolve(code);
      });
    });
    expect({ exit, output: output.trim() }).toEqual({ exit: 0, output: 'processing closed' });
  });
});
