import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { InvocationResult } from './function-host.ts';
import type { RunningEventSource } from './sqs-event-source.ts';

export interface StreamEventSourceOptions {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  region: string;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Split a failed batch in two and retry the halves (a split does not use up a retry). */
  bisectBatchOnFunctionError: boolean;
  /** Retries of a failed batch before it is given up on; -1: until the record expires. */
  maximumRetryAttempts: number;
  /** Records older than this are given up on; -1: never (until the stream's 24 h trims them). */
  maximumRecordAgeInSeconds: number;
  reportBatchItemFailures: boolean;
  /** The on-failure destination: told of each batch given up on (its shard and sequence numbers, not its records). */
  onFailure?: (failure: StreamBatchFailure) => Promise<void>;
  invoke: (event: DynamoDBStreamEvent) => Promise<InvocationResult>;
  /** How often to look for records when the shard has none (Lambda polls each shard about four times a second). */
  pollIntervalMs?: number;
}

/** What Lambda sends an on-failure destination for a stream batch it gave up on. */
export interface StreamBatchFailure {
  requestContext: { requestId: string; functionArn: string; condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded'; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/**
 * A DynamoDB Streams event source mapping with Lambda's semantics: each shard is read in order
 * (a parent shard before its children), up to `batchSize` records a batch; a batch that fails
 * (a throw, a timeout, or items reported in `batchItemFailures`) blocks its shard and is retried —
 * from the first failed item when failures are reported, in halves when bisecting — until it
 * succeeds, its retries are used up or its oldest record is too old; then the on-failure
 * destination is told and the shard moves on. Records are never lost silently and never
 * reordered within a shard.
 */
export function startDynamoDbStreamEventSource(options: StreamEventSourceOptions): RunningEventSource {
  const abort = new AbortController();
  const running = readStream(options, abort.signal).catch((error: unknown) => {
    if (!abort.signal.aborted) console.error('stream event source stopped:', error);
  });
  return {
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

async function readStream(options: StreamEventSourceOptions, signal: AbortSignal): Promise<void> {
  const done = new Set<string>();
  const started = new Set<string>();
  const readers: Array<Promise<void>> = [];
  let first = true;
  while (!signal.aborted) {
    const { StreamDescription } = await options.streams.send(new DescribeStreamCommand({ StreamArn: options.streamArn }), { abortSignal: signal }).catch(() => ({ StreamDescription: undefined }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId ?? '';
      if (started.has(shardId)) continue;
      // A child shard is read only once its parent is finished, so a key's changes stay in order.
      if (shard.ParentShardId && started.has(shard.ParentShardId) && !done.has(shard.ParentShardId)) continue;
      started.add(shardId);
      // LATEST applies to the shards open when the mapping starts; later shards are read from their start.
      const position = first ? options.startingPosition : 'TRIM_HORIZON';
      readers.push(readShard(options, shardId, position, signal).then(() => void done.add(shardId)));
    }
    first = false;
    await sleep(1000, signal);
  }
  await Promise.all(readers);
}

async function readShard(options: StreamEventSourceOptions, shardId: string, position: 'TRIM_HORIZON' | 'LATEST', signal: AbortSignal): Promise<void> {
  /** The last record read (delivered or pending): a new iterator starts after it. */
  let lastRead: string | undefined;
  const freshIterator = async () => {
    const { ShardIterator } = await options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: options.streamArn,
        ShardId: shardId,
        ...(lastRead ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, SequenceNumber: lastRead } : { ShardIteratorType: position }),
      }),
      { abortSignal: signal },
    );
    return ShardIterator;
  };
  let iterator = await freshIterator();
  let pending: StreamRecord[] = [];
  let windowEnds = 0;
  while (iterator && !signal.aborted) {
    let page;
    try {
      page = await options.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: options.batchSize - pending.length }), { abortSignal: signal });
    } catch (error) {
      if (signal.aborted) return;
      await sleep(200, signal);
      // An iterator expires after 15 minutes, and DynamoDB Local refuses a TRIM_HORIZON iterator
      // taken before the stream's first record: as Lambda does, take a new one where reading stopped.
      const name = (error as Error).name;
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') iterator = await freshIterator().catch(() => iterator);
      continue;
    }
    const records = page.Records ?? [];
    if (records.length > 0 && pending.length === 0) windowEnds = Date.now() + options.maxBatchingWindowSeconds * 1000;
    pending.push(...records);
    lastRead = records.at(-1)?.dynamodb?.SequenceNumber ?? lastRead;
    iterator = page.NextShardIterator;
    const full = pending.length >= options.batchSize;
    if (pending.length > 0 && (full || Date.now() >= windowEnds || !iterator)) {
      await deliver(options, shardId, pending, signal);
      pending = [];
      continue;
    }
    if (records.length === 0) await sleep(options.pollIntervalMs ?? 250, signal);
  }
}

/** Delivers one batch until it is done or given up on; bisects and retries as configured. */
async function deliver(options: StreamEventSourceOptions, shardId: string, batch: StreamRecord[], signal: AbortSignal): Promise<void> {
  // Work list of sub-batches, in stream order; each carries the retries it has used.
  const queue: Array<{ records: StreamRecord[]; retries: number; invokes: number }> = [{ records: batch, retries: 0, invokes: 0 }];
  while (queue.length > 0 && !signal.aborted) {
    const current = queue[0];
    if (!current) break;
    const result = await options.invoke({ Records: current.records.map((record) => toLambdaRecord(record, options)) });
    current.invokes += 1;
    const firstFailed = firstFailedIndex(result, current.records, options.reportBatchItemFailures);
    if (firstFailed === null) {
      queue.shift();
      continue;
    }
    // Items before the first reported failure are done (checkpointed); the rest is retried.
    const rest = current.records.slice(firstFailed);
    const tooOld =
      options.maximumRecordAgeInSeconds >= 0 &&
      Date.now() - approximateArrival(rest[0]) > options.maximumRecordAgeInSeconds * 1000;
    const retriesLeft = options.maximumRetryAttempts < 0 || current.retries < options.maximumRetryAttempts;
    if (tooOld || (!retriesLeft && !(options.bisectBatchOnFunctionError && rest.length > 1))) {
      queue.shift();
      await options.onFailure?.(failureRecord(options, shardId, rest, tooOld ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted', current.invokes, result));
      continue;
    }
    if (options.bisectBatchOnFunctionError && rest.length > 1) {
      const half = Math.ceil(rest.length / 2);
      queue.splice(0, 1, { records: rest.slice(0, half), retries: current.retries, invokes: 0 }, { records: rest.slice(half), retries: current.retries, invokes: 0 });
      continue;
    }
    queue[0] = { records: rest, retries: current.retries + 1, invokes: current.invokes };
    await sleep(Math.min(5000, 100 * 2 ** Math.min(current.retries, 6)), signal);
  }
}

/** The index of the first record Lambda would retry, or `null` when the batch succeeded. */
function firstFailedIndex(result: InvocationResult, records: StreamRecord[], reportBatchItemFailures: boolean): number | null {
  if (!result.ok) return 0;
  if (!reportBatchItemFailures) return null;
  const response = result.result as { batchItemFailures?: unknown } | null;
  if (response === null || response.batchItemFailures === undefined) return null;
  if (!Array.isArray(response.batchItemFailures)) return 0;
  if (response.batchItemFailures.length === 0) return null;
  const sequenceNumbers = records.map((record) => record.dynamodb?.SequenceNumber ?? '');
  let lowest = Infinity;
  for (const failure of response.batchItemFailures as Array<{ itemIdentifier?: unknown }>) {
    const index = typeof failure?.itemIdentifier === 'string' ? sequenceNumbers.indexOf(failure.itemIdentifier) : -1;
    // Lambda treats an empty, missing or unknown identifier as a failure of the whole batch.
    if (index < 0) return 0;
    lowest = Math.min(lowest, index);
  }
  return lowest;
}

function approximateArrival(record: StreamRecord | undefined): number {
  const created = record?.dynamodb?.ApproximateCreationDateTime;
  return created ? new Date(created).getTime() : Date.now();
}

function failureRecord(
  options: StreamEventSourceOptions,
  shardId: string,
  records: StreamRecord[],
  condition: StreamBatchFailure['requestContext']['condition'],
  invokes: number,
  result: InvocationResult,
): StreamBatchFailure {
  const first = records[0];
  const last = records.at(-1);
  return {
    requestContext: { requestId: crypto.randomUUID(), functionArn: 'local', condition, approximateInvokeCount: invokes },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: result.ok ? 'BatchItemFailure' : result.error.errorType },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: first?.dynamodb?.SequenceNumber ?? '',
      endSequenceNumber: last?.dynamodb?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: new Date(approximateArrival(first)).toISOString(),
      approximateArrivalOfLastRecord: new Date(approximateArrival(last)).toISOString(),
      batchSize: records.length,
      streamArn: options.streamArn,
    },
  };
}

type WireValue = Record<string, unknown>;

/**
 * DynamoDB Local writes an empty map into its stream records as `{}` where DynamoDB Streams
 * (and so Lambda's event) writes `{"M": {}}`, and the SDK hands binary values over as bytes where
 * Lambda's JSON event carries them as base64 text: mend both, at every depth, so the functions see
 * what they would see on AWS.
 */
export function mendImage(image: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, mendValue(value as WireValue)]));
}

function mendValue(value: WireValue): WireValue {
  const members = Object.entries(value).filter(([, member]) => member !== undefined);
  if (members.length === 0) return { M: {} };
  if (value['M'] !== undefined) return { M: mendImage(value['M'] as Record<string, unknown>) };
  if (Array.isArray(value['L'])) return { L: (value['L'] as WireValue[]).map(mendValue) };
  if (value['B'] instanceof Uint8Array) return { B: Buffer.from(value['B']).toString('base64') };
  if (Array.isArray(value['BS'])) return { BS: (value['BS'] as Uint8Array[]).map((bytes) => Buffer.from(bytes).toString('base64')) };
  return Object.fromEntries(members);
}

/** The record as Lambda passes it: the SDK's shape, with the attribute values kept in wire format. */
function toLambdaRecord(record: StreamRecord, options: StreamEventSourceOptions): DynamoDBRecord {
  const change = record.dynamodb ?? {};
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: options.region,
    eventSourceARN: options.streamArn,
    dynamodb: {
      ...(change.ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(new Date(change.ApproximateCreationDateTime).getTime() / 1000) } : {}),
      Keys: change.Keys as NonNullable<DynamoDBRecord['dynamodb']>['Keys'],
      ...(change.NewImage ? { NewImage: mendImage(change.NewImage) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'] } : {}),
      ...(change.OldImage ? { OldImage: mendImage(change.OldImage) as NonNullable<DynamoDBRecord['dynamodb']>['OldImage'] } : {}),
      SequenceNumber: change.SequenceNumber ?? '',
      SizeBytes: change.SizeBytes ?? 0,
      StreamViewType: change.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
