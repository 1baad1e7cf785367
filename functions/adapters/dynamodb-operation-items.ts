import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { fingerprintOfCanonical } from '#domain/fingerprint.ts';
import type { IdempotencyRecord, Lease, Review } from '#domain/ports.ts';
import { packResponseBody, unpackResponseBody } from './stored-response.ts';
import { DEFAULT_LIST_SHARDS, shardOf } from './dynamodb-lists.ts';

/**
 * The lifecycle every money operation's item shares in the charges table (a charge, a refund):
 * recorded under an Idempotency-Key with the first answer; claimed by one worker at a time under
 * a lease; released when the processor has not decided; touched when it waits too long, so the
 * reconciler re-enqueues it once; flagged for a person; made final by its own repository. Each
 * state change is a conditional write whose failed condition returns the item, so no extra read
 * is spent to explain it.
 */

/** DynamoDB's limit on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_TRANSACTION_ATTEMPTS = 3;

/**
 * The sparse GSI of open operations: only items not final and not flagged for review carry its
 * keys, so the reconciler finds stuck ones with a few queries, never a scan. Its partition key
 * is spread over shards (a count per stage, sized for its peak rate) so that no index partition
 * takes more writes than DynamoDB allows one. Each kind of operation has partitions of its own.
 */
export const OPEN_CHARGES_INDEX = {
  name: 'open-charges',
  partitionKey: 'open_shard',
  sortKey: 'open_since',
} as const;

/** The shard count when none is configured (the local stage's). */
export const DEFAULT_OPEN_CHARGE_SHARDS = 4;

/**
 * The sparse GSI of open operations flagged for a person. One partition a kind: reviews are rare
 * (a handful a day at most), far below a partition's 1,000 writes per second.
 */
export const REVIEW_INDEX = {
  name: 'charges-in-review',
  partitionKey: 'review_queue',
  sortKey: 'review_since',
  partition: 'review',
} as const;

/** The attributes every operation item has: its key record, its lease, its retention and its index entries. */
export interface OperationItem {
  pk: string;
  status: string;
  created_at: number;
  updated_at: number;
  idempotency_key: string;
  idempotency_generation: number;
  request_body: string;
  owner_token: string;
  response_status: number;
  /** Deflated (see stored-response.ts). */
  response_body: Uint8Array | string;
  idempotency_expires_at: number;
  lease_owner?: string;
  lease_expires_at?: number;
  attempts: number;
  /**
   * DynamoDB TTL attribute (epoch seconds): written only when the operation becomes final (copied
   * from `retain_until`), so TTL never purges an open one, whatever its age.
   */
  purge_at?: number;
  /** Epoch seconds the record is kept at least until: the TTL time it gets once final. */
  retain_until?: number;
  /** Present only while open and not flagged: the open index's keys. */
  open_shard?: string;
  open_since?: number;
  /** Present only while it needs a person: the review index's keys. */
  review_queue?: string;
  review_since?: number;
  review_reason?: string;
  /** Who last re-enqueued it while stale `pending` (a reconciliation pass). */
  touched_by?: string;
}

/** Where one kind of operation lives: its key prefix, its open index partitions and its review partition. */
export interface OperationKind {
  keyPrefix: string;
  openShardPrefix: string;
  reviewPartition: string;
  isTerminal: (status: string) => boolean;
}

/**
 * A repository of one kind of operation in the charges table: the lifecycle's writes that need
 * nothing of the kind come from here; the kind adds its creation, claim and outcome.
 */
export abstract class DynamoDbOperationRepository<Item extends OperationItem> {
  protected readonly documents: DynamoDBDocumentClient;
  protected readonly items: OperationItems<Item>;

  /**
   * @param openShards How many shards the open index is spread over. Every function of a stage
   *   must use the same count, and it may only grow: a pass reads shards `0 … count-1`, so items
   *   written to a shard above a lowered count would never be read.
   * @param listShards How many shards a merchant's list partitions are spread over (dynamodb-lists.ts); may only grow too.
   */
  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
    operation: OperationKind,
    openShards: number = DEFAULT_OPEN_CHARGE_SHARDS,
    protected readonly listShards: number = DEFAULT_LIST_SHARDS,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.items = new OperationItems(this.documents, tableName, operation, openShards);
  }

  release(id: string, leaseOwner: string, now: number): Promise<void> {
    return this.items.release(id, leaseOwner, now);
  }

  touchStalePending(id: string, staleBefore: number, now: number, toucher: string): Promise<boolean> {
    return this.items.touchStalePending(id, staleBefore, now, toucher);
  }

  flagForReview(id: string, review: Review): Promise<void> {
    return this.items.flagForReview(id, review);
  }

  findInReview(limit: number): Promise<string[]> {
    return this.items.findInReview(limit);
  }
}

/** What a claim came to. */
export type ItemClaim<Item> =
  | { kind: 'claimed'; item: Item }
  | { kind: 'not_found' }
  | { kind: 'final'; status: string }
  | { kind: 'leased'; lease: Lease };

/** The lifecycle's writes for one kind of operation item. */
export class OperationItems<Item extends OperationItem> {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly operation: OperationKind,
    private readonly openShards: number,
  ) {}

  key(id: string): { pk: string } {
    return { pk: `${this.operation.keyPrefix}${id}` };
  }

  /**
   * Takes the operation from `pending` (or from a `processing` whose lease has expired) under a
   * new lease, counting the attempt. `also` adds assignments to the same write (e.g. a payment id
   * recorded once).
   */
  async claim(id: string, lease: Lease, now: number, also: { set: string; values: Record<string, unknown> } | null = null): Promise<ItemClaim<Item>> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(id),
          UpdateExpression:
            'SET #status = :processing, lease_owner = :owner, lease_expires_at = :expires, attempts = attempts + :one, updated_at = :now' + (also ? `, ${also.set}` : ''),
          ConditionExpression: 'attribute_exists(pk) AND (#status = :claimable OR (#status = :processing AND lease_expires_at < :now))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':claimable': 'pending',
            ':owner': lease.owner,
            ':expires': lease.expiresAt,
            ':one': 1,
            ':now': now,
            ...also?.values,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', item: Attributes as Item };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = failedConditionItem(error) as Item | undefined;
      if (!existing) return { kind: 'not_found' };
      if (this.operation.isTerminal(existing.status)) return { kind: 'final', status: existing.status };
      // Our own claim whose response was lost, retried by the SDK.
      if (existing.lease_owner === lease.owner) return { kind: 'claimed', item: existing };
      return { kind: 'leased', lease: leaseOf(existing) ?? { owner: 'unknown', expiresAt: now } };
    }
  }

  /** Hands a claimed operation back (`pending`) when the processor has not decided; a lease no longer ours is left alone. */
  async release(id: string, leaseOwner: string, now: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(id),
          UpdateExpression: 'SET #status = :pending, updated_at = :now REMOVE lease_owner, lease_expires_at',
          ConditionExpression: '#status = :processing AND lease_owner = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':processing': 'processing', ':owner': leaseOwner, ':now': now },
        }),
      );
    } catch (error) {
      // Not ours any more (taken over after expiry, or our own release whose response was
      // lost): either way there is nothing left for us to hand back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Marks a `pending` operation untouched since `staleBefore` as re-enqueued by `toucher`; true when this call did (once per pass). */
  async touchStalePending(id: string, staleBefore: number, now: number, toucher: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(id),
          UpdateExpression: 'SET updated_at = :now, touched_by = :toucher',
          ConditionExpression: '#status = :pending AND updated_at < :stale',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':stale': staleBefore, ':now': now, ':toucher': toucher },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Our own touch, whose response was lost and which the SDK retried, still counts as ours.
      const existing = failedConditionItem(error) as Item | undefined;
      return existing?.touched_by === toucher && existing.updated_at === now;
    }
  }

  /**
   * Out of the open index, into the review index: the reconciler looks at flagged operations on
   * their own, so they never crowd newer stuck ones out of a pass. The first reason stays.
   */
  async flagForReview(id: string, review: Review): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(id),
          UpdateExpression: 'SET review_queue = :queue, review_since = :since, review_reason = :reason REMOVE open_shard, open_since',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(review_reason) AND #status IN (:pending, :processing)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':queue': this.operation.reviewPartition,
            ':since': review.since,
            ':reason': review.reason,
            ':pending': 'pending',
            ':processing': 'processing',
          },
        }),
      );
    } catch (error) {
      // Flagged already, or final meanwhile: nothing to flag.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The transaction part that puts a new item, on the condition that its key is new (the item that is there comes back). */
  putNew(item: Item) {
    return { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } };
  }

  /** The transaction part that keeps an earlier generation of a key at least until `purgeAt` (epoch ms), as long as its successor. */
  keepEarlierGeneration(id: string, purgeAt: number) {
    return {
      Update: {
        TableName: this.tableName,
        Key: this.key(id),
        UpdateExpression: 'SET purge_at = :purge',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':purge': Math.floor(purgeAt / 1000) },
      },
    };
  }

  /** Ids of open operations opened before `createdBefore`, oldest first, at most `limit`, across the kind's shards. */
  async findOpen(createdBefore: number, limit: number): Promise<string[]> {
    const found: Array<{ id: string; openSince: number }> = [];
    for (let shard = 0; shard < this.openShards; shard += 1) {
      let startKey: Record<string, unknown> | undefined;
      let fromShard = 0;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: OPEN_CHARGES_INDEX.name,
            KeyConditionExpression: '#shard = :shard AND #since < :before',
            ExpressionAttributeNames: { '#shard': OPEN_CHARGES_INDEX.partitionKey, '#since': OPEN_CHARGES_INDEX.sortKey },
            ExpressionAttributeValues: { ':shard': `${this.operation.openShardPrefix}${shard}`, ':before': createdBefore },
            Limit: limit,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) found.push({ id: String(item['pk']).slice(this.operation.keyPrefix.length), openSince: Number(item['open_since']) });
        fromShard += page.Items?.length ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey && fromShard < limit);
    }
    return found
      .sort((a, b) => a.openSince - b.openSince)
      .slice(0, limit)
      .map((entry) => entry.id);
  }

  /** Ids flagged for a person, oldest flag first, at most `limit`. */
  async findInReview(limit: number): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: REVIEW_INDEX.name,
          KeyConditionExpression: '#queue = :queue',
          ExpressionAttributeNames: { '#queue': REVIEW_INDEX.partitionKey },
          ExpressionAttributeValues: { ':queue': this.operation.reviewPartition },
          Limit: limit - ids.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) ids.push(String(item['pk']).slice(this.operation.keyPrefix.length));
      startKey = page.LastEvaluatedKey;
    } while (startKey && ids.length < limit);
    return ids;
  }

  /**
   * The lifecycle's attributes of a new item: its key record and first answer, its lease, its
   * retention (TTL only once final), its open-index entry while open and unflagged, its review entry.
   */
  lifecycleAttributes(id: string, record: OperationRecord, status: string, createdAt: number) {
    const terminal = this.operation.isTerminal(status);
    const { idempotency } = record;
    return {
      idempotency_key: idempotency.key,
      idempotency_generation: idempotency.generation,
      request_body: idempotency.canonicalBody,
      owner_token: idempotency.ownerToken,
      response_status: idempotency.response.status,
      response_body: packResponseBody(idempotency.response.body),
      idempotency_expires_at: idempotency.expiresAt,
      ...(record.lease ? { lease_owner: record.lease.owner, lease_expires_at: record.lease.expiresAt } : {}),
      attempts: record.attempts,
      retain_until: Math.floor(record.purgeAt / 1000),
      ...(terminal ? { purge_at: Math.floor(record.purgeAt / 1000) } : {}),
      ...(terminal || record.review ? {} : { open_shard: `${this.operation.openShardPrefix}${shardOf(id, this.openShards)}`, open_since: createdAt }),
      ...(record.review ? { review_queue: this.operation.reviewPartition, review_since: record.review.since, review_reason: record.review.reason } : {}),
    };
  }
}

/** What the lifecycle keeps of a record, whatever the operation. */
export interface OperationRecord {
  idempotency: IdempotencyRecord;
  lease: Lease | null;
  attempts: number;
  purgeAt: number;
  review: Review | null;
}

/**
 * What a conditional put of a new record met: its own item (the SDK retried a write of ours whose
 * answer was lost: the owner token is ours), or another request's under the same key.
 */
export function createdOrExisting<R extends OperationRecord>(stored: R, ours: R): { kind: 'created'; record: R } | { kind: 'exists'; record: R } {
  return stored.idempotency.ownerToken === ours.idempotency.ownerToken ? { kind: 'created', record: stored } : { kind: 'exists', record: stored };
}

/** The lifecycle's part of a record, read back from an item. */
export function operationRecordOf(item: OperationItem): OperationRecord {
  return {
    idempotency: {
      key: item.idempotency_key,
      generation: item.idempotency_generation,
      fingerprint: fingerprintOfCanonical(item.request_body),
      canonicalBody: item.request_body,
      ownerToken: item.owner_token,
      response: { status: item.response_status, body: unpackResponseBody(item.response_body) },
      expiresAt: item.idempotency_expires_at,
    },
    lease: leaseOf(item),
    attempts: item.attempts,
    purgeAt: (item.purge_at ?? item.retain_until ?? 0) * 1000,
    review: item.review_reason !== undefined && item.review_since !== undefined ? { reason: item.review_reason, since: item.review_since } : null,
  };
}

function leaseOf(item: OperationItem): Lease | null {
  return item.lease_owner !== undefined && item.lease_expires_at !== undefined ? { owner: item.lease_owner, expiresAt: item.lease_expires_at } : null;
}

/** The item a failed condition returned (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), if any. */
export function failedConditionItem(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof ConditionalCheckFailedException)) return undefined;
  if (!error.Item) return undefined;
  // lib-dynamodb leaves the item of a failed condition in wire format.
  return unmarshall(error.Item);
}
