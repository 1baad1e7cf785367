import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { OncePayError } from '#domain/errors.ts';
import { DEFAULT_LIST_SHARDS, listKeysFor, shardOf } from './dynamodb-lists.ts';
import { isTerminal, statusesLeadingTo, type ChargeStatus } from '#domain/charge.ts';
import { fingerprintOfCanonical } from '#domain/fingerprint.ts';
import { packResponseBody, unpackResponseBody } from './stored-response.ts';
import type {
  ChargeRecord,
  ChargeRepository,
  ClaimResult,
  CompleteResult,
  CreateChargeResult,
  Lease,
  ProcessorOutcome,
  Review,
} from '#domain/ports.ts';

/**
 * The stored shape of a charge item. Times are epoch milliseconds unless named `_ttl`. Every
 * write pays for the whole item by the kilobyte, so it holds nothing derivable: the id is the
 * key's, the request's fingerprint is its canonical body's hash, and null fields are absent.
 */
interface ChargeItem {
  pk: string;
  merchant_id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  payment_method: string;
  description?: string | null;
  metadata: Record<string, string>;
  created_at: number;
  updated_at: number;
  failure_code?: string | null;
  failure_message?: string | null;
  decline_code?: string | null;
  /** The one processor payment of this charge, recorded by the claim that first created it. */
  processor_payment_id?: string | null;
  /** The prepare key the next create uses, once one was spent (absent: the first). */
  prepare_key_attempt?: number;
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
   * DynamoDB TTL attribute (epoch seconds): written only when the charge becomes final (copied from
   * `retain_until`), so TTL never purges an open charge, whatever its age.
   */
  purge_at?: number;
  /** Epoch seconds the record is kept at least until: the TTL time it gets once final. */
  retain_until?: number;
  /** Present only while the charge is open: the sparse open-charges index's keys. */
  open_shard?: string;
  open_since?: number;
  /** Present only while the charge needs a person: the sparse review index's keys. */
  review_queue?: string;
  review_since?: number;
  review_reason?: string;
  /** Who last re-enqueued this stale `pending` charge (a reconciliation pass). */
  touched_by?: string;
  /** Reserved by refunds (pending and succeeded); absent until the first refund. */
  amount_refunded?: number;
  /** The dispute Stripe opened on the charge (oncepay's id), once one did. */
  dispute_id?: string;
  /** The dispute that forbids refunds (a chargeback): refund reservations require its absence. */
  refunds_blocked_by?: string;
  /** The merchant-lists index's keys (see dynamodb-lists.ts); written once, at creation. */
  list_partition?: string;
  list_sort?: string;
}

const CHARGE_KEY_PREFIX = 'CHARGE#';
/** DynamoDB's limit on the items of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_TRANSACTION_ATTEMPTS = 3;
export const chargeKey = (chargeId: string) => ({ pk: `${CHARGE_KEY_PREFIX}${chargeId}` });

/**
 * The sparse GSI of open charges: only `pending` and `processing` items not flagged for review carry its keys,
 * so the reconciler finds stuck charges with a few queries, never a scan. Its partition key
 * is spread over shards (a count per stage, sized for its peak charge rate) so that no index
 * partition takes more writes than DynamoDB allows one.
 */
export const OPEN_CHARGES_INDEX = {
  name: 'open-charges',
  partitionKey: 'open_shard',
  sortKey: 'open_since',
} as const;

/** The shard count when none is configured (the local stage's). */
export const DEFAULT_OPEN_CHARGE_SHARDS = 4;

/**
 * The sparse GSI of open charges flagged for a person. One partition: reviews are rare (a
 * handful a day at most), far below a partition's 1,000 writes per second.
 */
export const REVIEW_INDEX = {
  name: 'charges-in-review',
  partitionKey: 'review_queue',
  sortKey: 'review_since',
  partition: 'review',
} as const;

function openShardOf(chargeId: string, shards: number): string {
  return `open#${shardOf(chargeId, shards)}`;
}

/**
 * {@link ChargeRepository} on one DynamoDB table keyed by `pk`. Every state change is a
 * conditional write whose condition is the state machine's edge; when the condition fails
 * the item that was there comes back with the error (`ReturnValuesOnConditionCheckFailure`),
 * so no extra read is spent to explain it.
 */
export class DynamoDbChargeRepository implements ChargeRepository {
  private readonly documents: DynamoDBDocumentClient;

  /**
   * @param openChargeShards How many shards the open-charges index is spread over. Every
   *   function of a stage must use the same count, and it may only grow: a pass reads shards
   *   `0 … count-1`, so charges written to a shard above a lowered count would never be read.
   * @param listShards How many shards a merchant's list partitions are spread over (dynamodb-lists.ts); may only grow too.
   */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly openChargeShards: number = DEFAULT_OPEN_CHARGE_SHARDS,
    private readonly listShards: number = DEFAULT_LIST_SHARDS,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async create(record: ChargeRecord): Promise<CreateChargeResult> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record, this.openChargeShards, this.listShards),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'created', record };
    } catch (error) {
      const existing = existingItem(error);
      if (!existing) throw error;
      const stored = fromItem(existing);
      // The SDK retried a write of ours whose response was lost and met our own item.
      if (stored.idempotency.ownerToken === record.idempotency.ownerToken) return { kind: 'created', record: stored };
      return { kind: 'exists', record: stored };
    }
  }

  async get(chargeId: string): Promise<ChargeRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: chargeKey(chargeId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item as ChargeItem) : undefined;
  }

  async claim(chargeId: string, lease: Lease, now: number, paymentId?: string): Promise<ClaimResult> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
          UpdateExpression:
            'SET #status = :processing, lease_owner = :owner, lease_expires_at = :expires, ' +
            'attempts = attempts + :one, updated_at = :now' +
            // Recorded once: a payment id already on the charge is never replaced.
            (paymentId === undefined ? '' : ', processor_payment_id = if_not_exists(processor_payment_id, :payment)'),
          ConditionExpression:
            'attribute_exists(pk) AND (#status IN (:claimable) OR (#status = :processing AND lease_expires_at < :now))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':claimable': singleStatus(statusesLeadingTo('processing')),
            ':owner': lease.owner,
            ':expires': lease.expiresAt,
            ':one': 1,
            ':now': now,
            ...(paymentId === undefined ? {} : { ':payment': paymentId }),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', record: fromItem(Attributes as ChargeItem) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = existingItem(error);
      if (!existing) return { kind: 'not_found' };
      const stored = fromItem(existing);
      if (isTerminal(stored.charge.status)) return { kind: 'final', status: stored.charge.status };
      if (stored.lease?.owner === lease.owner) return { kind: 'claimed', record: stored };
      return { kind: 'leased', lease: stored.lease ?? { owner: 'unknown', expiresAt: now } };
    }
  }

  async release(chargeId: string, leaseOwner: string, now: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
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

  async spendPrepareKey(chargeId: string, spentAttempt: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
          UpdateExpression: 'SET prepare_key_attempt = :next',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(processor_payment_id) AND ' +
            (spentAttempt <= 1 ? '(attribute_not_exists(prepare_key_attempt) OR prepare_key_attempt = :spent)' : 'prepare_key_attempt = :spent'),
          ExpressionAttributeValues: { ':next': spentAttempt + 1, ':spent': spentAttempt },
        }),
      );
    } catch (error) {
      // Moved on already (by a concurrent attempt), or a payment is recorded: nothing to move.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async complete(chargeId: string, leaseOwner: string, outcome: ProcessorOutcome, now: number): Promise<CompleteResult> {
    const failed = outcome.kind === 'failed';
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
          // Final: TTL may purge it once its retention ends, never before. A success stores no failure fields.
          UpdateExpression:
            'SET #status = :final, updated_at = :now, processor_payment_id = if_not_exists(processor_payment_id, :payment), ' +
            (failed ? 'failure_code = :code, failure_message = :message, decline_code = :decline, ' : '') +
            'purge_at = retain_until ' +
            'REMOVE lease_owner, lease_expires_at, open_shard, open_since, review_queue, review_since, review_reason',
          ConditionExpression: '#status IN (:from) AND lease_owner = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':final': outcome.kind,
            ':from': singleStatus(statusesLeadingTo(outcome.kind)),
            ':owner': leaseOwner,
            ':now': now,
            ':payment': outcome.paymentId,
            ...(failed ? { ':code': outcome.code, ':message': outcome.message, ':decline': outcome.declineCode } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'completed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = existingItem(error);
      // Our own write whose response was lost already made the charge final.
      if (existing && existing.status === outcome.kind && existing.lease_owner === undefined) return { kind: 'completed' };
      return { kind: 'lease_lost' };
    }
  }

  async findOpenCharges(createdBefore: number, limit: number): Promise<string[]> {
    return findOpenInShards(this.documents, this.tableName, { shardPrefix: 'open#', shards: this.openChargeShards, keyPrefix: CHARGE_KEY_PREFIX }, createdBefore, limit);
  }

  async touchStalePending(chargeId: string, staleBefore: number, now: number, toucher: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
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
      const existing = existingItem(error);
      return existing?.touched_by === toucher && existing.updated_at === now;
    }
  }

  async flagForReview(chargeId: string, review: Review): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
          // Out of the open-charges index, into the review index: the reconciler looks at flagged
          // charges on their own, so they never crowd newer stuck ones out of a pass.
          UpdateExpression: 'SET review_queue = :queue, review_since = :since, review_reason = :reason REMOVE open_shard, open_since',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(review_reason) AND #status IN (:pending, :processing)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':queue': REVIEW_INDEX.partition,
            ':since': review.since,
            ':reason': review.reason,
            ':pending': 'pending',
            ':processing': 'processing',
          },
        }),
      );
    } catch (error) {
      // Flagged already (the first reason stays), or final meanwhile: nothing to flag.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async findInReview(limit: number): Promise<string[]> {
    return findInReviewPartition(this.documents, this.tableName, REVIEW_INDEX.partition, CHARGE_KEY_PREFIX, limit);
  }

  async createNextGeneration(record: ChargeRecord, earlierGenerations: ChargeRecord[]): Promise<CreateChargeResult> {
    // Each earlier generation is kept at least as long as the new one, never shortened.
    const extensions = earlierGenerations
      .filter((earlier) => earlier.purgeAt < record.purgeAt)
      .map((earlier) => ({ chargeId: earlier.charge.id, purgeAt: record.purgeAt }));
    // A transaction holds at most 100 items: the oldest generations beyond that are extended
    // first, one by one (a crash then only keeps them longer than needed).
    const inTransaction = extensions.slice(-(MAX_TRANSACTION_ITEMS - 1));
    for (const extension of extensions.slice(0, extensions.length - inTransaction.length)) {
      await this.keepUntil(extension.chargeId, extension.purgeAt);
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        // The SDK gives the transaction a client request token and reuses it on its own
        // retries, so a retried transaction whose first response was lost succeeds.
        await this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: toItem(record, this.openChargeShards, this.listShards),
                  ConditionExpression: 'attribute_not_exists(pk)',
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              ...inTransaction.map((extension) => ({
                Update: {
                  TableName: this.tableName,
                  Key: chargeKey(extension.chargeId),
                  UpdateExpression: 'SET purge_at = :purge',
                  ConditionExpression: 'attribute_exists(pk)',
                  ExpressionAttributeValues: { ':purge': Math.floor(extension.purgeAt / 1000) },
                },
              })),
            ],
          }),
        );
        return { kind: 'created', record };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [putReason, ...earlier] = error.CancellationReasons ?? [];
        if (putReason?.Code === 'ConditionalCheckFailed' && putReason.Item) {
          const stored = fromItem(unmarshall(putReason.Item) as ChargeItem);
          if (stored.idempotency.ownerToken === record.idempotency.ownerToken) return { kind: 'created', record: stored };
          return { kind: 'exists', record: stored };
        }
        // Another request or a worker wrote one of the items at the same moment: try again.
        const conflicted = [putReason, ...earlier].some((reason) => reason?.Code === 'TransactionConflict');
        if (conflicted && attempt < MAX_TRANSACTION_ATTEMPTS) continue;
        if (earlier.some((reason) => reason.Code === 'ConditionalCheckFailed')) {
          throw new EarlierGenerationMissingError(`An earlier generation of key ${record.idempotency.key} was purged meanwhile`, {
            cause: error,
          });
        }
        throw error;
      }
    }
  }

  /** Keeps a charge record at least until `purgeAt` (epoch ms); never shortens its retention. */
  private async keepUntil(chargeId: string, purgeAt: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: chargeKey(chargeId),
          UpdateExpression: 'SET purge_at = :purge',
          ConditionExpression: 'attribute_exists(pk) AND purge_at < :purge',
          ExpressionAttributeValues: { ':purge': Math.floor(purgeAt / 1000) },
        }),
      );
    } catch (error) {
      // Kept as long already (or purged: then the whole chain is past its retention).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/**
 * Ids (the items' `pk` without `keyPrefix`) in the open-charges index's shards `<shardPrefix>0 …
 * <shardPrefix>(shards-1)` opened before `createdBefore`, oldest first, at most `limit`. Charges and
 * refunds share the index under partitions of their own.
 */
export async function findOpenInShards(
  documents: DynamoDBDocumentClient,
  tableName: string,
  partitions: { shardPrefix: string; shards: number; keyPrefix: string },
  createdBefore: number,
  limit: number,
): Promise<string[]> {
  const found: Array<{ id: string; openSince: number }> = [];
  for (let shard = 0; shard < partitions.shards; shard += 1) {
    let startKey: Record<string, unknown> | undefined;
    let fromShard = 0;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: OPEN_CHARGES_INDEX.name,
          KeyConditionExpression: '#shard = :shard AND #since < :before',
          ExpressionAttributeNames: { '#shard': OPEN_CHARGES_INDEX.partitionKey, '#since': OPEN_CHARGES_INDEX.sortKey },
          ExpressionAttributeValues: { ':shard': `${partitions.shardPrefix}${shard}`, ':before': createdBefore },
          Limit: limit,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) found.push({ id: String(item['pk']).slice(partitions.keyPrefix.length), openSince: Number(item['open_since']) });
      fromShard += page.Items?.length ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey && fromShard < limit);
  }
  return found
    .sort((a, b) => a.openSince - b.openSince)
    .slice(0, limit)
    .map((entry) => entry.id);
}

/** Ids in one partition of the review index, oldest flag first, at most `limit`. */
export async function findInReviewPartition(documents: DynamoDBDocumentClient, tableName: string, partition: string, keyPrefix: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: REVIEW_INDEX.name,
        KeyConditionExpression: '#queue = :queue',
        ExpressionAttributeNames: { '#queue': REVIEW_INDEX.partitionKey },
        ExpressionAttributeValues: { ':queue': partition },
        Limit: limit - ids.length,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item['pk']).slice(keyPrefix.length));
    startKey = page.LastEvaluatedKey;
  } while (startKey && ids.length < limit);
  return ids;
}

/**
 * A transaction creating a key's next generation found an earlier generation purged since the
 * request read it; nothing was written. A retry of the request walks the key's chain again.
 */
export class EarlierGenerationMissingError extends OncePayError {}

/**
 * The state machine has exactly one status leading into `processing`, `succeeded` and
 * `failed` from a worker's point of view; the condition expressions rely on that.
 */
function singleStatus(statuses: ChargeStatus[]): ChargeStatus {
  const [only, ...rest] = statuses;
  if (!only || rest.length > 0) throw new Error(`Expected exactly one source status, got ${statuses.join(', ')}`);
  return only;
}

function existingItem(error: unknown): ChargeItem | undefined {
  return failedConditionItem(error) as ChargeItem | undefined;
}

/** The item a failed condition returned (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), if any. */
export function failedConditionItem(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof ConditionalCheckFailedException)) return undefined;
  if (!error.Item) return undefined;
  // lib-dynamodb leaves the item of a failed condition in wire format.
  return unmarshall(error.Item);
}

function toItem(record: ChargeRecord, openChargeShards: number, listShards: number): ChargeItem {
  const { charge, idempotency } = record;
  return {
    ...chargeKey(charge.id),
    merchant_id: charge.merchantId,
    status: charge.status,
    amount: charge.amount,
    currency: charge.currency,
    payment_method: charge.paymentMethod,
    ...(charge.description === null ? {} : { description: charge.description }),
    metadata: charge.metadata,
    created_at: charge.createdAt,
    updated_at: charge.updatedAt,
    ...(charge.failureCode === null ? {} : { failure_code: charge.failureCode }),
    ...(charge.failureMessage === null ? {} : { failure_message: charge.failureMessage }),
    ...(charge.declineCode === null ? {} : { decline_code: charge.declineCode }),
    // Absent until recorded: `if_not_exists` treats a stored null as a recorded value.
    ...(record.processorPaymentId === null ? {} : { processor_payment_id: record.processorPaymentId }),
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
    ...(isTerminal(charge.status) ? { purge_at: Math.floor(record.purgeAt / 1000) } : {}),
    ...(record.prepareKeyAttempt > 1 ? { prepare_key_attempt: record.prepareKeyAttempt } : {}),
    ...(isTerminal(charge.status) || record.review ? {} : { open_shard: openShardOf(charge.id, openChargeShards), open_since: charge.createdAt }),
    ...(record.review
      ? { review_queue: REVIEW_INDEX.partition, review_since: record.review.since, review_reason: record.review.reason }
      : {}),
    ...(charge.amountRefunded > 0 ? { amount_refunded: charge.amountRefunded } : {}),
    ...listKeysFor('charges', charge.merchantId, charge.id, charge.createdAt, listShards),
  };
}

/** A charge record from a charge item read anywhere (a list page, a transaction's cancellation). */
export function chargeRecordFromItem(item: Record<string, unknown>): ChargeRecord {
  return fromItem(item as unknown as ChargeItem);
}

function fromItem(item: ChargeItem): ChargeRecord {
  return {
    charge: {
      id: item.pk.slice(CHARGE_KEY_PREFIX.length),
      merchantId: item.merchant_id,
      status: item.status,
      amount: item.amount,
      currency: item.currency,
      paymentMethod: item.payment_method,
      description: item.description ?? null,
      metadata: item.metadata ?? {},
      createdAt: item.created_at,
      updatedAt: item.updated_at,
      failureCode: item.failure_code ?? null,
      failureMessage: item.failure_message ?? null,
      declineCode: item.decline_code ?? null,
      amountRefunded: item.amount_refunded ?? 0,
      dispute: item.dispute_id === undefined ? null : { id: item.dispute_id, blocksRefunds: item.refunds_blocked_by !== undefined },
    },
    idempotency: {
      key: item.idempotency_key,
      generation: item.idempotency_generation,
      fingerprint: fingerprintOfCanonical(item.request_body),
      canonicalBody: item.request_body,
      ownerToken: item.owner_token,
      response: { status: item.response_status, body: unpackResponseBody(item.response_body) },
      expiresAt: item.idempotency_expires_at,
    },
    lease:
      item.lease_owner !== undefined && item.lease_expires_at !== undefined
        ? { owner: item.lease_owner, expiresAt: item.lease_expires_at }
        : null,
    attempts: item.attempts,
    purgeAt: (item.purge_at ?? item.retain_until ?? 0) * 1000,
    processorPaymentId: item.processor_payment_id ?? null,
    prepareKeyAttempt: item.prepare_key_attempt ?? 1,
    review:
      item.review_reason !== undefined && item.review_since !== undefined ? { reason: item.review_reason, since: item.review_since } : null,
  };
}
