/**
 * The local runner's DynamoDB Streams event source on DynamoDB Local's real stream: order,
 * batching, whole-batch and reported failures, bisecting, retries used up, and the on-failure
 * destination — Lambda's semantics for stream sources.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../scripts/local/dynamodb-local.ts';
import { startDynamoDbStreamEventSource, type StreamBatchFailure, type StreamEventSourceOptions } from '../../scripts/local/dynamodb-stream-event-source.ts';
import type { InvocationResult } from '../../scripts/local/function-host.ts';
import { eventually } from '../support/eventually.ts';

let dynamodbLocal: RunningDynamoDbLocal;
let dynamodb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
const clientConfig = () => ({ endpoint: dynamodbLocal.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

beforeAll(async () => {
  dynamodbLocal = await startDynamoDbLocal();
  dynamodb = new DynamoDBClient(clientConfig());
  streams = new DynamoDBStreamsClient(clientConfig());
}, 60_000);
afterAll(async () => {
  dynamodb.destroy();
  streams.destroy();
  await dynamodbLocal.stop();
});

async function tableWithStream(): Promise<{ tableName: string; streamArn: string }> {
  const tableName = `stream-${randomUUID().slice(0, 8)}`;
  const { TableDescription } = await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return { tableName, streamArn: TableDescription?.LatestStreamArn ?? '' };
}

const put = (tableName: string, n: number) => dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: `item-${n}` }, n: { N: String(n) } } }));
const numbersOf = (records: DynamoDBRecord[]) => records.map((record) => Number(record.dynamodb?.NewImage?.['n']?.N));
const ok = (result: unknown = null): InvocationResult => ({ ok: true, result, durationMs: 1 });
const thrown: InvocationResult = { ok: false, error: { errorType: 'Error', errorMessage: 'boom' }, timedOut: false, durationMs: 1 };

function source(streamArn: string, invoke: (event: DynamoDBStreamEvent) => InvocationResult, overrides: Partial<StreamEventSourceOptions> = {}) {
  const failures: StreamBatchFailure[] = [];
  const running = startDynamoDbStreamEventSource({
    streams,
    streamArn,
    region: 'us-east-1',
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    startingPosition: 'TRIM_HORIZON',
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: 2,
    maximumRecordAgeInSeconds: -1,
    reportBatchItemFailures: false,
    onFailure: async (failure) => void failures.push(failure),
    invoke: async (event) => invoke(event),
    pollIntervalMs: 50,
    ...overrides,
  });
  return { failures, stop: () => running.stop() };
}

describe('the local DynamoDB stream event source', () => {
  it('delivers every change once, in order, in batches of at most batchSize, with Lambda’s record shape', async () => {
    const { tableName, streamArn } = await tableWithStream();
    for (let n = 0; n < 25; n += 1) await put(tableName, n);
    const batches: DynamoDBRecord[][] = [];
    const running = source(streamArn, (event) => {
      batches.push(event.Records);
      return ok();
    });
    try {
      await eventually(async () => batches.flat().length, (count) => count >= 25, { timeoutMs: 10_000, what: 'all 25 records' });
      expect(numbersOf(batches.flat())).toEqual(Array.from({ length: 25 }, (_, n) => n));
      expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(10);
      expect(batches[0]?.[0]).toMatchObject({ eventName: 'INSERT', eventSource: 'aws:dynamodb', eventSourceARN: streamArn, dynamodb: { Keys: { pk: { S: 'item-0' } }, StreamViewType: 'NEW_AND_OLD_IMAGES' } });
      expect(running.failures).toEqual([]);
    } finally {
      await running.stop();
    }
  });

  it('hands the function DynamoDB Streams’ wire format: an empty map is {"M": {}} at every depth (DynamoDB Local writes {})', async () => {
    const { tableName, streamArn } = await tableWithStream();
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'maps' }, n: { N: '0' }, empty: { M: {} }, nested: { M: { inner: { M: {} } } }, list: { L: [{ M: {} }] } },
      }),
    );
    const images: unknown[] = [];
    const running = source(streamArn, (event) => {
      images.push(...event.Records.map((record) => record.dynamodb?.NewImage));
      return ok();
    });
    try {
      await eventually(async () => images.length, (count) => count >= 1, { timeoutMs: 10_000, what: 'the record' });
      expect(images[0]).toMatchObject({ empty: { M: {} }, nested: { M: { inner: { M: {} } } }, list: { L: [{ M: {} }] } });
    } finally {
      await running.stop();
    }
  });

  it('reads a stream whose first record comes after the source started (an empty shard read from its horizon)', async () => {
    const { tableName, streamArn } = await tableWithStream();
    const seen: number[] = [];
    const running = source(streamArn, (event) => {
      seen.push(...numbersOf(event.Records));
      return ok();
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await put(tableName, 1);
      await put(tableName, 2);
      await eventually(async () => seen, (numbers) => numbers.length >= 2, { timeoutMs: 10_000, what: 'records written after the start' });
      expect(seen).toEqual([1, 2]);
    } finally {
      await running.stop();
    }
  });

  it('retries a failing batch, blocking the shard, then tells the on-failure destination and moves on', async () => {
    const { tableName, streamArn } = await tableWithStream();
    for (let n = 0; n < 3; n += 1) await put(tableName, n);
    const seen: number[][] = [];
    const running = source(
      streamArn,
      (event) => {
        seen.push(numbersOf(event.Records));
        return numbersOf(event.Records).includes(1) ? thrown : ok();
      },
      { batchSize: 3 },
    );
    try {
      await eventually(async () => running.failures.length, (count) => count === 1, { timeoutMs: 10_000, what: 'the failure record' });
      // The first try and two retries, all of the whole batch; nothing after it ran meanwhile.
      expect(seen).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
      expect(running.failures[0]).toMatchObject({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
        DDBStreamBatchInfo: { batchSize: 3, streamArn },
      });
      await put(tableName, 3);
      await eventually(async () => seen.flat().includes(3), (found) => found, { timeoutMs: 10_000, what: 'the next record' });
    } finally {
      await running.stop();
    }
  });

  it('bisects a failing batch so that only the poison record is given up on', async () => {
    const { tableName, streamArn } = await tableWithStream();
    for (let n = 0; n < 8; n += 1) await put(tableName, n);
    const delivered: number[] = [];
    const running = source(
      streamArn,
      (event) => {
        const numbers = numbersOf(event.Records);
        if (numbers.includes(5)) return thrown;
        delivered.push(...numbers);
        return ok();
      },
      { batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 },
    );
    try {
      await eventually(async () => running.failures.length, (count) => count === 1, { timeoutMs: 10_000, what: 'the failure record' });
      expect(delivered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
      expect(running.failures[0]?.DDBStreamBatchInfo.batchSize).toBe(1);
    } finally {
      await running.stop();
    }
  });

  it('with ReportBatchItemFailures, retries from the first failed item and never redelivers the ones before it', async () => {
    const { tableName, streamArn } = await tableWithStream();
    for (let n = 0; n < 4; n += 1) await put(tableName, n);
    const seen: number[][] = [];
    let failOnce = true;
    const running = source(
      streamArn,
      (event) => {
        seen.push(numbersOf(event.Records));
        const third = event.Records[2];
        if (failOnce && third) {
          failOnce = false;
          return ok({ batchItemFailures: [{ itemIdentifier: third.dynamodb?.SequenceNumber }] });
        }
        return ok({ batchItemFailures: [] });
      },
      { batchSize: 4, reportBatchItemFailures: true },
    );
    try {
      await eventually(async () => seen.length, (count) => count >= 2, { timeoutMs: 10_000, what: 'the retry' });
      expect(seen.slice(0, 2)).toEqual([[0, 1, 2, 3], [2, 3]]);
      expect(running.failures).toEqual([]);
    } finally {
      await running.stop();
    }
  });
});
