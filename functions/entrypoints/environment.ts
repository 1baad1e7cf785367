/** Wiring shared by the entry points: the charges table and the custom metrics, from the environment. */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';

/** The charges table, with the stage's open-charges shard count (the same in every function). */
export function chargeRepositoryFromEnvironment(): DynamoDbChargeRepository {
  return new DynamoDbChargeRepository(new DynamoDBClient({}), requiredEnv('CHARGES_TABLE_NAME'), requiredPositiveIntEnv('OPEN_CHARGE_SHARDS'));
}

/** Custom metrics (EMF) with `service` and `stage` dimensions, so two stages in one account never mix. */
export function metricsFromEnvironment(serviceName: string): Metrics {
  return new Metrics({
    namespace: requiredEnv('POWERTOOLS_METRICS_NAMESPACE'),
    serviceName,
    defaultDimensions: { stage: requiredEnv('STAGE') },
  });
}
