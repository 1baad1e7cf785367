import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DescribeTimeToLiveCommand, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { SqsWorkQueue } from '#adapters/sqs-work-queue.ts';
import { createCharge, type CreateChargeDeps } from '#domain/create-charge.ts';
import { createChargeHandler } from '#handlers/create-charge.ts';
import { apiClient, expectCaptures } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { describeEmbedded } from '../support/target.ts';
import { injectFault } from '../support/faults.ts';
import { inMemoryAuthenticator } from '../support/api-keys.ts';

const acme = apiClient(inject('demoKeys').acme);
const globex = apiClient(inject('demoKeys').globex);
const visa = { amount: 1200, currency: 'usd', payment_method: 'pm_card_visa' };

describe('Idempotency-Key header', () => {
  it.each([
    ['missing', null, 'is required on POST'],
    ['empty', '', 'must not be empty'],
    ['over 255 characters', 'k'.repeat(256), 'must be at most 255 characters'],
    ['non-printable (tab)', 'a\tb', 'must contain printable ASCII characters only'],
    ['non-ASCII', 'caf\u00e9', 'must contain printable ASCII characters only'],
  ])('%s → 400 problem+json', async (_, idempotencyKey, message) => {
    const result = await acme.createCharge(visa, { idempotencyKey });
    expect(result.status).toBe(400);
    expect(result.headers.get('content-type')).toBe('application/problem+json');
    expect(result.json).toMatchObject({
      type: 'https://oncepay.dev/problems/validation-error',
      status: 400,
      errors: [{ field: 'Idempotency-Key', message }],
    });
  });
});

describe('scope is (merchant, key)', () => {
  it('the same key from two merchants creates two charges, neither a replay', async () => {
    const key = randomUUID();
    const fromAcme = await acme.createCharge(visa, { idempotencyKey: key });
    const fromGlobex = await globex.createCharge({ ...visa, amount: 999 }, { idempotencyKey: key });
    expect(fromAcme.status).toBe(202);
    expect(fromGlobex.status).toBe(202);
    expect(fromGlobex.headers.get('idempotent-replayed')).toBeNull();
    expect(fromGlobex.json['id']).not.toBe(fromAcme.json['id']);
    await acme.awaitFinal(String(fromAcme.json['id']));
    await globex.awaitFinal(String(fromGlobex.json['id']));
    await expectCaptures(String(fromAcme.json['id']), 1);
    await expectCaptures(String(fromGlobex.json['id']), 1);
  });

  it('a merchant cannot read another merchant’s charge: 404, as for a missing one', async () => {
    const created = await acme.createCharge(visa);
    const id = String(created.json['id']);
    const asGlobex = await globex.getCharge(id);
    expect(asGlobex.status).toBe(404);
    expect(asGlobex.text).toBe((await globex.getCharge('ch_0000000000000000000000')).text.replace('ch_0000000000000000000000', id));
  });

  it('a merchant cannot block another’s key: a different body under the same key is not a 422 across tenants', async () => {
    const key = randomUUID();
    expect((await acme.createCharge(visa, { idempotencyKey: key })).status).toBe(202);
    expect((await globex.createCharge({ ...visa, amount: 51 }, { idempotencyKey: key })).status).toBe(202);
  });
});

describe('fingerprint', () => {
  it('same key, different body → 422 naming the differing fields, not their values', async () => {
    const key = randomUUID();
    await acme.createCharge({ ...visa, metadata: { order: 'A-1' } }, { idempotencyKey: key });
    const reuse = await acme.createCharge({ ...visa, amount: 1300, metadata: { order: 'B-2' } }, { idempotencyKey: key });
    expect(reuse.status).toBe(422);
    expect(reuse.headers.get('content-type')).toBe('application/problem+json');
    expect(reuse.json).toMatchObject({
      type: 'https://oncepay.dev/problems/idempotency-key-reused',
      status: 422,
      differing_fields: ['amount', 'metadata.order'],
    });
    expect(reuse.text).not.toContain('B-2');
    expect(reuse.text).not.toContain('1300');
  });
});

describe('a retry, however soon, is a replay', () => {
  it('twenty immediate retries (a lost response retried at once) all replay the first response byte for byte', async () => {
    const key = randomUUID();
    const first = await acme.createCharge(visa, { idempotencyKey: key });
    expect(first.status).toBe(202);
    for (let retry = 0; retry < 20; retry += 1) {
      const replay = await acme.createCharge(visa, { idempotencyKey: key });
      expect(replay.status, `retry ${retry}`).toBe(202);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('location')).toBe(first.headers.get('location'));
      expect(replay.text).toBe(first.text);
    }
    const id = String(first.json['id']);
    await acme.awaitFinal(id);
    await expectCaptures(id, 1);
  });

  it('50 parallel identical requests: exactly one charge and one capture; every other answer is its replay', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => acme.createCharge(visa, { idempotencyKey: key })));
    expect(results.map((result) => result.status)).toEqual(Array.from({ length: 50 }, () => 202));
    const firsts = results.filter((result) => result.headers.get('idempotent-replayed') === null);
    expect(firsts).toHaveLength(1);
    for (const result of results) expect(result.text).toBe(firsts[0]?.text);
    const id = String(firsts[0]?.json['id']);
    await acme.awaitFinal(id);
    await expectCaptures(id, 1);
  });
});

describe('what is not remembered', () => {
  it('a 400 is not remembered: the same key with a fixed body then succeeds', async () => {
    const key = randomUUID();
    const invalid = await acme.createCharge({ ...visa, amount: -1 }, { idempotencyKey: key });
    expect(invalid.status).toBe(400);
    const fixed = await acme.createCharge(visa, { idempotencyKey: key });
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a 401 is not remembered: the same key with a valid secret key then succeeds', async () => {
    const key = randomUUID();
    const unauthorized = await apiClient('sk_test_not_a_real_key').createCharge(visa, { idempotencyKey: key });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('content-type')).toBe('application/problem+json');
    expect((await acme.createCharge(visa, { idempotencyKey: key })).status).toBe(202);
  });

  it('a missing Authorization header is a 401 problem', async () => {
    const response = await fetch(`${inject('apiUrl')}/v1/charges/ch_0000000000000000000000`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});

describeEmbedded('the handler against DynamoDB Local, with injected faults', () => {
  const endpoints = inject('endpoints');
  const outputs = inject('outputs');
  const clientConfig = { region: inject('region'), credentials: inject('credentials') };
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
  const sqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false });
  afterAll(() => {
    dynamodb.destroy();
    sqs.destroy();
  });

  const fixture = JSON.parse(readFileSync(new URL('../fixtures/events/post-charge.json', import.meta.url), 'utf8')) as APIGatewayProxyEvent;
  const context = { awsRequestId: 'test-request', getRemainingTimeInMillis: () => 5000 } as unknown as Context;
  const enqueueFailures: string[] = [];

  function handlerWith(overrides: Partial<CreateChargeDeps> = {}) {
    const deps: CreateChargeDeps = {
      charges: new DynamoDbChargeRepository(dynamodb, String(outputs['ChargesTableName'])),
      queue: new SqsWorkQueue(sqs, String(outputs['WorkQueueUrl'])),
      now: Date.now,
      idempotencyRetentionMs: 24 * 3_600_000,
      recordRetentionMs: 30 * 86_400_000,
      reEnqueueAfterMs: 5_000,
      onEnqueueFailed: (chargeId) => enqueueFailures.push(chargeId),
      ...overrides,
    };
    return createChargeHandler({
      authenticate: inProcessKeys.authenticate,
      createCharge: (input) => createCharge(deps, input),
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    });
  }

  const inProcessMerchants = ['mer_fault', 'mer_lossy', 'mer_acme', 'mer_retention'];
  const inProcessKeys = inMemoryAuthenticator(Object.fromEntries(inProcessMerchants.map((merchantId) => [`sk_test_${merchantId}`, merchantId])));

  function event(merchantId: string, key: string): APIGatewayProxyEvent {
    return {
      ...fixture,
      headers: { ...fixture.headers, Authorization: `Bearer sk_test_${merchantId}`, 'Idempotency-Key': key },
    };
  }

  it('a failure before the charge is durable is not remembered: the retry succeeds', async () => {
    const key = randomUUID();
    const throttled = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb, maxAttempts: 2 });
    const fault = injectFault(throttled, 'PutItemCommand', 'fail-before-send', {
      times: 2,
      error: () => new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} }),
    });
    const failing = handlerWith({ charges: new DynamoDbChargeRepository(throttled, String(outputs['ChargesTableName'])) });
    const first = await failing(event('mer_fault', key), context);
    expect(fault.fired()).toBe(2);
    expect(first.statusCode).toBe(500);
    expect(JSON.parse(first.body)).toMatchObject({ type: 'https://oncepay.dev/problems/internal-error', request_id: 'test-request' });
    expect(first.body).not.toContain('throttled');
    const retry = await failing(event('mer_fault', key), context);
    expect(retry.statusCode).toBe(202);
    expect(retry.headers?.['Idempotent-Replayed']).toBeUndefined();
    throttled.destroy();
  });

  it('the lost-response trap: our own conditional write, retried by the SDK, is recognised by its owner token', async () => {
    const key = randomUUID();
    const lossy = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
    const fault = injectFault(lossy, 'PutItemCommand', 'lose-response-after-send');
    const handler = handlerWith({
      charges: new DynamoDbChargeRepository(lossy, String(outputs['ChargesTableName'])),
    });
    const response = await handler(event('mer_lossy', key), context);
    expect(fault.fired()).toBe(1);
    expect(response.statusCode).toBe(202);
    expect(response.headers?.['Idempotent-Replayed']).toBeUndefined();
    const replay = await handler(event('mer_lossy', key), context);
    expect(replay.body).toBe(response.body);
    lossy.destroy();
  });

  it('a pending charge whose enqueue failed is enqueued again by the next retry of the same key', async () => {
    const key = randomUUID();
    const brokenSqs = new SQSClient({ ...clientConfig, endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false, maxAttempts: 1 });
    injectFault(brokenSqs, 'SendMessageCommand', 'fail-before-send');
    const handler = handlerWith({ queue: new SqsWorkQueue(brokenSqs, String(outputs['WorkQueueUrl'])), reEnqueueAfterMs: 1 });
    const merchantId = 'mer_acme'; // so the charge can be read through the HTTP API
    const first = await handler(event(merchantId, key), context);
    expect(first.statusCode).toBe(202);
    const id = String(JSON.parse(first.body).id);
    expect(enqueueFailures).toContain(id);
    expect((await acme.getCharge(id)).json['status']).toBe('pending');

    const retry = await handler(event(merchantId, key), context);
    expect(retry.statusCode).toBe(202);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    const final = await acme.awaitFinal(id);
    expect(final.json['status']).toBe('succeeded');
    await expectCaptures(id, 1);
    brokenSqs.destroy();
  });

  it('a key past its retention whose charge is final refers to nothing: it creates a new charge and leaves the old one intact', async () => {
    const key = randomUUID();
    let clock = Date.now();
    const handler = handlerWith({ now: () => clock, idempotencyRetentionMs: 60_000, reEnqueueAfterMs: 1 });
    const first = await handler(event('mer_retention', key), context);
    // A key moves on only once its charge is final: let the worker finish it.
    const repository = new DynamoDbChargeRepository(dynamodb, String(outputs['ChargesTableName']));
    const firstId = String(JSON.parse(first.body).id);
    await eventually(() => repository.get(firstId), (record) => record?.charge.status === 'succeeded', { timeoutMs: 10_000, what: 'the first charge to succeed' });
    clock += 59_000;
    const withinRetention = await handler(event('mer_retention', key), context);
    expect(withinRetention.body).toBe(first.body);
    expect(withinRetention.headers?.['Idempotent-Replayed']).toBe('true');

    clock += 2_000; // past the retention
    const afterExpiry = await handler(event('mer_retention', key), context);
    expect(afterExpiry.statusCode).toBe(202);
    expect(afterExpiry.headers?.['Idempotent-Replayed']).toBeUndefined();
    const newId = JSON.parse(afterExpiry.body).id;
    expect(newId).not.toBe(firstId);

    const old = await repository.get(firstId);
    expect(old?.idempotency.key).toBe(key);
    expect(old?.purgeAt).toBeGreaterThanOrEqual(old?.idempotency.expiresAt ?? Infinity);
    clock += 1_000; // past the in-flight window, so the answer is a replay whether or not a worker claimed it yet
    const replayOfNew = await handler(event('mer_retention', key), context);
    expect(replayOfNew.body).toBe(afterExpiry.body);
  });

  it('DynamoDB TTL is enabled on purge_at, which only cleans up after the record retention', async () => {
    const { TimeToLiveDescription } = await dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: String(outputs['ChargesTableName']) }),
    );
    expect(TimeToLiveDescription).toMatchObject({ AttributeName: 'purge_at', TimeToLiveStatus: 'ENABLED' });
  });
});
