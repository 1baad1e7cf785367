import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { apiClient, expectCaptures, ledgerFor, targetSqsClient } from '../support/api-client.ts';
import { itWithSandboxTokens } from '../support/target.ts';
import { eventually } from '../support/eventually.ts';
import { STRIPE_LATENCY } from '../../scripts/processor-sandbox/sandbox.ts';

const acme = apiClient();
const visa = { amount: 2000, currency: 'usd', payment_method: 'pm_card_visa' };

describe('POST /v1/charges then GET until final', () => {
  it('creates a pending charge, answers 202 with Location, and captures it once', async () => {
    const created = await acme.createCharge({ ...visa, description: 'Order 1001', metadata: { order_id: '1001' } });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ object: 'charge', status: 'pending', amount: 2000, currency: 'usd' });
    const id = String(created.json['id']);
    expect(id).toMatch(/^ch_[0-9A-Za-z]{22}$/);
    expect(created.headers.get('location')).toBe(`/v1/charges/${id}`);

    const final = await acme.awaitFinal(id);
    expect(final.json).toMatchObject({ id, status: 'succeeded', failure_code: null, metadata: { order_id: '1001' } });
    await expectCaptures(id, 1);
  });

  // The processor's own time (a create and a confirm, up to their p99 at the sandbox's Stripe-like
  // latency: 3.3 s) plus 2 s for oncepay's queue, worker and writes.
  it('reaches succeeded within 2 s of the 202 plus the processor’s time, once the functions are warm', async () => {
    const created = await acme.createCharge(visa);
    const acceptedAt = Date.now();
    await acme.awaitFinal(String(created.json['id']));
    expect(Date.now() - acceptedAt).toBeLessThan(2_000 + STRIPE_LATENCY.createPayment.p99Ms + STRIPE_LATENCY.confirmPayment.p99Ms);
  });

  it('replays the first response byte for byte, however often, and never captures twice', async () => {
    const key = randomUUID();
    const first = await acme.createCharge(visa, { idempotencyKey: key });
    expect(first.status).toBe(202);
    const id = String(first.json['id']);
    await acme.awaitFinal(id);

    // Key order and whitespace do not change the fingerprint.
    const reordered = '{ "payment_method": "pm_card_visa",\n  "currency": "usd", "amount": 2000 }';
    for (let i = 0; i < 5; i += 1) {
      const replay = await acme.createCharge(undefined, { idempotencyKey: key, rawBody: reordered });
      expect(replay.status).toBe(202);
      expect(replay.text).toBe(first.text);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('location')).toBe(`/v1/charges/${id}`);
    }
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    await expectCaptures(id, 1);
  });

  it('records a declined card as failed with Stripe’s code and message', async () => {
    const created = await acme.createCharge({ ...visa, payment_method: 'pm_card_chargeDeclined' });
    const final = await acme.awaitFinal(String(created.json['id']));
    expect(final.json).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
      failure_message: 'Your card was declined.',
    });
    await expectCaptures(String(created.json['id']), 0);
  });

  it('records insufficient funds as a decline', async () => {
    const created = await acme.createCharge({ ...visa, payment_method: 'pm_card_chargeDeclinedInsufficientFunds' });
    const final = await acme.awaitFinal(String(created.json['id']));
    expect(final.json).toMatchObject({ status: 'failed', failure_code: 'card_declined', failure_message: 'Your card has insufficient funds.' });
  });

  itWithSandboxTokens('after a processor 500 (which the processor keeps for the key a day), retrieves and confirms under a new key, capturing once', async () => {
    const created = await acme.createCharge({ ...visa, payment_method: 'pm_sandbox_error500BeforeCaptureOnce' });
    const id = String(created.json['id']);
    const final = await acme.awaitFinal(id, 15_000);
    expect(final.json['status']).toBe('succeeded');
    const captures = await ledgerFor(id);
    expect(captures).toHaveLength(1);
    expect(captures[0]?.idempotency_key).toMatch(new RegExp(`^oncepay_${id}_confirm_\\d+$`));
  });

  itWithSandboxTokens('after a create answered 500 (kept for its key), creates under the next key and captures once', async () => {
    const created = await acme.createCharge({ ...visa, payment_method: 'pm_sandbox_error500OnCreateOnce' });
    const id = String(created.json['id']);
    expect((await acme.awaitFinal(id, 15_000)).json['status']).toBe('succeeded');
    await expectCaptures(id, 1);
  });

  itWithSandboxTokens('resolves a processor timeout after capture to succeeded with exactly one capture', async () => {
    const created = await acme.createCharge({ ...visa, payment_method: 'pm_sandbox_timeoutAfterCaptureOnce' });
    const id = String(created.json['id']);
    const final = await acme.awaitFinal(id, 15_000);
    expect(final.json['status']).toBe('succeeded');
    await expectCaptures(id, 1);
  });

  it('fails an unknown payment method terminally with the processor’s code', async () => {
    const created = await acme.createCharge({ ...visa, payment_method: 'pm_card_doesNotExist' });
    const final = await acme.awaitFinal(String(created.json['id']));
    expect(final.json).toMatchObject({ status: 'failed', failure_code: 'resource_missing' });
  });
});

describe('GET /v1/charges/{id}', () => {
  it('answers 404 problem+json for an unknown id and for a malformed one', async () => {
    for (const id of ['ch_0000000000000000000000', 'nope']) {
      const result = await acme.getCharge(id);
      expect(result.status).toBe(404);
      expect(result.headers.get('content-type')).toBe('application/problem+json');
      expect(result.json['type']).toBe('https://oncepay.dev/problems/not-found');
    }
  });
});

describe('the work queue', () => {
  const sqs = targetSqsClient();
  afterAll(() => sqs.destroy());

  it('moves a poison message to the dead-letter queue through the redrive policy', async () => {
    const marker = `poison-${randomUUID()}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: inject('outputs')['WorkQueueUrl'], MessageBody: marker }));
    const dlqUrl = inject('outputs')['DeadLetterQueueUrl'];
    const found = await eventually(
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
        );
        return Messages.filter((message) => message.Body === marker);
      },
      (messages) => messages.length === 1,
      { timeoutMs: 20_000, what: 'the poison message in the DLQ' },
    );
    expect(found[0]?.Body).toBe(marker);
  });
});
