/**
 * The webhooks table's endpoints on DynamoDB Local: the cap holds under racing registrations,
 * and the events function's read of a merchant's endpoints never goes through an index. On AWS a
 * GSI is eventually consistent (a new item shows about a second later); DynamoDB Local's are not,
 * so a client middleware makes every index query come back empty, as a lagging index would for a
 * new endpoint.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERCHANT_LISTS_INDEX } from '#adapters/dynamodb-lists.ts';
import { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { MAX_ENDPOINTS_PER_MERCHANT, newEndpointId, newEndpointSecret, type WebhookEndpoint } from '#domain/webhook-endpoint.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../scripts/local/dynamodb-local.ts';
import { createTables } from '../../scripts/local/provision.ts';
import { IntrinsicResolver } from '../../scripts/local/template.ts';

let dynamodbLocal: RunningDynamoDbLocal;
let client: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  dynamodbLocal = await startDynamoDbLocal();
  client = new DynamoDBClient({ endpoint: dynamodbLocal.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  // A lagging index: every query on a GSI answers nothing yet.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string };
      if (context.commandName === 'QueryCommand' && input.IndexName) return { output: { Items: [], Count: 0, $metadata: {} } as never, response: {} };
      return next(args);
    },
    { step: 'initialize', name: 'laggingIndex' },
  );
  const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000' });
  await createTables(
    client,
    {
      Resources: {
        Webhooks: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [
              { AttributeName: 'pk', AttributeType: 'S' },
              { AttributeName: MERCHANT_LISTS_INDEX.partitionKey, AttributeType: 'S' },
              { AttributeName: MERCHANT_LISTS_INDEX.sortKey, AttributeType: 'S' },
            ],
            GlobalSecondaryIndexes: [
              {
                IndexName: MERCHANT_LISTS_INDEX.name,
                KeySchema: [
                  { AttributeName: MERCHANT_LISTS_INDEX.partitionKey, KeyType: 'HASH' },
                  { AttributeName: MERCHANT_LISTS_INDEX.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'KEYS_ONLY' },
              },
            ],
          },
        },
      },
    },
    resolver,
    { stackName: 'endpoints', region: 'us-east-1', accountId: '000000000000' },
  );
  tableName = resolver.resolveString({ Ref: 'Webhooks' });
}, 60_000);
afterAll(async () => {
  client.destroy();
  await dynamodbLocal.stop();
});

const endpointOf = (merchantId: string, createdAt = Date.now()): WebhookEndpoint => ({
  id: newEndpointId(),
  merchantId,
  url: 'https://hooks.example.com/oncepay',
  enabledEvents: ['*'],
  status: 'enabled',
  createdAt,
  sealedSecret: `sealed:${newEndpointSecret()}`,
});

describe('a merchant’s webhook endpoints', () => {
  it('are read strongly consistently: an endpoint registered a moment ago is there for the next event', async () => {
    const store = new DynamoDbWebhookStore(client, tableName);
    const merchantId = `mer_${randomUUID().slice(0, 8)}`;
    const first = endpointOf(merchantId, 1_000);
    const second = endpointOf(merchantId, 2_000);
    expect(await store.createEndpoint(first)).toBe('created');
    expect(await store.createEndpoint(second)).toBe('created');
    expect((await store.listEndpoints(merchantId)).map((endpoint) => endpoint.id)).toEqual([second.id, first.id]);
    expect(await store.deleteEndpoint(first.id, merchantId)).toMatchObject({ id: first.id });
    expect(await store.deleteEndpoint(second.id, 'mer_other')).toBeUndefined();
    expect((await store.listEndpoints(merchantId)).map((endpoint) => endpoint.id)).toEqual([second.id]);
  });

  it(`never exceed ${MAX_ENDPOINTS_PER_MERCHANT}, however many registrations race`, async () => {
    const store = new DynamoDbWebhookStore(client, tableName);
    const merchantId = `mer_${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(Array.from({ length: 24 }, () => store.createEndpoint(endpointOf(merchantId))));
    expect(results.filter((result) => result === 'created')).toHaveLength(MAX_ENDPOINTS_PER_MERCHANT);
    expect(await store.listEndpoints(merchantId)).toHaveLength(MAX_ENDPOINTS_PER_MERCHANT);
    const [oldest] = (await store.listEndpoints(merchantId)).slice(-1);
    await store.deleteEndpoint(oldest?.id ?? '', merchantId);
    expect(await store.createEndpoint(endpointOf(merchantId))).toBe('created');
  });

  it('rolls a secret only over the secret it read, and remembers the roll under its key', async () => {
    const store = new DynamoDbWebhookStore(client, tableName);
    const merchantId = `mer_${randomUUID().slice(0, 8)}`;
    const endpoint = endpointOf(merchantId);
    await store.createEndpoint(endpoint);
    const now = Date.now();
    const retention = { retainedSince: now - 3_600_000, purgeAt: now + 3_600_000 };
    const rollOf = (key: string, sealedSecret: string) => ({
      merchantId,
      idempotencyKey: key,
      request: { id: endpoint.id, body: {} },
      fingerprint: `fp-${key}`,
      endpointId: endpoint.id,
      sealedSecret,
      response: '{}',
      createdAt: now,
    });
    const previous = { sealed: endpoint.sealedSecret, expiresAt: now + 60_000 };
    // Two rolls racing over the same current secret: one wins, the other is told the endpoint changed.
    const outcomes = await Promise.all([
      store.rollSecret(rollOf('k1', 'sealed:a'), { replaces: endpoint.sealedSecret, previous }, retention),
      store.rollSecret(rollOf('k2', 'sealed:b'), { replaces: endpoint.sealedSecret, previous }, retention),
    ]);
    expect(outcomes.filter((outcome) => 'rolled' in outcome)).toHaveLength(1);
    expect(outcomes.filter((outcome) => 'endpointChanged' in outcome)).toHaveLength(1);
    const rolled = await store.getEndpoint(endpoint.id);
    expect(rolled?.previousSecret).toEqual(previous);
    const winner = rolled?.sealedSecret ?? '';
    // The same key again answers its record, whatever the endpoint holds now.
    const again = await store.rollSecret(rollOf(winner === 'sealed:a' ? 'k1' : 'k2', 'sealed:c'), { replaces: winner }, retention);
    expect(again).toEqual({ existing: expect.objectContaining({ sealedSecret: winner, endpointId: endpoint.id }) });
    // A roll without an overlap drops the previous secret.
    expect(await store.rollSecret(rollOf('k3', 'sealed:d'), { replaces: winner }, retention)).toEqual({ rolled: true });
    expect(await store.getEndpoint(endpoint.id)).toMatchObject({ sealedSecret: 'sealed:d' });
    expect((await store.getEndpoint(endpoint.id))?.previousSecret).toBeUndefined();
    // Another merchant's roll of it changes nothing.
    expect(await store.rollSecret({ ...rollOf('k4', 'sealed:e'), merchantId: 'mer_other' }, { replaces: 'sealed:d' }, retention)).toEqual({ endpointChanged: true });
  });
});
