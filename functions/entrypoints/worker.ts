/** Lambda entry point of the SQS worker: DynamoDB, SQS, Secrets Manager and Stripe from the environment. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbChargeRepository } from '#adapters/dynamodb-charge-repository.ts';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { readSecretString } from '#adapters/secrets.ts';
import type { ProcessChargeDeps } from '#domain/process-charge.ts';
import { workerHandler, type WorkerDeps } from '#handlers/worker.ts';
import { requiredEnv, requiredPositiveIntEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';

function productionDeps(): WorkerDeps {
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  const queueUrl = requiredEnv('WORK_QUEUE_URL');
  const tableName = requiredEnv('CHARGES_TABLE_NAME');
  const secretId = requiredEnv('PROCESSOR_SECRET_ID');
  const apiUrl = requiredEnv('PROCESSOR_API_URL');
  const timeoutMs = requiredPositiveIntEnv('PROCESSOR_TIMEOUT_MS');
  let cached: Promise<ProcessChargeDeps> | undefined;
  const build = async (): Promise<ProcessChargeDeps> => ({
    charges: new DynamoDbChargeRepository(new DynamoDBClient({}), tableName),
    processor: new StripeCardProcessor({
      secretKey: await readSecretString(new SecretsManagerClient({}), secretId),
      apiUrl,
      timeoutMs,
    }),
    now: Date.now,
  });
  return {
    useCaseDeps: () => {
      cached ??= build().catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
      return cached;
    },
    setVisibility: async (receiptHandle, seconds) => {
      await sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
      );
    },
    retry: {
      baseDelaySeconds: requiredPositiveIntEnv('RETRY_BASE_DELAY_SECONDS'),
      maxDelaySeconds: requiredPositiveIntEnv('RETRY_MAX_DELAY_SECONDS'),
    },
    logger: createLogger('charge-worker'),
  };
}

export const handler = workerHandler(productionDeps());
