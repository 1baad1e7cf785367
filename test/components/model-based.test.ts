/**
 * Model-based tests with fast-check, against the real DynamoDB repository on DynamoDB Local:
 * random sequences of API requests, worker attempts (some crashing), clock jumps and
 * reconciliation passes must keep the charge state machine's promises; and concurrent
 * same-key requests, in every order fast-check's scheduler picks, create exactly one charge.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { canReach, chargeIdFor, type ChargeStatus } from '#domain/charge.ts';
import { createCharge, type CreateChargeDeps, type CreateChargeOutcome } from '#domain/create-charge.ts';
import type { ChargeRepository, DeadLetterQueue, DisputeRepository, RefundRepository, WorkQueue } from '#domain/ports.ts';
import { processCharge } from '#domain/process-charge.ts';
import { reconcile } from '#domain/reconcile.ts';
import { startChargesTable, type ChargesTable } from '../support/charges-table.ts';
import { CrashError, FakeProcessor, type Fault } from '../support/fake-processor.ts';

const noDeadLetters: DeadLetterQueue = { receive: async () => [], delete: async () => undefined };
const BODY = { amount: 1234, currency: 'usd', payment_method: 'pm_card_visa' };
const LEASE_MS = 2_000;
const STUCK_AFTER_MS = 5_000;
const REVIEW_AFTER_MS = 60_000;

/** Where a worker attempt misbehaves: nowhere, or one processor call. */
type Behaviour = 'ok' | `${'prepare' | 'confirm' | 'retrieve'}:${Fault}`;
const BEHAVIOURS: Behaviour[] = ['ok', 'prepare:crash-after', 'confirm:timeout-after', 'confirm:crash-before', 'confirm:crash-after', 'retrieve:unavailable'];

interface World {
  merchantId: string;
  repository: ChargeRepository;
  refunds: RefundRepository;
  disputes: DisputeRepository;
  processor: FakeProcessor;
  enqueued: string[];
  clock: { now: number };
}

interface Model {
  keys: string[];
  /** Every status each charge has been seen in, in order. */
  seen: Map<string, ChargeStatus[]>;
}

async function observe(world: World, model: Model, chargeId: string): Promise<void> {
  const record = await world.repository.get(chargeId);
  if (!record) return;
  const history = model.seen.get(chargeId) ?? [];
  const last = history.at(-1);
  const now = record.charge.status;
  if (last !== undefined && last !== now) {
    // Every observed change follows the state machine (possibly through unobserved steps).
    expect(canReach(last, now), `${chargeId} went from ${last} to ${now}`).toBe(true);
  }
  history.push(now);
  model.seen.set(chargeId, history);
  const captured = world.processor.capturesOf(chargeId);
  expect(captured, `${chargeId} captured more than once`).toBeLessThanOrEqual(1);
  if (now === 'succeeded') expect(captured).toBe(1);
  if (now === 'failed') expect(captured).toBe(0);
}

const createDeps = (world: World): CreateChargeDeps => ({
  charges: world.repository,
  queue: { enqueue: async (chargeId) => void world.enqueued.push(chargeId) },
  now: () => world.clock.now,
  idempotencyRetentionMs: 86_400_000,
  recordRetentionMs: 30 * 86_400_000,
  reEnqueueAfterMs: 1_000,
  onEnqueueFailed: () => undefined,
});

class CreateCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly keyIndex: number) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const key = `key-${this.keyIndex}`;
    const outcome = await createCharge(createDeps(world), { merchantId: world.merchantId, idempotencyKey: key, body: BODY, requestToken: randomUUID() });
    const known = model.keys.includes(key);
    if (!known) {
      expect(outcome.kind).toBe('created');
      model.keys.push(key);
    } else {
      expect(outcome.kind).toBe('replayed');
    }
    await observe(world, model, chargeIdFor(world.merchantId, key, 0));
  }
  toString = () => `create(key-${this.keyIndex})`;
}

class WorkerCommand implements fc.AsyncCommand<Model, World> {
  constructor(
    readonly keyIndex: number,
    readonly behaviour: Behaviour,
  ) {}
  check = (model: Readonly<Model>) => model.keys.includes(`key-${this.keyIndex}`);
  async run(model: Model, world: World): Promise<void> {
    const chargeId = chargeIdFor(world.merchantId, `key-${this.keyIndex}`, 0);
    if (this.behaviour !== 'ok') {
      const [call, fault] = this.behaviour.split(':') as ['prepare' | 'confirm' | 'retrieve', Fault];
      world.processor.failNext(call, fault);
    }
    try {
      await processCharge(
        { charges: world.repository, processor: world.processor, now: () => world.clock.now, processorTimeoutMs: 100 },
        { chargeId, leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS },
      );
    } catch (error) {
      if (!(error instanceof CrashError)) throw error;
    }
    await observe(world, model, chargeId);
  }
  toString = () => `worker(key-${this.keyIndex}, ${this.behaviour})`;
}

class ClockCommand implements fc.AsyncCommand<Model, World> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_model: Model, world: World): Promise<void> {
    world.clock.now += this.ms;
  }
  toString = () => `advance(${this.ms} ms)`;
}

class ReconcileCommand implements fc.AsyncCommand<Model, World> {
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    await reconcile(
      {
        charges: world.repository,
        queue: { enqueue: async (chargeId) => void world.enqueued.push(chargeId), enqueueRefund: async () => undefined } satisfies Partial<WorkQueue>,
        refunds: world.refunds,
        refundProcessor: world.processor,
        processorEvents: { source: world.processor, disputes: world.disputes },
        deadLetters: noDeadLetters,
        processor: world.processor,
        now: () => world.clock.now,
        stuckAfterMs: STUCK_AFTER_MS,
        reviewAfterMs: REVIEW_AFTER_MS,
        maxChargesPerPass: 100,
        maxDeadLettersPerPass: 0,
      },
      { leaseOwner: `reconciler/${randomUUID()}`, leaseDurationMs: LEASE_MS, deadline: Infinity },
    );
    for (const key of model.keys) await observe(world, model, chargeIdFor(world.merchantId, key, 0));
  }
  toString = () => 'reconcile()';
}

describe('model-based: the charge state machine on DynamoDB Local', () => {
  let table: ChargesTable;

  beforeAll(async () => {
    table = await startChargesTable('model');
  }, 60_000);
  afterAll(() => table.stop());

  it('keeps every promise under any sequence of requests, crashes, clock jumps and reconciliations', async () => {
    const commands = [
      fc.integer({ min: 0, max: 2 }).map((key) => new CreateCommand(key)),
      fc
        .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...BEHAVIOURS))
        .map(([key, behaviour]) => new WorkerCommand(key, behaviour)),
      fc.constantFrom(500, 2_500, 6_000).map((ms) => new ClockCommand(ms)),
      fc.constant(new ReconcileCommand()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (sequence) => {
        const world: World = {
          merchantId: `mer_model${randomUUID().slice(0, 8)}`,
          repository: new DynamoDbChargeRepository(table.client, table.tableName),
          refunds: new DynamoDbRefundRepository(table.client, table.tableName),
          disputes: new DynamoDbDisputeRepository(table.client, table.tableName),
          processor: new FakeProcessor(),
          enqueued: [],
          clock: { now: Date.now() },
        };
        const model: Model = { keys: [], seen: new Map() };
        await fc.asyncModelRun(() => ({ model, real: world }), sequence);

        // Once faults stop, everything ends: leases expire, the reconciler and workers finish.
        world.processor.clearFaults();
        for (let round = 0; round < 3; round += 1) {
          world.clock.now += STUCK_AFTER_MS + LEASE_MS;
          await new ReconcileCommand().run(model, world);
          for (const key of model.keys) {
            await processCharge(
              { charges: world.repository, processor: world.processor, now: () => world.clock.now, processorTimeoutMs: 100 },
              { chargeId: chargeIdFor(world.merchantId, key, 0), leaseOwner: randomUUID(), leaseDurationMs: LEASE_MS },
            );
          }
        }
        for (const key of model.keys) {
          const chargeId = chargeIdFor(world.merchantId, key, 0);
          await observe(world, model, chargeId);
          expect((await world.repository.get(chargeId))?.charge.status, `${chargeId} never finished`).toBe('succeeded');
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('creates exactly one charge per key, whatever order concurrent same-key requests reach DynamoDB in', async () => {
    const variant = fc.constantFrom('same', 'same', 'other-amount');
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(variant, { minLength: 2, maxLength: 6 }), async (scheduler, variants) => {
        const world: World = {
          merchantId: `mer_race${randomUUID().slice(0, 8)}`,
          repository: new DynamoDbChargeRepository(table.client, table.tableName),
          refunds: new DynamoDbRefundRepository(table.client, table.tableName),
          disputes: new DynamoDbDisputeRepository(table.client, table.tableName),
          processor: new FakeProcessor(),
          enqueued: [],
          clock: { now: Date.now() },
        };
        const real = world.repository;
        // Each request's conditional write is issued when the scheduler says so.
        const gated = Object.create(real) as ChargeRepository;
        gated.create = (record) => scheduler.schedule(Promise.resolve(), `write ${record.charge.amount}`).then(() => real.create(record));
        const deps = { ...createDeps(world), charges: gated };
        const bodies = variants.map((kind) => (kind === 'same' ? BODY : { ...BODY, amount: BODY.amount + 1 }));
        const pending = bodies.map((body) =>
          createCharge(deps, { merchantId: world.merchantId, idempotencyKey: 'race', body, requestToken: randomUUID() }),
        );
        await scheduler.waitAll();
        const outcomes: CreateChargeOutcome[] = await Promise.all(pending);

        const created = outcomes.filter((outcome) => outcome.kind === 'created');
        expect(created, scheduler.report().map((task) => task.label).join(' ')).toHaveLength(1);
        const stored = await real.get(chargeIdFor(world.merchantId, 'race', 0));
        const winner = bodies[outcomes.indexOf(created[0] as CreateChargeOutcome)];
        expect(stored?.charge.amount).toBe(winner?.amount);
        outcomes.forEach((outcome, index) => {
          if (outcome.kind === 'created') return;
          const sameAsWinner = bodies[index]?.amount === winner?.amount;
          if (sameAsWinner) expect(outcome.kind).toBe('replayed');
          else expect(outcome.kind).toBe('key_reused_with_other_body');
        });
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
