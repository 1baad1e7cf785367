/**
 * Webhooks end to end on the local stack: the charges table's stream → the events function →
 * the deliveries queue → the delivery function → a receiver on 127.0.0.1 (the example receiver
 * of scripts/webhook-receiver.ts, which verifies the signature and deduplicates by event id).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startWebhookReceiver, verifySignature, type ReceivedEvent } from '../../scripts/webhook-receiver.ts';
import { apiClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';

const acme = apiClient();
const globex = apiClient(inject('demoKeys').globex);
const created: Array<{ client: ReturnType<typeof apiClient>; id: string }> = [];
const receivers: Array<{ stop(): Promise<void> }> = [];

afterAll(async () => {
  for (const { client, id } of created) await client.deleteWebhookEndpoint(id);
  await Promise.all(receivers.map((receiver) => receiver.stop()));
});

async function register(client: ReturnType<typeof apiClient>, url: string, enabledEvents: string[] = ['*']) {
  const answer = await client.createWebhookEndpoint({ url, enabled_events: enabledEvents });
  expect(answer.status).toBe(201);
  const id = String(answer.json['id']);
  created.push({ client, id });
  return { id, secret: String(answer.json['secret']), json: answer.json };
}

describe('webhook endpoints', () => {
  it('registers an endpoint (201, the secret once), lists it without the secret, and deletes it', async () => {
    const { id, secret, json } = await register(acme, 'http://127.0.0.1:9/webhooks', ['charge.succeeded', 'charge.succeeded', 'refund.failed']);
    expect(json).toMatchObject({ object: 'webhook_endpoint', url: 'http://127.0.0.1:9/webhooks', enabled_events: ['charge.succeeded', 'refund.failed'], status: 'enabled' });
    expect(id).toMatch(/^we_[0-9A-Za-z]{24}$/);
    expect(secret).toMatch(/^whsec_/);
    const listed = await acme.listWebhookEndpoints();
    const mine = (listed.json['data'] as Array<Record<string, unknown>>).find((endpoint) => endpoint['id'] === id);
    expect(mine).toMatchObject({ id, status: 'enabled' });
    expect(mine).not.toHaveProperty('secret');
    expect((await globex.deleteWebhookEndpoint(id)).status).toBe(404);
    expect((await acme.deleteWebhookEndpoint(id)).json).toEqual({ id, object: 'webhook_endpoint', deleted: true });
    expect((await acme.deleteWebhookEndpoint(id)).status).toBe(404);
  });

  it.each([
    ['http://example.com/hook', 'must be https (or http://127.0.0.1:<port> on the local stage)'],
    ['https://10.0.0.7/hook', 'must not point to a private, loopback or link-local address'],
    ['https://169.254.169.254/latest/meta-data', 'must not point to a private, loopback or link-local address'],
    ['https://[::1]/hook', 'must not point to a private, loopback or link-local address'],
    ['https://localhost/hook', 'must not point to a private, loopback or link-local address'],
    ['https://user:pass@example.com/hook', 'must not carry credentials'],
    ['not a url', 'must be an absolute URL'],
  ])('refuses %s: %s', async (url, message) => {
    const answer = await acme.createWebhookEndpoint({ url, enabled_events: ['*'] });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errors: [{ field: 'url', message }] });
  });

  it('refuses unknown event types by name', async () => {
    const answer = await acme.createWebhookEndpoint({ url: 'http://127.0.0.1:9/x', enabled_events: ['charge.captured'] });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ errors: [{ field: 'enabled_events.0' }] });
  });
});

describe('delivery', () => {
  it('delivers a signed charge.succeeded, then refund.succeeded, each with one event id, never another merchant’s', async () => {
    let secret = '';
    const events: ReceivedEvent[] = [];
    const live = await startWebhookReceiver({ secret: () => secret, onEvent: (event) => void events.push(event) });
    receivers.push(live);
    secret = (await register(acme, live.url)).secret;

    const theirs = await globex.createCharge({ amount: 700, currency: 'usd', payment_method: 'pm_card_visa' });
    const charge = await acme.createCharge({ amount: 1500, currency: 'usd', payment_method: 'pm_card_visa' });
    const chargeId = String(charge.json['id']);
    const ofCharge = () => events.filter((event) => event.data.object['id'] === chargeId);
    await eventually(async () => ofCharge(), (found) => found.length === 1, { timeoutMs: 15_000, what: 'charge.succeeded at the receiver' });
    expect(ofCharge()[0]).toMatchObject({
      id: expect.stringMatching(/^evt_[0-9A-Za-z]{22}$/),
      object: 'event',
      type: 'charge.succeeded',
      created: expect.any(Number),
      data: { object: { id: chargeId, object: 'charge', status: 'succeeded', amount: 1500 } },
    });

    const refund = await acme.createRefund({ charge: chargeId, amount: 500 });
    const refundId = String(refund.json['id']);
    const ofRefund = () => events.filter((event) => event.data.object['id'] === refundId);
    await eventually(async () => ofRefund(), (found) => found.length === 1, { timeoutMs: 15_000, what: 'refund.succeeded at the receiver' });
    expect(ofRefund()[0]).toMatchObject({ type: 'refund.succeeded', data: { object: { id: refundId, object: 'refund', charge: chargeId, amount: 500 } } });
    await globex.awaitFinal(String(theirs.json['id']));
    expect(events.some((event) => event.data.object['id'] === theirs.json['id'])).toBe(false);

    // The merchant can read its events and their delivery attempts; another merchant cannot.
    const eventId = String(ofCharge()[0]?.id);
    const read = await eventually(() => acme.getEvent(eventId), (answer) => (answer.json['delivery_attempts'] as unknown[] | undefined)?.length === 1, {
      timeoutMs: 5_000,
      what: 'the recorded attempt',
    });
    expect(read.json).toMatchObject({ id: eventId, type: 'charge.succeeded', delivery_attempts: [{ status_code: 200, duration_ms: expect.any(Number), created: expect.any(Number) }] });
    expect((await globex.getEvent(eventId)).status).toBe(404);
    const listed = await acme.list('events', { type: 'refund.succeeded', limit: '100' });
    expect((listed.json['data'] as Array<{ type: string; data: { object: { id: string } } }>).some((event) => event.data.object.id === refundId)).toBe(true);
    expect((listed.json['data'] as Array<{ type: string }>).every((event) => event.type === 'refund.succeeded')).toBe(true);
    expect((await acme.list('events', { type: 'charge.captured' })).status).toBe(400);
  });

  it('retries a failing receiver with the same event id, the first retry within 10 s', async () => {
    const attempts: Array<{ at: number; eventId: string; verified: boolean }> = [];
    let secret = '';
    const failing = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const event = JSON.parse(body) as ReceivedEvent;
        attempts.push({ at: Date.now(), eventId: event.id, verified: await verifySignature(request.headers['oncepay-signature'] as string, body, secret) });
        response.writeHead(attempts.length <= 2 ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    receivers.push({ stop: () => new Promise<void>((resolve) => failing.close(() => resolve())) });
    const registered = await register(globex, `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hook`, ['charge.failed']);
    secret = registered.secret;

    const charge = await globex.createCharge({ amount: 900, currency: 'usd', payment_method: 'pm_card_chargeDeclined' });
    await eventually(async () => attempts.length, (count) => count >= 3, { timeoutMs: 30_000, what: 'three delivery attempts' });
    expect(new Set(attempts.map((attempt) => attempt.eventId)).size).toBe(1);
    expect(attempts.every((attempt) => attempt.verified)).toBe(true);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeLessThan(10_000);
    expect(charge.status).toBe(202);
  }, 45_000);
});

/** A receiver that records each delivery's body and Oncepay-Signature, answering 200. */
async function recordingReceiver() {
  const deliveries: Array<{ body: string; signature: string; event: ReceivedEvent }> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      deliveries.push({ body, signature: String(request.headers['oncepay-signature']), event: JSON.parse(body) as ReceivedEvent });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receivers.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, deliveries };
}

/** The endpoint's item as the webhooks table holds it, and that roll's idempotency record. */
async function storedItems(endpointId: string, rollKeys: string[]): Promise<string> {
  const dynamodb = new DynamoDBClient({ region: inject('region'), endpoint: inject('endpoints').dynamodb, credentials: inject('credentials') });
  const merchantId = 'mer_acme';
  const keys = [`ENDPOINT#${endpointId}`, ...rollKeys.map((key) => `SECRET_ROLL#${merchantId}#${key}`)];
  const items = await Promise.all(
    keys.map(async (pk) => (await dynamodb.send(new GetItemCommand({ TableName: inject('outputs')['WebhooksTableName'], Key: { pk: { S: pk } }, ConsistentRead: true }))).Item),
  );
  dynamodb.destroy();
  expect(items.every((item) => item !== undefined)).toBe(true);
  return JSON.stringify(items);
}

describe('rolling an endpoint’s signing secret', () => {
  it('signs with both secrets while the overlap lasts, with the new one only after, and keeps no secret in the clear', async () => {
    const receiver = await recordingReceiver();
    const { id, secret: first } = await register(acme, receiver.url, ['charge.succeeded']);
    expect(await storedItems(id, [])).not.toContain(first);

    const rollKey = randomUUID();
    const rolled = await acme.rollWebhookSecret(id, { expires_in: 600 }, rollKey);
    expect(rolled.status).toBe(200);
    expect(rolled.json).toMatchObject({ id, object: 'webhook_endpoint', status: 'enabled', secret: expect.stringMatching(/^whsec_/) });
    const second = String(rolled.json['secret']);
    expect(second).not.toBe(first);
    // A retry is a replay, the same secret included; the same key for another overlap is a 422 naming it.
    const replayed = await acme.rollWebhookSecret(id, { expires_in: 600 }, rollKey);
    expect(replayed.status).toBe(200);
    expect(replayed.text).toBe(rolled.text);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const reused = await acme.rollWebhookSecret(id, { expires_in: 60 }, rollKey);
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ differing_fields: ['body.expires_in'] });
    const stored = await storedItems(id, [rollKey]);
    expect(stored).not.toContain(first);
    expect(stored).not.toContain(second);

    const delivered = async (chargeId: string) =>
      (await eventually(async () => receiver.deliveries.filter((delivery) => delivery.event.data.object['id'] === chargeId), (found) => found.length > 0, {
        timeoutMs: 15_000,
        what: `charge.succeeded of ${chargeId}`,
      }))[0]!;
    const during = await delivered(String((await acme.createCharge({ amount: 1200, currency: 'usd', payment_method: 'pm_card_visa' })).json['id']));
    expect(during.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of [first, second]) expect(await verifySignature(during.signature, during.body, secret)).toBe(true);

    // Rolled again during the overlap, for one second: the first secret stops at once, the second after that second.
    const third = String((await acme.rollWebhookSecret(id, { expires_in: 1 })).json['secret']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await delivered(String((await acme.createCharge({ amount: 1300, currency: 'usd', payment_method: 'pm_card_visa' })).json['id']));
    expect(after.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifySignature(after.signature, after.body, third)).toBe(true);
    expect(await verifySignature(after.signature, after.body, second)).toBe(false);
    expect(await verifySignature(after.signature, after.body, first)).toBe(false);
  }, 45_000);

  it('refuses a bad expires_in, a missing Idempotency-Key and another merchant’s endpoint, and rolls at once by default', async () => {
    const { id, secret } = await register(acme, 'http://127.0.0.1:9/hook', ['charge.failed']);
    for (const expiresIn of [604_801, -1, 1.5, '60']) {
      const refused = await acme.rollWebhookSecret(id, { expires_in: expiresIn });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.json).toMatchObject({ errors: [{ field: 'expires_in' }] });
    }
    const keyless = await acme.rollWebhookSecret(id, {}, null);
    expect(keyless.status).toBe(400);
    expect(keyless.json).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    expect((await globex.rollWebhookSecret(id, {})).status).toBe(404);
    expect((await acme.rollWebhookSecret('we_0000000000000000000000', {})).status).toBe(404);
    const rolled = await acme.rollWebhookSecret(id, undefined);
    expect(rolled.status).toBe(200);
    expect(rolled.json['secret']).not.toBe(secret);
  });
});

describe('Prefer: wait', () => {
  it('answers a charge read as soon as the charge is final, saying the preference was applied', async () => {
    const created = await acme.createCharge({ amount: 800, currency: 'usd', payment_method: 'pm_sandbox_processingThenSucceeds' });
    const id = String(created.json['id']);
    const started = Date.now();
    const read = await acme.getCharge(id, { Prefer: 'wait=10' });
    expect(read.json['status']).toBe('succeeded');
    expect(read.headers.get('preference-applied')).toBe('wait=10');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('caps the wait at 20 s, ignores a malformed preference, and applies to refunds', async () => {
    const created = await acme.createCharge({ amount: 800, currency: 'usd', payment_method: 'pm_card_visa' });
    const id = String(created.json['id']);
    expect((await acme.getCharge(id, { Prefer: 'wait=600' })).headers.get('preference-applied')).toBe('wait=20');
    expect((await acme.getCharge(id, { Prefer: 'wait=soon' })).headers.get('preference-applied')).toBeNull();
    const refund = await acme.createRefund({ charge: id });
    const read = await acme.getRefund(String(refund.json['id']), { Prefer: 'respond-async, wait=5' });
    expect(read.json['status']).toBe('succeeded');
    expect(read.headers.get('preference-applied')).toBe('wait=5');
  });
});
