/** Lambda entry point of `POST /v1/charges`: wires the handler to DynamoDB and SQS from the environment. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsWorkQueue } from '#adapters/sqs-work-queue.ts';
import { createCharge, type CreateChargeDeps } from '#domain/create-charge.ts';
import { createChargeHandler, type CreateChargeHandlerDeps } from '#handlers/create-charge.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

function productionDeps(): CreateChargeHandlerDeps {
  const logger = createLogger('charges-api');
  const useCaseDeps: CreateChargeDeps = {
    charges: chargeRepositoryFromEnvironment(),
    queue: new SqsWorkQueue(new SQSClient({ useQueueUrlAsEndpoint: false }), requiredEnv('WORK_QUEUE_URL')),
    now: Date.now,
    idempotencyRetentionMs: requiredPositiveIntEnv('IDEMPOTENCY_RETENTION_HOURS') * 3_600_000,
    recordRetentionMs: requiredPositiveIntEnv('CHARGE_RECORD_RETENTION_DAYS') * 86_400_000,
    reEnqueueAfterMs: requiredPositiveIntEnv('REENQUEUE_AFTER_SECONDS') * 1000,
    onEnqueueFailed: (chargeId, error) =>
      logger.warn('Enqueue failed after the charge was recorded; a retry or the reconciler enqueues it', {
        chargeId,
        error: error as Error,
      }),
  };
  return { authenticate: requestAuthenticatorFromEnvironment(logger), createCharge: (input) => createCharge(useCaseDeps, input), logger };
}

export const handler = servingEitherApi(createChargeHandler(productionDeps()));
