/** Lambda entry point of the webhook delivery function (the deliveries queue's consumer). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { KMSClient } from '@aws-sdk/client-kms';
import { KmsSecretSealer } from '#adapters/kms-secret-sealer.ts';
import { WebhookSender } from '#adapters/webhook-sender.ts';
import { deliverHandler } from '#handlers/deliver.ts';
import { requiredBooleanEnv, requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { metricsFromEnvironment } from './environment.ts';

/** A 2xx within 10 s counts as delivered. */
const DELIVERY_TIMEOUT_MS = 10_000;
const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const queueUrl = requiredEnv('DELIVERIES_QUEUE_URL');

export const handler = deliverHandler({
  store: new DynamoDbWebhookStore(new DynamoDBClient({}), requiredEnv('WEBHOOKS_TABLE_NAME'), requiredPositiveIntEnv('LIST_SHARDS')),
  sealer: new KmsSecretSealer(new KMSClient({}), requiredEnv('WEBHOOK_SECRETS_KEY_ARN')),
  sender: new WebhookSender({ timeoutMs: DELIVERY_TIMEOUT_MS, allowLoopbackHttp: requiredBooleanEnv('WEBHOOK_ALLOW_LOOPBACK_HTTP') }),
  setVisibility: async (receiptHandle, seconds) => {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  },
  now: Date.now,
  retry: { baseSeconds: requiredPositiveIntEnv('WEBHOOK_RETRY_BASE_SECONDS'), maxSeconds: requiredPositiveIntEnv('WEBHOOK_RETRY_MAX_SECONDS') },
  giveUpAfterMs: requiredPositiveIntEnv('WEBHOOK_GIVE_UP_AFTER_HOURS') * 3_600_000,
  logger: createLogger('webhook-delivery'),
  metrics: metricsFromEnvironment('webhooks'),
});
