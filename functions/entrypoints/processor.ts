import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RequestPacer } from '#adapters/processor/request-pacer.ts';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { isProcessorMode } from '#adapters/processor/stripe-key.ts';
import { cachedSecretString } from '#adapters/secrets.ts';
import { ConfigurationError } from '#domain/errors.ts';
import { requiredEnv, requiredPositiveIntEnv, requiredPositiveNumberEnv } from '#shared/env.ts';

/**
 * Reads the processor settings at cold start. The secret key is read on first use and again
 * once it is `PROCESSOR_SECRET_MAX_AGE_SECONDS` old, so a rotated key needs no cold start; a
 * key of the other mode than `PROCESSOR_MODE` is refused as a configuration error, and an
 * answer from the other mode counts `ProcessorLivemodeMismatch`, a 429 `ProcessorRateLimited`. The container paces its
 * requests to its share of the account's rate limit.
 */
export function processorFromEnvironment(metrics: Metrics): StripeCardProcessor {
  const secretId = requiredEnv('PROCESSOR_SECRET_ID');
  const mode = requiredEnv('PROCESSOR_MODE');
  if (!isProcessorMode(mode)) throw new ConfigurationError(`PROCESSOR_MODE must be test or live, got "${mode}"`);
  const secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) });
  return new StripeCardProcessor({
    secretKey: cachedSecretString(secrets, secretId, requiredPositiveIntEnv('PROCESSOR_SECRET_MAX_AGE_SECONDS')),
    keyOrigin: `secret ${secretId}`,
    mode,
    onModeMismatch: () => metrics.addMetric('ProcessorLivemodeMismatch', MetricUnit.Count, 1),
    onRateLimited: () => metrics.addMetric('ProcessorRateLimited', MetricUnit.Count, 1),
    apiUrl: requiredEnv('PROCESSOR_API_URL'),
    timeoutMs: requiredPositiveIntEnv('PROCESSOR_TIMEOUT_MS'),
    pacer: new RequestPacer(requiredPositiveNumberEnv('PROCESSOR_REQUESTS_PER_SECOND')),
  });
}
