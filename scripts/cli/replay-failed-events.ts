import { GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { publishCurrentState, type EventPublishingDeps } from '#handlers/events.ts';

/** What Lambda puts on a stream source's on-failure destination: where the batch it gave up on is, never what it held. */
interface StreamBatchFailure {
  DDBStreamBatchInfo?: { shardId?: string; startSequenceNumber?: string; endSequenceNumber?: string; streamArn?: string };
}

export interface ReplayDeps {
  sqs: SQSClient;
  failureQueueUrl: string;
  streams: DynamoDBStreamsClient;
  documents: DynamoDBDocumentClient;
  chargesTableName: string;
  events: EventPublishingDeps;
  /** Failure records to take at most. */
  max: number;
}

export interface ReplayReport {
  batches: number;
  /** Items named by the batches' stream records (an item changed twice in a batch counts once). */
  items: number;
  events: number;
  /** Batches whose records the stream no longer holds (older than its 24 hours): left on the queue, named here. */
  unreadable: string[];
}

/**
 * `npm run cli -- events replay-failed`: for each batch of stream records the events function gave
 * up on (after 6 hours of retries), reads the records again from the table's stream (kept 24 hours)
 * to learn which items they changed, reads each item as it is now (strongly consistent), and
 * publishes its events from that state — the ids derived from the change, so an event that was
 * published after all is the same event again. A batch whose records are gone stays on the queue.
 */
export async function replayFailedEvents(deps: ReplayDeps): Promise<ReplayReport> {
  const report: ReplayReport = { batches: 0, items: 0, events: 0, unreadable: [] };
  while (report.batches + report.unreadable.length < deps.max) {
    const { Messages = [] } = await deps.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deps.failureQueueUrl, MaxNumberOfMessages: Math.min(10, deps.max - report.batches - report.unreadable.length), VisibilityTimeout: 300 }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      const info = (JSON.parse(message.Body ?? '{}') as StreamBatchFailure).DDBStreamBatchInfo;
      const named = `${info?.shardId ?? '?'} ${info?.startSequenceNumber ?? '?'}…${info?.endSequenceNumber ?? '?'}`;
      const keys = info ? await changedKeys(deps.streams, info).catch(() => null) : null;
      if (keys === null) {
        report.unreadable.push(named);
        continue;
      }
      for (const pk of keys) {
        const { Item } = await deps.documents.send(new GetCommand({ TableName: deps.chargesTableName, Key: { pk }, ConsistentRead: true }));
        if (!Item) continue;
        report.items += 1;
        report.events += await publishCurrentState(deps.events, Item);
      }
      await deps.sqs.send(new DeleteMessageCommand({ QueueUrl: deps.failureQueueUrl, ReceiptHandle: message.ReceiptHandle }));
      report.batches += 1;
    }
  }
  return report;
}

/** The keys of the records from `start` to `end` of one shard, in order, each once; `null` if the stream no longer has them. */
async function changedKeys(streams: DynamoDBStreamsClient, info: NonNullable<StreamBatchFailure['DDBStreamBatchInfo']>): Promise<string[] | null> {
  const { streamArn, shardId, startSequenceNumber, endSequenceNumber } = info;
  if (!streamArn || !shardId || !startSequenceNumber || !endSequenceNumber) return null;
  const end = BigInt(endSequenceNumber);
  let { ShardIterator: iterator } = await streams.send(
    new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: startSequenceNumber }),
  );
  const keys = new Set<string>();
  // A shard's records come in order: stop once past the batch's last one (or at the shard's end).
  for (let empty = 0; iterator && empty < 5; ) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    const records = page.Records ?? [];
    empty = records.length === 0 ? empty + 1 : 0;
    for (const record of records) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return [...keys];
      const pk = record.dynamodb?.Keys ? unmarshall(record.dynamodb.Keys as Parameters<typeof unmarshall>[0])['pk'] : undefined;
      if (typeof pk === 'string') keys.add(pk);
    }
    iterator = page.NextShardIterator;
  }
  return [...keys];
}
