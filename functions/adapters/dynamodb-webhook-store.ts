import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EventObject } from '#domain/event.ts';
import type { JsonValue } from '#domain/fingerprint.ts';
import type { ListPage, ListQuery } from '#domain/listing.ts';
import { MAX_ENDPOINTS_PER_MERCHANT, type WebhookEndpoint } from '#domain/webhook-endpoint.ts';
import { DEFAULT_LIST_SHARDS, DynamoDbLists, listKeysFor } from './dynamodb-lists.ts';
import { scannedItems } from './dynamodb-scan.ts';

const endpointKey = (id: string) => ({ pk: `ENDPOINT#${id}` });
/** The merchant's endpoint ids, one item: read strongly consistently, and the cap holds on it atomically. */
const endpointSetKey = (merchantId: string) => ({ pk: `MERCHANT_ENDPOINTS#${merchantId}` });
/** An endpoint's last 2xx is stamped at most this often. */
const SUCCESS_STAMP_INTERVAL_MS = 3_600_000;
/** Attempts kept on an event: all of 16 endpoints' retries over 3 days fit, far under DynamoDB's 400 KB an item. */
export const MAX_RECORDED_ATTEMPTS = 2_000;
const eventKey = (id: string) => ({ pk: `EVENT#${id}` });
/** A secret roll's idempotency record: scope is (merchant, key), as for charges. */
const secretRollKey = (merchantId: string, idempotencyKey: string) => ({ pk: `SECRET_ROLL#${merchantId}#${idempotencyKey}` });

/**
 * A roll of an endpoint's signing secret as remembered under its `Idempotency-Key`: what was
 * asked (to tell a replay from a reuse), the new secret sealed, and the answer without it.
 */
export interface SecretRoll {
  merchantId: string;
  idempotencyKey: string;
  /** The request as fingerprinted: the endpoint id and the body. */
  request: JsonValue;
  fingerprint: string;
  endpointId: string;
  /** The secret the roll made, sealed for its endpoint. */
  sealedSecret: string;
  /** The `200` answer's endpoint object, as JSON, without the secret. */
  response: string;
  createdAt: number;
}

/** How a roll came out: done, the key already used (its record), or the endpoint gone or changed meanwhile. */
export type SecretRollOutcome = { rolled: true } | { existing: SecretRoll } | { endpointChanged: true };

/** One delivery attempt, as `GET /v1/events/{id}` shows it. */
export interface DeliveryAttempt {
  endpoint: string;
  /** Unix seconds. */
  created: number;
  /** The receiver's HTTP status; `null` when there was none (timeout, refused address, network error). */
  status_code: number | null;
  duration_ms: number;
  error?: string;
}

/** A stored event: the JSON merchants receive, byte for byte on every delivery, whose it is, and its delivery attempts. */
export interface StoredEvent {
  merchantId: string;
  body: string;
  attempts: DeliveryAttempt[];
}

/**
 * The webhooks table: merchants' endpoints (with their signing secrets sealed by KMS, bound to
 * the endpoint: the table never holds a secret in the clear), the secret rolls remembered under
 * their `Idempotency-Key`s (`SECRET_ROLL#…`, purged after the retention), and
 * the events their charges, refunds and disputes made, kept 30 days as Stripe keeps them. A
 * merchant's endpoints are named by one item (`MERCHANT_ENDPOINTS#…`, a set of ids) written in
 * the same transaction as each endpoint: reading it is strongly consistent (an endpoint
 * registered a moment before a change gets that change's event), and the cap of
 * {@link MAX_ENDPOINTS_PER_MERCHANT} is its condition, so racing registrations never pass it.
 */
export class DynamoDbWebhookStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly lists: DynamoDbLists;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly listShards: number = DEFAULT_LIST_SHARDS,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
    this.lists = new DynamoDbLists(client, tableName, listShards);
  }

  /** Creates the endpoint and adds it to its merchant's set, unless the merchant has the most it may: `limit_reached`, nothing written. */
  async createEndpoint(endpoint: WebhookEndpoint): Promise<'created' | 'limit_reached'> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...endpointKey(endpoint.id),
                  endpoint_id: endpoint.id,
                  merchant_id: endpoint.merchantId,
                  url: endpoint.url,
                  enabled_events: endpoint.enabledEvents,
                  status: endpoint.status,
                  created_at: endpoint.createdAt,
                  sealed_secret: endpoint.sealedSecret,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: endpointSetKey(endpoint.merchantId),
                UpdateExpression: 'ADD endpoint_ids :id',
                ConditionExpression: 'attribute_not_exists(endpoint_ids) OR size(endpoint_ids) < :max',
                ExpressionAttributeValues: { ':id': new Set([endpoint.id]), ':max': MAX_ENDPOINTS_PER_MERCHANT },
              },
            },
          ],
        }),
      );
      return 'created';
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed') return 'limit_reached';
      throw error;
    }
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: endpointKey(id), ConsistentRead: true }));
    return Item ? endpointFromItem(Item) : undefined;
  }

  /** Every endpoint of the merchant, newest first (at most {@link MAX_ENDPOINTS_PER_MERCHANT}), read strongly consistently. */
  async listEndpoints(merchantId: string): Promise<WebhookEndpoint[]> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: endpointSetKey(merchantId), ConsistentRead: true }));
    const ids = [...((Item?.['endpoint_ids'] as Set<string> | undefined) ?? [])];
    if (ids.length === 0) return [];
    const found: WebhookEndpoint[] = [];
    let keys: Array<Record<string, unknown>> = ids.map(endpointKey);
    for (let round = 0; keys.length > 0; round += 1) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
      const answer = await this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
      found.push(...(answer.Responses?.[this.tableName] ?? []).map(endpointFromItem));
      keys = answer.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return found.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  /** Deletes the merchant's endpoint and takes it out of its set; `undefined` when there is none (or it is another merchant's). */
  async deleteEndpoint(id: string, merchantId: string): Promise<WebhookEndpoint | undefined> {
    const existing = await this.getEndpoint(id);
    if (!existing || existing.merchantId !== merchantId) return undefined;
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: endpointKey(id),
                ConditionExpression: 'merchant_id = :merchant',
                ExpressionAttributeValues: { ':merchant': merchantId },
              },
            },
            { Update: { TableName: this.tableName, Key: endpointSetKey(merchantId), UpdateExpression: 'DELETE endpoint_ids :id', ExpressionAttributeValues: { ':id': new Set([id]) } } },
          ],
        }),
      );
      return existing;
    } catch (error) {
      // Deleted meanwhile by another request.
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return undefined;
      throw error;
    }
  }

  /** The roll remembered under the merchant's key, unless there is none or it is older than `retainedSince` (ms). */
  async getSecretRoll(merchantId: string, idempotencyKey: string, retainedSince: number): Promise<SecretRoll | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: secretRollKey(merchantId, idempotencyKey), ConsistentRead: true }));
    return Item && Number(Item['created_at']) >= retainedSince ? secretRollFrom(Item) : undefined;
  }

  /**
   * Rolls the endpoint's secret and remembers the roll under its key, in one transaction: the
   * endpoint's current secret must still be `replaces` (a concurrent roll, or a delete, makes
   * this `endpointChanged`), and the key must be unused or past its retention (else the record
   * that holds it is answered). `previous` is the replaced secret while it keeps signing;
   * without it the replaced secret stops at once, and so does any earlier one still overlapping.
   */
  async rollSecret(
    roll: SecretRoll,
    change: { replaces: string; previous?: { sealed: string; expiresAt: number } },
    retention: { retainedSince: number; purgeAt: number },
  ): Promise<SecretRollOutcome> {
    const { merchantId, idempotencyKey, request, ...rest } = roll;
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: endpointKey(roll.endpointId),
                UpdateExpression: change.previous ? 'SET sealed_secret = :new, previous_secret = :previous' : 'SET sealed_secret = :new REMOVE previous_secret',
                ConditionExpression: 'merchant_id = :merchant AND sealed_secret = :replaces',
                ExpressionAttributeValues: {
                  ':new': roll.sealedSecret,
                  ':merchant': merchantId,
                  ':replaces': change.replaces,
                  ...(change.previous ? { ':previous': { sealed: change.previous.sealed, expires_at: change.previous.expiresAt } } : {}),
                },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...secretRollKey(merchantId, idempotencyKey),
                  merchant_id: merchantId,
                  idempotency_key: idempotencyKey,
                  request: JSON.stringify(request),
                  fingerprint: rest.fingerprint,
                  endpoint_id: rest.endpointId,
                  sealed_secret: rest.sealedSecret,
                  response: rest.response,
                  created_at: rest.createdAt,
                  purge_at: Math.floor(retention.purgeAt / 1000),
                },
                ConditionExpression: 'attribute_not_exists(pk) OR created_at < :retainedSince',
                ExpressionAttributeValues: { ':retainedSince': retention.retainedSince },
              },
            },
          ],
        }),
      );
      return { rolled: true };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [endpointReason, keyReason] = error.CancellationReasons ?? [];
      if (keyReason?.Code === 'ConditionalCheckFailed') {
        const existing = await this.getSecretRoll(merchantId, idempotencyKey, retention.retainedSince);
        if (existing) return { existing };
      }
      if (endpointReason?.Code === 'ConditionalCheckFailed') return { endpointChanged: true };
      throw error;
    }
  }

  /**
   * Endpoints registered before secrets were sealed still hold theirs in the clear (`secret`):
   * seals each one in place (`npm run cli -- webhooks seal-secrets`) and drops the clear copy.
   * A conditional write per endpoint, so running it again, or alongside deliveries, is safe.
   */
  async sealClearSecrets(seal: (secret: string, binding: { merchantId: string; endpointId: string }) => Promise<string>): Promise<number> {
    let sealed = 0;
    const scan = {
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :endpoint) AND attribute_exists(secret)',
      ExpressionAttributeValues: { ':endpoint': 'ENDPOINT#' },
      ConsistentRead: true,
    };
    for await (const item of scannedItems(this.documents, scan)) {
      const binding = { merchantId: String(item['merchant_id']), endpointId: String(item['endpoint_id']) };
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: endpointKey(binding.endpointId),
            UpdateExpression: 'SET sealed_secret = :sealed REMOVE secret',
            ConditionExpression: 'secret = :clear',
            ExpressionAttributeValues: { ':sealed': await seal(String(item['secret']), binding), ':clear': item['secret'] },
          }),
        );
        sealed += 1;
      } catch (error) {
        // Sealed, or deleted, meanwhile.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return sealed;
  }

  /** Notes that the endpoint answered 2xx, at most once an hour (a conditional write): what keeps it from being disabled. */
  async recordSuccess(id: string, now: number): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: endpointKey(id),
          UpdateExpression: 'SET last_success_at = :now',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_success_at) OR last_success_at < :hourAgo)',
          ExpressionAttributeValues: { ':now': now, ':hourAgo': now - SUCCESS_STAMP_INTERVAL_MS },
        }),
      );
    } catch (error) {
      // Stamped within the hour (or deleted): nothing to do.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Disables the endpoint if it is enabled and has not answered 2xx since `failingSince`; `true`
   * when this call disabled it. An endpoint that delivers other events is never disabled for one.
   */
  async disableIfFailing(id: string, failingSince: number): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: endpointKey(id),
          UpdateExpression: 'SET #status = :disabled',
          ConditionExpression: '#status = :enabled AND (attribute_not_exists(last_success_at) OR last_success_at < :since)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':enabled': 'enabled', ':since': failingSince - SUCCESS_STAMP_INTERVAL_MS },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  /** Stores the event once: a state change seen again (a stream retry) finds it stored and changes nothing. */
  /** Stores an event once; `false` when it was already stored (a state change handled again). */
  async putEvent(event: EventObject, merchantId: string, purgeAt: number): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...eventKey(event.id),
            event_id: event.id,
            merchant_id: merchantId,
            type: event.type,
            created_at: event.created * 1000,
            body: JSON.stringify(event),
            purge_at: Math.floor(purgeAt / 1000),
            ...listKeysFor('events', merchantId, event.id, event.created * 1000, this.listShards),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: eventKey(id), ConsistentRead: true }));
    return Item ? storedEventFrom(Item) : undefined;
  }

  /** Appends an attempt to the event's record (the event stays as it was delivered), up to {@link MAX_RECORDED_ATTEMPTS}. */
  async recordAttempt(eventId: string, attempt: DeliveryAttempt): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: eventKey(eventId),
          UpdateExpression: 'SET delivery_attempts = list_append(if_not_exists(delivery_attempts, :none), :attempt)',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(delivery_attempts) OR size(delivery_attempts) < :max)',
          ExpressionAttributeValues: { ':none': [], ':attempt': [attempt], ':max': MAX_RECORDED_ATTEMPTS },
        }),
      );
    } catch (error) {
      // Purged meanwhile (30 days), or as many attempts recorded as the item keeps.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** A page of the merchant's events, newest first; `query.status` filters by type. */
  async listEvents(merchantId: string, query: ListQuery): Promise<ListPage<StoredEvent>> {
    const page = await this.lists.list('events', merchantId, query);
    return { data: page.data.map(storedEventFrom), hasMore: page.hasMore };
  }
}

function storedEventFrom(item: Record<string, unknown>): StoredEvent {
  return {
    merchantId: String(item['merchant_id']),
    body: String(item['body']),
    attempts: (item['delivery_attempts'] as DeliveryAttempt[] | undefined) ?? [],
  };
}

function endpointFromItem(item: Record<string, unknown>): WebhookEndpoint {
  const previous = item['previous_secret'] as Record<string, unknown> | undefined;
  return {
    id: String(item['endpoint_id']),
    merchantId: String(item['merchant_id']),
    url: String(item['url']),
    enabledEvents: (item['enabled_events'] as string[] | undefined) ?? [],
    status: item['status'] === 'disabled' ? 'disabled' : 'enabled',
    createdAt: Number(item['created_at']),
    // '' for an endpoint whose secret is still in the clear (see sealClearSecrets): it signs nothing until sealed.
    sealedSecret: typeof item['sealed_secret'] === 'string' ? item['sealed_secret'] : '',
    ...(previous ? { previousSecret: { sealed: String(previous['sealed']), expiresAt: Number(previous['expires_at']) } } : {}),
  };
}

function secretRollFrom(item: Record<string, unknown>): SecretRoll {
  return {
    merchantId: String(item['merchant_id']),
    idempotencyKey: String(item['idempotency_key']),
    request: JSON.parse(String(item['request'])) as JsonValue,
    fingerprint: String(item['fingerprint']),
    endpointId: String(item['endpoint_id']),
    // '' for an endpoint whose secret is still in the clear (see sealClearSecrets): it signs nothing until sealed.
    sealedSecret: typeof item['sealed_secret'] === 'string' ? item['sealed_secret'] : '',
    response: String(item['response']),
    createdAt: Number(item['created_at']),
  };
}
