/** Wiring shared by the entry points: the charges table, authentication and the custom metrics, from the environment. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CachedApiKeys } from '#adapters/cached-api-keys.ts';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { ConfigurationError } from '#domain/errors.ts';
import { requestAuthenticator, type RequestAuthenticator } from '#handlers/authenticate.ts';
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

/** Bearer-key authentication against the merchants table, cached per warm container; `API_KEY_MODE` is the stage's. */
export function requestAuthenticatorFromEnvironment(logger: Logger): RequestAuthenticator {
  const keyMode = requiredEnv('API_KEY_MODE');
  if (keyMode !== 'test' && keyMode !== 'live') throw new ConfigurationError(`API_KEY_MODE must be test or live, got "${keyMode}"`);
  const merchants = new DynamoDbMerchantStore(new DynamoDBClient({}), requiredEnv('MERCHANTS_TABLE_NAME'));
  return requestAuthenticator({
    keys: new CachedApiKeys(merchants),
    recordKeyUse: (keyId, at) => merchants.recordKeyUse(keyId, at),
    keyMode,
    now: Date.now,
    logger,
  });
}
