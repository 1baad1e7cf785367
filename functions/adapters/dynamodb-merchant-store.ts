import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredApiKey } from '#domain/api-key.ts';

export interface Merchant {
  merchantId: string;
  name: string;
  createdAt: number;
}

/**
 * Merchants and their API keys in the merchants table: `MERCHANT#<id>` and `APIKEY#<keyId>`
 * items. Keys are stored as hashes only (see `StoredApiKey`).
 */
export class DynamoDbMerchantStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async findKey(keyId: string): Promise<StoredApiKey | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `APIKEY#${keyId}` }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      keyId: Item['key_id'],
      merchantId: Item['merchant_id'],
      mode: Item['mode'],
      keyHash: Item['key_hash'],
      displayPrefix: Item['display_prefix'],
      createdAt: Item['created_at'],
      revokedAt: Item['revoked_at'] ?? null,
    };
  }

  /** Creates the merchant and its first key together, or neither. Idempotent for the same key. */
  async createMerchant(merchant: Merchant, key: StoredApiKey): Promise<void> {
    await this.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { pk: `MERCHANT#${merchant.merchantId}`, merchant_id: merchant.merchantId, name: merchant.name, created_at: merchant.createdAt },
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                pk: `APIKEY#${key.keyId}`,
                key_id: key.keyId,
                merchant_id: key.merchantId,
                mode: key.mode,
                key_hash: key.keyHash,
                display_prefix: key.displayPrefix,
                created_at: key.createdAt,
              },
              ConditionExpression: 'attribute_not_exists(pk) OR merchant_id = :merchant',
              ExpressionAttributeValues: { ':merchant': merchant.merchantId },
            },
          },
        ],
      }),
    );
  }

  async listMerchants(): Promise<Merchant[]> {
    const merchants: Merchant[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':prefix': 'MERCHANT#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        merchants.push({ merchantId: item['merchant_id'], name: item['name'], createdAt: item['created_at'] });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return merchants.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Marks a key revoked; `false` when there is no such key. Revoking twice keeps the first time. */
  async revokeKey(keyId: string, now: number): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `APIKEY#${keyId}` },
          UpdateExpression: 'SET revoked_at = if_not_exists(revoked_at, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
