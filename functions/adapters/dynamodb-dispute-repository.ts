import { TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Dispute, DisputeStatus } from '#domain/dispute.ts';
import type { DisputeRepository } from '#domain/ports.ts';
import { chargeKey } from './dynamodb-charge-repository.ts';
import { DEFAULT_LIST_SHARDS, listKeysFor } from './dynamodb-lists.ts';

/** The stored shape of a dispute item, in the charges table beside its charge. Times are epoch ms. */
interface DisputeItem {
  pk: string;
  dispute_id: string;
  processor_dispute_id: string;
  merchant_id: string;
  charge_id: string;
  amount: number;
  currency: string;
  reason: string;
  status: DisputeStatus;
  is_charge_refundable: boolean;
  evidence_due_by: number | null;
  created_at: number;
  updated_at: number;
  list_partition: string;
  list_sort: string;
}

export const DISPUTE_KEY_PREFIX = 'DISPUTE#';
const disputeKey = (disputeId: string) => ({ pk: `${DISPUTE_KEY_PREFIX}${disputeId}` });

/**
 * {@link DisputeRepository} in the charges table: a dispute item (listed per merchant, newest
 * first) and its charge's `dispute_id` and `refunds_blocked_by`, written in one transaction. The
 * dispute is compare-and-set on its status; the charge must exist and be the merchant's. A charge
 * may have more than one dispute: a chargeback's block is lifted only by that same dispute. Disputes
 * are never purged by TTL: they are the record of money taken back.
 */
export class DynamoDbDisputeRepository implements DisputeRepository {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly listShards: number = DEFAULT_LIST_SHARDS,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(disputeId: string): Promise<Dispute | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: disputeKey(disputeId), ConsistentRead: true }));
    return Item ? disputeFromItem(Item) : undefined;
  }

  async record(dispute: Dispute, expected: DisputeStatus | null): Promise<'recorded' | 'conflict' | 'no_charge'> {
    const item: DisputeItem = {
      ...disputeKey(dispute.id),
      dispute_id: dispute.id,
      processor_dispute_id: dispute.processorDisputeId,
      merchant_id: dispute.merchantId,
      charge_id: dispute.chargeId,
      amount: dispute.amount,
      currency: dispute.currency,
      reason: dispute.reason,
      status: dispute.status,
      is_charge_refundable: dispute.isChargeRefundable,
      evidence_due_by: dispute.evidenceDueBy,
      created_at: dispute.createdAt,
      updated_at: dispute.updatedAt,
      ...listKeysFor('disputes', dispute.merchantId, dispute.id, dispute.createdAt, this.listShards),
    };
    const put: TransactItem['Put'] = {
      TableName: this.tableName,
      Item: item,
      ConditionExpression: expected === null ? 'attribute_not_exists(pk)' : '#status = :expected',
      ...(expected === null ? {} : { ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':expected': expected } }),
    };
    const charge = { TableName: this.tableName, Key: chargeKey(dispute.chargeId), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
    // A chargeback forbids refunds (the reservation's condition reads this) and becomes the
    // charge's dispute. An inquiry, or a chargeback Stripe says the charge may be refunded
    // under, lifts only its own block: another dispute's chargeback on the charge stands.
    const chargeUpdate = dispute.isChargeRefundable
      ? {
          ...charge,
          UpdateExpression: 'SET dispute_id = :dispute REMOVE refunds_blocked_by',
          ConditionExpression: 'merchant_id = :merchant AND (attribute_not_exists(refunds_blocked_by) OR refunds_blocked_by = :dispute)',
          ExpressionAttributeValues: { ':dispute': dispute.id, ':merchant': dispute.merchantId },
        }
      : {
          ...charge,
          UpdateExpression: 'SET dispute_id = :dispute, refunds_blocked_by = :dispute',
          ConditionExpression: 'merchant_id = :merchant',
          ExpressionAttributeValues: { ':dispute': dispute.id, ':merchant': dispute.merchantId },
        };
    const outcome = await this.write(put, { Update: chargeUpdate }, dispute.merchantId);
    if (outcome !== 'blocked_by_another') return outcome;
    // The charge stays as another dispute's chargeback left it; this dispute is recorded beside it.
    const stillTheMerchants = { ...charge, ConditionExpression: 'merchant_id = :merchant', ExpressionAttributeValues: { ':merchant': dispute.merchantId } };
    const beside = await this.write(put, { ConditionCheck: stillTheMerchants }, dispute.merchantId);
    return beside === 'blocked_by_another' ? 'conflict' : beside;
  }

  /** Puts the dispute and writes (or checks) its charge in one transaction. */
  private async write(put: TransactItem['Put'], onCharge: TransactItem, merchantId: string): Promise<'recorded' | 'conflict' | 'no_charge' | 'blocked_by_another'> {
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: [{ Put: put }, onCharge] }));
      return 'recorded';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [disputeReason, chargeReason] = error.CancellationReasons ?? [];
      if (disputeReason?.Code === 'ConditionalCheckFailed' || disputeReason?.Code === 'TransactionConflict' || chargeReason?.Code === 'TransactionConflict') return 'conflict';
      if (chargeReason?.Code === 'ConditionalCheckFailed') {
        const merchant = chargeReason.Item?.['merchant_id'];
        const blockedBy = chargeReason.Item?.['refunds_blocked_by'];
        const theMerchants = merchant !== undefined && 'S' in merchant && merchant.S === merchantId;
        return theMerchants && blockedBy !== undefined ? 'blocked_by_another' : 'no_charge';
      }
      throw error;
    }
  }
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A dispute from a dispute item read anywhere (a list page included). */
export function disputeFromItem(raw: Record<string, unknown>): Dispute {
  const item = raw as unknown as DisputeItem;
  return {
    id: item.dispute_id,
    processorDisputeId: item.processor_dispute_id,
    merchantId: item.merchant_id,
    chargeId: item.charge_id,
    amount: item.amount,
    currency: item.currency,
    reason: item.reason,
    status: item.status,
    isChargeRefundable: item.is_charge_refundable,
    evidenceDueBy: item.evidence_due_by ?? null,
    createdAt: item.created_at,
    updatedAt: item.updated_at,
  };
}
