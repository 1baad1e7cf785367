/**
 * The restore drill (docs/runbook.md), locally: a stack takes charges, a refund and a webhook
 * endpoint; it stops; its three tables are copied as a restore would produce them (then stream and
 * TTL turned back on, as the runbook does); a stack started on the copies (`restoredTables`)
 * serves what the first one recorded, and moves no money twice. DynamoDB Local and the processor
 * sandbox outlive both stacks, as DynamoDB and Stripe would.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageConfig, type RestoredTables } from '#infra/stage-config.ts';
import { copyTableAsRestored } from '../../scripts/local/copy-tables.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../scripts/local/dynamodb-local.ts';
import { DEMO_MERCHANTS, LOCAL_CREDENTIALS, LOCAL_REGION, startLocalStack, type LocalStack } from '../../scripts/local/local-stack.ts';
import { startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';

const KEY = DEMO_MERCHANTS[0].secretKey;
const CHARGE_BODY = { amount: 4200, currency: 'usd', payment_method: 'pm_card_visa', description: 'before the restore' };

async function call(stack: LocalStack, method: string, path: string, body?: unknown, idempotencyKey?: string) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${KEY}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (const deadline = Date.now() + 15_000; ; ) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const settled = (stack: LocalStack, path: string) =>
  until(path, () => call(stack, 'GET', path), (answer) => answer.json['status'] === 'succeeded');

describe('the restore drill', () => {
  let dynamodbLocal: RunningDynamoDbLocal | undefined;
  let sandbox: ProcessorSandbox | undefined;
  let stack: LocalStack | undefined;
  afterAll(async () => {
    await stack?.stop();
    await sandbox?.stop();
    await dynamodbLocal?.stop();
  });

  const before: { answer: Record<string, unknown>; charge: Record<string, unknown>; other: Record<string, unknown>; refund: Record<string, unknown>; endpointId: string } = {
    answer: {},
    charge: {},
    other: {},
    refund: {},
    endpointId: '',
  };
  let restored: RestoredTables;

  beforeAll(async () => {
    dynamodbLocal = await startDynamoDbLocal();
    sandbox = await startProcessorSandbox({ rateLimitPerSecond: stageConfig('local').processor.requestsPerSecond });
    stack = await startLocalStack({ port: 0, runSchedules: false, dynamodbLocal, sandbox });
    const first = stack;

    const created = await call(first, 'POST', '/v1/charges', CHARGE_BODY, 'drill-charge-1');
    expect(created.status).toBe(202);
    before.answer = created.json;
    before.charge = (await settled(first, `/v1/charges/${String(created.json['id'])}`)).json;
    const other = await call(first, 'POST', '/v1/charges', { ...CHARGE_BODY, amount: 1500 }, 'drill-charge-2');
    before.other = (await settled(first, `/v1/charges/${String(other.json['id'])}`)).json;
    const refund = await call(first, 'POST', '/v1/refunds', { charge: before.charge['id'], amount: 1000 }, 'drill-refund-1');
    expect(refund.status).toBe(202);
    before.refund = (await settled(first, `/v1/refunds/${String(refund.json['id'])}`)).json;
    before.charge = (await call(first, 'GET', `/v1/charges/${String(before.charge['id'])}`)).json;
    const endpoint = await call(first, 'POST', '/v1/webhook_endpoints', { url: 'http://127.0.0.1:9/drill', enabled_events: ['refund.succeeded'] });
    expect(endpoint.status).toBe(201);
    before.endpointId = String(endpoint.json['id']);
    const { ChargesTableName: charges = '', MerchantsTableName: merchants = '', WebhooksTableName: webhooks = '' } = first.outputs;
    await first.stop();
    stack = undefined;

    const dynamodb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamodbLocal.endpoint });
    try {
      const copies = await Promise.all([charges, merchants, webhooks].map((table) => copyTableAsRestored(dynamodb, table, `${table}-restored`)));
      expect(copies.map((copy) => copy.items).every((items) => items > 0)).toBe(true);
      restored = { charges: `${charges}-restored`, chargesStreamArn: copies[0]?.streamArn ?? '', merchants: `${merchants}-restored`, webhooks: `${webhooks}-restored` };
    } finally {
      dynamodb.destroy();
    }
    stack = await startLocalStack({ port: 0, runSchedules: false, dynamodbLocal, sandbox, restoredTables: restored });
  }, 120_000);

  it('runs on the copies', () => {
    expect(stack?.outputs).toMatchObject({ ChargesTableName: restored.charges, MerchantsTableName: restored.merchants, WebhooksTableName: restored.webhooks });
  });

  it('serves the charges, the refund, the lists and the webhook endpoint as they were', async () => {
    const second = stack!;
    expect((await call(second, 'GET', `/v1/charges/${String(before.charge['id'])}`)).json).toEqual(before.charge);
    expect(before.charge).toMatchObject({ status: 'succeeded', amount_refunded: 1000 });
    expect((await call(second, 'GET', `/v1/refunds/${String(before.refund['id'])}`)).json).toEqual(before.refund);
    const list = await call(second, 'GET', '/v1/charges');
    expect((list.json['data'] as Array<{ id: string }>).map((charge) => charge.id)).toEqual([before.other['id'], before.charge['id']]);
    const endpoints = await call(second, 'GET', '/v1/webhook_endpoints');
    expect((endpoints.json['data'] as Array<{ id: string }>).map((endpoint) => endpoint.id)).toEqual([before.endpointId]);
  });

  it('answers the original POST replayed with its key with the same charge, and charges nobody twice', async () => {
    const second = stack!;
    // The replay is the first answer again (the charge as it was then), as before the restore.
    const replay = await call(second, 'POST', '/v1/charges', CHARGE_BODY, 'drill-charge-1');
    expect(replay).toEqual({ status: 202, json: before.answer });
    expect(before.answer['id']).toBe(before.charge['id']);
    const captures = sandbox!.ledger().filter((entry) => entry.kind === 'capture');
    expect(captures).toHaveLength(2);
  });

  it('refunds a restored charge, and the events function reads the copy’s stream', async () => {
    const second = stack!;
    const refund = await call(second, 'POST', '/v1/refunds', { charge: before.other['id'] }, 'drill-refund-2');
    expect(refund.status).toBe(202);
    await settled(second, `/v1/refunds/${String(refund.json['id'])}`);
    expect((await call(second, 'GET', `/v1/charges/${String(before.other['id'])}`)).json).toMatchObject({ refunded: true, amount_refunded: 1500 });
    expect(sandbox!.ledger().filter((entry) => entry.kind === 'refund').map((entry) => entry.amount)).toEqual([1000, 1500]);
    // refund.succeeded, published from the copy's stream, only for the refund made after the restore.
    const events = await until(
      'refund.succeeded events',
      () => call(second, 'GET', '/v1/events?type=refund.succeeded'),
      (answer) => ((answer.json['data'] as unknown[] | undefined) ?? []).length > 1,
    );
    const refunds = (events.json['data'] as Array<{ data: { object: { id: string } } }>).map((event) => event.data.object.id);
    expect(refunds).toContain(refund.json['id']);
  });

  it('refuses to start on restored tables that are not there, or a stream that is not the charges copy’s', async () => {
    const { charges } = restored;
    await expect(startLocalStack({ port: 0, restoredTables: restored })).rejects.toThrow('restoredTables name tables of a running DynamoDB Local: pass it as dynamodbLocal');
    await expect(startLocalStack({ port: 0, dynamodbLocal: dynamodbLocal!, sandbox: sandbox!, restoredTables: { ...restored, webhooks: 'no-such-table' } })).rejects.toThrow(
      'restoredTables: DynamoDB Local has no table no-such-table',
    );
    const otherStream = restored.chargesStreamArn.replace(/\/stream\/.*$/, '/stream/2020-01-01T00:00:00.000');
    await expect(startLocalStack({ port: 0, dynamodbLocal: dynamodbLocal!, sandbox: sandbox!, restoredTables: { ...restored, chargesStreamArn: otherStream } })).rejects.toThrow(
      `restoredTables: ${otherStream} is not the stream of ${charges}`,
    );
  });
});
