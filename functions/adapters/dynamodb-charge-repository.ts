import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { OncePayError } from '#domain/errors.ts';
import { DEFAULT_LIST_SHARDS, listKeysFor } from './dynamodb-lists.ts';
import { isTerminal, statusesLeadingTo, type ChargeStatus } from '#domain/charge.ts';
import {
  DEFAULT_OPEN_CHARGE_SHARDS,
  createdOrExisting,
  DynamoDbOperationRepository,
  failedConditionItem,
  MAX_TRANSACTION_ATTEMPTS,
  MAX_TRANSACTION_ITEMS,
  operationRecordOf,
  REVIEW_INDEX,
  type OperationItem,
} from './dynamodb-operation-items.ts';
import type {
  ChargeRecord,
  ChargeRepository,
  ClaimResult,
  CompleteResult,
  CreateChargeResult,
  Lease,
  ProcessorOutcome,
} from '#domain/ports.ts';

/**
 * The stored shape of a charge item: the lifecycle's attributes (dynamodb-operation-items.ts) and
 * the charge's own. Times are epoch milliseconds. Every write pays for the whole item by the
 * kilobyte, so it holds nothing derivable: the id is the key's, the request's fingerprint is its
 * canonical body's hash, and null fields are absent.
 */
interface ChargeItem extends OperationItem {
  merchant_id: string;
  status: ChargeStatus;
  amount: number;
  currency: string;
  payment_method: string;
  description?: string | null;
  metadata: Record<string, string>;
  failure_code?: string | null;
  failure_message?: string | null;
  decline_code?: string | null;
  /** The one processor payment of this charge, recorded by the claim that first created it. */
  processor_payment_id?: string | null;
  /** The prepare key the next create uses, once one was spent (absent: the first). */
  prepare_key_attempt?: number;
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
export const chargeKey = (chargeId: string) => ({ pk: `${CHARGE_KEY_PREFIX}${chargeId}` });

/** Charges in the shared indexes: `open#<shard>` in the open index, `review` in the review index. */
const CHARGES = {
  keyPrefix: CHARGE_KEY_PREFIX,
  openShardPrefix: 'open#',
  reviewPartition: REVIEW_INDEX.partition,
  isTerminal: (status: string) => isTerminal(status as ChargeStatus),
};

/**
 * {@link ChargeRepository} on one DynamoDB table keyed by `pk`. Every state change is a
 * conditional write whose condition is the state machine's edge; when the condition fails
 * the item that was there comes back with the error (`ReturnValuesOnConditionCheckFailure`),
 * so no extra read is spent to explain it.
 */
export class DynamoDbChargeRepository extends DynamoDbOperationRepository<ChargeItem> implements ChargeRepository {
  /** @param openChargeShards, listShards: see {@link DynamoDbOperationRepository}. */
  constructor(client: DynamoDBClient, tableName: string, openChargeShards: number = DEFAULT_OPEN_CHARGE_SHARDS, listShards: number = DEFAULT_LIST_SHARDS) {
    super(client, tableName, CHARGES, openChargeShards, listShards);
  }

  async create(record: ChargeRecord): Promise<CreateChargeResult> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.toItem(record),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'created', record };
    } catch (error) {
      const existing = existingItem(error);
      if (!existing) throw error;
      return createdOrExisting(fromItem(existing), record);
    }
  }

  async get(chargeId: string): Promise<ChargeRecord | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: chargeKey(chargeId), ConsistentRead: true }),
    );
    return Item ? fromItem(Item as ChargeItem) : undefined;
  }

  async claim(chargeId: string, lease: Lease, now: number, paymentId?: string): Promise<ClaimResult> {
    // A payment id is recorded once: one already on the charge is never replaced.
    const recordPayment = paymentId === undefined ? null : { set: 'processor_payment_id = if_not_exists(processor_payment_id, :payment)', values: { ':payment': paymentId } };
    const claim = await this.items.claim(chargeId, lease, now, recordPayment);
    if (claim.kind === 'claimed') return { kind: 'claimed', record: fromItem(claim.item) };
    if (claim.kind === 'final') return { kind: 'final', status: claim.status as ChargeStatus };
    return claim;
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

  findOpenCharges(createdBefore: number, limit: number): Promise<string[]> {
    return this.items.findOpen(createdBefore, limit);
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
              this.items.putNew(this.toItem(record)),
              ...inTransaction.map((extension) => this.items.keepEarlierGeneration(extension.chargeId, extension.purgeAt)),
            ],
          }),
        );
        return { kind: 'created', record };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [putReason, ...earlier] = error.CancellationReasons ?? [];
        if (putReason?.Code === 'ConditionalCheckFailed' && putReason.Item) {
          return createdOrExisting(fromItem(unmarshall(putReason.Item) as ChargeItem), record);
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

  private toItem(record: ChargeRecord): ChargeItem {
    const { charge } = record;
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
      ...this.items.lifecycleAttributes(charge.id, record, charge.status, charge.createdAt),
      ...(record.prepareKeyAttempt > 1 ? { prepare_key_attempt: record.prepareKeyAttempt } : {}),
      ...(charge.amountRefunded > 0 ? { amount_refunded: charge.amountRefunded } : {}),
      ...listKeysFor('charges', charge.merchantId, charge.id, charge.createdAt, this.listShards),
    };
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
    ...operationRecordOf(item),
    processorPaymentId: item.processor_payment_id ?? null,
    prepareKeyAttempt: item.prepare_key_attempt ?? 1,
  };
}
