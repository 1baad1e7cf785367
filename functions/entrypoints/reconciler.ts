/** Lambda entry point of the scheduled reconciler. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbProcessorEventInbox } from '#adapters/dynamodb-processor-event-inbox.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { SqsWorkQueue } from '#adapters/sqs-work-queue.ts';
import { reconcilerHandler } from '#handlers/reconciler.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { processorFromEnvironment } from './processor.ts';
import { chargeRepositoryFromEnvironment, disputeRepositoryFromEnvironment, dynamodb, metricsFromEnvironment, refundRepositoryFromEnvironment } from './environment.ts';

const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
const charges = chargeRepositoryFromEnvironment();
const refunds = refundRepositoryFromEnvironment();
const disputes = disputeRepositoryFromEnvironment();
const inbox = new DynamoDbProcessorEventInbox(dynamodb(), requiredEnv('WEBHOOKS_TABLE_NAME'));
const queue = new SqsWorkQueue(sqs, requiredEnv('WORK_QUEUE_URL'));
const deadLetters = new SqsDeadLetterQueue(sqs, requiredEnv('DEAD_LETTER_QUEUE_URL'));
const stuckAfterMs = requiredPositiveIntEnv('STUCK_AFTER_SECONDS') * 1000;
const reviewAfterMs = requiredPositiveIntEnv('REVIEW_AFTER_SECONDS') * 1000;
const metrics = metricsFromEnvironment('reconciler');
const stripe = processorFromEnvironment(metrics);
const processorTimeoutMs = requiredPositiveIntEnv('PROCESSOR_TIMEOUT_MS');
/** 50 pages of 100: 5,000 events a pass, ~80 a second at a pass a minute, above Stripe's default write rate. */
const PROCESSOR_EVENT_PAGES_PER_PASS = 50;

const useCaseDeps = {
  charges,
  refunds,
  queue,
  deadLetters,
  processor: stripe,
  refundProcessor: stripe,
  processorEvents: { source: stripe, disputes },
  now: Date.now,
  stuckAfterMs,
  reviewAfterMs,
  maxChargesPerPass: 500,
  maxDeadLettersPerPass: 100,
};
const catchUpDeps = { source: stripe, inbox, queue, cursors: inbox, now: Date.now, maxPages: PROCESSOR_EVENT_PAGES_PER_PASS };

export const handler = reconcilerHandler({
  useCaseDeps,
  catchUpDeps,
  logger: createLogger('reconciler'),
  // Two processor timeouts (the SDK may retry a dropped connection once) and two seconds for DynamoDB.
  itemBudgetMs: 2 * processorTimeoutMs + 2_000,
  metrics,
});
