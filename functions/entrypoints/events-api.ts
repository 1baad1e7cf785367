/** Lambda entry point of `GET /v1/events` and `GET /v1/events/{id}`. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { eventsApiHandler } from '#handlers/events-api.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('events-api');

export const handler = servingEitherApi(
  eventsApiHandler({
    authenticate: requestAuthenticatorFromEnvironment(logger),
    store: new DynamoDbWebhookStore(new DynamoDBClient({}), requiredEnv('WEBHOOKS_TABLE_NAME'), requiredPositiveIntEnv('LIST_SHARDS')),
    logger,
  }),
);
