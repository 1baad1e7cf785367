/**
 * The holes a review of the money path proved, each pinned on the real DynamoDB repositories and
 * DynamoDB Local, with the in-memory processor (which keeps a 500 for its key, as Stripe does):
 * kept 500s on confirm, create and refund; refusals oncepay cannot read; the database bounding
 * the first refund; open items never purged by TTL.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { createCharge } from '#domain/create-charge.ts';
import { createRefund, type CreateRefundOutcome } from '#domain/create-refund.ts';
import type { JsonValue } from '#domain/fingerprint.ts';
import { processCharge } from '#domain/process-charge.ts';
import { processRefund } from '#domain/process-refund.ts';
import { reconcile } from '#domain/reconcile.ts';
import { settleRefundReview, SettlementRefusedError } from '#domain/settle-review.ts';
import { startChargesTable, type ChargesTable } from '../support/charges-table.ts';
import { FakeProcessor } from '../support/fake-processor.ts';

const LEASE_MS = 2_000;

let table: ChargesTable;
beforeAll(async () => {
  table = await startChargesTable('money-path-holes');
}, 60_000);
afterAll(() => table.stop());

let merchantId: string;
let charges: DynamoDbChargeRepository;
let refunds: DynamoDbRefundRepository;
let processor: FakeProcessor;
let clock: { now: number };
let enqueued: string[];

beforeEach(() => {
  merchantId = `mer_${randomUUID().slice(0, 8)}`;
  charges = new DynamoDbChargeRepository(table.client, table.tableName);
  refunds = new DynamoDbRefundRepository(table.client, table.tableName);
  processor = new FakeProcessor();
  clock = { now: Date.now() };
  enqueued = [];
});

async function newCharge(amount = 2500): Promise<string> {
  const created = await createCharge(
    {
      charges,
      queue: { enqueue: async () => undefined },
      now: () => clock.now,
      idempotencyRetentionMs: 86_400_000,
      recordRetentionMs: 30 * 86_400_000,
      reEnqueueAfterMs: 1_000,
      onEnqueueFailed: () => undefined,
    },
    { merchantId, idempotencyKey: randomUUID(), body: { amount, currency: 'usd', payment_method: 'pm_card_visa' }, requestToken: randomUUID() },
  );
  if (created.kind !== 'created') throw new Error('expected a new charge');
  return created.chargeId;
}

const work = (chargeId: string) =>
  processCharge({ charges, processor, now: () => clock.now, processorTimeoutMs: 100 }, { chargeId, leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS });

async function succeededCharge(amount = 2500): Promise<string> {
  const chargeId = await newCharge(amount);
  expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
  return chargeId;
}

const refund = (body: JsonValue): Promise<CreateRefundOutcome> =>
  createRefund(
    {
      refunds,
      charges,
      queue: { enqueueRefund: async (refundId) => void enqueued.push(refundId) },
      now: () => clock.now,
      idempotencyRetentionMs: 86_400_000,
      recordRetentionMs: 30 * 86_400_000,
      reEnqueueAfterMs: 1_000,
      onEnqueueFailed: () => undefined,
    },
    { merchantId, idempotencyKey: randomUUID(), body, requestToken: randomUUID() },
  );

function refundIdOf(outcome: CreateRefundOutcome): string {
  if (outcome.kind !== 'created') throw new Error(`expected a refund, got ${JSON.stringify(outcome)}`);
  return outcome.refundId;
}

const workRefund = (refundId: string) =>
  processRefund({ refunds, processor, now: () => clock.now, processorTimeoutMs: 100 }, { refundId, leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS });

const reconcilePass = () =>
  reconcile(
    {
      charges,
      refunds,
      queue: { enqueue: async () => undefined, enqueueRefund: async (refundId) => void enqueued.push(refundId) },
      deadLetters: { receive: async () => [], delete: async () => undefined },
      processor,
      refundProcessor: processor,
      processorEvents: { source: processor, disputes: new DynamoDbDisputeRepository(table.client, table.tableName) },
      now: () => clock.now,
      stuckAfterMs: 10_000,
      reviewAfterMs: 600_000,
      maxChargesPerPass: 1000,
      maxDeadLettersPerPass: 100,
    },
    { leaseOwner: `reconciler/${randomUUID()}`, leaseDurationMs: LEASE_MS, deadline: Infinity },
  );

const rawItem = async (pk: string) => (await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;

describe('a 500 the processor keeps for its key', () => {
  it('a confirm answered 500: the next attempt retrieves, finds the payment unconfirmed, and confirms under a new key, once', async () => {
    const chargeId = await newCharge();
    processor.failNext('confirm', 'unavailable');
    expect((await work(chargeId)).kind).toBe('retry');
    clock.now += LEASE_MS + 1;
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(processor.capturesOf(chargeId)).toBe(1);
  });

  it('a create answered 500: the charge moves on to the next prepare key, and the next attempt creates and confirms', async () => {
    const chargeId = await newCharge();
    processor.failNext('prepare', 'unavailable');
    expect((await work(chargeId)).kind).toBe('retry');
    expect((await charges.get(chargeId))?.prepareKeyAttempt).toBe(2);
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(processor.paymentsOf(chargeId)).toHaveLength(1);
    expect(processor.capturesOf(chargeId)).toBe(1);
  });

  it('a refund create answered 500: the next attempt finds no refund in the list and creates under the next key, once', async () => {
    const chargeId = await succeededCharge();
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    processor.failNext('refund', 'unavailable');
    expect((await workRefund(refundId)).kind).toBe('retry');
    expect((await refunds.get(refundId))?.processorKeyAttempt).toBe(2);
    expect(await workRefund(refundId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(processor.refundsFor(refundId)).toHaveLength(1);
  });
});

describe('a refund refusal oncepay cannot read', () => {
  it('is flagged for a person with the code, its amount still held; the reconciler never sends it again', async () => {
    const chargeId = await succeededCharge();
    const paymentId = (await charges.get(chargeId))?.processorPaymentId ?? '';
    processor.refundBehaviours.set(paymentId, 'refuse');
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    const outcome = await workRefund(refundId);
    expect(outcome).toMatchObject({ kind: 'review', reason: expect.stringContaining('refund_unknown_refusal') });
    const record = await refunds.get(refundId);
    expect(record).toMatchObject({ processorRefusal: 'refund_unknown_refusal', refund: { status: 'pending' } });
    expect(record?.review?.reason).toContain('refund_unknown_refusal');
    expect((await charges.get(chargeId))?.charge.amountRefunded).toBe(700);
    expect(await refunds.findInReview(100)).toContain(refundId);
    enqueued.length = 0;
    clock.now += 60_000;
    await reconcilePass();
    await reconcilePass();
    expect(enqueued).not.toContain(refundId);
    // Nor does a duplicate delivery of its message, even once the processor would now take it.
    processor.refundBehaviours.set(paymentId, 'succeed');
    expect(await workRefund(refundId)).toMatchObject({ kind: 'review' });
    processor.refundBehaviours.set(paymentId, 'refuse');
    expect(processor.refundsFor(refundId)).toEqual([]);

    // A person settles it: the processor has no refund, so it cannot have succeeded; failed gives the amount back.
    const settle = (as: 'succeeded' | 'failed') => settleRefundReview({ refunds, processor, now: () => clock.now }, { refundId, as, operator: 'test' });
    await expect(settle('succeeded')).rejects.toThrow(SettlementRefusedError);
    expect(await settle('failed')).toEqual({ kind: 'failed', processorRefundId: null, reason: 'refund_unknown_refusal' });
    expect((await refunds.get(refundId))?.refund).toMatchObject({ status: 'failed', failureReason: 'refund_unknown_refusal' });
    expect((await charges.get(chargeId))?.charge.amountRefunded).toBe(0);
    await expect(settle('failed')).rejects.toThrow(/already failed/);
  });

  it('settling a refund the processor has is never against the processor’s word', async () => {
    const chargeId = await succeededCharge();
    const paymentId = (await charges.get(chargeId))?.processorPaymentId ?? '';
    processor.refundBehaviours.set(paymentId, 'pending');
    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 700 }));
    expect((await workRefund(refundId)).kind).toBe('retry');
    clock.now += LEASE_MS + 1;
    const settle = (as: 'succeeded' | 'failed') => settleRefundReview({ refunds, processor, now: () => clock.now }, { refundId, as, operator: 'test' });
    await expect(settle('failed')).rejects.toThrow(/has not decided/);
    processor.settleRefund((await refunds.get(refundId))?.processorRefundId ?? '', 'succeeded');
    await expect(settle('failed')).rejects.toThrow(/says refund .* succeeded/);
    expect((await settle('succeeded')).kind).toBe('succeeded');
  });
});

describe('the database bounds every refund by the charge itself', () => {
  it('refuses a first reservation larger than the charge, and one made with a charge amount that is not the item’s', async () => {
    const chargeId = await succeededCharge(2500);
    const template = refundIdOf(await refund({ charge: chargeId, amount: 100 }));
    const record = (await refunds.get(template))!;
    const fresh = (amount: number) => ({
      ...record,
      refund: { ...record.refund, id: `re_${randomUUID().replace(/-/g, '').slice(0, 22)}`, amount },
      idempotency: { ...record.idempotency, ownerToken: randomUUID() },
    });
    const otherCharge = await succeededCharge(2500);
    // The charge's first reservation: nothing refunded yet, so only the item's own amount bounds it.
    expect((await refunds.createReserving(fresh(9999), { chargeId: otherCharge, merchantId, chargeAmount: 2500, keepChargeUntil: 0 }, [])).kind).toBe('charge_refused');
    expect((await refunds.createReserving(fresh(9999), { chargeId: otherCharge, merchantId, chargeAmount: 99_999, keepChargeUntil: 0 }, [])).kind).toBe('charge_refused');
    expect((await refunds.createReserving(fresh(2400), { chargeId, merchantId, chargeAmount: 99_999, keepChargeUntil: 0 }, [])).kind).toBe('charge_refused');
    expect((await charges.get(otherCharge))?.charge.amountRefunded).toBe(0);
    expect((await refunds.createReserving(fresh(2500), { chargeId: otherCharge, merchantId, chargeAmount: 2500, keepChargeUntil: 0 }, [])).kind).toBe('created');
  });
});

describe('TTL never purges an open item', () => {
  it('a charge and a refund carry purge_at only once final, set to the retention they were created with', async () => {
    const chargeId = await newCharge();
    expect((await rawItem(`CHARGE#${chargeId}`))?.['purge_at']).toBeUndefined();
    const retainUntil = (await rawItem(`CHARGE#${chargeId}`))?.['retain_until']?.N;
    expect(Number(retainUntil)).toBeGreaterThan(clock.now / 1000);
    await work(chargeId);
    expect((await rawItem(`CHARGE#${chargeId}`))?.['purge_at']?.N).toBe(retainUntil);

    const refundId = refundIdOf(await refund({ charge: chargeId, amount: 100 }));
    expect((await rawItem(`REFUND#${refundId}`))?.['purge_at']).toBeUndefined();
    await workRefund(refundId);
    expect((await rawItem(`REFUND#${refundId}`))?.['purge_at']?.N).toBe((await rawItem(`REFUND#${refundId}`))?.['retain_until']?.N);
  });

  it('an open charge flagged for review keeps no purge_at, however old', async () => {
    const chargeId = await newCharge();
    processor.cards.set('pm_card_visa', 'processing');
    await work(chargeId);
    await charges.flagForReview(chargeId, { reason: 'test', since: clock.now });
    expect((await rawItem(`CHARGE#${chargeId}`))?.['purge_at']).toBeUndefined();
  });
});
