/**
 * What the charges keep in DynamoDB: every item the run left in the charges and webhooks tables,
 * sized by DynamoDB's own rules, with each index's copy, so that storage, point-in-time recovery
 * and backups can be priced per charge over the records' retention.
 */
import { DescribeTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** DynamoDB bills each stored item, in the table and in every index holding it, 100 bytes more than its data. */
export const STORAGE_OVERHEAD_BYTES_PER_ITEM = 100;

/**
 * An item's size as DynamoDB counts it (Developer Guide, "Item sizes and formats"): each
 * attribute's UTF-8 name plus its value; a number is about one byte per two significant digits
 * plus one; null and booleans one byte; a list or map three bytes plus one per element.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, text) => sum + numberBytes(text), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, binary) => sum + binary.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name, 'utf8') + valueBytes(element), 0);
  return 0;
}

function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** One kind of stored item (its partition key's prefix): how many, how large, and how long kept. */
export interface StoredKind {
  table: 'charges' | 'webhooks';
  /** The partition key's prefix, e.g. `CHARGE#`, `EVENT#`. */
  kind: string;
  items: number;
  /** Billed bytes of all of them: data plus the per-item overhead. */
  bytes: number;
  /** Billed bytes of their copies in the table's indexes (keys-only: the index keys, the table key, the overhead). */
  indexBytes: number;
  /**
   * Days an item is kept, from its own `purge_at` and `created_at` (or `received_at`) where both are set (the median);
   * `null` where the run's items carry no purge time yet (open or kept by the stage's record retention).
   */
  keptDays: number | null;
}

/** Every item of the two tables, grouped by kind; the merchants table (keys, per merchant) is left out. */
export async function measureStorage(dynamodb: DynamoDBClient, tables: { charges: string; webhooks: string }): Promise<StoredKind[]> {
  const kinds = new Map<string, StoredKind & { lifetimes: number[] }>();
  for (const [table, name] of Object.entries(tables) as Array<['charges' | 'webhooks', string]>) {
    const description = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    const tableKeys = (description.Table?.KeySchema ?? []).map((key) => key.AttributeName ?? '');
    const indexes = (description.Table?.GlobalSecondaryIndexes ?? []).map((index) => (index.KeySchema ?? []).map((key) => key.AttributeName ?? ''));
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamodb.send(new ScanCommand({ TableName: name, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const kind = `${/^[A-Z_]+#?/.exec(item['pk']?.S ?? '')?.[0] ?? '?'}`;
        const entry = kinds.get(`${table} ${kind}`) ?? { table, kind, items: 0, bytes: 0, indexBytes: 0, keptDays: null, lifetimes: [] };
        entry.items += 1;
        entry.bytes += itemBytes(item) + STORAGE_OVERHEAD_BYTES_PER_ITEM;
        for (const keys of indexes) {
          if (!keys.every((key) => item[key] !== undefined)) continue;
          const projected = Object.fromEntries([...new Set([...keys, ...tableKeys])].map((key) => [key, item[key] as AttributeValue]));
          entry.indexBytes += itemBytes(projected) + STORAGE_OVERHEAD_BYTES_PER_ITEM;
        }
        const purgeAt = Number(item['purge_at']?.N);
        // When the item was written: `created_at` (ms), or a Stripe event inbox item's `received_at` (ms).
        const createdAt = Number(item['created_at']?.N ?? item['received_at']?.N);
        if (purgeAt > 0 && createdAt > 0) entry.lifetimes.push((purgeAt * 1000 - createdAt) / 86_400_000);
        kinds.set(`${table} ${kind}`, entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return [...kinds.values()].map(({ lifetimes, ...kind }) => {
    const sorted = lifetimes.sort((a, b) => a - b);
    return { ...kind, keptDays: sorted.length > 0 ? Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0) : null };
  });
}
