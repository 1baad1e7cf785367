/**
 * What the processor sandbox does on Stripe's behalf, over HTTP: idempotency keys that keep a
 * 500 (Stripe v1 saves every answer of an endpoint that began), the Events API and signed
 * webhooks, disputes, and refunds that fail after they succeeded. Every body is validated
 * against Stripe's own schemas (`event` with its object, `dispute`, the list shapes, `error`);
 * each signed delivery is verified with the official SDK. Each test gets a fresh sandbox.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StripeEvent } from '../../scripts/processor-sandbox/events.ts';
import { INSTANT_LATENCY, merchantShare, startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';
import { eventually } from '../support/eventually.ts';
import { stripeFixtures, stripeValidator } from '../support/stripe-schemas.ts';

type Params = Record<string, string | number | boolean>;
type Body = Record<string, unknown> & { error?: { code?: string; type?: string; message?: string }; data?: Array<Record<string, unknown>>; has_more?: boolean };

interface Answer {
  status: number;
  headers: Headers;
  body: Body;
}

const validator = stripeValidator();
const SECRET = 'whsec_sandbox_events_test';
const PAYMENT: Params = { amount: 4200, currency: 'usd', 'automatic_payment_methods[enabled]': true, 'automatic_payment_methods[allow_redirects]': 'never' };
const stripe = new Stripe('sk_test_unused', { telemetry: false });

let sandbox: ProcessorSandbox;
beforeEach(async () => {
  sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, processingMs: 200, rateLimitPerSecond: 0, disputeAfterMs: 150, refundFailAfterMs: 150, disputeCloseMs: 300, webhookRetryMs: 50 });
});
afterEach(() => sandbox.stop());

async function call(method: 'GET' | 'POST', path: string, params: Params = {}, key?: string): Promise<Answer> {
  const form = new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, String(value)]));
  const response = await fetch(method === 'GET' ? `${sandbox.url}${path}?${form}` : `${sandbox.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${sandbox.secretKey}`, ...(key ? { 'Idempotency-Key': key } : {}) },
    body: method === 'POST' ? form : undefined,
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as Body;
  const errors =
    response.status !== 200
      ? validator.validateError(body)
      : path === '/v1/events'
        ? validator.validateEventList(body)
        : path.startsWith('/v1/events/')
          ? validator.validateEvent(body)
          : path === '/v1/disputes'
            ? validator.validateDisputeList(body)
            : path.startsWith('/v1/disputes/')
              ? validator.validateDispute(body)
              : path.startsWith('/v1/refunds')
                ? validator.validateRefund(body)
                : validator.validatePaymentIntent(body);
  expect(errors, `${method} ${path} answered ${response.status} ${JSON.stringify(body)}`).toEqual([]);
  return { status: response.status, headers: response.headers, body };
}

const control = async (path: string, body?: unknown) =>
  (await (await fetch(`${sandbox.url}/_sandbox/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, unknown>;
const key = () => `key_${randomUUID()}`;

/** A PaymentIntent paid with `paymentMethod` (created unconfirmed, then confirmed, as oncepay does). */
async function paid(paymentMethod: string, chargeId = `ch_${randomUUID()}`): Promise<Record<string, unknown>> {
  const created = await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: paymentMethod, 'metadata[oncepay_charge_id]': chargeId }, key());
  const confirmed = await call('POST', `/v1/payment_intents/${String(created.body['id'])}/confirm`, {}, key());
  expect(confirmed.body['status']).toBe('succeeded');
  return confirmed.body;
}

async function eventsOf(objectId: string): Promise<StripeEvent[]> {
  const page = await call('GET', '/v1/events', { limit: 100 });
  return (page.body.data as unknown as StripeEvent[]).filter((event) => event.data.object['id'] === objectId).reverse();
}

/** An endpoint that records each delivery (verified with the SDK) and answers with `statuses` in turn, then 200. */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Array<{ event: StripeEvent; header: string }>; close(): Promise<void> }> {
  const received: Array<{ event: StripeEvent; header: string }> = [];
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = String(request.headers['stripe-signature']);
    const event = stripe.webhooks.constructEvent(raw, header, SECRET) as unknown as StripeEvent;
    received.push({ event, header });
    response.writeHead(statuses.shift() ?? 200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('Stripe’s schemas, the yardstick', () => {
  it('accept Stripe’s dispute fixture, and an event carrying Stripe’s own PaymentIntent; refuse an event whose payload is no known object', () => {
    const { dispute, event, payment_intent } = stripeFixtures();
    expect(validator.validateDispute(dispute)).toEqual([]);
    expect(validator.validateEvent({ ...event, data: { object: payment_intent } })).toEqual([]);
    expect(validator.validateEvent(event).join()).toMatch(/plan/);
    expect(validator.validateDispute({ ...dispute, status: 'open' }).length).toBeGreaterThan(0);
  });
});

describe('idempotency keys keep what the endpoint answered once it began', () => {
  it('a confirm answered 500 answers the same 500 to its key, replayed, for as long as the key is kept; another key confirms, once', async () => {
    const created = await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: 'pm_sandbox_error500BeforeCaptureOnce' }, key());
    const id = String(created.body['id']);
    const confirmKey = key();
    const first = await call('POST', `/v1/payment_intents/${id}/confirm`, {}, confirmKey);
    expect(first.status).toBe(500);
    const again = await call('POST', `/v1/payment_intents/${id}/confirm`, {}, confirmKey);
    expect(again.status).toBe(500);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await call('GET', `/v1/payment_intents/${id}`)).body['status']).toBe('requires_confirmation');

    const second = await call('POST', `/v1/payment_intents/${id}/confirm`, {}, key());
    expect(second.body['status']).toBe('succeeded');
    // Stripe's state machine, not a key, forbids a second capture.
    const third = await call('POST', `/v1/payment_intents/${id}/confirm`, {}, key());
    expect(third.status).toBe(400);
    expect(third.body.error?.code).toBe('payment_intent_unexpected_state');
    expect(sandbox.ledger().filter((entry) => entry.kind === 'capture')).toHaveLength(1);
  });

  it('a create answered 500 keeps its 500 for the key and creates nothing; a new key creates the payment', async () => {
    const chargeId = `ch_${randomUUID()}`;
    const params = { ...PAYMENT, payment_method: 'pm_sandbox_error500OnCreateOnce', 'metadata[oncepay_charge_id]': chargeId };
    const createKey = key();
    expect((await call('POST', '/v1/payment_intents', params, createKey)).status).toBe(500);
    const replay = await call('POST', '/v1/payment_intents', params, createKey);
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([500, 'true']);
    const created = await call('POST', '/v1/payment_intents', params, key());
    expect(created.body['status']).toBe('requires_confirmation');
  });

  it('a refund answered 500 keeps its 500 for the key; a new key refunds', async () => {
    const intent = await paid('pm_sandbox_refundError500Once');
    const refundKey = key();
    expect((await call('POST', '/v1/refunds', { payment_intent: String(intent['id']) }, refundKey)).status).toBe(500);
    expect((await call('POST', '/v1/refunds', { payment_intent: String(intent['id']) }, refundKey)).status).toBe(500);
    expect((await call('POST', '/v1/refunds', { payment_intent: String(intent['id']) }, key())).body['status']).toBe('succeeded');
  });

  it('a refusal about the object’s state is kept; a parameter refusal and a 429 are not (the endpoint never began)', async () => {
    const intent = await paid('pm_card_visa');
    const stateKey = key();
    const refusal = await call('POST', `/v1/payment_intents/${String(intent['id'])}/confirm`, {}, stateKey);
    expect(refusal.body.error?.code).toBe('payment_intent_unexpected_state');
    expect((await call('POST', `/v1/payment_intents/${String(intent['id'])}/confirm`, {}, stateKey)).headers.get('idempotent-replayed')).toBe('true');

    const paramKey = key();
    expect((await call('POST', '/v1/payment_intents', { ...PAYMENT, amount: 10 }, paramKey)).status).toBe(400);
    const fixed = await call('POST', '/v1/payment_intents', PAYMENT, paramKey);
    expect([fixed.status, fixed.headers.get('idempotent-replayed')]).toEqual([200, null]);
    const lockKey = key();
    const locked = await call('POST', '/v1/payment_intents', { ...PAYMENT, payment_method: 'pm_sandbox_lockTimeoutOnce' }, key());
    const lockConfirm = await call('POST', `/v1/payment_intents/${String(locked.body['id'])}/confirm`, {}, lockKey);
    expect(lockConfirm.status).toBe(429);
    expect((await call('POST', `/v1/payment_intents/${String(locked.body['id'])}/confirm`, {}, lockKey)).body['status']).toBe('succeeded');
  });
});

describe('the Events API', () => {
  it('lists each change newest first with the object as it was, filtered by types, a * group and created; retrieves one; pages with cursors', async () => {
    const intent = await paid('pm_card_visa');
    const events = await eventsOf(String(intent['id']));
    expect(events.map((event) => event.type)).toEqual(['payment_intent.created', 'payment_intent.succeeded']);
    expect(events[0]?.data.object['status']).toBe('requires_confirmation');
    expect(events[1]?.request.idempotency_key).not.toBeNull();

    const succeeded = await call('GET', '/v1/events', { 'types[0]': 'payment_intent.succeeded', 'types[1]': 'refund.failed' });
    expect(succeeded.body.data?.map((event) => event['type'])).toEqual(['payment_intent.succeeded']);
    const group = await call('GET', '/v1/events', { type: 'payment_intent.*' });
    expect(group.body.data).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    expect((await call('GET', '/v1/events', { 'created[gte]': now + 60 })).body.data).toEqual([]);
    const first = await call('GET', '/v1/events', { limit: 1 });
    expect(first.body.has_more).toBe(true);
    const next = await call('GET', '/v1/events', { limit: 1, starting_after: String(first.body.data?.[0]?.['id']) });
    expect(next.body.data?.[0]?.['type']).toBe('payment_intent.created');
    expect((await call('GET', `/v1/events/${String(first.body.data?.[0]?.['id'])}`)).body['type']).toBe('payment_intent.succeeded');
  });

  it('refuses type with types, more than 20 types, an unknown parameter and an unknown event', async () => {
    expect((await call('GET', '/v1/events', { type: 'a', 'types[0]': 'b' })).status).toBe(400);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`types[${index}]`, `t${index}`]));
    expect((await call('GET', '/v1/events', many)).status).toBe(400);
    expect((await call('GET', '/v1/events', { delivery_success: 'false' })).body.error?.code).toBe('parameter_unknown');
    expect((await call('GET', '/v1/events/evt_nothing')).status).toBe(404);
  });
});

describe('webhooks', () => {
  it('sends every event signed as Stripe signs it (the SDK verifies it), retrying a failing endpoint until it answers 2xx', async () => {
    const endpoint = await receiver([500, 503]);
    try {
      sandbox.setWebhookTarget({ url: endpoint.url, secret: SECRET });
      const intent = await paid('pm_card_visa');
      await eventually(async () => endpoint.received.filter(({ event }) => event.type === 'payment_intent.succeeded').length, (count) => count >= 1);
      const created = endpoint.received.filter(({ event }) => event.type === 'payment_intent.created');
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(endpoint.received.every(({ event }) => event.data.object['id'] === intent['id'])).toBe(true);
      expect(endpoint.received.every(({ event }) => validator.validateEvent(event).length === 0)).toBe(true);
      expect(endpoint.received[0]?.header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const deliveries = (await control('webhook_deliveries')) as { data: Array<{ status: number | null }> };
      expect(deliveries.data.map((delivery) => delivery.status).slice(0, 2)).toEqual([500, 503]);
    } finally {
      await endpoint.close();
    }
  });

  it('loses, duplicates and delays deliveries as fault rules say, by type and object', async () => {
    const endpoint = await receiver();
    try {
      sandbox.setWebhookTarget({ url: endpoint.url, secret: SECRET });
      await control('webhook_faults', {
        rules: [
          { type: 'payment_intent.created', action: 'lose', times: 1 },
          { type: 'payment_intent.succeeded', action: 'delay', delayMs: 300, times: 1 },
          { type: 'refund.created', action: 'duplicate', times: 1 },
        ],
      });
      const intent = await paid('pm_card_visa');
      await call('POST', '/v1/refunds', { payment_intent: String(intent['id']) }, key());
      const types = async () => endpoint.received.map(({ event }) => event.type);
      const seen = await eventually(types, (got) => got.includes('payment_intent.succeeded'));
      expect(seen.filter((type) => type === 'refund.created')).toHaveLength(2);
      expect(seen).not.toContain('payment_intent.created');
      // Delayed past the refund's events: it arrives after them, out of order.
      expect(seen.indexOf('payment_intent.succeeded')).toBeGreaterThan(seen.indexOf('refund.created'));
    } finally {
      await endpoint.close();
    }
  });
});

describe('disputes', () => {
  it('pm_card_createDispute: the payment succeeds, then a chargeback opens: funds withdrawn, refunds refused, events; closed as lost, nothing comes back', async () => {
    const intent = await paid('pm_card_createDispute');
    const id = String(intent['id']);
    expect((await control('ledger'))['processing']).toBe(1);
    const list = await eventually(() => call('GET', '/v1/disputes', { payment_intent: id }), (answer) => (answer.body.data?.length ?? 0) === 1);
    const dispute = list.body.data?.[0] ?? {};
    expect(dispute).toMatchObject({ status: 'needs_response', reason: 'fraudulent', amount: 4200, is_charge_refundable: false, payment_intent: id, charge: intent['latest_charge'] });
    expect((await call('GET', '/v1/disputes', { charge: String(intent['latest_charge']) })).body.data).toHaveLength(1);

    const refused = await call('POST', '/v1/refunds', { payment_intent: id }, key());
    expect([refused.status, refused.body.error?.code]).toEqual([400, 'charge_disputed']);
    const closed = (await control(`disputes/${String(dispute['id'])}/close`, { status: 'lost' })) as Record<string, unknown>;
    expect(closed['status']).toBe('lost');
    expect((await eventsOf(String(dispute['id']))).map((event) => event.type)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.closed',
    ]);
    expect(sandbox.ledger().reduce((sum, entry) => sum + merchantShare(entry), 0)).toBe(0);
  });

  it('a dispute the sandbox closes as won goes under review, then gives the amount back', async () => {
    const intent = await paid('pm_sandbox_disputeThenWon');
    const dispute = await eventually(
      async () => (await call('GET', '/v1/disputes', { payment_intent: String(intent['id']) })).body.data?.[0],
      (found) => found?.['status'] === 'won',
    );
    expect((await eventsOf(String(dispute?.['id']))).map((event) => event.type)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
    ]);
    expect(sandbox.ledger().map((entry) => entry.kind)).toEqual(['capture', 'dispute_withdrawal', 'dispute_reinstatement']);
    expect(sandbox.ledger().reduce((sum, entry) => sum + merchantShare(entry), 0)).toBe(4200);
    expect((await control('ledger'))['processing']).toBe(0);
  });

  it('an inquiry withdraws nothing and the payment stays refundable; a chargeback fails the payment’s pending refund', async () => {
    const inquired = await paid('pm_card_createDisputeInquiry');
    const inquiry = await eventually(async () => (await call('GET', '/v1/disputes', { payment_intent: String(inquired['id']) })).body.data?.[0], Boolean);
    expect(inquiry).toMatchObject({ status: 'warning_needs_response', is_charge_refundable: true, balance_transactions: [] });
    expect((await call('POST', '/v1/refunds', { payment_intent: String(inquired['id']), amount: 100 }, key())).body['status']).toBe('succeeded');

    const refundedFirst = await paid('pm_card_createDispute');
    expect((await call('POST', '/v1/refunds', { payment_intent: String(refundedFirst['id']), amount: 1000 }, key())).body['status']).toBe('succeeded');
    const partial = await eventually(async () => (await call('GET', '/v1/disputes', { payment_intent: String(refundedFirst['id']) })).body.data ?? [], (found) => found.length === 1);
    // What was refunded already is not disputed.
    expect(partial[0]?.['amount']).toBe(3200);

    sandbox.configure({ processingMs: 5_000 });
    const intent = await paid('pm_sandbox_disputeDuringPendingRefund');
    const pending = await call('POST', '/v1/refunds', { payment_intent: String(intent['id']), amount: 1000 }, key());
    expect(pending.body['status']).toBe('pending');
    const failed = await eventually(() => call('GET', `/v1/refunds/${String(pending.body['id'])}`), (answer) => answer.body['status'] === 'failed');
    expect(failed.body['failure_reason']).toBe('charge_for_pending_refund_disputed');
    expect(sandbox.ledger().filter((entry) => entry.kind === 'refund' && entry.payment_intent === intent['id'])).toEqual([]);
  });
});

describe('refunds Stripe changes later', () => {
  it('pm_card_refundFail: the refund succeeds, then fails with expired_or_canceled_card; the money comes back and the amount is refundable again', async () => {
    const intent = await paid('pm_card_refundFail');
    const refund = await call('POST', '/v1/refunds', { payment_intent: String(intent['id']), amount: 1500 }, key());
    expect(refund.body['status']).toBe('succeeded');
    const failed = await eventually(() => call('GET', `/v1/refunds/${String(refund.body['id'])}`), (answer) => answer.body['status'] === 'failed');
    expect(failed.body['failure_reason']).toBe('expired_or_canceled_card');
    const types = (await eventsOf(String(refund.body['id']))).map((event) => event.type);
    expect(types).toEqual(['refund.created', 'refund.updated', 'charge.refund.updated', 'refund.failed']);
    const updated = (await eventsOf(String(refund.body['id']))).find((event) => event.type === 'refund.updated');
    expect(updated?.data.previous_attributes).toEqual({ status: 'succeeded' });
    expect(sandbox.ledger().map((entry) => entry.kind)).toEqual(['capture', 'refund', 'refund_failure']);
    expect(sandbox.ledger().reduce((sum, entry) => sum + merchantShare(entry), 0)).toBe(4200);
    expect((await call('POST', '/v1/refunds', { payment_intent: String(intent['id']) }, key())).body['amount']).toBe(4200);
  });

  it('pm_card_pendingRefund: pending, then succeeded, with refund.updated', async () => {
    const intent = await paid('pm_card_pendingRefund');
    const refund = await call('POST', '/v1/refunds', { payment_intent: String(intent['id']) }, key());
    expect(refund.body['status']).toBe('pending');
    await eventually(() => call('GET', `/v1/refunds/${String(refund.body['id'])}`), (answer) => answer.body['status'] === 'succeeded');
    expect((await eventsOf(String(refund.body['id']))).map((event) => event.type)).toEqual(['refund.created', 'refund.updated', 'charge.refund.updated']);
  });
});
