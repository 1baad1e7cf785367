/**
 * The charges table as the stateful stack declares it (key, open-charges, review and list GSIs, TTL),
 * for use-case tests that run the real repository on their own DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OPEN_CHARGES_INDEX, REVIEW_INDEX } from '#adapters/dynamodb-operation-items.ts';
import { CHARGE_REFUNDS_INDEX, MERCHANT_LISTS_INDEX } from '#adapters/dynamodb-lists.ts';
import { startDynamoDbLocal } from '../../scripts/local/dynamodb-local.ts';
import { createTables } from '../../scripts/local/provision.ts';
import { IntrinsicResolver, type CfnTemplate } from '../../scripts/local/template.ts';

const sparseIndex = (index: { name: string; partitionKey: string; sortKey: string }) => ({
  IndexName: index.name,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: 'HASH' },
    { AttributeName: index.sortKey, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'KEYS_ONLY' },
});

const CHARGES_TABLE: CfnTemplate = {
  Resources: {
    Charges: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: OPEN_CHARGES_INDEX.partitionKey, AttributeType: 'S' },
          { AttributeName: OPEN_CHARGES_INDEX.sortKey, AttributeType: 'N' },
          { AttributeName: REVIEW_INDEX.partitionKey, AttributeType: 'S' },
          { AttributeName: REVIEW_INDEX.sortKey, AttributeType: 'N' },
          { AttributeName: MERCHANT_LISTS_INDEX.partitionKey, AttributeType: 'S' },
          { AttributeName: MERCHANT_LISTS_INDEX.sortKey, AttributeType: 'S' },
          { AttributeName: CHARGE_REFUNDS_INDEX.partitionKey, AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [sparseIndex(OPEN_CHARGES_INDEX), sparseIndex(REVIEW_INDEX), sparseIndex(MERCHANT_LISTS_INDEX), sparseIndex(CHARGE_REFUNDS_INDEX)],
        TimeToLiveSpecification: { AttributeName: 'purge_at', Enabled: true },
      },
    },
  },
};

export interface ChargesTable {
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

/** Starts a DynamoDB Local of its own with a fresh charges table named after `stackName`. */
export async function startChargesTable(stackName: string): Promise<ChargesTable> {
  const dynamodbLocal = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: dynamodbLocal.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000' });
  await createTables(client, CHARGES_TABLE, resolver, { stackName, region: 'us-east-1', accountId: '000000000000' });
  return {
    client,
    tableName: resolver.resolveString({ Ref: 'Charges' }),
    stop: async () => {
      client.destroy();
      await dynamodbLocal.stop();
    },
  };
}
