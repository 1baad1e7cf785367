import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LAST_USED_RESOLUTION_MS, type StoredApiKey } from '#domain/api-key.ts';
import { scannedItems } from './dynamodb-scan.ts';

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
    return Item ? storedKeyFrom(Item) : undefined;
  }

  async merchantExists(merchantId: string): Promise<boolean> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `MERCHANT#${merchantId}` }, ProjectionExpression: 'pk', ConsistentRead: true }),
    );
    return Item !== undefined;
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
              Item: keyItem(key),
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
    const scan = { TableName: this.tableName, FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': 'MERCHANT#' } };
    for await (const item of scannedItems(this.documents, scan)) {
      merchants.push({ merchantId: String(item['merchant_id']), name: String(item['name']), createdAt: Number(item['created_at']) });
    }
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
  /** Adds a key to an existing merchant; `false` when there is no such merchant. */
  async createKey(key: StoredApiKey): Promise<boolean> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: `MERCHANT#${key.merchantId}` },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            { Put: { TableName: this.tableName, Item: keyItem(key), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /** A merchant's keys, oldest first (a scan: the table holds merchants, keys and the wait budget's slots only, and this is for operators). */
  async listKeys(merchantId: string): Promise<StoredApiKey[]> {
    const keys: StoredApiKey[] = [];
    const scan = {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :prefix) AND merchant_id = :merchant',
      ExpressionAttributeValues: { ':prefix': 'APIKEY#', ':merchant': merchantId },
      ConsistentRead: true,
    };
    for await (const item of scannedItems(this.documents, scan)) keys.push(storedKeyFrom(item));
    return keys.sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * Rolls a key: stores its successor and gives the old key an expiry, together or not at
   * all. Refused (with the reason) for a key that is unknown, revoked or already rolled.
   */
  async rollKey(oldKeyId: string, successor: StoredApiKey, expiresAt: number): Promise<'rolled' | 'unknown' | 'revoked' | 'already-rolled'> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: `APIKEY#${oldKeyId}` },
                UpdateExpression: 'SET expires_at = :expires, rolled_to = :successor',
                ConditionExpression:
                  'attribute_exists(pk) AND attribute_not_exists(revoked_at) AND attribute_not_exists(rolled_to) AND merchant_id = :merchant',
                ExpressionAttributeValues: { ':expires': expiresAt, ':successor': successor.keyId, ':merchant': successor.merchantId },
              },
            },
            { Put: { TableName: this.tableName, Item: keyItem(successor), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
      return 'rolled';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const old = await this.findKey(oldKeyId);
      if (!old) return 'unknown';
      if (old.revokedAt !== null) return 'revoked';
      if (old.rolledTo !== null) return 'already-rolled';
      throw error;
    }
  }

  /**
   * Records a use of the key, unless one was recorded less than an hour ago (so concurrent
   * containers write it about once an hour between them, whatever the request rate).
   */
  async recordKeyUse(keyId: string, now: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `APIKEY#${keyId}` },
          UpdateExpression: 'SET last_used_at = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at <= :due)',
          ExpressionAttributeValues: { ':now': now, ':due': now - LAST_USED_RESOLUTION_MS },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function keyItem(key: StoredApiKey): Record<string, unknown> {
  return {
    pk: `APIKEY#${key.keyId}`,
    key_id: key.keyId,
    merchant_id: key.merchantId,
    mode: key.mode,
    key_type: key.type,
    ...(key.scopes ? { scopes: key.scopes } : {}),
    key_hash: key.keyHash,
    display_prefix: key.displayPrefix,
    created_at: key.createdAt,
  };
}

function storedKeyFrom(item: Record<string, unknown>): StoredApiKey {
  const scopes = item['scopes'];
  return {
    keyId: item['key_id'] as string,
    merchantId: item['merchant_id'] as string,
    mode: item['mode'] as StoredApiKey['mode'],
    // The key's own prefix says its type (`rk_` restricted), never a stored field that could be missing.
    type: String(item['display_prefix']).startsWith('rk_') ? 'restricted' : 'secret',
    scopes: Array.isArray(scopes) ? (scopes as StoredApiKey['scopes']) : null,
    keyHash: item['key_hash'] as string,
    displayPrefix: item['display_prefix'] as string,
    createdAt: item['created_at'] as number,
    revokedAt: (item['revoked_at'] as number | undefined) ?? null,
    expiresAt: (item['expires_at'] as number | undefined) ?? null,
    rolledTo: (item['rolled_to'] as string | undefined) ?? null,
    lastUsedAt: (item['last_used_at'] as number | undefined) ?? null,
  };
}
