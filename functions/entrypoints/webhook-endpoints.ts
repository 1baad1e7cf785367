/** Lambda entry point of `POST`, `GET /v1/webhook_endpoints`, `DELETE /v1/webhook_endpoints/{id}` and `POST /v1/webhook_endpoints/{id}/roll_secret`. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsSecretSealer } from '#adapters/kms-secret-sealer.ts';
import { hostProblem } from '#adapters/webhook-sender.ts';
import { webhookEndpointsHandler } from '#handlers/webhook-endpoints.ts';
import { requiredBooleanEnv, requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('webhooks-api');
const allowLoopbackHttp = requiredBooleanEnv('WEBHOOK_ALLOW_LOOPBACK_HTTP');

export const handler = servingEitherApi(
  webhookEndpointsHandler({
    authenticate: requestAuthenticatorFromEnvironment(logger),
    store: new DynamoDbWebhookStore(new DynamoDBClient({}), requiredEnv('WEBHOOKS_TABLE_NAME'), requiredPositiveIntEnv('LIST_SHARDS')),
    sealer: new KmsSecretSealer(new KMSClient({}), requiredEnv('WEBHOOK_SECRETS_KEY_ARN')),
    idempotencyRetentionMs: requiredPositiveIntEnv('IDEMPOTENCY_RETENTION_HOURS') * 3_600_000,
    policy: { allowLoopbackHttp },
    hostProblem: (url) => hostProblem(url, allowLoopbackHttp),
    now: Date.now,
    logger,
  }),
);
