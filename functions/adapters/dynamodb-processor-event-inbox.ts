import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ProcessorEventCursor, ProcessorEventCursorStore, ProcessorEventInbox, ProcessorEventNotice } from '#domain/ports.ts';
import { failedConditionItem } from './dynamodb-operation-items.ts';

const eventKey = (id: string) => ({ pk: `PROCESSOR_EVENT#${id}` });
const CURSOR_KEY = { pk: 'PROCESSOR_EVENTS_CURSOR' };
/**
 * A received event's id is kept a day longer than Stripe keeps the event (30 days): neither a
 * webhook retry nor the Events API can bring it again after that.
 */
const KEEP_RECEIVED_MS = 31 * 24 * 60 * 60 * 1000;
const BATCH_GET_KEYS = 100;

/**
 * {@link ProcessorEventInbox} and {@link ProcessorEventCursorStore} in the webhooks table: one
 * item per received processor event (`queued` once it is on the work queue; TTL after 31 days),
 * and the reconciler's catch-up cursor.
 */
export class DynamoDbProcessorEventInbox implements ProcessorEventInbox, ProcessorEventCursorStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async record(notice: ProcessorEventNotice): Promise<'new' | 'unqueued' | 'duplicate'> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...eventKey(notice.id),
            type: notice.type,
            object_id: notice.objectId,
            created: notice.created,
            received_at: this.now(),
            queued: false,
            purge_at: Math.floor((notice.created * 1000 + KEEP_RECEIVED_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'new';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return failedConditionItem(error)?.['queued'] === true ? 'duplicate' : 'unqueued';
    }
  }

  async markQueued(eventId: string): Promise<void> {
    await this.documents.send(new UpdateCommand({ TableName: this.tableName, Key: eventKey(eventId), UpdateExpression: 'SET queued = :yes', ExpressionAttributeValues: { ':yes': true } }));
  }

  async notYetQueued(eventIds: string[]): Promise<Set<string>> {
    const queued = new Set<string>();
    for (let start = 0; start < eventIds.length; start += BATCH_GET_KEYS) {
      let keys: Array<Record<string, unknown>> = eventIds.slice(start, start + BATCH_GET_KEYS).map(eventKey);
      for (let round = 0; keys.length > 0; round += 1) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
        const answer = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'pk, queued' } } }),
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) if (item['queued'] === true) queued.add(String(item['pk']).slice('PROCESSOR_EVENT#'.length));
        keys = answer.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return new Set(eventIds.filter((id) => !queued.has(id)));
  }

  async get(): Promise<ProcessorEventCursor | null> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: CURSOR_KEY, ConsistentRead: true }));
    if (!Item) return null;
    const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);
    return { from: Number(Item['from']), backfillTo: numberOrNull(Item['backfill_to']), sweepTop: numberOrNull(Item['sweep_top']) };
  }

  /** One pass at a time writes it (the reconciler's reserved concurrency is 1). */
  async put(cursor: ProcessorEventCursor): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...CURSOR_KEY,
          from: cursor.from,
          ...(cursor.backfillTo === null ? {} : { backfill_to: cursor.backfillTo }),
          ...(cursor.sweepTop === null ? {} : { sweep_top: cursor.sweepTop }),
          updated_at: this.now(),
        },
      }),
    );
  }
}
