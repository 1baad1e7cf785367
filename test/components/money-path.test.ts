/**
 * The money path's use cases (worker, reconciler, review settlement) on the real DynamoDB
 * repository and DynamoDB Local, with an in-memory processor that follows Stripe's
 * PaymentIntent rules and injects faults at exact points. Each "finding" test names the
 * processor-truth issue's finding it pins; the HTTP-level versions run on the sandbox in
 * test/integration/processor-truth.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { chargeIdFor } from '#domain/charge.ts';
import { createCharge, type CreateChargeDeps } from '#domain/create-charge.ts';
import { ProcessorConfigurationError } from '#domain/errors.ts';
import type { ChargeRepository, DeadLetter, DeadLetterQueue } from '#domain/ports.ts';
import { processCharge, type ProcessChargeOutcome } from '#domain/process-charge.ts';
import { reconcile, type ReconcileDeps, type ReconcileReport } from '#domain/reconcile.ts';
import { settleReview, SettlementRefusedError } from '#domain/settle-review.ts';
import { workMessageBody } from '#domain/work-message.ts';
import { startChargesTable, type ChargesTable } from '../support/charges-table.ts';
import { CrashError, FakeProcessor } from '../support/fake-processor.ts';

const LEASE_MS = 2_000;
const STUCK_AFTER_MS = 10_000;
const REVIEW_AFTER_MS = 60_000;

let table: ChargesTable;

beforeAll(async () => {
  table = await startChargesTable('money-path');
}, 60_000);
afterAll(() => table.stop());

/** A dead-letter queue in memory: the reconciler's side of SQS is not the subject here. */
class Letters implements DeadLetterQueue {
  readonly held: DeadLetter[] = [];
  add(chargeId: string): void {
    this.held.push({ messageId: randomUUID(), body: workMessageBody(chargeId), receiptHandle: randomUUID(), receiveCount: 5 });
  }
  async receive(max: number): Promise<DeadLetter[]> {
    return this.held.splice(0, max);
  }
  async delete(): Promise<void> {}
}

interface World {
  merchantId: string;
  charges: ChargeRepository;
  processor: FakeProcessor;
  letters: Letters;
  enqueued: string[];
  clock: { now: number };
}

let world: World;
beforeEach(() => {
  world = {
    merchantId: `mer_${randomUUID().slice(0, 8)}`,
    charges: new DynamoDbChargeRepository(table.client, table.tableName),
    processor: new FakeProcessor(),
    letters: new Letters(),
    enqueued: [],
    clock: { now: Date.now() },
  };
});

/** `createCharge`'s dependencies on this world, with shorter retentions where a test needs them. */
function createDeps(overrides: Partial<CreateChargeDeps> = {}): CreateChargeDeps {
  return {
    charges: world.charges,
    queue: { enqueue: async (chargeId) => void world.enqueued.push(chargeId) },
    now: () => world.clock.now,
    idempotencyRetentionMs: 86_400_000,
    recordRetentionMs: 30 * 86_400_000,
    reEnqueueAfterMs: 1_000,
    onEnqueueFailed: () => undefined,
    ...overrides,
  };
}

async function newCharge(paymentMethod = 'pm_card_visa'): Promise<string> {
  const outcome = await createCharge(
    createDeps(),
    { merchantId: world.merchantId, idempotencyKey: randomUUID(), body: { amount: 2500, currency: 'usd', payment_method: paymentMethod }, requestToken: randomUUID() },
  );
  if (outcome.kind !== 'created') throw new Error(`expected a new charge, got ${outcome.kind}`);
  return outcome.chargeId;
}

async function work(chargeId: string, leaseDurationMs = LEASE_MS): Promise<ProcessChargeOutcome | 'crashed'> {
  try {
    return await processCharge(
      { charges: world.charges, processor: world.processor, now: () => world.clock.now, processorTimeoutMs: 100 },
      { chargeId, leaseOwner: randomUUID(), leaseDurationMs },
    );
  } catch (error) {
    if (error instanceof CrashError) return 'crashed';
    throw error;
  }
}

function reconcileDeps(overrides: Partial<ReconcileDeps> = {}): ReconcileDeps {
  return {
    charges: world.charges,
    refunds: new DynamoDbRefundRepository(table.client, table.tableName),
    refundProcessor: world.processor,
    processorEvents: { source: world.processor, disputes: new DynamoDbDisputeRepository(table.client, table.tableName) },
    queue: { enqueue: async (chargeId) => void world.enqueued.push(chargeId), enqueueRefund: async (refundId) => void world.enqueued.push(refundId) },
    deadLetters: world.letters,
    processor: world.processor,
    now: () => world.clock.now,
    stuckAfterMs: STUCK_AFTER_MS,
    reviewAfterMs: REVIEW_AFTER_MS,
    maxChargesPerPass: 1000,
    maxDeadLettersPerPass: 100,
    ...overrides,
  };
}

async function pass(overrides: Partial<ReconcileDeps> = {}, deadline = Infinity): Promise<ReconcileReport> {
  return reconcile(reconcileDeps(overrides), { leaseOwner: `reconciler/${randomUUID()}`, leaseDurationMs: LEASE_MS, deadline });
}

const statusOf = async (chargeId: string) => (await world.charges.get(chargeId))?.charge.status;
const actionsFor = (report: ReconcileReport, chargeId: string) => report.actions.filter((entry) => entry.chargeId === chargeId).map((entry) => entry.action);

describe('the worker: record the payment before money can move, confirm it by id', () => {
  it('creates the payment unconfirmed, records its id in the claiming write, confirms that id: one capture', async () => {
    const chargeId = await newCharge();
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    const record = await world.charges.get(chargeId);
    const [payment] = world.processor.paymentsOf(chargeId);
    expect(record?.processorPaymentId).toBe(payment?.id);
    expect(world.processor.capturesOf(chargeId)).toBe(1);
  });

  it('a crash after creating the payment (before the claim) leaves no money moved; the retry records and confirms the same payment', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('prepare', 'crash-after');
    expect(await work(chargeId)).toBe('crashed');
    expect((await world.charges.get(chargeId))?.processorPaymentId).toBeNull();
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(world.processor.paymentsOf(chargeId)).toHaveLength(1);
    expect(world.processor.capturesOf(chargeId)).toBe(1);
  });

  it('a crash after confirming: the next attempt retrieves the recorded payment first and records its success, no second confirm', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'crash-after');
    expect(await work(chargeId)).toBe('crashed');
    world.clock.now += LEASE_MS + 1;
    world.processor.forgetKeys(); // even with the confirm key forgotten, nothing is confirmed twice
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(world.processor.capturesOf(chargeId)).toBe(1);
  });

  it('a decline is final failed with the issuer’s decline code; no capture', async () => {
    world.processor.cards.set('pm_card_chargeDeclined', 'decline');
    const chargeId = await newCharge('pm_card_chargeDeclined');
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'failed' });
    expect((await world.charges.get(chargeId))?.charge).toMatchObject({ failureCode: 'card_declined', declineCode: 'generic_decline' });
    expect(world.processor.capturesOf(chargeId)).toBe(0);
  });

  it('requires_action (3-D Secure) cancels the payment and fails the charge with authentication_required', async () => {
    world.processor.cards.set('pm_card_authenticationRequired', 'authenticate');
    const chargeId = await newCharge('pm_card_authenticationRequired');
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'failed' });
    expect((await world.charges.get(chargeId))?.charge.failureCode).toBe('authentication_required');
    expect(world.processor.paymentsOf(chargeId)[0]?.status).toBe('canceled');
  });

  it('a processor that refuses oncepay itself (401/403) leaves the charge open and says so: misconfigured, not failed', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'configuration');
    expect(await work(chargeId)).toMatchObject({ kind: 'misconfigured' });
    expect(await statusOf(chargeId)).toBe('pending');
    expect(world.processor.capturesOf(chargeId)).toBe(0);
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
  });

  it('starts no processor call it could not finish inside the invocation: hands the charge back instead', async () => {
    const chargeId = await newCharge();
    expect(await work(chargeId, 1_050)).toMatchObject({ kind: 'retry', reason: expect.stringContaining('no time left') });
    expect(world.processor.paymentsOf(chargeId)).toHaveLength(0);
    expect(await statusOf(chargeId)).toBe('pending');
  });

  it('finding 2: a payment still processing is not a rejection: the lease is handed back, retried later, then succeeded', async () => {
    world.processor.cards.set('pm_sandbox_processingThenSucceeds', 'processing');
    const chargeId = await newCharge('pm_sandbox_processingThenSucceeds');
    const first = await work(chargeId);
    expect(first).toMatchObject({ kind: 'retry', reason: expect.stringContaining('processing') });
    const record = await world.charges.get(chargeId);
    expect(record?.charge.status).toBe('pending'); // released at once, not held until the visibility timeout
    expect(record?.lease).toBeNull();
    world.processor.settle(record?.processorPaymentId ?? '', 'succeeded');
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(world.processor.capturesOf(chargeId)).toBe(1);
  });

  it('finding 5: a charge still open after the processor forgot its keys is never created and captured again', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'timeout-after'); // captured; the answer is lost
    expect(await work(chargeId)).toMatchObject({ kind: 'retry' });
    world.processor.forgetKeys(); // 24 h later
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(world.processor.paymentsOf(chargeId)).toHaveLength(1);
    expect(world.processor.capturesOf(chargeId)).toBe(1);
  });

  it('finding 5: a payment created after the key was forgotten is never confirmed and is cancelled', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'unavailable');
    expect(await work(chargeId)).toMatchObject({ kind: 'retry' });
    const recorded = (await world.charges.get(chargeId))?.processorPaymentId;
    world.processor.forgetKeys(); // 24 h later
    // The worker read the charge just before the id was recorded (another attempt recorded it).
    const charges = world.charges;
    const stale = Object.create(charges) as ChargeRepository;
    stale.get = async (id) => {
      const record = await charges.get(id);
      return record && { ...record, processorPaymentId: null };
    };
    world.charges = stale;
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    const payments = world.processor.paymentsOf(chargeId);
    expect(payments).toHaveLength(2);
    expect(payments.find((payment) => payment.id !== recorded)?.status).toBe('canceled');
    expect(world.processor.capturesOf(chargeId)).toBe(1);
    expect((await charges.get(chargeId))?.processorPaymentId).toBe(recorded);
  });

  it('a decline whose answer was lost is retrieved, never confirmed again (which would try the card again)', async () => {
    world.processor.cards.set('pm_card_chargeDeclined', 'decline');
    const chargeId = await newCharge('pm_card_chargeDeclined');
    world.processor.failNext('confirm', 'timeout-after');
    expect(await work(chargeId)).toMatchObject({ kind: 'retry' });
    world.processor.forgetKeys();
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'failed' });
    const [payment] = world.processor.paymentsOf(chargeId);
    expect(world.processor.confirmations.get(payment?.id ?? '')).toBe(1);
  });
});

describe('the reconciler: the processor’s word by recorded id, never a search, and never stopped by one item', () => {
  it('finding 1: a dead letter for a charge whose capture timed out (another copy still live) is settled succeeded, not failed', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'timeout-after');
    expect(await work(chargeId)).toMatchObject({ kind: 'retry' }); // back to pending; the capture is real
    world.letters.add(chargeId); // the dead copy of its message
    const report = await pass();
    expect(actionsFor(report, chargeId)).toEqual(['finalized']);
    expect(await statusOf(chargeId)).toBe('succeeded');
    expect(world.processor.capturesOf(chargeId)).toBe(1);
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'succeeded' }); // the live copy finds it final
  });

  it('finding 1: a dead letter for a charge with no recorded payment is given back to the workers, never failed', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('prepare', 'unavailable');
    await work(chargeId);
    world.letters.add(chargeId);
    const report = await pass();
    expect(actionsFor(report, chargeId)).toEqual(['re_enqueued']);
    expect(await statusOf(chargeId)).toBe('pending');
    expect(world.enqueued.filter((id) => id === chargeId).length).toBeGreaterThanOrEqual(2);
  });

  it('finding 3: a payment the processor keeps undecided is flagged for a person after reviewAfter, stays open, and settles when the processor decides', async () => {
    world.processor.cards.set('pm_sandbox_processingThenSucceeds', 'processing');
    const chargeId = await newCharge('pm_sandbox_processingThenSucceeds');
    await work(chargeId);
    world.clock.now += STUCK_AFTER_MS + 1;
    expect(actionsFor(await pass(), chargeId)).toEqual(['deferred']);
    world.clock.now += REVIEW_AFTER_MS;
    const flagged = await pass();
    expect(actionsFor(flagged, chargeId)).toEqual(['flagged_for_review']);
    expect(flagged.inReview).toBeGreaterThanOrEqual(1);
    expect(await world.charges.findInReview(100)).toContain(chargeId);
    expect(await statusOf(chargeId)).toBe('pending'); // never failed while money may move
    world.clock.now += STUCK_AFTER_MS + 1;
    expect(actionsFor(await pass(), chargeId)).toEqual(['deferred']); // flagged once, still looked at

    world.processor.settle((await world.charges.get(chargeId))?.processorPaymentId ?? '', 'succeeded');
    world.clock.now += STUCK_AFTER_MS + 1;
    expect(actionsFor(await pass(), chargeId)).toEqual(['finalized']);
    expect(await statusOf(chargeId)).toBe('succeeded');
    expect(await world.charges.findInReview(100)).not.toContain(chargeId);
  });

  it('finding 4: a rejected lookup and a broken charge do not stop the pass; later charges and the DLQ are still reached', async () => {
    const rejected = await newCharge();
    const later = await newCharge();
    for (const chargeId of [rejected, later]) {
      world.processor.failNext('confirm', 'timeout-after');
      await work(chargeId);
    }
    const broken = await newCharge();
    const dead = await newCharge();
    world.processor.failNext('confirm', 'timeout-after');
    await work(dead);
    world.letters.add(dead);
    world.clock.now += STUCK_AFTER_MS + 1;

    // The lookup of `rejected`'s payment is refused (charges other tests left open are not touched).
    const rejectedPayment = (await world.charges.get(rejected))?.processorPaymentId;
    const processor = world.processor;
    const refusing = Object.create(processor) as FakeProcessor;
    refusing.retrievePayment = async (paymentId) => {
      if (paymentId === rejectedPayment) throw new ProcessorConfigurationError('retrieve: 401 invalid API key');
      return processor.retrievePayment(paymentId);
    };
    const charges = world.charges;
    const failing = Object.create(charges) as ChargeRepository;
    failing.get = async (chargeId) => {
      if (chargeId === broken) throw new Error('ProvisionedThroughputExceededException');
      return charges.get(chargeId);
    };
    const report = await pass({ charges: failing, processor: refusing });
    expect(report.completed).toBe(true);
    expect(report.errors).toBe(1);
    expect(report.actions.find((entry) => entry.chargeId === broken)?.action).toBe('error');
    const settled = [rejected, later, dead].map(async (chargeId) => statusOf(chargeId));
    const statuses = await Promise.all(settled);
    // The refused lookup's charge stays open; the others are settled.
    expect(statuses.filter((status) => status === 'succeeded')).toHaveLength(2);
    expect(statuses.filter((status) => status === 'pending')).toHaveLength(1);
    expect(report.deadLetters.received).toBe(1);
  });

  it('flagged charges leave the open-charges index, so however many wait for a person, newer stuck charges are still reached', async () => {
    world.processor.cards.set('pm_sandbox_processingThenSucceeds', 'processing');
    const flagged = await newCharge('pm_sandbox_processingThenSucceeds');
    await work(flagged);
    world.clock.now += REVIEW_AFTER_MS + 1;
    expect(actionsFor(await pass(), flagged)).toEqual(['flagged_for_review']);
    const lost = await newCharge(); // its enqueue was lost
    world.clock.now += STUCK_AFTER_MS + 1;
    // The oldest-first open-charges index no longer holds the flagged charge: it cannot take a newer one's place.
    const open = await world.charges.findOpenCharges(world.clock.now, 10_000);
    expect(open).toContain(lost);
    expect(open).not.toContain(flagged);
    const report = await pass();
    expect(actionsFor(report, lost)).toEqual(['re_enqueued']);
    expect(actionsFor(report, flagged)).toEqual(['deferred']); // still looked at, from the review index
    expect(report.inReview).toBeGreaterThanOrEqual(1);
  });

  it('ends a pass at its deadline, starting no new item, and says it did not complete', async () => {
    await newCharge();
    world.clock.now += STUCK_AFTER_MS + 1;
    const report = await pass({}, world.clock.now - 1);
    expect(report.completed).toBe(false);
    expect(report.actions).toEqual([]);
  });
});

describe('review settlement: a person closes an open charge, never against the processor', () => {
  it('refuses to settle failed a charge whose payment succeeded, and records the processor’s success instead', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'timeout-after');
    await work(chargeId);
    const deps = { charges: world.charges, processor: world.processor, now: () => world.clock.now };
    await expect(settleReview(deps, { chargeId, as: 'failed', operator: 'alice' })).rejects.toThrow(/says payment .* succeeded/);
    expect(await statusOf(chargeId)).toBe('pending');
    await settleReview(deps, { chargeId, as: 'succeeded', operator: 'alice' });
    expect(await statusOf(chargeId)).toBe('succeeded');
  });

  it('refuses a payment the processor has not decided', async () => {
    world.processor.cards.set('pm_sandbox_processingThenSucceeds', 'processing');
    const chargeId = await newCharge('pm_sandbox_processingThenSucceeds');
    await work(chargeId);
    const deps = { charges: world.charges, processor: world.processor, now: () => world.clock.now };
    await expect(settleReview(deps, { chargeId, as: 'failed', operator: 'alice' })).rejects.toBeInstanceOf(SettlementRefusedError);
    expect(await statusOf(chargeId)).toBe('pending');
  });

  it('settles failed a charge whose payment was never confirmed, cancelling the payment first', async () => {
    const chargeId = await newCharge();
    world.processor.failNext('confirm', 'unavailable');
    await work(chargeId);
    const deps = { charges: world.charges, processor: world.processor, now: () => world.clock.now };
    // Settling does not confirm: a payment never confirmed never will be by a settlement, and it says what to do instead.
    await expect(settleReview(deps, { chargeId, as: 'succeeded', operator: 'alice' })).rejects.toThrow(/was never confirmed .* no money moved; settle it --as failed/);
    const settled = await settleReview(deps, { chargeId, as: 'failed', operator: 'alice' });
    expect(settled).toMatchObject({ kind: 'failed', code: 'payment_canceled', message: expect.stringMatching(/^Settled as failed by alice: payment \S+ was never confirmed; it was cancelled and no money moved\.$/) });
    expect(await statusOf(chargeId)).toBe('failed');
    expect(world.processor.paymentsOf(chargeId)[0]?.status).toBe('canceled');
    expect(await work(chargeId)).toEqual({ kind: 'final', status: 'failed' });
    expect(world.processor.capturesOf(chargeId)).toBe(0);
  });
});

describe('replays of a charge no worker has claimed', () => {
  const request = () => ({ merchantId: world.merchantId, idempotencyKey: randomUUID(), body: { amount: 700, currency: 'usd', payment_method: 'pm_card_visa' } });

  it('a burst of retries right after the first request replays without enqueuing again (the first request enqueued)', async () => {
    const deps = createDeps({ reEnqueueAfterMs: 5_000 });
    const input = request();
    const first = await createCharge(deps, { ...input, requestToken: randomUUID() });
    world.clock.now += 1_000;
    const replays = await Promise.all(Array.from({ length: 20 }, () => createCharge(deps, { ...input, requestToken: randomUUID() })));
    expect(replays.every((outcome) => outcome.kind === 'replayed' && first.kind === 'created' && outcome.response.body === first.response.body)).toBe(true);
    expect(world.enqueued).toHaveLength(1);
  });

  it('once the creating request is surely over, a burst of retries enqueues a lost charge exactly once per interval', async () => {
    const deps = createDeps({ reEnqueueAfterMs: 5_000, queue: { enqueue: async (chargeId) => void world.enqueued.push(chargeId) } });
    const input = request();
    const lostEnqueue = createDeps({ queue: { enqueue: async () => Promise.reject(new Error('SQS down')) } });
    const first = await createCharge(lostEnqueue, { ...input, requestToken: randomUUID() });
    const chargeId = first.kind === 'created' ? first.chargeId : '';
    expect(world.enqueued).toEqual([]);

    world.clock.now += 6_000;
    await Promise.all(Array.from({ length: 20 }, () => createCharge(deps, { ...input, requestToken: randomUUID() })));
    expect(world.enqueued).toEqual([chargeId]);
    world.clock.now += 1_000;
    await Promise.all(Array.from({ length: 20 }, () => createCharge(deps, { ...input, requestToken: randomUUID() })));
    expect(world.enqueued).toEqual([chargeId]);
    world.clock.now += 5_000;
    await createCharge(deps, { ...input, requestToken: randomUUID() });
    expect(world.enqueued).toEqual([chargeId, chargeId]);
  });

  it('a charge a worker has claimed is never re-enqueued by a replay (its message is waiting out a backoff)', async () => {
    world.processor.failNext('confirm', 'unavailable');
    const deps = createDeps({ reEnqueueAfterMs: 1_000 });
    const input = request();
    const first = await createCharge(deps, { ...input, requestToken: randomUUID() });
    const chargeId = first.kind === 'created' ? first.chargeId : '';
    expect(await work(chargeId)).toMatchObject({ kind: 'retry' });
    expect(await statusOf(chargeId)).toBe('pending');
    world.clock.now += 60_000;
    await createCharge(deps, { ...input, requestToken: randomUUID() });
    expect(world.enqueued).toEqual([chargeId]);
  });
});

describe('key generations', () => {
  it('a key whose charge is still open keeps referring to it past its retention: a retry replays, never a second charge', async () => {
    world.processor.cards.set('pm_sandbox_processingThenSucceeds', 'processing');
    const key = randomUUID();
    const deps = createDeps({ idempotencyRetentionMs: 60_000, recordRetentionMs: 120_000, reEnqueueAfterMs: 1 });
    const request = { merchantId: world.merchantId, idempotencyKey: key, body: { amount: 900, currency: 'usd', payment_method: 'pm_sandbox_processingThenSucceeds' } };
    const first = await createCharge(deps, { ...request, requestToken: randomUUID() });
    const chargeId = first.kind === 'created' ? first.chargeId : '';
    await work(chargeId); // the payment is processing: the charge stays open
    world.clock.now += 61_000;
    expect(await createCharge(deps, { ...request, requestToken: randomUUID() })).toMatchObject({ kind: 'replayed', chargeId });
    expect(await world.charges.get(chargeIdFor(world.merchantId, key, 1))).toBeUndefined();
  });

  it('finding 6: a retry of generation 1 after TTL purged generation 0 replays generation 1, it never recreates generation 0', async () => {
    const key = randomUUID();
    const deps = createDeps({ idempotencyRetentionMs: 60_000, recordRetentionMs: 120_000, reEnqueueAfterMs: 1 });
    const request = { merchantId: world.merchantId, idempotencyKey: key, body: { amount: 900, currency: 'usd', payment_method: 'pm_card_visa' } };
    const first = await createCharge(deps, { ...request, requestToken: randomUUID() });
    await work(chargeIdFor(world.merchantId, key, 0)); // final: only then can its key move on
    world.clock.now += 100_000; // generation 0 expired 40 s ago
    const second = await createCharge(deps, { ...request, requestToken: randomUUID() });
    expect(second.kind).toBe('created');
    const generation0 = chargeIdFor(world.merchantId, key, 0);
    const generation1 = chargeIdFor(world.merchantId, key, 1);
    expect(first.kind === 'created' && first.chargeId).toBe(generation0);
    const [older, newer] = await Promise.all([world.charges.get(generation0), world.charges.get(generation1)]);
    // TTL purges by purge_at: generation 0 must outlive generation 1.
    expect(older?.purgeAt).toBeGreaterThanOrEqual(newer?.purgeAt ?? Infinity);

    // A TTL sweep (DeleteItem standing in for TTL) once generation 0's own retention (120 s) has run
    // out, while generation 1's key (kept 60 s from its creation) still holds.
    world.clock.now += 30_000;
    await purgeExpired(world.clock.now, [generation0, generation1]);
    const retry = await createCharge(deps, { ...request, requestToken: randomUUID() });
    expect(retry).toMatchObject({ kind: 'replayed', chargeId: generation1 });
    expect(await world.charges.get(generation0)).toBeDefined();
  });
});

/** What DynamoDB TTL does: deletes items whose `purge_at` (epoch seconds) has passed. */
async function purgeExpired(now: number, chargeIds: string[]): Promise<void> {
  for (const chargeId of chargeIds) {
    await table.client
      .send(
        new DeleteItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: `CHARGE#${chargeId}` } },
          ConditionExpression: 'purge_at <= :now',
          ExpressionAttributeValues: { ':now': { N: String(Math.floor(now / 1000)) } },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}
