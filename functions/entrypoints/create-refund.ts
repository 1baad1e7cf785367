/** Lambda entry point of `POST /v1/refunds`: wires the handler to DynamoDB and SQS from the environment. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsWorkQueue } from '#adapters/sqs-work-queue.ts';
import { createRefund, type CreateRefundDeps } from '#domain/create-refund.ts';
import { createRefundHandler } from '#handlers/create-refund.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, refundRepositoryFromEnvironment, requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('refunds-api');
const useCaseDeps: CreateRefundDeps = {
  refunds: refundRepositoryFromEnvironment(),
  charges: chargeRepositoryFromEnvironment(),
  queue: new SqsWorkQueue(new SQSClient({ useQueueUrlAsEndpoint: false }), requiredEnv('WORK_QUEUE_URL')),
  now: Date.now,
  idempotencyRetentionMs: requiredPositiveIntEnv('IDEMPOTENCY_RETENTION_HOURS') * 3_600_000,
  recordRetentionMs: requiredPositiveIntEnv('CHARGE_RECORD_RETENTION_DAYS') * 86_400_000,
  reEnqueueAfterMs: requiredPositiveIntEnv('REENQUEUE_AFTER_SECONDS') * 1000,
  onEnqueueFailed: (refundId, error) =>
    logger.warn('Enqueue failed after the refund was recorded; a retry or the reconciler enqueues it', { refundId, error: error as Error }),
};

export const handler = servingEitherApi(
  createRefundHandler({
    authenticate: requestAuthenticatorFromEnvironment(logger),
    createRefund: (input) => createRefund(useCaseDeps, input),
    logger,
  }),
);
