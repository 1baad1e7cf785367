/** Lambda entry point of `GET /v1/charges/{id}`. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { getChargeHandler } from '#handlers/get-charge.ts';
import { requiredEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';

export const handler = getChargeHandler({
  charges: new DynamoDbChargeRepository(new DynamoDBClient({}), requiredEnv('CHARGES_TABLE_NAME')),
  logger: createLogger('charges-api'),
});
