/** Lambda entry point of the API's secret-key authorizer. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { authorizerHandler } from '#handlers/authorizer.ts';
import { requiredEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';

const merchants = new DynamoDbMerchantStore(new DynamoDBClient({}), requiredEnv('MERCHANTS_TABLE_NAME'));

export const handler = authorizerHandler({
  findKey: (keyId) => merchants.findKey(keyId),
  logger: createLogger('authorizer'),
});
