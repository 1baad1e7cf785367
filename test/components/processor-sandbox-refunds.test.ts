/**
 * The processor sandbox's Refunds against Stripe's rules, over HTTP, as
 * processor-sandbox.test.ts does for PaymentIntents: one test per rule, each checking the status
 * and validating every body against Stripe's own OpenAPI schemas (`refund`, the
 * `APIMethodRefundList` of `GET /v1/refunds`, `error`). Each test gets a fresh sandbox.
 */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError, PaymentIntent } from '../../scripts/processor-sandbox/payment-intent.ts';
import type { Refund } from '../../scripts/processor-sandbox/refund.ts';
import { INSTANT_LATENCY, startProcessorSandbox, type ProcessorSandbox, type RefundEntry } from '../../scripts/processor-sandbox/sandbox.ts';
import { eventually } from '../support/eventually.ts';
import { stripeFixtures, stripeValidator } from '../support/stripe-schemas.ts';

type Params = Record<string, string | number | boolean>;

/** Stripe's answer shapes in one type; each test reads the one its status implies. */
type StripeBody = Refund & Pick<PaymentIntent, 'latest_charge'> & { error: ApiError; data: Refund[]; has_more: boolean; url: string };

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: StripeBody;
}

interface CallOptions {
  key?: string;
  signal?: AbortSignal;
}

const validator = stripeValidator();
const PAYMENT: Params = {
  amount: 4200,
  currency: 'usd',
  'automatic_payment_methods[enabled]': true,
  'automatic_payment_methods[allow_redirects]': 'never',
  confirm: true,
};
/** Long enough for a local answer, short enough to prove one never comes. */
const HOLD_PROBE_MS = 300;
const PROCESSING_MS = 200;

let sandbox: ProcessorSandbox;
beforeEach(async () => {
  // The account's rate limit is tested once below; the other tests send bursts.
  sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, searchLagMs: 60_000, processingMs: PROCESSING_MS, rateLimitPerSecond: 0 });
});
afterEach(() => sandbox.stop());

/** One request to the Stripe API of the sandbox; the body must match Stripe's schema for it. */
async function call(method: 'GET' | 'POST', path: string, params: Params = {}, options: CallOptions = {}): Promise<Answer> {
  const form = new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, String(value)]));
  const response = await fetch(method === 'GET' ? `${sandbox.url}${path}?${form}` : `${sandbox.url}${path}`, {
    method,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Bearer ${sandbox.secretKey}`,
      ...(options.key === undefined ? {} : { 'Idempotency-Key': options.key }),
    },
    body: method === 'POST' ? form : undefined,
    signal: options.signal ?? AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  const answer = { status: response.status, headers: response.headers, text, body: JSON.parse(text) as StripeBody };
  expectStripeShape(method, path, answer);
  return answer;
}

function expectStripeShape(method: string, path: string, { status, text, body }: Answer): void {
  const errors =
    status !== 200
      ? validator.validateError(body)
      : method === 'GET' && path === '/v1/refunds'
        ? validator.validateRefundList(body)
        : path.startsWith('/v1/refunds')
          ? validator.validateRefund(body)
          : validator.validatePaymentIntent(body);
  expect(errors, `${method} ${path} answered ${status} ${text}`).toEqual([]);
}

const refund = (params: Params, key?: string) => call('POST', '/v1/refunds', params, { key });
const retrieve = (id: string) => call('GET', `/v1/refunds/${id}`);
const list = (params: Params = {}) => call('GET', '/v1/refunds', params);
const newKey = () => `key_${randomUUID()}`;

/** A PaymentIntent paid (`succeeded`) with `paymentMethod`, with oncepay's metadata. */
async function paid(paymentMethod = 'pm_card_visa', params: Params = {}): Promise<PaymentIntent> {
  const answer = await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: paymentMethod, ...params });
  expect(answer.body.status).toBe('succeeded');
  return answer.body as unknown as PaymentIntent;
}

async function ledgerRead(): Promise<{ data: unknown[]; processing: number }> {
  return (await (await fetch(`${sandbox.url}/_sandbox/ledger`)).json()) as { data: unknown[]; processing: number };
}

const refundRows = () => sandbox.ledger().filter((entry): entry is RefundEntry => entry.kind === 'refund');

/** The request gets no answer: the client gives up, as on a lost response. */
async function expectHeld(request: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  await expect(request(AbortSignal.timeout(HOLD_PROBE_MS))).rejects.toThrow(/timeout|aborted/i);
}

describe('Stripe’s schemas, the yardstick', () => {
  it('accept a refund list of Stripe’s own fixture, and refuse one with a foreign url, a missing field or a partial refund', () => {
    const { refund: fixture } = stripeFixtures();
    const page = { object: 'list', data: [fixture], has_more: false, url: '/v1/refunds' };
    expect(validator.validateRefundList(page)).toEqual([]);
    expect(validator.validateRefundList({ ...page, url: '/v1/payment_intents' })).not.toEqual([]);
    expect(validator.validateRefundList({ object: 'list', data: [], url: '/v1/refunds' })).not.toEqual([]);
    const partial = { ...fixture };
    delete partial['balance_transaction'];
    expect(validator.validateRefundList({ ...page, data: [partial] })).not.toEqual([]);
    expect(validator.validateRefund({ ...fixture, invented: true })).not.toEqual([]);
  });
});

describe('creating a refund', () => {
  it.each(['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex'])(
    'refunds what is left by default with %s: succeeded at once, in Stripe’s shape, one ledger row beside the capture',
    async (token) => {
      const intent = await paid(token, { 'metadata[oncepay_charge_id]': 'ch_42', 'metadata[oncepay_merchant_id]': 'mer_1' });
      const key = newKey();
      const answer = await refund({ payment_intent: intent.id, 'metadata[oncepay_refund_id]': 'rf_7' }, key);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        id: expect.stringMatching(/^re_/),
        object: 'refund',
        amount: 4200,
        balance_transaction: expect.stringMatching(/^txn_/),
        charge: intent.latest_charge,
        created: expect.any(Number),
        currency: 'usd',
        metadata: { oncepay_refund_id: 'rf_7' },
        payment_intent: intent.id,
        reason: null,
        receipt_number: null,
        source_transfer_reversal: null,
        status: 'succeeded',
        transfer_reversal: null,
      });
      expect(sandbox.ledger()).toEqual([
        expect.objectContaining({ kind: 'capture', payment_intent: intent.id, amount: 4200 }),
        {
          kind: 'refund',
          refund: answer.body.id,
          payment_intent: intent.id,
          amount: 4200,
          currency: 'usd',
          charge_id: 'ch_42',
          refund_id: 'rf_7',
          merchant_id: 'mer_1',
          idempotency_key: key,
          created: expect.any(Number),
        },
      ]);
    },
  );

  it('writes refund_id, charge_id and merchant_id as null when the metadata lacks them, and the key as null without one', async () => {
    const intent = await paid();
    const answer = await refund({ payment_intent: intent.id, amount: 100 });
    expect(refundRows()).toEqual([expect.objectContaining({ refund: answer.body.id, refund_id: null, charge_id: null, merchant_id: null, idempotency_key: null })]);
  });

  it('adds partial refunds up to amount_received and refuses more: amount_too_large, then charge_already_refunded', async () => {
    const intent = await paid();
    expect((await refund({ payment_intent: intent.id, amount: 2000 })).body).toMatchObject({ status: 'succeeded', amount: 2000 });
    const tooMuch = await refund({ payment_intent: intent.id, amount: 3000 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error).toEqual({
      type: 'invalid_request_error',
      code: 'amount_too_large',
      doc_url: 'https://stripe.com/docs/error-codes/amount-too-large',
      param: 'amount',
      message: 'Refund amount ($30.00) is greater than unrefunded amount on charge ($22.00)',
    });
    expect((await refund({ payment_intent: intent.id })).body).toMatchObject({ status: 'succeeded', amount: 2200 });
    for (const params of [{}, { amount: 1 }] as Params[]) {
      const refused = await refund({ payment_intent: intent.id, ...params });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toEqual({
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
        doc_url: 'https://stripe.com/docs/error-codes/charge-already-refunded',
        message: `Charge ${intent.latest_charge} has already been refunded.`,
      });
    }
    expect(refundRows().map((row) => row.amount)).toEqual([2000, 2200]);
  });

  it('writes amounts in the currency of the charge', async () => {
    const intent = await paid('pm_card_visa', { amount: 500, currency: 'jpy' });
    const refused = await refund({ payment_intent: intent.id, amount: 600 });
    expect(refused.body.error.message).toBe('Refund amount (¥600) is greater than unrefunded amount on charge (¥500)');
    expect((await refund({ payment_intent: intent.id })).body).toMatchObject({ amount: 500, currency: 'jpy' });
  });

  it('accepts the charge instead of the PaymentIntent: the intent’s latest_charge', async () => {
    const intent = await paid();
    const answer = await refund({ charge: intent.latest_charge ?? '', amount: 700 });
    expect(answer.body).toMatchObject({ charge: intent.latest_charge, payment_intent: intent.id, amount: 700, status: 'succeeded' });
    const unknown = await refund({ charge: 'ch_missing' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: 'charge', message: "No such charge: 'ch_missing'" });
  });

  it('answers resource_missing for an unknown PaymentIntent, and moves nothing', async () => {
    const answer = await refund({ payment_intent: 'pi_missing' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'payment_intent',
      message: "No such payment_intent: 'pi_missing'",
    });
    expect(sandbox.ledger()).toEqual([]);
  });

  const unpaid: Record<string, () => Promise<PaymentIntent>> = {
    requires_payment_method: async () => (await call('POST', '/v1/payment_intents', { amount: 4200, currency: 'usd' })).body as unknown as PaymentIntent,
    'requires_payment_method after a decline': async () =>
      ((await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: 'pm_card_chargeDeclined' })).body.error as ApiError & { payment_intent: PaymentIntent })
        .payment_intent,
    requires_confirmation: async () =>
      (await call('POST', '/v1/payment_intents', { ...PAYMENT, confirm: false, payment_method: 'pm_card_visa' })).body as unknown as PaymentIntent,
    requires_action: async () =>
      (await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: 'pm_card_authenticationRequired' })).body as unknown as PaymentIntent,
    processing: async () =>
      (await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: 'pm_sandbox_processingThenSucceeds' })).body as unknown as PaymentIntent,
    canceled: async () => {
      const { id } = (await call('POST', '/v1/payment_intents', { amount: 4200, currency: 'usd' })).body;
      return (await call('POST', `/v1/payment_intents/${id}/cancel`)).body as unknown as PaymentIntent;
    },
  };

  it.each(Object.keys(unpaid))('refuses a PaymentIntent in %s: it has no successful charge to refund', async (state) => {
    sandbox.configure({ processingMs: 60_000 });
    const intent = await unpaid[state]!();
    const answer = await refund({ payment_intent: intent.id });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      type: 'invalid_request_error',
      message: `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
    });
    if (intent.latest_charge) expect((await refund({ charge: intent.latest_charge })).body.error.message).toMatch(/does not have a successful charge/);
    expect(refundRows()).toEqual([]);
  });

  it.each(['duplicate', 'fraudulent', 'requested_by_customer'])('keeps the reason %s', async (reason) => {
    const answer = await refund({ payment_intent: (await paid()).id, reason });
    expect(answer.body).toMatchObject({ reason, status: 'succeeded' });
  });

  it.each(['expired_uncaptured_charge', 'changed_my_mind', ''])('refuses the reason %j (Stripe alone sets expired_uncaptured_charge)', async (reason) => {
    const answer = await refund({ payment_intent: (await paid()).id, reason });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid_string', param: 'reason' });
    expect(refundRows()).toEqual([]);
  });

  it.each([
    ['0', 'parameter_invalid_integer'],
    ['-5', 'parameter_invalid_integer'],
    ['1.5', 'parameter_invalid_integer'],
    ['abc', 'parameter_invalid_integer'],
  ])('refuses the amount %j', async (amount, code) => {
    const answer = await refund({ payment_intent: (await paid()).id, amount });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code, param: 'amount' });
  });

  it('needs a charge or a PaymentIntent, and only one of them', async () => {
    const intent = await paid();
    const neither = await refund({ amount: 100 });
    expect(neither.status).toBe(400);
    expect(neither.body.error).toMatchObject({ code: 'parameter_missing', param: 'charge', message: 'Missing required param: charge.' });
    const both = await refund({ payment_intent: intent.id, charge: intent.latest_charge ?? '' });
    expect(both.status).toBe(400);
    expect(both.body.error).toMatchObject({ type: 'invalid_request_error', param: 'charge' });
    expect(refundRows()).toEqual([]);
  });

  it.each([['currency'], ['customer'], ['expand[0]'], ['instructions_email'], ['origin'], ['refund_application_fee'], ['reverse_transfer'], ['invented']])(
    'refuses the parameter %s, which it does not model: parameter_unknown',
    async (name) => {
      const answer = await refund({ payment_intent: (await paid()).id, [name]: 'x' });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'parameter_unknown', param: name.replace('[0]', '') });
    },
  );

  it('checks metadata as Stripe does: up to 40-character keys, 500-character values; `metadata=` is none', async () => {
    const intent = await paid();
    const long = await refund({ payment_intent: intent.id, [`metadata[${'k'.repeat(41)}]`]: 'v' });
    expect(long.status).toBe(400);
    expect(long.body.error.param).toMatch(/^metadata/);
    expect((await refund({ payment_intent: intent.id, amount: 100, metadata: '' })).body.metadata).toEqual({});
  });
});

describe('refund outcomes by payment method', () => {
  it('pm_card_pendingRefund: pending for processingMs, holding its amount; the ledger row when it succeeds', async () => {
    const intent = await paid('pm_card_pendingRefund');
    const key = newKey();
    const started = Date.now();
    const pending = await refund({ payment_intent: intent.id, amount: 3000 }, key);
    expect(pending.body).toMatchObject({ status: 'pending', amount: 3000 });
    expect(pending.body).not.toHaveProperty('failure_reason');
    expect(refundRows()).toEqual([]);
    expect((await ledgerRead()).processing).toBe(1);
    const over = await refund({ payment_intent: intent.id, amount: 1201 });
    expect(over.body.error).toMatchObject({ code: 'amount_too_large', message: 'Refund amount ($12.01) is greater than unrefunded amount on charge ($12.00)' });
    const done = await eventually(() => retrieve(pending.body.id), (answer) => answer.body.status !== 'pending', { timeoutMs: 5_000, what: 'the refund to settle' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(PROCESSING_MS);
    expect(done.body).toMatchObject({ status: 'succeeded', amount: 3000 });
    expect(refundRows()).toEqual([expect.objectContaining({ refund: pending.body.id, amount: 3000, idempotency_key: key })]);
    expect((await ledgerRead()).processing).toBe(0);
  });

  it('pm_sandbox_refundPendingThenFails: pending, then failed with expired_or_canceled_card; its amount is released, nothing moved', async () => {
    const intent = await paid('pm_sandbox_refundPendingThenFails');
    const pending = await refund({ payment_intent: intent.id });
    expect(pending.body).toMatchObject({ status: 'pending', amount: 4200 });
    expect((await refund({ payment_intent: intent.id })).body.error.code).toBe('charge_already_refunded');
    const failed = await eventually(() => retrieve(pending.body.id), (answer) => answer.body.status !== 'pending', { timeoutMs: 5_000, what: 'the refund to fail' });
    expect(failed.body).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card', failure_balance_transaction: expect.stringMatching(/^txn_/) });
    expect(refundRows()).toEqual([]);
    expect((await ledgerRead()).processing).toBe(0);
    expect((await refund({ payment_intent: intent.id })).body).toMatchObject({ status: 'pending', amount: 4200 });
  });

  it('pm_sandbox_refundTimeoutAfterSucceedingOnce: the refund succeeds but never answers; a replay of the key answers it', async () => {
    const intent = await paid('pm_sandbox_refundTimeoutAfterSucceedingOnce');
    const key = newKey();
    await expectHeld((signal) => call('POST', '/v1/refunds', { payment_intent: intent.id }, { key, signal }));
    expect(refundRows()).toEqual([expect.objectContaining({ payment_intent: intent.id, amount: 4200, idempotency_key: key })]);
    const replay = await refund({ payment_intent: intent.id }, key);
    expect([replay.status, replay.body.status, replay.headers.get('Idempotent-Replayed')]).toEqual([200, 'succeeded', 'true']);
    expect(replay.body.id).toBe(refundRows()[0]?.refund);
    expect((await list({ payment_intent: intent.id })).body.data.map((listed) => listed.id)).toEqual([replay.body.id]);
    expect(refundRows()).toHaveLength(1);
  });

  it('pm_sandbox_refundError500Once: the intent’s first refund answers 500 api_error, refunding nothing; the 500 is saved for its key, another key refunds', async () => {
    const intent = await paid('pm_sandbox_refundError500Once');
    const key = newKey();
    const failed = await refund({ payment_intent: intent.id }, key);
    expect(failed.status).toBe(500);
    expect(failed.body.error.type).toBe('api_error');
    expect((await list({ payment_intent: intent.id })).body.data).toEqual([]);
    expect(refundRows()).toEqual([]);
    const replayed = await refund({ payment_intent: intent.id }, key);
    expect([replayed.status, replayed.headers.get('Idempotent-Replayed')]).toEqual([500, 'true']);
    const other = newKey();
    const retried = await refund({ payment_intent: intent.id }, other);
    expect(retried.status).toBe(200);
    expect(refundRows()).toEqual([expect.objectContaining({ refund: retried.body.id, idempotency_key: other })]);
  });

  it('raises, through the official SDK, the answers and error classes an adapter relies on', async () => {
    const url = new URL(sandbox.url);
    const stripe = new Stripe(sandbox.secretKey, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
    const intent = await paid('pm_sandbox_refundError500Once');
    await expect(stripe.refunds.create({ payment_intent: intent.id })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    const created = await stripe.refunds.create({ payment_intent: intent.id, amount: 200, metadata: { oncepay_refund_id: 'rf_1' } }, { idempotencyKey: newKey() });
    expect(created).toMatchObject({ object: 'refund', status: 'succeeded', amount: 200 });
    expect(await stripe.refunds.retrieve(created.id)).toMatchObject({ id: created.id, status: 'succeeded' });
    expect((await stripe.refunds.list({ payment_intent: intent.id })).data.map((listed) => listed.id)).toEqual([created.id]);
    await expect(stripe.refunds.create({ payment_intent: intent.id, amount: 99_999 })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'amount_too_large' });
    await expect(stripe.refunds.retrieve('re_missing')).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', statusCode: 404 });
  });
});

describe('idempotency keys, on refunds too', () => {
  it('replay the saved refund byte for byte, even after it moved on, and refund once', async () => {
    const intent = await paid('pm_card_pendingRefund');
    const key = newKey();
    const first = await refund({ payment_intent: intent.id, amount: 1000 }, key);
    await eventually(() => retrieve(first.body.id), (answer) => answer.body.status === 'succeeded', { timeoutMs: 5_000, what: 'the refund to settle' });
    const replay = await refund({ payment_intent: intent.id, amount: 1000 }, key);
    expect([replay.status, replay.text, replay.headers.get('Idempotent-Replayed')]).toEqual([200, first.text, 'true']);
    expect(replay.body.status).toBe('pending');
    expect(replay.headers.get('Original-Request')).toBe(first.headers.get('Request-Id'));
    expect(refundRows()).toHaveLength(1);
  });

  it('refuse the key with other parameters, or on another endpoint: 400 idempotency_error, nothing refunded', async () => {
    const intent = await paid();
    const key = newKey();
    await refund({ payment_intent: intent.id, amount: 1000 }, key);
    const other = await refund({ payment_intent: intent.id, amount: 1001 }, key);
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ type: 'idempotency_error', message: expect.stringContaining('same parameters') });
    const elsewhere = await call('POST', '/v1/payment_intents', PAYMENT, { key });
    expect(elsewhere.body.error).toMatchObject({ type: 'idempotency_error', message: expect.stringContaining('same endpoint') });
    const reused = await call('POST', '/v1/refunds', { payment_intent: intent.id, amount: 1000 }, { key: newKey() });
    expect(reused.status).toBe(200);
    expect(refundRows().map((row) => row.amount)).toEqual([1000, 1000]);
  });

  it('answer 409 idempotency_key_in_use while the key’s first refund runs', async () => {
    const intent = await paid();
    sandbox.configure({ latencyMs: 200 });
    const key = newKey();
    const answers = await Promise.all([refund({ payment_intent: intent.id }, key), refund({ payment_intent: intent.id }, key)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    expect(refundRows()).toHaveLength(1);
  });

  it('keep a refusal of the endpoint that began (more than is left), not a parameter refusal: that key runs again once the request is fixed', async () => {
    const intent = await paid();
    const tooMuch = newKey();
    expect((await refund({ payment_intent: intent.id, amount: 99_999 }, tooMuch)).status).toBe(400);
    const kept = await refund({ payment_intent: intent.id, amount: 99_999 }, tooMuch);
    expect([kept.status, kept.body.error.code, kept.headers.get('Idempotent-Replayed')]).toEqual([400, 'amount_too_large', 'true']);
    const key = newKey();
    expect((await refund({ payment_intent: intent.id, amount: 100, reason: 'bogus' }, key)).status).toBe(400);
    const fixed = await refund({ payment_intent: intent.id, amount: 100 }, key);
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('are forgotten idempotencyKeyTtlMs after they were saved: the same request then refunds again', async () => {
    const intent = await paid();
    sandbox.configure({ idempotencyKeyTtlMs: 300 });
    const key = newKey();
    const first = await refund({ payment_intent: intent.id, amount: 100 }, key);
    expect((await refund({ payment_intent: intent.id, amount: 100 }, key)).body.id).toBe(first.body.id);
    const fresh = await eventually(() => refund({ payment_intent: intent.id, amount: 100 }, key), (answer) => answer.body.id !== first.body.id, {
      timeoutMs: 5_000,
      what: 'the key to be forgotten',
    });
    expect(fresh.headers.get('Idempotent-Replayed')).toBeNull();
    expect(refundRows()).toHaveLength(2);
  });

  it('never let racing refunds with their own keys exceed the capture', async () => {
    const intent = await paid();
    sandbox.configure({ latencyMs: 50 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => refund({ payment_intent: intent.id, amount: 1500 }, newKey())));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 400, 400, 400]);
    expect(refundRows().reduce((sum, row) => sum + row.amount, 0)).toBe(3000);
  });
});

describe('retrieving and listing refunds', () => {
  it('retrieves a refund in its current state, or answers 404 resource_missing', async () => {
    const created = await refund({ payment_intent: (await paid()).id, amount: 100 });
    expect((await retrieve(created.body.id)).text).toBe(created.text);
    const missing = await retrieve('re_missing');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', message: "No such refund: 're_missing'" });
  });

  it('lists refunds newest first the moment they are created (unlike search), filtered by PaymentIntent or charge', async () => {
    const [one, two] = [await paid(), await paid()];
    const first = (await refund({ payment_intent: one.id, amount: 100 })).body;
    const second = (await refund({ payment_intent: two.id, amount: 200 })).body;
    const third = (await refund({ payment_intent: one.id, amount: 300 })).body;
    const all = await list();
    expect(all.body).toEqual({ object: 'list', data: [third, second, first], has_more: false, url: '/v1/refunds' });
    expect((await list({ payment_intent: one.id })).body.data).toEqual([third, first]);
    expect((await list({ charge: two.latest_charge ?? '' })).body.data).toEqual([second]);
    const none = await paid();
    expect((await list({ payment_intent: none.id })).body).toEqual({ object: 'list', data: [], has_more: false, url: '/v1/refunds' });
  });

  it('pages with limit (default 10), starting_after and ending_before', async () => {
    const intent = await paid();
    const created: Refund[] = [];
    for (let n = 0; n < 12; n++) created.push((await refund({ payment_intent: intent.id, amount: 100 + n })).body);
    const newest = [...created].reverse().map((made) => made.id);
    const ids = (answer: Answer) => answer.body.data.map((listed) => listed.id);
    const firstPage = await list({ payment_intent: intent.id });
    expect([ids(firstPage), firstPage.body.has_more]).toEqual([newest.slice(0, 10), true]);
    const page = await list({ limit: 5, starting_after: newest[4] ?? '' });
    expect([ids(page), page.body.has_more]).toEqual([newest.slice(5, 10), true]);
    const last = await list({ limit: 5, starting_after: newest[9] ?? '' });
    expect([ids(last), last.body.has_more]).toEqual([newest.slice(10), false]);
    const back = await list({ limit: 3, ending_before: newest[5] ?? '' });
    expect([ids(back), back.body.has_more]).toEqual([newest.slice(2, 5), true]);
    const top = await list({ limit: 3, ending_before: newest[3] ?? '' });
    expect([ids(top), top.body.has_more]).toEqual([newest.slice(0, 3), false]);
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ created: 1 }, 'created'],
    [{ 'expand[0]': 'data.charge' }, 'expand'],
    [{ starting_after: 're_missing' }, 'starting_after'],
    [{ ending_before: 're_missing' }, 'ending_before'],
    [{ payment_intent: 'pi_missing' }, 'payment_intent'],
    [{ charge: 'ch_missing' }, 'charge'],
  ] as [Params, string][])('refuses the list query %j (400, param %s)', async (query, param) => {
    const answer = await list(query);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('refuses both cursors at once', async () => {
    const made = (await refund({ payment_intent: (await paid()).id, amount: 100 })).body;
    const answer = await list({ starting_after: made.id, ending_before: made.id });
    expect(answer.status).toBe(400);
  });
});

describe('routing, limits and the ledger', () => {
  it.each([
    ['POST', '/v1/refunds/re_123'],
    ['GET', '/v1/refunds/re_123/cancel'],
  ] as const)('answers 404 to %s %s, naming the refund endpoints', async (method, path) => {
    const answer = await call(method, path);
    expect(answer.status).toBe(404);
    expect(answer.body.error.message).toMatch(/^Unrecognized request URL .*\/v1\/refunds/);
  });

  it('rate-limits refund requests with the account’s other requests: 429 rate_limit, nothing runs', async () => {
    const intent = await paid();
    sandbox.configure({ rateLimitPerSecond: 2 });
    const answers = await Promise.all(Array.from({ length: 4 }, () => refund({ payment_intent: intent.id, amount: 100 })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429, 429]);
    expect(answers.find((answer) => answer.status === 429)?.body.error).toMatchObject({ code: 'rate_limit' });
    expect(refundRows()).toHaveLength(2);
  });

  it('serves capture and refund rows in the order money moved, and counts pending refunds as processing', async () => {
    const instant = await paid('pm_card_visa', { 'metadata[oncepay_charge_id]': 'ch_a' });
    const slow = await paid('pm_card_pendingRefund', { 'metadata[oncepay_charge_id]': 'ch_b' });
    const pending = (await refund({ payment_intent: slow.id })).body;
    const now = (await refund({ payment_intent: instant.id })).body;
    expect(await ledgerRead()).toEqual({
      data: [expect.objectContaining({ kind: 'capture', charge_id: 'ch_a' }), expect.objectContaining({ kind: 'capture', charge_id: 'ch_b' }), expect.objectContaining({ kind: 'refund', refund: now.id })],
      processing: 1,
    });
    await eventually(ledgerRead, (read) => read.processing === 0, { timeoutMs: 5_000, what: 'the pending refund to settle' });
    expect(sandbox.ledger().map((entry) => (entry.kind === 'refund' ? entry.refund : entry.charge_id))).toEqual(['ch_a', 'ch_b', now.id, pending.id]);
  });
});
