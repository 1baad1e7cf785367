import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OncePayError } from '#domain/errors.ts';
import type { ListQuery, ListPage } from '#domain/listing.ts';

/**
 * The merchant-lists GSI (on the charges table, and on the webhooks table for endpoints and
 * events): every listed item carries `list_partition` (`<kind>#<merchant>#<shard>`) and
 * `list_sort` (`<created ms, 16 digits>#<id>`),
 * written once when the item is created. Keys only: later updates of the item cost the index
 * nothing. A merchant's objects are spread over shards so that one merchant at the stage's peak
 * rate never writes one index partition beyond DynamoDB's 1,000 writes/s; a list merges the shards.
 */
export const MERCHANT_LISTS_INDEX = { name: 'merchant-lists', partitionKey: 'list_partition', sortKey: 'list_sort' } as const;

/** The charge-refunds GSI: a refund's `refund_of` (its charge id) and `list_sort`. Few refunds per charge: one partition each. */
export const CHARGE_REFUNDS_INDEX = { name: 'charge-refunds', partitionKey: 'refund_of', sortKey: 'list_sort' } as const;

/** A stable shard number in `0 … shards-1` for an id (a charge or refund id). */
export function shardOf(id: string, shards: number): number {
  let hash = 0;
  for (let i = 0; i < id.length; i += 1) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return hash % shards;
}

/** The shard count when none is configured (the local stage's). */
export const DEFAULT_LIST_SHARDS = 4;

/** What a list holds; each kind has its own partitions of the index (and its table's key prefix). */
export type ListedKind = 'charges' | 'refunds' | 'disputes' | 'events';

const SORT_DIGITS = 16;
/** Above every `list_sort` (digits, `#`, an id of base-62 characters). */
const SORT_CEILING = '~';

function sortKeyOf(createdAt: number, id: string): string {
  return `${String(createdAt).padStart(SORT_DIGITS, '0')}#${id}`;
}

/** Kinds written rarely (disputes are a fraction of a percent of charges): one partition, one query to list. */
const UNSHARDED: ReadonlySet<ListedKind> = new Set(['disputes']);
const shardsOf = (kind: ListedKind, shards: number) => (UNSHARDED.has(kind) ? 1 : shards);

/** The merchant-lists keys of a new listed item. */
export function listKeysFor(kind: ListedKind, merchantId: string, id: string, createdAt: number, shards: number) {
  return { list_partition: `${kind}#${merchantId}#${shardOf(id, shardsOf(kind, shards))}`, list_sort: sortKeyOf(createdAt, id) };
}

/** A `starting_after` / `ending_before` id that is not one of the merchant's objects of that kind. */
export class UnknownCursorError extends OncePayError {
  constructor(
    readonly field: 'starting_after' | 'ending_before',
    readonly id: string,
  ) {
    super(`No such object: '${id}'`);
  }
}

const KEY_PREFIX: Record<ListedKind, string> = { charges: 'CHARGE#', refunds: 'REFUND#', disputes: 'DISPUTE#', events: 'EVENT#' };
/** Keys read per partition query while merging; a page needs at most `limit + 1` of them. */
const QUERY_PAGE = 25;

interface IndexKey {
  pk: string;
  list_sort: string;
}

/** One partition's keys in list order, read a page at a time. */
class PartitionCursor {
  private buffer: IndexKey[] = [];
  private startKey: Record<string, unknown> | undefined;
  private exhausted = false;

  constructor(
    private readonly read: (startKey: Record<string, unknown> | undefined) => Promise<{ keys: IndexKey[]; next: Record<string, unknown> | undefined }>,
  ) {}

  async peek(): Promise<IndexKey | undefined> {
    while (this.buffer.length === 0 && !this.exhausted) {
      const { keys, next } = await this.read(this.startKey);
      this.buffer = keys;
      this.startKey = next;
      this.exhausted = next === undefined;
    }
    return this.buffer[0];
  }

  take(): void {
    this.buffer.shift();
  }
}

/** A refund `processing` under a worker's lease shows as `pending`; a charge's statuses are all public. */
function filteredValue(kind: ListedKind, item: Record<string, unknown>): unknown {
  if (kind === 'events') return item['type'];
  return publicStatus(kind, item['status']);
}

function publicStatus(kind: ListedKind, status: unknown): unknown {
  return kind === 'refunds' && status === 'processing' ? 'pending' : status;
}

/**
 * Stripe-style lists of a merchant's charges, refunds, disputes (and, on the webhooks table,
 * events), newest first, read from the keys-only
 * list indexes and then fetched item by item with strongly consistent reads (so a listed
 * object's status is never older than a GET's). A new object reaches the index within about a
 * second (GSIs are eventually consistent); its own GET sees it at once.
 */
export class DynamoDbLists {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly listShards: number = DEFAULT_LIST_SHARDS,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  /** The merchant's charges or refunds; with `ofCharge`, only that charge's refunds. Items are the raw table items. */
  async list(kind: ListedKind, merchantId: string, query: ListQuery, ofCharge?: string): Promise<ListPage<Record<string, unknown>>> {
    const ascending = query.endingBefore !== null;
    let low = query.createdGte === null ? '0' : sortKeyOf(query.createdGte * 1000, '');
    let high = query.createdLte === null ? SORT_CEILING : sortKeyOf(query.createdLte * 1000 + 999, SORT_CEILING);
    let exclude: string | null = null;
    if (query.startingAfter !== null) {
      exclude = await this.cursorSort(kind, merchantId, 'starting_after', query.startingAfter);
      if (exclude < high) high = exclude;
    }
    if (query.endingBefore !== null) {
      exclude = await this.cursorSort(kind, merchantId, 'ending_before', query.endingBefore);
      if (exclude > low) low = exclude;
    }
    if (low > high) return { data: [], hasMore: false };

    const partitions =
      ofCharge === undefined
        ? Array.from({ length: shardsOf(kind, this.listShards) }, (_, shard) => ({ index: MERCHANT_LISTS_INDEX, value: `${kind}#${merchantId}#${shard}` }))
        : [{ index: CHARGE_REFUNDS_INDEX, value: ofCharge }];
    const cursors = partitions.map(
      ({ index, value }) =>
        new PartitionCursor(async (startKey) => {
          const page = await this.documents.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: index.name,
              KeyConditionExpression: '#part = :part AND #sort BETWEEN :low AND :high',
              ExpressionAttributeNames: { '#part': index.partitionKey, '#sort': index.sortKey },
              ExpressionAttributeValues: { ':part': value, ':low': low, ':high': high },
              ScanIndexForward: ascending,
              Limit: QUERY_PAGE,
              ExclusiveStartKey: startKey,
            }),
          );
          return { keys: (page.Items ?? []) as IndexKey[], next: page.LastEvaluatedKey };
        }),
    );

    const wanted = query.limit + 1;
    const matched: Array<Record<string, unknown>> = [];
    let exhausted = false;
    while (matched.length < wanted && !exhausted) {
      const batch: IndexKey[] = [];
      while (batch.length < wanted - matched.length) {
        const next = await this.nextInOrder(cursors, ascending);
        if (!next) {
          exhausted = true;
          break;
        }
        if (next.list_sort !== exclude) batch.push(next);
      }
      const items = await this.fetch(batch.map((key) => key.pk));
      for (const key of batch) {
        const item = items.get(key.pk);
        // Purged meanwhile (TTL), or not the merchant's (a charge's refunds are checked here too).
        if (!item || item['merchant_id'] !== merchantId) continue;
        if (query.status !== null && filteredValue(kind, item) !== query.status) continue;
        matched.push(item);
      }
    }
    const page = matched.slice(0, query.limit);
    return { data: ascending ? page.reverse() : page, hasMore: matched.length > query.limit };
  }

  /** The next key across all partitions: the newest (or, paging backwards, the oldest). */
  private async nextInOrder(cursors: PartitionCursor[], ascending: boolean): Promise<IndexKey | undefined> {
    const heads = await Promise.all(cursors.map((cursor) => cursor.peek()));
    let best = -1;
    heads.forEach((head, index) => {
      const current = heads[best];
      if (head && (!current || (ascending ? head.list_sort < current.list_sort : head.list_sort > current.list_sort))) best = index;
    });
    if (best < 0) return undefined;
    cursors[best]?.take();
    return heads[best];
  }

  private async cursorSort(kind: ListedKind, merchantId: string, field: 'starting_after' | 'ending_before', id: string): Promise<string> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `${KEY_PREFIX[kind]}${id}` }, ConsistentRead: true }),
    );
    if (!Item || Item['merchant_id'] !== merchantId || typeof Item['list_sort'] !== 'string') throw new UnknownCursorError(field, id);
    return Item['list_sort'];
  }

  /** Strongly consistent reads of the items, 100 keys per request, unprocessed keys retried. */
  private async fetch(pks: string[]): Promise<Map<string, Record<string, unknown>>> {
    const items = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < pks.length; start += 100) {
      let keys: Array<Record<string, unknown>> = pks.slice(start, start + 100).map((pk) => ({ pk }));
      for (let round = 0; keys.length > 0; round += 1) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
        const answer = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of answer.Responses?.[this.tableName] ?? []) items.set(String(item['pk']), item);
        keys = answer.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return items;
  }
}
