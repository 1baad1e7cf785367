import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isRefundTerminal, type RefundReason, type RefundStatus } from '#domain/refund.ts';
import type {
  CompleteResult,
  CreateRefundResult,
  Lease,
  RefundClaimResult,
  RefundOutcome,
  RefundRecord,
  RefundRepository,
  RefundReservation,
  Review,
} from '#domain/ports.ts';
import { chargeKey, chargeRecordFromItem } from './dynamodb-charge-repository.ts';
import { DEFAULT_LIST_SHARDS, listKeysFor } from './dynamodb-lists.ts';
import {
  createdOrExisting,
  DEFAULT_OPEN_CHARGE_SHARDS,
  DynamoDbOperationRepository,
  failedConditionItem,
  MAX_TRANSACTION_ATTEMPTS,
  MAX_TRANSACTION_ITEMS,
  operationRecordOf,
  type OperationItem,
} from './dynamodb-operation-items.ts';

/** The stored shape of a refund item, in the charges table beside its charge: the lifecycle's attributes and the refund's own. Times are epoch ms. */
interface RefundItem extends OperationItem {
  refund_id: string;
  merchant_id: string;
  charge_id: string;
  amount: number;
  currency: string;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  status: RefundStatus;
  failure_reason: string | null;
  /** The charge's processor payment, which the processor refund is made against. */
  payment_id: string;
  processor_refund_id?: string;
  /** The key the next create at the processor uses, once one was spent (absent: the first). */
  processor_key_attempt?: number;
  /** The code of a refusal oncepay cannot read: the refund waits for a person and is never sent again. */
  processor_refusal?: string;
  list_partition: string;
  list_sort: string;
  /** The charge-refunds index's partition key. */
  refund_of: string;
}

const REFUND_KEY_PREFIX = 'REFUND#';
const refundKey = (refundId: string) => ({ pk: `${REFUND_KEY_PREFIX}${refundId}` });
/** Refunds share the open and review indexes under partitions of their own, so neither finder sees the other's items. */
const REFUNDS = {
  keyPrefix: REFUND_KEY_PREFIX,
  openShardPrefix: 'refund-open#',
  reviewPartition: 'refund-review',
  isTerminal: (status: string) => isRefundTerminal(status as RefundStatus),
};

/**
 * {@link RefundRepository} in the charges table. Creating a refund is one transaction with its
 * charge: the refund item is put on the condition that its key is new, and the charge is
 * updated on the condition that it is the merchant's, `succeeded`, not charged back, of the
 * amount the caller read, and that `amount_refunded + refund ≤ amount` (written `amount ≥ refund`
 * for the first refund and `amount_refunded <= :limit` after, because a condition cannot add),
 * which adds the refund to `amount_refunded`. A refund that ends `failed` or `canceled`, or that
 * the processor fails after it succeeded, subtracts it again in the same transaction that makes
 * it so: the status condition makes that happen once.
 */
export class DynamoDbRefundRepository extends DynamoDbOperationRepository<RefundItem> implements RefundRepository {
  constructor(client: DynamoDBClient, tableName: string, openShards: number = DEFAULT_OPEN_CHARGE_SHARDS, listShards: number = DEFAULT_LIST_SHARDS) {
    super(client, tableName, REFUNDS, openShards, listShards);
  }

  async createReserving(record: RefundRecord, reservation: RefundReservation, earlierGenerations: RefundRecord[]): Promise<CreateRefundResult> {
    const { refund } = record;
    const extensions = earlierGenerations.filter((earlier) => earlier.purgeAt < record.purgeAt).slice(-(MAX_TRANSACTION_ITEMS - 2));
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              this.items.putNew(this.toItem(record)),
              {
                Update: {
                  TableName: this.tableName,
                  Key: chargeKey(reservation.chargeId),
                  UpdateExpression: 'SET amount_refunded = if_not_exists(amount_refunded, :zero) + :amount, purge_at = :purge',
                  // The bounds are the item's own: its amount must be the one the caller read, and the
                  // first refund is bounded by it too (no `amount_refunded` to compare yet).
                  ConditionExpression:
                    'merchant_id = :merchant AND #status = :succeeded AND amount = :chargeAmount AND attribute_not_exists(refunds_blocked_by) AND ' +
                    '((attribute_not_exists(amount_refunded) AND amount >= :amount) OR amount_refunded <= :limit)',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: {
                    ':zero': 0,
                    ':amount': refund.amount,
                    ':merchant': reservation.merchantId,
                    ':succeeded': 'succeeded',
                    ':chargeAmount': reservation.chargeAmount,
                    ':limit': reservation.chargeAmount - refund.amount,
                    ':purge': Math.floor(reservation.keepChargeUntil / 1000),
                  },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              // Earlier generations of the key are kept at least as long as this one (see charges).
              ...extensions.map((earlier) => this.items.keepEarlierGeneration(earlier.refund.id, record.purgeAt)),
            ],
          }),
        );
        return { kind: 'created', record };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [putReason, chargeReason, ...earlier] = error.CancellationReasons ?? [];
        if (putReason?.Code === 'ConditionalCheckFailed' && putReason.Item) {
          return createdOrExisting(fromItem(unmarshall(putReason.Item) as RefundItem), record);
        }
        if (chargeReason?.Code === 'ConditionalCheckFailed') {
          return { kind: 'charge_refused', charge: chargeReason.Item ? chargeRecordFromItem(unmarshall(chargeReason.Item)).charge : undefined };
        }
        const conflicted = [putReason, chargeReason, ...earlier].some((reason) => reason?.Code === 'TransactionConflict');
        if (conflicted && attempt < MAX_TRANSACTION_ATTEMPTS) {
          await backOff(attempt);
          continue;
        }
        throw error;
      }
    }
  }

  async get(refundId: string): Promise<RefundRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: refundKey(refundId), ConsistentRead: true }));
    return Item ? fromItem(Item as RefundItem) : undefined;
  }

  async claim(refundId: string, lease: Lease, now: number): Promise<RefundClaimResult> {
    const claim = await this.items.claim(refundId, lease, now);
    if (claim.kind === 'claimed') return { kind: 'claimed', record: fromItem(claim.item) };
    if (claim.kind === 'final') return { kind: 'final', status: claim.status as RefundStatus };
    return claim;
  }

  async recordProcessorRefund(refundId: string, leaseOwner: string, processorRefundId: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: refundKey(refundId),
          UpdateExpression: 'SET processor_refund_id = if_not_exists(processor_refund_id, :id)',
          ConditionExpression: '#status = :processing AND lease_owner = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':id': processorRefundId, ':processing': 'processing', ':owner': leaseOwner },
        }),
      );
    } catch (error) {
      // Our lease is gone: whoever holds it now records (the same refund, found by key or list).
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async spendProcessorKey(refundId: string, leaseOwner: string, spentAttempt: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: refundKey(refundId),
          UpdateExpression: 'SET processor_key_attempt = :next',
          ConditionExpression:
            '#status = :processing AND lease_owner = :owner AND ' +
            (spentAttempt <= 1 ? '(attribute_not_exists(processor_key_attempt) OR processor_key_attempt = :spent)' : 'processor_key_attempt = :spent'),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':next': spentAttempt + 1, ':spent': spentAttempt, ':processing': 'processing', ':owner': leaseOwner },
        }),
      );
    } catch (error) {
      // Our lease is gone, or the key moved on already: the holder asks the list before any create.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async flagRefused(refundId: string, leaseOwner: string, code: string, review: Review, now: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: refundKey(refundId),
          UpdateExpression:
            'SET #status = :pending, updated_at = :now, processor_refusal = :code, review_queue = :queue, review_since = :since, review_reason = :reason ' +
            'REMOVE lease_owner, lease_expires_at, open_shard, open_since',
          ConditionExpression: '#status = :processing AND lease_owner = :owner',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':processing': 'processing',
            ':owner': leaseOwner,
            ':now': now,
            ':code': code,
            ':queue': REFUNDS.reviewPartition,
            ':since': review.since,
            ':reason': review.reason,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async complete(refundId: string, leaseOwner: string, outcome: RefundOutcome, now: number): Promise<CompleteResult> {
    const finalUpdate = {
      TableName: this.tableName,
      Key: refundKey(refundId),
      // Final: TTL may purge it once its retention ends, never before.
      UpdateExpression:
        'SET #status = :final, updated_at = :now, failure_reason = :reason, purge_at = retain_until' +
        (outcome.processorRefundId === null ? '' : ', processor_refund_id = if_not_exists(processor_refund_id, :processor)') +
        ' REMOVE lease_owner, lease_expires_at, open_shard, open_since, review_queue, review_since, review_reason',
      ConditionExpression: '#status = :processing AND lease_owner = :owner',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':final': outcome.kind,
        ':now': now,
        ':reason': outcome.kind === 'succeeded' ? null : outcome.reason,
        ':processing': 'processing',
        ':owner': leaseOwner,
        ...(outcome.processorRefundId === null ? {} : { ':processor': outcome.processorRefundId }),
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      if (outcome.kind === 'succeeded') {
        await this.documents.send(new UpdateCommand(finalUpdate));
      } else {
        const stored = await this.get(refundId);
        if (!stored) return { kind: 'lease_lost' };
        // The refund's reservation goes back to the charge in the same transaction that makes it final.
        await this.withConflictRetries(() => this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: finalUpdate },
              {
                Update: {
                  TableName: this.tableName,
                  Key: chargeKey(stored.refund.chargeId),
                  UpdateExpression: 'SET amount_refunded = amount_refunded - :amount',
                  ConditionExpression: 'amount_refunded >= :amount',
                  ExpressionAttributeValues: { ':amount': stored.refund.amount },
                },
              },
            ],
          }),
        ));
      }
      return { kind: 'completed' };
    } catch (error) {
      const existing =
        error instanceof TransactionCanceledException
          ? (error.CancellationReasons?.[0]?.Item ? (unmarshall(error.CancellationReasons[0].Item) as RefundItem) : undefined)
          : error instanceof ConditionalCheckFailedException
            ? (failedConditionItem(error) as RefundItem | undefined)
            : null;
      if (existing === null) throw error;
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed') throw error;
      // Our own write whose response was lost already made the refund final.
      if (existing && existing.status === outcome.kind && existing.lease_owner === undefined) return { kind: 'completed' };
      return { kind: 'lease_lost' };
    }
  }

  async failAfterSuccess(refundId: string, processorRefundId: string, reason: string, now: number): Promise<boolean> {
    const stored = await this.get(refundId);
    if (!stored || stored.refund.status !== 'succeeded' || stored.processorRefundId !== processorRefundId) return false;
    try {
      // The SDK gives the transaction a client request token and reuses it on its own retries: a
      // retried transaction whose first response was lost succeeds, and gives the amount back once.
      await this.withConflictRetries(() =>
        this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: refundKey(refundId),
                  UpdateExpression: 'SET #status = :failed, failure_reason = :reason, updated_at = :now',
                  ConditionExpression: '#status = :succeeded AND processor_refund_id = :processor',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':failed': 'failed', ':succeeded': 'succeeded', ':reason': reason, ':now': now, ':processor': processorRefundId },
                },
              },
              {
                Update: {
                  TableName: this.tableName,
                  Key: chargeKey(stored.refund.chargeId),
                  UpdateExpression: 'SET amount_refunded = amount_refunded - :amount',
                  ConditionExpression: 'amount_refunded >= :amount',
                  ExpressionAttributeValues: { ':amount': stored.refund.amount },
                },
              },
            ],
          }),
        ),
      );
      return true;
    } catch (error) {
      // Failed meanwhile (another look at the same processor word got there first).
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /** Runs a transaction again, after a short jittered wait, when DynamoDB cancels it for a conflict with another write. */
  private async withConflictRetries<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await send();
      } catch (error) {
        const conflicted = error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
        if (!conflicted || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        await backOff(attempt);
      }
    }
  }

  findOpenRefunds(createdBefore: number, limit: number): Promise<string[]> {
    return this.items.findOpen(createdBefore, limit);
  }

  private toItem(record: RefundRecord): RefundItem {
    const { refund } = record;
    return {
      ...refundKey(refund.id),
      refund_id: refund.id,
      merchant_id: refund.merchantId,
      charge_id: refund.chargeId,
      amount: refund.amount,
      currency: refund.currency,
      reason: refund.reason,
      metadata: refund.metadata,
      status: refund.status,
      created_at: refund.createdAt,
      updated_at: refund.updatedAt,
      failure_reason: refund.failureReason,
      payment_id: record.paymentId,
      ...(record.processorRefundId === null ? {} : { processor_refund_id: record.processorRefundId }),
      ...this.items.lifecycleAttributes(refund.id, record, refund.status, refund.createdAt),
      ...(record.processorKeyAttempt > 1 ? { processor_key_attempt: record.processorKeyAttempt } : {}),
      ...(record.processorRefusal === null ? {} : { processor_refusal: record.processorRefusal }),
      ...listKeysFor('refunds', refund.merchantId, refund.id, refund.createdAt, this.listShards),
      refund_of: refund.chargeId,
    };
  }
}

/** A jittered wait before another attempt at a conflicting transaction: 25–50 ms, doubling. */
function backOff(attempt: number): Promise<void> {
  const ms = 25 * 2 ** (attempt - 1) * (1 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A refund record from a refund item read anywhere (a list page included). */
export function refundRecordFromItem(item: Record<string, unknown>): RefundRecord {
  return fromItem(item as unknown as RefundItem);
}

function fromItem(item: RefundItem): RefundRecord {
  return {
    refund: {
      id: item.refund_id,
      merchantId: item.merchant_id,
      chargeId: item.charge_id,
      amount: item.amount,
      currency: item.currency,
      reason: item.reason ?? null,
      metadata: item.metadata ?? {},
      status: item.status,
      createdAt: item.created_at,
      updatedAt: item.updated_at,
      failureReason: item.failure_reason ?? null,
    },
    ...operationRecordOf(item),
    paymentId: item.payment_id,
    processorRefundId: item.processor_refund_id ?? null,
    processorKeyAttempt: item.processor_key_attempt ?? 1,
    processorRefusal: item.processor_refusal ?? null,
  };
}
