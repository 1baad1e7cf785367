/**
 * The charges table as the stateful stack declares it (key, open-charges and review GSIs, TTL),
 * for use-case tests that run the real repository on their own DynamoDB Local.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { OPEN_CHARGES_INDEX, REVIEW_INDEX } from '#adapters/dynamodb-charge-repository.ts';
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
        ],
        GlobalSecondaryIndexes: [sparseIndex(OPEN_CHARGES_INDEX), sparseIndex(REVIEW_INDEX)],
        TimeToLiveSpecification: { AttributeName: 'purge_at', Enabled: true },
      },
    },
  },
};

/** Creates a fresh charges table named after `stackName`; returns its name. */
export async function createChargesTable(client: DynamoDBClient, stackName: string): Promise<string> {
  const resolver = new IntrinsicResolver({ region: 'us-east-1', accountId: '000000000000' });
  await createTables(client, CHARGES_TABLE, resolver, { stackName, region: 'us-east-1', accountId: '000000000000' });
  return resolver.resolveString({ Ref: 'Charges' });
}
