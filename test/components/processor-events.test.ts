/**
 * What Stripe does on its own, heard and put right, on the real DynamoDB repositories and
 * DynamoDB Local with the in-memory processor: a refund that fails after it succeeded, disputes
 * opening, moving and closing (never backwards, whatever order their events come in), a payment
 * event finishing its charge at once, events naming nothing of oncepay's, the receipt that records
 * each event once, and the reconciler's catch-up over the Events API.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbProcessorEventInbox } from '#adapters/dynamodb-processor-event-inbox.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { createCharge } from '#domain/create-charge.ts';
import { createRefund, type CreateRefundOutcome } from '#domain/create-refund.ts';
import { disputeIdFor } from '#domain/dispute.ts';
import { disputeEvents, refundEvent } from '#domain/event.ts';
import type { ProcessorEventCursor, ProcessorEventNotice } from '#domain/ports.ts';
import { processCharge, type ProcessChargeOutcome } from '#domain/process-charge.ts';
import { processRefund } from '#domain/process-refund.ts';
import { catchUpProcessorEvents, LISTING_LAG_SECONDS } from '#domain/processor-event-catch-up.ts';
import { handleProcessorEvent, receiveProcessorEvent } from '#domain/processor-events.ts';
import { startChargesTable, type ChargesTable } from '../support/charges-table.ts';
import { FakeProcessor } from '../support/fake-processor.ts';

const LEASE_MS = 2_000;

let table: ChargesTable;
beforeAll(async () => {
  table = await startChargesTable('processor-events');
}, 60_000);
afterAll(() => table.stop());

let merchantId: string;
let charges: DynamoDbChargeRepository;
let refunds: DynamoDbRefundRepository;
let disputes: DynamoDbDisputeRepository;
let inbox: DynamoDbProcessorEventInbox;
let processor: FakeProcessor;
let clock: { now: number };
let queued: ProcessorEventNotice[];

beforeEach(() => {
  merchantId = `mer_${randomUUID().slice(0, 8)}`;
  charges = new DynamoDbChargeRepository(table.client, table.tableName);
  refunds = new DynamoDbRefundRepository(table.client, table.tableName);
  disputes = new DynamoDbDisputeRepository(table.client, table.tableName);
  clock = { now: Date.now() };
  inbox = new DynamoDbProcessorEventInbox(table.client, table.tableName, () => clock.now);
  processor = new FakeProcessor();
  queued = [];
});

const chargeDeps = () => ({ charges, processor, now: () => clock.now, processorTimeoutMs: 100 });
const refundDeps = () => ({ refunds, processor, now: () => clock.now, processorTimeoutMs: 100 });
const describeOutcome = (outcome: ProcessChargeOutcome) => (outcome.kind === 'final' ? outcome.status : outcome.kind);
const lease = () => ({ leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS });

/** The worker's look into one event. */
const handle = (type: string, objectId: string) =>
  handleProcessorEvent(
    {
      source: processor,
      charges,
      refunds,
      disputes,
      settleCharge: async (chargeId) => describeOutcome(await processCharge(chargeDeps(), { chargeId, ...lease() })),
      settleRefund: async (refundId) => describeOutcome(await processRefund(refundDeps(), { refundId, ...lease() })),
      now: () => clock.now,
    },
    { id: `evt_${randomUUID().replace(/-/g, '')}`, type, objectId, created: Math.floor(clock.now / 1000) },
    { attempt: 1 },
  );

async function newCharge(paymentMethod = 'pm_card_visa', amount = 2500): Promise<string> {
  const created = await createCharge(
    { charges, queue: { enqueue: async () => undefined }, now: () => clock.now, idempotencyRetentionMs: 86_400_000, recordRetentionMs: 30 * 86_400_000, reEnqueueAfterMs: 1_000, onEnqueueFailed: () => undefined },
    { merchantId, idempotencyKey: randomUUID(), body: { amount, currency: 'usd', payment_method: paymentMethod }, requestToken: randomUUID() },
  );
  if (created.kind !== 'created') throw new Error('expected a new charge');
  return created.chargeId;
}

async function succeededCharge(amount = 2500): Promise<{ chargeId: string; paymentId: string }> {
  const chargeId = await newCharge('pm_card_visa', amount);
  expect(await processCharge(chargeDeps(), { chargeId, ...lease() })).toEqual({ kind: 'final', status: 'succeeded' });
  return { chargeId, paymentId: (await charges.get(chargeId))?.processorPaymentId ?? '' };
}

const refund = (body: Record<string, unknown>): Promise<CreateRefundOutcome> =>
  createRefund(
    { refunds, charges, queue: { enqueueRefund: async () => undefined }, now: () => clock.now, idempotencyRetentionMs: 86_400_000, recordRetentionMs: 30 * 86_400_000, reEnqueueAfterMs: 1_000, onEnqueueFailed: () => undefined },
    { merchantId, idempotencyKey: randomUUID(), body: body as never, requestToken: randomUUID() },
  );

async function succeededRefund(chargeId: string, amount: number): Promise<{ refundId: string; processorRefundId: string }> {
  const outcome = await refund({ charge: chargeId, amount });
  if (outcome.kind !== 'created') throw new Error(`expected a refund, got ${outcome.kind}`);
  expect(await processRefund(refundDeps(), { refundId: outcome.refundId, ...lease() })).toEqual({ kind: 'final', status: 'succeeded' });
  return { refundId: outcome.refundId, processorRefundId: (await refunds.get(outcome.refundId))?.processorRefundId ?? '' };
}

describe('a refund the processor fails after it succeeded', () => {
  it('fails in oncepay with the processor’s reason, its amount back on the charge once however often the event comes, and a new refund can take it', async () => {
    const { chargeId } = await succeededCharge(2500);
    const { refundId, processorRefundId } = await succeededRefund(chargeId, 2500);
    expect((await charges.get(chargeId))?.charge.amountRefunded).toBe(2500);
    processor.failSucceededRefund(processorRefundId);
    for (const type of ['refund.failed', 'charge.refund.updated', 'refund.updated']) expect((await handle(type, processorRefundId)).kind).toBe('done');
    const failed = await refunds.get(refundId);
    expect(failed?.refund).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
    expect((await charges.get(chargeId))?.charge.amountRefunded).toBe(0);
    expect((await refund({ charge: chargeId, amount: 2500 })).kind).toBe('created');
  });

  it('makes refund.failed for the merchant: a new event id beside refund.succeeded', async () => {
    const { chargeId } = await succeededCharge();
    const { refundId } = await succeededRefund(chargeId, 500);
    const succeeded = (await refunds.get(refundId))!.refund;
    const failedLater = { ...succeeded, status: 'failed' as const, failureReason: 'expired_or_canceled_card' };
    const event = refundEvent(succeeded, failedLater);
    expect(event?.type).toBe('refund.failed');
    expect(event?.id).not.toBe(refundEvent({ ...succeeded, status: 'processing' }, succeeded)?.id);
  });

  it('comes back while a worker still holds the refund: the failure is applied once that worker has recorded the success', async () => {
    const { chargeId } = await succeededCharge(2500);
    const outcome = await refund({ charge: chargeId, amount: 2500 });
    if (outcome.kind !== 'created') throw new Error(`expected a refund, got ${outcome.kind}`);
    // A worker's create succeeds at the processor; the worker is held before it records that.
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let created: (processorRefundId: string) => void = () => undefined;
    const processorRefundId = new Promise<string>((resolve) => (created = resolve));
    const slowProcessor = Object.create(processor) as FakeProcessor;
    slowProcessor.createRefund = async (request, key) => {
      const state = await processor.createRefund(request, key);
      if ('processorRefundId' in state && state.processorRefundId) created(state.processorRefundId);
      await held;
      return state;
    };
    const worker = processRefund({ ...refundDeps(), processor: slowProcessor }, { refundId: outcome.refundId, ...lease() });
    const id = await processorRefundId;
    // Stripe fails it (days later at Stripe; here while the worker is still on it) and says so.
    processor.failSucceededRefund(id);
    expect((await handle('refund.failed', id)).kind).toBe('retry');
    release();
    expect(await worker).toEqual({ kind: 'final', status: 'succeeded' });
    // The event comes back after its backoff and finds the refund final.
    expect(await handle('refund.failed', id)).toMatchObject({ kind: 'done' });
    expect((await refunds.get(outcome.refundId))?.refund).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
    expect((await charges.get(chargeId))?.charge.amountRefunded).toBe(0);
  });

  it('leaves a succeeded refund alone while the processor says it succeeded, and never fails one on a foreign processor refund', async () => {
    const { chargeId } = await succeededCharge();
    const { refundId, processorRefundId } = await succeededRefund(chargeId, 500);
    await handle('refund.updated', processorRefundId);
    expect((await refunds.get(refundId))?.refund.status).toBe('succeeded');
    expect(await refunds.failAfterSuccess(refundId, 're_someone_else', 'declined', clock.now)).toBe(false);
    expect((await charges.get(chargeId))?.charge.amountRefunded).toBe(500);
  });
});

describe('disputes', () => {
  it('a chargeback is recorded with its charge, forbids refunds (charge_disputed), and closes as the processor says', async () => {
    const { chargeId, paymentId } = await succeededCharge(2500);
    processor.setDispute('du_stripe1', paymentId, 'needs_response');
    expect((await handle('charge.dispute.created', 'du_stripe1')).kind).toBe('done');
    const disputeId = disputeIdFor('du_stripe1');
    expect(await disputes.get(disputeId)).toMatchObject({ status: 'needs_response', chargeId, merchantId, amount: 2500, isChargeRefundable: false });
    expect((await charges.get(chargeId))?.charge.dispute).toEqual({ id: disputeId, blocksRefunds: true });
    expect(await refund({ charge: chargeId, amount: 100 })).toEqual({ kind: 'charge_disputed', chargeId, disputeId });

    processor.setDispute('du_stripe1', paymentId, 'lost');
    await handle('charge.dispute.closed', 'du_stripe1');
    expect((await disputes.get(disputeId))?.status).toBe('lost');
  });

  it('never moves backwards: an older event handled last changes nothing, and a write that raced a newer one is refused', async () => {
    const { paymentId } = await succeededCharge();
    processor.setDispute('du_stripe2', paymentId, 'won');
    await handle('charge.dispute.closed', 'du_stripe2');
    // The processor never answers an older state; a stored state newer than its answer is left as it is.
    processor.setDispute('du_stripe2', paymentId, 'under_review');
    await handle('charge.dispute.updated', 'du_stripe2');
    const stored = (await disputes.get(disputeIdFor('du_stripe2')))!;
    expect(stored.status).toBe('won');
    expect(await disputes.record({ ...stored, status: 'lost' }, 'needs_response')).toBe('conflict');
    expect((await disputes.get(disputeIdFor('du_stripe2')))?.status).toBe('won');
  });

  it('an inquiry leaves the charge refundable until it escalates into a chargeback', async () => {
    const { chargeId, paymentId } = await succeededCharge(2500);
    processor.setDispute('du_stripe3', paymentId, 'warning_needs_response');
    await handle('charge.dispute.created', 'du_stripe3');
    expect((await charges.get(chargeId))?.charge.dispute).toEqual({ id: disputeIdFor('du_stripe3'), blocksRefunds: false });
    expect((await refund({ charge: chargeId, amount: 100 })).kind).toBe('created');
    processor.setDispute('du_stripe3', paymentId, 'needs_response');
    await handle('charge.dispute.updated', 'du_stripe3');
    expect((await refund({ charge: chargeId, amount: 100 })).kind).toBe('charge_disputed');
  });

  it('a second dispute on the charge: an inquiry seen after a chargeback never lifts the chargeback’s block', async () => {
    const { chargeId, paymentId } = await succeededCharge(2500);
    processor.setDispute('du_stripe5', paymentId, 'needs_response');
    await handle('charge.dispute.created', 'du_stripe5');
    processor.setDispute('du_stripe6', paymentId, 'warning_closed');
    expect((await handle('charge.dispute.closed', 'du_stripe6')).kind).toBe('done');
    expect(await disputes.get(disputeIdFor('du_stripe6'))).toMatchObject({ status: 'warning_closed', chargeId });
    expect((await charges.get(chargeId))?.charge.dispute).toEqual({ id: disputeIdFor('du_stripe5'), blocksRefunds: true });
    expect((await refund({ charge: chargeId, amount: 100 })).kind).toBe('charge_disputed');
  });

  it('makes created, one updated per status, and closed events for the merchant; one first seen closed makes created and closed', async () => {
    const { paymentId } = await succeededCharge();
    processor.setDispute('du_stripe4', paymentId, 'needs_response');
    await handle('charge.dispute.created', 'du_stripe4');
    const opened = (await disputes.get(disputeIdFor('du_stripe4')))!;
    expect(disputeEvents(undefined, opened).map((event) => event.type)).toEqual(['charge.dispute.created']);
    const review = { ...opened, status: 'under_review' as const };
    const won = { ...opened, status: 'won' as const };
    expect(disputeEvents(opened, review).map((event) => event.type)).toEqual(['charge.dispute.updated']);
    expect(disputeEvents(review, won).map((event) => [event.type, event.data.object])).toEqual([['charge.dispute.closed', expect.objectContaining({ status: 'won' })]]);
    expect(disputeEvents(review, review)).toEqual([]);
    expect(disputeEvents(undefined, won).map((event) => event.type)).toEqual(['charge.dispute.created', 'charge.dispute.closed']);
  });
});

describe('payment events', () => {
  it('finish an open charge as soon as the processor decides, not at the next reconciler pass', async () => {
    processor.cards.set('pm_card_visa', 'processing');
    const chargeId = await newCharge('pm_card_visa');
    expect((await processCharge(chargeDeps(), { chargeId, ...lease() })).kind).toBe('retry');
    const paymentId = (await charges.get(chargeId))?.processorPaymentId ?? '';
    processor.settle(paymentId, 'succeeded');
    expect(await handle('payment_intent.succeeded', paymentId)).toEqual({ kind: 'done', effect: `charge ${chargeId}: succeeded` });
    expect((await charges.get(chargeId))?.charge.status).toBe('succeeded');
  });

  it('naming nothing of oncepay’s, or answered with a transient error, are done or retried, never a crash', async () => {
    const { paymentId } = await succeededCharge();
    expect((await handle('payment_intent.succeeded', paymentId)).kind).toBe('done');
    processor.failNext('retrieve', 'unavailable');
    expect((await handle('payment_intent.succeeded', paymentId)).kind).toBe('retry');
    expect((await handle('payment_intent.created', paymentId)).kind).toBe('done');
    processor.failNext('retrieveDispute', 'configuration');
    expect((await handle('charge.dispute.created', 'du_nothing')).kind).toBe('misconfigured');
  });
});

describe('receiving an event', () => {
  const notice = (): ProcessorEventNotice => ({ id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'refund.failed', objectId: 're_x', created: Math.floor(clock.now / 1000) });
  const receive = (event: ProcessorEventNotice) => receiveProcessorEvent({ inbox, queue: { enqueueProcessorEvent: async (queuedNotice) => void queued.push(queuedNotice) } }, event);

  it('records it once and queues it; a type oncepay does not listen to is ignored', async () => {
    const event = notice();
    expect(await receive(event)).toBe('queued');
    expect(await receive(event)).toBe('duplicate');
    expect(await receive({ ...event, id: 'evt_other', type: 'customer.created' })).toBe('ignored');
    expect(queued).toEqual([event]);
  });

  it('a receipt that died before queueing is finished by the next receipt of the same id', async () => {
    const event = notice();
    await expect(receiveProcessorEvent({ inbox, queue: { enqueueProcessorEvent: async () => { throw new Error('SQS down'); } } }, event)).rejects.toThrow('SQS down');
    expect(await inbox.notYetQueued([event.id])).toEqual(new Set([event.id]));
    expect(await receive(event)).toBe('queued');
    expect(await inbox.notYetQueued([event.id])).toEqual(new Set());
  });
});

describe('the reconciler’s catch-up over the Events API', () => {
  const cursors = () => {
    let stored: ProcessorEventCursor | null = null;
    return { get: async () => stored, put: async (cursor: ProcessorEventCursor) => void (stored = cursor) };
  };
  const catchUp = (store: ReturnType<typeof cursors>, maxPages = 10) =>
    catchUpProcessorEvents({ source: processor, inbox, queue: { enqueueProcessorEvent: async (event) => void queued.push(event) }, cursors: store, now: () => clock.now, maxPages }, Infinity);
  const event = (secondsAgo: number, type = 'refund.failed'): ProcessorEventNotice => ({
    id: `evt_${randomUUID().replace(/-/g, '')}`,
    type,
    objectId: 're_x',
    created: Math.floor(clock.now / 1000) - secondsAgo,
  });

  it('receives what no webhook brought, skips what one did, and keeps a cursor a minute behind now', async () => {
    const store = cursors();
    await store.put({ from: Math.floor(clock.now / 1000) - 3600, backfillTo: null, sweepTop: null });
    const lost = event(30);
    const delivered = event(20);
    processor.events.push(lost, delivered, event(10, 'customer.created'));
    await receiveProcessorEvent({ inbox, queue: { enqueueProcessorEvent: async () => undefined } }, delivered);
    const report = await catchUp(store);
    expect(report).toMatchObject({ listed: 2, caughtUp: 1, completed: true, cursorLagSeconds: LISTING_LAG_SECONDS });
    expect(queued).toEqual([lost]);
    expect((await catchUp(store)).caughtUp).toBe(0);
  });

  it('reads a backlog longer than a pass in windows, oldest last, and moves the cursor only past what it read', async () => {
    const store = cursors();
    const start = Math.floor(clock.now / 1000) - 7200;
    await store.put({ from: start, backfillTo: null, sweepTop: null });
    const backlog = Array.from({ length: 250 }, (_, index) => event(7000 - index * 10));
    processor.events.push(...backlog);
    const first = await catchUp(store, 1);
    expect(first).toMatchObject({ listed: 100, caughtUp: 100, completed: false });
    expect(await store.get()).toEqual({ from: start, backfillTo: backlog[150]?.created, sweepTop: Math.floor(clock.now / 1000) });
    expect(first.cursorLagSeconds).toBeGreaterThan(3600);
    await catchUp(store, 1);
    const third = await catchUp(store, 1);
    expect(third.completed).toBe(true);
    expect(new Set(queued.map((notice) => notice.id))).toEqual(new Set(backlog.map((notice) => notice.id)));
    // The sweep finished: the next pass reads from just under where the sweep began (not the last window's top: that is read already).
    expect(await store.get()).toEqual({ from: Math.floor(clock.now / 1000) - LISTING_LAG_SECONDS, backfillTo: null, sweepTop: null });
    expect((await catchUp(store)).completed).toBe(true);
    expect((await store.get())?.from).toBe(Math.floor(clock.now / 1000) - LISTING_LAG_SECONDS);
  });
});
