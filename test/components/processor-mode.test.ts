/**
 * The right Stripe account (issue 22, item 2): a stage's mode (`PROCESSOR_MODE`) against the
 * key it reads and against every answer's `livemode`, with the Stripe adapter on the processor
 * sandbox, the charges on DynamoDB Local and the key in the local Secrets Manager emulator.
 * An answer from the other mode comes through a proxy that flips `livemode`, as an API URL that
 * is not the stage's Stripe account would.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import type { ProcessorMode } from '#adapters/processor/stripe-key.ts';
import { cachedSecretString } from '#adapters/secrets.ts';
import { createCharge } from '#domain/create-charge.ts';
import { ProcessorConfigurationError, ProcessorModeMismatchError } from '#domain/errors.ts';
import { processCharge } from '#domain/process-charge.ts';
import { reconcile } from '#domain/reconcile.ts';
import { workMessageBody } from '#domain/work-message.ts';
import { workerHandler } from '#handlers/worker.ts';
import { INSTANT_LATENCY, startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';
import { startSecretsManagerEmulator, type RunningSecretsManager } from '../../scripts/local/secrets-manager-emulator.ts';
import { startChargesTable, type ChargesTable } from '../support/charges-table.ts';

const SECRET_ID = 'oncepay/test/stripe-secret-key';
const LIVE_KEY = 'sk_live_oncepay_mode_test';
const TEST_KEY = 'sk_test_oncepay_mode_test';

let table: ChargesTable;
let sandbox: ProcessorSandbox;
let charges: DynamoDbChargeRepository;

beforeAll(async () => {
  table = await startChargesTable('processor-mode');
  sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, rateLimitPerSecond: 0 });
  charges = new DynamoDbChargeRepository(table.client, table.tableName);
}, 60_000);
afterAll(async () => {
  await sandbox.stop();
  await table.stop();
});

/** Every `livemode` mismatch the adapter reported (what the functions count as `ProcessorLivemodeMismatch`). */
let mismatches: string[];
beforeEach(() => {
  mismatches = [];
});

function stripe(mode: ProcessorMode, secretKey: string | (() => Promise<string>), apiUrl = sandbox.url): StripeCardProcessor {
  return new StripeCardProcessor({ secretKey, keyOrigin: `secret ${SECRET_ID}`, mode, apiUrl, timeoutMs: 2_000, onModeMismatch: (detail) => mismatches.push(detail) });
}

async function newCharge(): Promise<string> {
  const outcome = await createCharge(
    {
      charges,
      queue: { enqueue: async () => undefined },
      now: Date.now,
      idempotencyRetentionMs: 86_400_000,
      recordRetentionMs: 30 * 86_400_000,
      reEnqueueAfterMs: 1_000,
      onEnqueueFailed: () => undefined,
    },
    { merchantId: 'mer_mode', idempotencyKey: randomUUID(), body: { amount: 2500, currency: 'usd', payment_method: 'pm_card_visa' }, requestToken: randomUUID() },
  );
  if (outcome.kind !== 'created') throw new Error(`expected a new charge, got ${outcome.kind}`);
  return outcome.chargeId;
}

const work = (processor: StripeCardProcessor, chargeId: string) =>
  processCharge({ charges, processor, now: Date.now, processorTimeoutMs: 2_000 }, { chargeId, leaseOwner: randomUUID(), leaseDurationMs: 10_000 });

const capturesOf = (chargeId: string) => sandbox.ledger().filter((entry) => entry.kind === 'capture' && entry.charge_id === chargeId).length;

describe('a stage whose key and answers are of its own mode', () => {
  it('a live stage with a live key charges as before: succeeded, one capture, no mismatch', async () => {
    const chargeId = await newCharge();
    expect(await work(stripe('live', LIVE_KEY), chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(capturesOf(chargeId)).toBe(1);
    expect(mismatches).toEqual([]);
  });

  it('a test stage with a restricted test key charges as before', async () => {
    const chargeId = await newCharge();
    expect(await work(stripe('test', 'rk_test_oncepay_mode_test'), chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(mismatches).toEqual([]);
  });
});

describe('a key of the wrong mode is refused at first use, as Stripe refusing the key would be', () => {
  it('a live stage with a test key: nothing is sent, the charge stays open and is retried, one clear error line, ProcessorConfigurationErrors counted', async () => {
    const chargeId = await newCharge();
    const errors: Array<[string, Record<string, unknown>]> = [];
    const logger = { addContext: () => undefined, info: () => undefined, warn: () => undefined, error: (message: string, fields: Record<string, unknown>) => errors.push([message, fields]) };
    const metrics = new Metrics({ namespace: 'test', serviceName: 'worker' });
    const counted = vi.spyOn(metrics, 'addMetric');
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const visibility: number[] = [];
    const processor = stripe('live', async () => TEST_KEY);
    const handler = workerHandler({
      useCaseDeps: {
        charges: { charges, processor, now: Date.now, processorTimeoutMs: 2_000 },
        refunds: { refunds: new DynamoDbRefundRepository(table.client, table.tableName), processor, now: Date.now, processorTimeoutMs: 2_000 },
        processorEvents: { source: processor, disputes: new DynamoDbDisputeRepository(table.client, table.tableName) },
      },
      setVisibility: async (_handle, seconds) => void visibility.push(seconds),
      retry: { baseDelaySeconds: 5, maxDelaySeconds: 300 },
      logger: logger as unknown as Logger,
      metrics,
      recordsInParallel: false,
    });
    const event = { Records: [{ messageId: 'm1', receiptHandle: 'r1', body: workMessageBody(chargeId), attributes: { ApproximateReceiveCount: '1' } }] } as unknown as SQSEvent;

    const response = await handler(event, { awsRequestId: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(visibility).toEqual([expect.any(Number)]);
    expect(counted).toHaveBeenCalledWith('ProcessorConfigurationErrors', 'Count', 1);
    expect(errors).toHaveLength(1);
    const line = JSON.stringify(errors[0]);
    expect(line).toContain(`secret ${SECRET_ID}`);
    expect(line).toContain('is a test key (sk_test_…) on a live stage');
    expect(line).toContain('sk_live_…');
    expect(line).not.toContain(TEST_KEY);
    const record = await charges.get(chargeId);
    expect(record?.charge.status).toBe('pending');
    expect(record?.processorPaymentId).toBeNull();
    expect(sandbox.ledger().filter((entry) => entry.charge_id === chargeId)).toEqual([]);
  });

  it.each([
    ['test', LIVE_KEY, /is a live key \(sk_live_…\) on a test stage/],
    ['test', 'rk_live_oncepay', /is a live key \(rk_live_…\) on a test stage/],
    ['live', 'rk_test_oncepay', /is a test key \(rk_test_…\) on a live stage/],
    ['live', 'pk_live_oncepay', /is not a Stripe secret or restricted key/],
    ['test', 'whsec_oncepay', /is not a Stripe secret or restricted key/],
  ] as const)('a %s stage refuses %s before sending anything', async (mode, key, problem) => {
    const chargeId = await newCharge();
    const outcome = await work(stripe(mode, key), chargeId);
    expect(outcome).toMatchObject({ kind: 'misconfigured', reason: expect.stringMatching(problem) });
    expect(outcome.kind === 'misconfigured' && outcome.reason).not.toContain(key);
    expect((await charges.get(chargeId))?.processorPaymentId).toBeNull();
  });
});

describe('an answer from the other mode is never used', () => {
  let proxy: OtherModeProxy;
  beforeAll(async () => {
    proxy = await startOtherModeProxy(sandbox.url);
  });
  afterAll(() => proxy.stop());

  it('a succeeded confirm from the other mode: the charge stays open, never succeeded, is flagged for a person, and the mismatch is counted; once the configuration is right it settles from the recorded payment', async () => {
    const chargeId = await newCharge();
    const processor = stripe('live', LIVE_KEY, proxy.url);
    proxy.flip((method, path) => method === 'POST' && path.endsWith('/confirm'));

    expect(await work(processor, chargeId)).toMatchObject({ kind: 'misconfigured', reason: expect.stringContaining('livemode false, but this stage is live') });
    let record = await charges.get(chargeId);
    expect(record?.charge.status).not.toBe('succeeded');
    expect(record?.review?.reason).toMatch(/livemode false, but this stage is live/);
    expect(mismatches).toHaveLength(1);
    // The other account took the money: that is what the person is told to look into.
    expect(capturesOf(chargeId)).toBe(1);

    // The reconciler's lookup meets the same wrong answer: the charge stays open and flagged.
    proxy.flip((method) => method === 'GET');
    const report = await reconcile(
      {
        charges,
        refunds: new DynamoDbRefundRepository(table.client, table.tableName),
        refundProcessor: processor,
        processorEvents: { source: processor, disputes: new DynamoDbDisputeRepository(table.client, table.tableName) },
        queue: { enqueue: async () => undefined, enqueueRefund: async () => undefined },
        deadLetters: { receive: async () => [], delete: async () => undefined },
        processor,
        now: () => Date.now() + 3_600_000,
        stuckAfterMs: 1,
        reviewAfterMs: 86_400_000,
        maxChargesPerPass: 1000,
        maxDeadLettersPerPass: 0,
      },
      { leaseOwner: randomUUID(), leaseDurationMs: 10_000, deadline: Infinity },
    );
    expect(report.actions.filter((entry) => entry.chargeId === chargeId).map((entry) => entry.action)).not.toContain('finalized');
    record = await charges.get(chargeId);
    expect(record?.charge.status).not.toBe('succeeded');
    expect(mismatches.length).toBeGreaterThan(1);

    proxy.flip(() => false);
    expect(await work(processor, chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
    expect(capturesOf(chargeId)).toBe(1);
  });

  it('a created payment from the other mode is never recorded: the charge is flagged and nothing is confirmed', async () => {
    const chargeId = await newCharge();
    proxy.flip((method, path) => method === 'POST' && path === '/v1/payment_intents');
    expect(await work(stripe('live', LIVE_KEY, proxy.url), chargeId)).toMatchObject({ kind: 'misconfigured' });
    const record = await charges.get(chargeId);
    expect(record?.processorPaymentId).toBeNull();
    expect(record?.review?.reason).toMatch(/livemode/);
    expect(capturesOf(chargeId)).toBe(0);
  });

  it('events and disputes from the other mode are refused too', async () => {
    proxy.flip(() => true);
    const processor = stripe('test', TEST_KEY, proxy.url);
    // The sandbox has events from the tests above; any one of them answers from the other mode now.
    await expect(processor.listEvents({ types: ['payment_intent.succeeded'], createdFrom: 0, createdTo: null, limit: 10, startingAfter: null })).rejects.toBeInstanceOf(
      ProcessorModeMismatchError,
    );
    const chargeId = await newCharge();
    proxy.flip(() => false);
    await work(processor, chargeId);
    proxy.flip(() => true);
    const paymentId = (await charges.get(chargeId))?.processorPaymentId ?? '';
    await expect(processor.paymentOwner(paymentId)).rejects.toBeInstanceOf(ProcessorModeMismatchError);
    expect(mismatches).toHaveLength(2);
  });
});

describe('the key is read through Powertools Parameters with a max age', () => {
  let secrets: Map<string, string>;
  let emulator: RunningSecretsManager;
  beforeAll(async () => {
    secrets = new Map();
    emulator = await startSecretsManagerEmulator(secrets, 'us-east-1');
  });
  afterAll(() => emulator.stop());

  const reader = (maxAgeSeconds: number) =>
    cachedSecretString(
      new SecretsProvider({
        awsSdkV3Client: new SecretsManagerClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      }),
      SECRET_ID,
      maxAgeSeconds,
    );

  it('a rotated key is used once the old one is past its max age, with no new container', async () => {
    const oldKey = `sk_test_old${randomUUID().replace(/-/g, '')}`;
    const newKey = `sk_test_new${randomUUID().replace(/-/g, '')}`;
    secrets.set(SECRET_ID, oldKey);
    const processor = stripe('test', reader(1));
    expect(await work(processor, await newCharge())).toEqual({ kind: 'final', status: 'succeeded' });

    // The runbook's order: the new key into the secret, then the old one expired at Stripe.
    secrets.set(SECRET_ID, newKey);
    sandbox.expireKey(oldKey);
    // Within the max age the old key is still in use, and Stripe refuses it: a configuration error, the charge stays open.
    const chargeId = await newCharge();
    expect(await work(processor, chargeId)).toMatchObject({ kind: 'misconfigured', reason: expect.stringContaining('api_key_expired') });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await work(processor, chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
  });

  it('a secret that cannot be read is oncepay’s configuration (the charge stays open, counted), and a failed read is not kept: the next call reads again', async () => {
    secrets.delete(SECRET_ID);
    const processor = stripe('test', reader(300));
    const chargeId = await newCharge();
    expect(await work(processor, chargeId)).toMatchObject({ kind: 'misconfigured', reason: expect.stringContaining(`The Stripe key in secret ${SECRET_ID} could not be read`) });
    secrets.set(SECRET_ID, TEST_KEY);
    expect(await work(processor, chargeId)).toEqual({ kind: 'final', status: 'succeeded' });
  });

  it('a secret holding no Stripe key is refused like a wrong key, naming the secret', async () => {
    secrets.set(SECRET_ID, '{"key": "sk_test_in_json"}');
    await expect(stripe('test', reader(300)).retrievePayment('pi_x')).rejects.toThrow(
      new ProcessorConfigurationError(`The Stripe key in secret ${SECRET_ID} is not a Stripe secret or restricted key; put a test secret key (sk_test_…) or restricted key (rk_test_…) there`),
    );
  });
});

interface OtherModeProxy {
  url: string;
  /** Which answers come back with `livemode` flipped, as from another account's mode. */
  flip(which: (method: string, path: string) => boolean): void;
  stop(): Promise<void>;
}

/** Forwards to the sandbox and flips `livemode` in the answers chosen: an API URL that is not the stage's account. */
async function startOtherModeProxy(upstream: string): Promise<OtherModeProxy> {
  let flipped: (method: string, path: string) => boolean = () => false;
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const method = request.method ?? 'GET';
      const path = new URL(request.url ?? '/', 'http://proxy').pathname;
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name, value]) => typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)),
      ) as Record<string, string>;
      void fetch(`${upstream}${request.url ?? '/'}`, { method, headers, ...(method === 'POST' ? { body: Buffer.concat(chunks) } : {}) }).then(async (answer) => {
        let text = await answer.text();
        if (flipped(method, path)) text = text.replace(/"livemode":\s*(true|false)/g, (_, mode: string) => `"livemode": ${mode === 'true' ? 'false' : 'true'}`);
        response.writeHead(answer.status, { 'Content-Type': 'application/json', 'Request-Id': answer.headers.get('request-id') ?? 'req_proxy' });
        response.end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    flip: (which) => {
      flipped = which;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
