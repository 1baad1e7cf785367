/** Lambda entry point of `POST /webhooks/stripe`: the signing secret from Secrets Manager, the inbox in the webhooks table, the work queue. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbProcessorEventInbox } from '#adapters/dynamodb-processor-event-inbox.ts';
import { SecretStoreWebhookVerifier } from '#adapters/processor/stripe-webhook-verifier.ts';
import { readSecretString } from '#adapters/secrets.ts';
import { SqsWorkQueue } from '#adapters/sqs-work-queue.ts';
import { receiveProcessorEvent } from '#domain/processor-events.ts';
import { processorWebhookHandler } from '#handlers/processor-webhook.ts';
import { requiredEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { dynamodb, metricsFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const secretId = requiredEnv('PROCESSOR_WEBHOOK_SECRET_ID');
const inbox = new DynamoDbProcessorEventInbox(dynamodb(), requiredEnv('WEBHOOKS_TABLE_NAME'));
const queue = new SqsWorkQueue(new SQSClient({ useQueueUrlAsEndpoint: false }), requiredEnv('WORK_QUEUE_URL'));
const secrets = new SecretsManagerClient({});
const verifier = new SecretStoreWebhookVerifier(() => readSecretString(secrets, secretId));

export const handler = servingEitherApi(
  processorWebhookHandler({
    verify: (rawBody, signatureHeader) => verifier.verify(rawBody, signatureHeader),
    receive: (notice) => receiveProcessorEvent({ inbox, queue }, notice),
    logger: createLogger('processor-webhook'),
    metrics: metricsFromEnvironment('processor-events'),
  }),
);
