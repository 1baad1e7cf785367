/** Lambda entry point of the SQS worker: DynamoDB, SQS, Secrets Manager and Stripe from the environment. */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { workerHandler } from '#handlers/worker.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { once, processorFromEnvironment } from './processor.ts';

const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const queueUrl = requiredEnv('WORK_QUEUE_URL');
const charges = new DynamoDbChargeRepository(new DynamoDBClient({}), requiredEnv('CHARGES_TABLE_NAME'));
const processor = processorFromEnvironment();

export const handler = workerHandler({
  useCaseDeps: once(async () => ({
    charges,
    processor: await processor(),
    now: Date.now,
    processorTimeoutMs: requiredPositiveIntEnv('PROCESSOR_TIMEOUT_MS'),
  })),
  setVisibility: async (receiptHandle, seconds) => {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  },
  retry: {
    baseDelaySeconds: requiredPositiveIntEnv('RETRY_BASE_DELAY_SECONDS'),
    maxDelaySeconds: requiredPositiveIntEnv('RETRY_MAX_DELAY_SECONDS'),
  },
  logger: createLogger('charge-worker'),
  metrics: new Metrics({ namespace: requiredEnv('POWERTOOLS_METRICS_NAMESPACE'), serviceName: 'worker' }),
});
