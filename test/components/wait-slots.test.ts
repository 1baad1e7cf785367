/**
 * The `Prefer: wait` budget on DynamoDB Local: never more waits than slots at once, a freed slot
 * is taken again, a crashed holder's lease lapses on its own, and a late release never frees a
 * slot another wait has taken since.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbWaitSlots } from '#adapters/dynamodb-wait-slots.ts';
import type { Charge } from '#domain/charge.ts';
import type { ChargeRecord } from '#domain/ports.ts';
import { getChargeHandler } from '#handlers/get-charge.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../scripts/local/dynamodb-local.ts';
import { createTables } from '../../scripts/local/provision.ts';
import { IntrinsicResolver } from '../../scripts/local/template.ts';

let dynamodbLocal: RunningDynamoDbLocal;
let client: DynamoDBClient;
const tableName = 'local-Merchants';

beforeAll(async () => {
  dynamodbLocal = await startDynamoDbLocal();
  client = new DynamoDBClient({ endpoint: dynamodbLocal.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createTables(
    client,
    {
      Resources: {
        Merchants: {
          Type: 'AWS::DynamoDB::Table',
          Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' },
        },
      },
    },
    new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000' }),
    { stackName: 'local', region: 'us-east-1', accountId: '000000000000' },
  );
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await dynamodbLocal?.stop();
});

describe('the wait slots', () => {
  it('hold at most their number of waits at once, however many ask together', async () => {
    const slots = new DynamoDbWaitSlots(client, tableName, 'race', 3);
    const taken = await Promise.all(Array.from({ length: 12 }, () => slots.take(60_000)));
    expect(taken.filter((slot) => slot !== null)).toHaveLength(3);
    await Promise.all(taken.map((slot) => slot?.release()));
    expect(await slots.take(60_000)).not.toBeNull();
  });

  it('take a freed slot again, and a crashed holder’s slot once its lease has lapsed', async () => {
    let now = 1_000_000;
    const slots = new DynamoDbWaitSlots(client, tableName, 'lapse', 1, () => now);
    const first = await slots.take(20_000);
    expect(first).not.toBeNull();
    expect(await slots.take(20_000)).toBeNull();
    await first?.release();
    const crashed = await slots.take(20_000);
    expect(crashed).not.toBeNull();
    now += 20_001;
    const next = await slots.take(20_000);
    expect(next).not.toBeNull();
    // The crashed holder's late release does not free the slot the next wait holds.
    await crashed?.release();
    expect(await slots.take(20_000)).toBeNull();
  });
});

describe('GET /v1/charges/{id} with Prefer: wait, on the budget', () => {
  const charge: Charge = {
    id: 'ch_0123456789ABCDEFGHIJkl',
    merchantId: 'mer_acme',
    status: 'processing',
    amount: 500,
    currency: 'usd',
    paymentMethod: 'pm_card_visa',
    description: null,
    metadata: {},
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    failureCode: null,
    failureMessage: null,
    declineCode: null,
    amountRefunded: 0,
    dispute: null,
  };
  const handlerWith = (slots: DynamoDbWaitSlots) =>
    getChargeHandler({
      authenticate: async () => ({ caller: { merchantId: 'mer_acme', keyId: 'key_1' } }),
      charges: { get: async () => ({ charge }) as unknown as ChargeRecord },
      logger: new Logger({ logLevel: 'SILENT' }),
      waitSlots: slots,
    });
  const read = { headers: { prefer: 'wait=2' }, pathParameters: { id: charge.id } } as unknown as APIGatewayProxyEvent;
  const context = { getRemainingTimeInMillis: () => 25_000, awsRequestId: 'r' } as unknown as Context;

  it('waits while a slot is free, and answers at once without Preference-Applied when none is', async () => {
    const slots = new DynamoDbWaitSlots(client, tableName, 'handler', 1);
    const waited = Date.now();
    const applied = await handlerWith(slots)(read, context);
    expect(applied.body).toContain('processing');
    expect(Date.now() - waited).toBeGreaterThanOrEqual(1_500);
    expect(applied.headers).toMatchObject({ 'Preference-Applied': 'wait=2', Vary: 'Prefer' });

    const held = await slots.take(60_000);
    expect(held).not.toBeNull();
    const started = Date.now();
    const refused = await handlerWith(slots)(read, context);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(refused.statusCode).toBe(200);
    expect(JSON.parse(refused.body)).toMatchObject({ id: charge.id, status: 'processing' });
    expect(refused.headers).not.toHaveProperty('Preference-Applied');
    expect(refused.headers).toMatchObject({ Vary: 'Prefer' });
    await held?.release();
  });
});
