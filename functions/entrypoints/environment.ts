/** Wiring shared by the entry points: the charges table, authentication and the custom metrics, from the environment. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CachedApiKeys } from '#adapters/cached-api-keys.ts';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { DynamoDbDisputeRepository } from '#adapters/dynamodb-dispute-repository.ts';
import { DynamoDbLists } from '#adapters/dynamodb-lists.ts';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { DynamoDbRefundRepository } from '#adapters/dynamodb-refund-repository.ts';
import { DynamoDbWaitSlots } from '#adapters/dynamodb-wait-slots.ts';
import { ConfigurationError } from '#domain/errors.ts';
import { requestAuthenticator, type RequestAuthenticator } from '#handlers/authenticate.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';

/** The charges table, with the stage's open-charges and list shard counts (the same in every function). */
export function chargeRepositoryFromEnvironment(): DynamoDbChargeRepository {
  return new DynamoDbChargeRepository(dynamodb(), requiredEnv('CHARGES_TABLE_NAME'), requiredPositiveIntEnv('OPEN_CHARGE_SHARDS'), requiredPositiveIntEnv('LIST_SHARDS'));
}

/** The refund items of the charges table. */
export function refundRepositoryFromEnvironment(): DynamoDbRefundRepository {
  return new DynamoDbRefundRepository(dynamodb(), requiredEnv('CHARGES_TABLE_NAME'), requiredPositiveIntEnv('OPEN_CHARGE_SHARDS'), requiredPositiveIntEnv('LIST_SHARDS'));
}

/** The dispute items of the charges table. */
export function disputeRepositoryFromEnvironment(): DynamoDbDisputeRepository {
  return new DynamoDbDisputeRepository(dynamodb(), requiredEnv('CHARGES_TABLE_NAME'), requiredPositiveIntEnv('LIST_SHARDS'));
}

/** The merchant lists of charges, refunds and disputes. */
export function listsFromEnvironment(): DynamoDbLists {
  return new DynamoDbLists(dynamodb(), requiredEnv('CHARGES_TABLE_NAME'), requiredPositiveIntEnv('LIST_SHARDS'));
}

let sharedClient: DynamoDBClient | undefined;
/** One DynamoDB client per container: its connections are reused by every repository. */
export function dynamodb(): DynamoDBClient {
  sharedClient ??= new DynamoDBClient({});
  return sharedClient;
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
  const merchants = new DynamoDbMerchantStore(dynamodb(), requiredEnv('MERCHANTS_TABLE_NAME'));
  return requestAuthenticator({
    keys: new CachedApiKeys(merchants),
    recordKeyUse: (keyId, at) => merchants.recordKeyUse(keyId, at),
    keyMode,
    now: Date.now,
    logger,
  });
}

/** The `Prefer: wait` budget of one kind of read (`WAITING_READS` slots in the merchants table). */
export function waitSlotsFromEnvironment(kind: 'charges' | 'refunds'): DynamoDbWaitSlots {
  return new DynamoDbWaitSlots(dynamodb(), requiredEnv('MERCHANTS_TABLE_NAME'), kind, requiredPositiveIntEnv('WAITING_READS'));
}
