/**
 * Refunds on the real DynamoDB repository and DynamoDB Local, with the in-memory processor for
 * faults at exact points: the reservation under concurrency, idempotency, the worker's path
 * (lost responses, crashes, forgotten keys, pending and failing refunds), the reconciler's, and
 * the Stripe-style lists. The HTTP-level versions run on the sandbox in
 * test/integration/refunds.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbLists } from '#adapters/dynamodb-lists.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { createCharge, type CreateChargeDeps } from '#domain/create-charge.ts';
import { createRefund, type CreateRefundDeps, type CreateRefundOutcome } from '#domain/create-refund.ts';
import type { JsonValue } from '#domain/fingerprint.ts';
import { parseListQuery } from '#domain/listing.ts';
import { processCharge } from '#domain/process-charge.ts';
import { processRefund } from '#domain/process-refund.ts';
import { reconcile } from '#domain/reconcile.ts';
import { refundWorkMessageBody } from '#domain/work-message.ts';
import type { DeadLetter, DeadLetterQueue } from '#domain/ports.ts';
import { startChargesTable, type ChargesTable } from '../support/charges-table.ts';
import { CrashError, FakeProcessor } from '../support/fake-processor.ts';

const LEASE_MS = 2_000;
const STUCK_AFTER_MS = 10_000;

let table: ChargesTable;
beforeAll(async () => {
  table = await startChargesTable('refunds');
}, 60_000);
afterAll(() => table.stop());

class Letters implements DeadLetterQueue {
  readonly held: DeadLetter[] = [];
  add(refundId: string): void {
    this.held.push({ messageId: randomUUID(), body: refundWorkMessageBody(refundId), receiptHandle: randomUUID(), receiveCount: 5 });
  }
  async receive(max: number): Promise<DeadLetter[]> {
    return this.held.splice(0, max);
  }
  async delete(): Promise<void> {}
}

let merchantId: string;
let charges: DynamoDbChargeRepository;
let refunds: DynamoDbRefundRepository;
let processor: FakeProcessor;
let clock: { now: number };
let enqueued: string[];
let letters: Letters;

beforeEach(() => {
  merchantId = `mer_${randomUUID().slice(0, 8)}`;
  charges = new DynamoDbChargeRepository(table.client, table.tableName);
  refunds = new DynamoDbRefundRepository(table.client, table.tableName);
  processor = new FakeProcessor();
  clock = { now: Date.now() };
  enqueued = [];
  letters = new Letters();
});

const chargeDeps = (): CreateChargeDeps => ({
  charges,
  queue: { enqueue: async () => undefined },
  now: () => clock.now,
  idempotencyRetentionMs: 86_400_000,
  recordRetentionMs: 30 * 86_400_000,
  reEnqueueAfterMs: 1_000,
  onEnqueueFailed: () => undefined,
});

const refundDeps = (overrides: Partial<CreateRefundDeps> = {}): CreateRefundDeps => ({
  refunds,
  charges,
  queue: { enqueueRefund: async (refundId) => void enqueued.push(refundId) },
  now: () => clock.now,
  idempotencyRetentionMs: 86_400_000,
  recordRetentionMs: 30 * 86_400_000,
  reEnqueueAfterMs: 1_000,
  onEnqueueFailed: () => undefined,
  ...overrides,
});

/** A charge of `amount` that the processor captured: created, then worked to `succeeded`. */
async function succeededCharge(amount = 2500, forMerchant = merchantId): Promise<string> {
  const created = await createCharge(chargeDeps(), {
    merchantId: forMerchant,
    idempotencyKey: randomUUID(),
    body: { amount, currency: 'usd', payment_method: 'pm_card_visa' },
    requestToken: randomUUID(),
  });
  if (created.kind !== 'created') throw new Error('expected a new charge');
  const outcome = await processCharge(
    { charges, processor, now: () => clock.now, processorTimeoutMs: 100 },
    { chargeId: created.chargeId, leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS },
  );
  if (outcome.kind !== 'final' || outcome.status !== 'succeeded') throw new Error(`charge did not succeed: ${JSON.stringify(outcome)}`);
  return created.chargeId;
}

const refund = (body: JsonValue, key: string = randomUUID(), deps = refundDeps()): Promise<CreateRefundOutcome> =>
  createRefund(deps, { merchantId, idempotencyKey: key, body, requestToken: randomUUID() });

function refundIdOf(outcome: CreateRefundOutcome): string {
  if (outcome.kind !== 'created' && outcome.kind !== 'replayed') throw new Error(`expected a refund, got ${JSON.stringify(outcome)}`);
  return outcome.refundId;
}

const amountRefunded = async (chargeId: string) => (await charges.get(chargeId))?.charge.amountRefunded;

async function work(refundId: string) {
  try {
    return await processRefund(
      { refunds, processor, now: () => clock.now, processorTimeoutMs: 100 },
      { refundId, leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS },
    );
  } catch (error) {
    if (error instanceof CrashError) return 'crashed' as const;
    throw error;
  }
}

const pass = () =>
  reconcile(
    {
      charges,
      refunds,
      queue: { enqueue: async () => undefined, enqueueRefund: async (refundId) => void enqueued.push(refundId) },
      deadLetters: letters,
      processor,
      refundProcessor: processor,
      processorEvents: { source: processor, disputes: new DynamoDbDisputeRepository(table.client, table.tableName) },
      now: () => clock.now,
      stuckAfterMs: STUCK_AFTER_MS,
      reviewAfterMs: 600_000,
      maxChargesPerPass: 1000,
      maxDeadLettersPerPass: 100,
    },
    { leaseOwner: `reconciler/${randomUUID()}`, leaseDurationMs: LEASE_MS, deadline: Infinity },
  );

describe('creating a refund', () => {
  it('reserves the amount on the charge atomically: racing refunds never reserve more than was captured', async () => {
    const chargeId = await succeededCharge(2500);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => refund({ charge: chargeId, amount: 600 })));
    const created = outcomes.filter((outcome) => outcome.kind === 'created');
    expect(created).toHaveLength(4);
    expect(outcomes.filter((outcome) => outcome.kind === 'amount_too_large')).toHaveLength(6);
    expect(await amountRefunded(chargeId)).toBe(2400);
    expect(enqueued).toHaveLength(4);
  });

  it('refunds all that is left by default, and then refuses the charge as fully refunded', async () => {
    const chargeId = await succeededCharge(2500);
    refundIdOf(await refund({ charge: chargeId, amount: 1000 }));
    const rest = await refund({ charge: chargeId });
    const restBody = JSON.parse(rest.kind === 'created' ? rest.response.body : '{}') as { amount: number; status: string; object: string };
    expect(restBody).toMatchObject({ object: 'refund', amount: 1500, status: 'pending' });
    const charge = await charges.get(chargeId);
    expect(charge?.charge.amountRefunded).toBe(2500);
    expect(await refund({ charge: chargeId })).toMatchObject({ kind: 'charge_not_refundable', reason: 'it has been refunded in full already' });
    expect(await refund({ charge: chargeId, amount: 1 })).toMatchObject({ kind: 'charge_not_refundable' });
  });

  it('replays a key byte for byte even after the charge is fully refunded, and names the fields a reused key changed', async () => {
    const chargeId = await succeededCharge(2500);
    const key = randomUUID();
    const first = await refund({ charge: chargeId, amount: 2500, reason: 'requested_by_customer' }, key);
    expect(first.kind).toBe('created');
    const again = await refund({ reason: 'requested_by_customer', amount: 2500, charge: chargeId }, key);
    expect(again).toMatchObject({ kind: 'replayed', refundId: refundIdOf(first) });
    expect(again.kind === 'replayed' && first.kind === 'created' && again.response.body === first.response.body).toBe(true);
    expect(await refund({ charge: chargeId, amount: 2000, reason: 'requested_by_customer' }, key)).toEqual({
      kind: 'key_reused_with_other_body',
      differingFields: ['amount'],
    });
    expect(await amountRefunded(chargeId)).toBe(2500);
  });

  it('answers concurrent requests with one key by that key’s refund, never by a refusal, even when it took all that was left', async () => {
    const chargeId = await succeededCharge(2500);
    const key = randomUUID();
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => refund({ charge: chargeId }, key)));
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['created', 'replayed', 'replayed', 'replayed', 'replayed', 'replayed']);
    expect(new Set(outcomes.map(refundIdOf)).size).toBe(1);
    expect(await amountRefunded(chargeId)).toBe(2500);
  });

  it('keeps the charge at least as long as its refund, so a late failure always finds the charge to give the amount back to', async () => {
    const chargeId = await succeededCharge(2500);
    const before = (await charges.get(chargeId))?.purgeAt ?? 0;
    clock.now += 10 * 86_400_000;
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 100 }));
    const refundPurge = (await refunds.get(refundId))?.purgeAt ?? 0;
    expect(refundPurge).toBeGreaterThan(before);
    expect((await charges.get(chargeId))?.purgeAt).toBe(refundPurge);
  });

  it('answers another merchant’s charge like a missing one, and refuses a charge that has not succeeded or too large an amount', async () => {
    const theirs = await succeededCharge(2500, `mer_other_${randomUUID().slice(0, 6)}`);
    expect(await refund({ charge: theirs })).toEqual({ kind: 'charge_not_found', chargeId: theirs });
    expect(await amountRefunded(theirs)).toBe(0);

    const pending = await createCharge(chargeDeps(), {
      merchantId,
      idempotencyKey: randomUUID(),
      body: { amount: 900, currency: 'usd', payment_method: 'pm_card_visa' },
      requestToken: randomUUID(),
    });
    const pendingId = pending.kind === 'created' ? pending.chargeId : '';
    expect(await refund({ charge: pendingId })).toMatchObject({ kind: 'charge_not_refundable', reason: expect.stringContaining('pending') });

    const mine = await succeededCharge(2500);
    expect(await refund({ charge: mine, amount: 2501 })).toEqual({ kind: 'amount_too_large', requested: 2501, left: 2500 });
  });
});

describe('moving the money', () => {
  it('refunds once and records it; a retry of the message changes nothing', async () => {
    const chargeId = await succeededCharge(2500);
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    expect(await work(refundId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(await work(refundId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(processor.refundsFor(refundId)).toHaveLength(1);
    const stored = await refunds.get(refundId);
    expect(stored?.refund.status).toBe('succeeded');
    expect(stored?.processorRefundId).toBe(processor.refundsFor(refundId)[0]?.id);
    expect(await amountRefunded(chargeId)).toBe(700);
  });

  it('finds a refund whose create timed out in the processor’s list, after the processor forgot the key: money moves once', async () => {
    const chargeId = await succeededCharge(2500);
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    processor.failNext('refund', 'timeout-after');
    expect(await work(refundId)).toMatchObject({ kind: 'retry' });
    processor.forgetKeys();
    clock.now += LEASE_MS + 1;
    expect(await work(refundId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(processor.refundsFor(refundId)).toHaveLength(1);
  });

  it('a crash after the processor refunded leaves the refund open; the reconciler finishes it from the list, creating nothing', async () => {
    const chargeId = await succeededCharge(2500);
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    processor.failNext('refund', 'crash-after');
    expect(await work(refundId)).toBe('crashed');
    processor.forgetKeys();
    clock.now += STUCK_AFTER_MS + LEASE_MS;
    const report = await pass();
    expect(report.actions).toContainEqual(expect.objectContaining({ refundId, action: 'finalized' }));
    expect((await refunds.get(refundId))?.refund.status).toBe('succeeded');
    expect(processor.refundsFor(refundId)).toHaveLength(1);
  });

  it('a refund that never reached the processor is given back to the workers, not created by the reconciler', async () => {
    const chargeId = await succeededCharge(2500);
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    enqueued.length = 0;
    clock.now += STUCK_AFTER_MS + 1;
    const report = await pass();
    expect(report.actions).toContainEqual(expect.objectContaining({ refundId, action: 're_enqueued' }));
    expect(enqueued).toEqual([refundId]);
    expect(processor.refundsFor(refundId)).toHaveLength(0);
  });

  it('a pending refund is looked at again by id until it settles; one that fails gives its reservation back exactly once', async () => {
    const chargeId = await succeededCharge(2500);
    const paymentId = (await charges.get(chargeId))?.processorPaymentId ?? '';
    processor.refundBehaviours.set(paymentId, 'pending');
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 2500 }));
    expect(await work(refundId)).toMatchObject({ kind: 'retry' });
    expect(await amountRefunded(chargeId)).toBe(2500);
    const processorRefundId = processor.refundsFor(refundId)[0]?.id ?? '';
    expect((await refunds.get(refundId))?.processorRefundId).toBe(processorRefundId);
    processor.settleRefund(processorRefundId, 'failed');
    expect(await work(refundId)).toEqual({ kind: 'final', status: 'failed' });
    expect(await work(refundId)).toEqual({ kind: 'final', status: 'failed' });
    const stored = await refunds.get(refundId);
    expect(stored?.refund).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
    expect(await amountRefunded(chargeId)).toBe(0);
    // The released amount can be refunded again.
    expect((await refund({ charge: chargeId })).kind).toBe('created');
  });

  it('completes a failed refund once even when its write is repeated (a lost response): the charge gets its amount back once', async () => {
    const chargeId = await succeededCharge(2500);
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 1000 }));
    const lease = { owner: randomUUID(), expiresAt: clock.now + LEASE_MS };
    await refunds.claim(refundId, lease, clock.now);
    const failed = { kind: 'failed', processorRefundId: 're_x', reason: 'lost_or_stolen_card' } as const;
    expect(await refunds.complete(refundId, lease.owner, failed, clock.now)).toEqual({ kind: 'completed' });
    expect(await refunds.complete(refundId, lease.owner, failed, clock.now)).toEqual({ kind: 'completed' });
    expect(await amountRefunded(chargeId)).toBe(0);
  });

  it('the reconciler resolves a dead-lettered refund from the processor', async () => {
    const chargeId = await succeededCharge(2500);
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 300 }));
    processor.failNext('refund', 'crash-after');
    expect(await work(refundId)).toBe('crashed');
    clock.now += LEASE_MS + 1;
    letters.add(refundId);
    const report = await pass();
    expect(report.deadLetters).toMatchObject({ received: 1, deleted: 1 });
    expect((await refunds.get(refundId))?.refund.status).toBe('succeeded');
    expect(processor.refundsFor(refundId)).toHaveLength(1);
  });
});

describe('lists', () => {
  const lists = () => new DynamoDbLists(table.client, table.tableName);
  const query = (parameters: Record<string, string> = {}) =>
    parseListQuery(parameters, { idPattern: /^ch_[0-9A-Za-z]{22}$/, filter: { parameter: 'status', values: ['pending', 'processing', 'succeeded', 'failed'] }, created: true });
  const idsOf = (page: { data: Array<Record<string, unknown>> }) => page.data.map((item) => String(item['pk']).replace(/^CHARGE#/, ''));

  it('lists a merchant’s charges newest first across shards, pages both ways, and filters by status and time', async () => {
    const created: string[] = [];
    for (let i = 0; i < 13; i += 1) {
      clock.now += 1_000;
      created.push(await succeededCharge(1000 + i));
    }
    const newestFirst = [...created].reverse();
    const first = await lists().list('charges', merchantId, query({ limit: '5' }));
    expect(idsOf(first)).toEqual(newestFirst.slice(0, 5));
    expect(first.hasMore).toBe(true);
    const second = await lists().list('charges', merchantId, query({ limit: '5', starting_after: newestFirst[4] ?? '' }));
    expect(idsOf(second)).toEqual(newestFirst.slice(5, 10));
    const last = await lists().list('charges', merchantId, query({ limit: '5', starting_after: newestFirst[9] ?? '' }));
    expect(idsOf(last)).toEqual(newestFirst.slice(10));
    expect(last.hasMore).toBe(false);
    const back = await lists().list('charges', merchantId, query({ limit: '3', ending_before: newestFirst[5] ?? '' }));
    expect(idsOf(back)).toEqual(newestFirst.slice(2, 5));
    expect(back.hasMore).toBe(true);

    const all = await lists().list('charges', merchantId, query({ limit: '100' }));
    expect(all.data).toHaveLength(13);
    expect(await lists().list('charges', merchantId, query({ status: 'failed' }))).toEqual({ data: [], hasMore: false });
    const createdAt = Number(all.data[6]?.['created_at']);
    const window = await lists().list('charges', merchantId, query({ 'created[gte]': String(Math.floor(createdAt / 1000)), 'created[lte]': String(Math.floor(createdAt / 1000)) }));
    expect(idsOf(window)).toEqual(idsOf({ data: [all.data[6] ?? {}] }));
    expect(await lists().list('charges', `mer_nobody_${randomUUID().slice(0, 6)}`, query())).toEqual({ data: [], hasMore: false });
  }, 60_000);

  it('refuses a cursor that is another merchant’s object', async () => {
    const theirs = await succeededCharge(1000, `mer_other_${randomUUID().slice(0, 6)}`);
    await expect(lists().list('charges', merchantId, query({ starting_after: theirs }))).rejects.toMatchObject({ field: 'starting_after' });
  });

  it('lists a charge’s refunds newest first', async () => {
    const chargeId = await succeededCharge(2500);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      clock.now += 1_000;
      ids.push(refundIdOf(await refund({ charge: chargeId, amount: 100 })));
    }
    const page = await lists().list('refunds', merchantId, parseListQuery({}, { idPattern: /^re_/, extra: ['charge'] }), chargeId);
    expect(page.data.map((item) => item['refund_id'])).toEqual([...ids].reverse());
  });
});
