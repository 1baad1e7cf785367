/** Lambda entry point of the events function: the charges table's stream in, events stored and deliveries queued out. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { SqsDeliveryQueue } from '#adapters/sqs-delivery-queue.ts';
import { EVENT_RETENTION_MS } from '#domain/event.ts';
import { eventsHandler } from '#handlers/events.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { metricsFromEnvironment } from './environment.ts';

export const handler = eventsHandler({
  store: new DynamoDbWebhookStore(new DynamoDBClient({}), requiredEnv('WEBHOOKS_TABLE_NAME'), requiredPositiveIntEnv('LIST_SHARDS')),
  deliveries: new SqsDeliveryQueue(new SQSClient({ useQueueUrlAsEndpoint: false }), requiredEnv('DELIVERIES_QUEUE_URL')),
  now: Date.now,
  eventRetentionMs: EVENT_RETENTION_MS,
  logger: createLogger('events'),
  metrics: metricsFromEnvironment('events'),
});
