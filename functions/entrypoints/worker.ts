/** Lambda entry point of the SQS worker (charges, refunds, processor events): DynamoDB, SQS, Secrets Manager and Stripe from the environment. */
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { workerHandler } from '#handlers/worker.ts';
import { requiredBooleanEnv, requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { processorFromEnvironment } from './processor.ts';
import { chargeRepositoryFromEnvironment, disputeRepositoryFromEnvironment, metricsFromEnvironment, refundRepositoryFromEnvironment } from './environment.ts';

const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const queueUrl = requiredEnv('WORK_QUEUE_URL');
const charges = chargeRepositoryFromEnvironment();
const refunds = refundRepositoryFromEnvironment();
const disputes = disputeRepositoryFromEnvironment();
const metrics = metricsFromEnvironment('worker');
const stripe = processorFromEnvironment(metrics);
const processorTimeoutMs = requiredPositiveIntEnv('PROCESSOR_TIMEOUT_MS');
const useCaseDeps = {
  charges: { charges, processor: stripe, now: Date.now, processorTimeoutMs },
  refunds: { refunds, processor: stripe, now: Date.now, processorTimeoutMs },
  processorEvents: { source: stripe, disputes },
};

export const handler = workerHandler({
  useCaseDeps,
  setVisibility: async (receiptHandle, seconds) => {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  },
  recordsInParallel: requiredBooleanEnv('RECORDS_IN_PARALLEL'),
  retry: {
    baseDelaySeconds: requiredPositiveIntEnv('RETRY_BASE_DELAY_SECONDS'),
    maxDelaySeconds: requiredPositiveIntEnv('RETRY_MAX_DELAY_SECONDS'),
  },
  logger: createLogger('charge-worker'),
  metrics,
});
