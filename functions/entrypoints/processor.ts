import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RequestPacer } from '#adapters/processor/request-pacer.ts';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { readSecretString } from '#adapters/secrets.ts';
import { requiredEnv, requiredPositiveIntEnv, requiredPositiveNumberEnv } from '#shared/env.ts';

/**
 * Reads the processor settings at cold start; the secret key itself is fetched on first use.
 * The container paces its requests to its share of the account's rate limit.
 */
export function processorFromEnvironment(): () => Promise<StripeCardProcessor> {
  const secretId = requiredEnv('PROCESSOR_SECRET_ID');
  const apiUrl = requiredEnv('PROCESSOR_API_URL');
  const timeoutMs = requiredPositiveIntEnv('PROCESSOR_TIMEOUT_MS');
  const pacer = new RequestPacer(requiredPositiveNumberEnv('PROCESSOR_REQUESTS_PER_SECOND'));
  return async () =>
    new StripeCardProcessor({
      secretKey: await readSecretString(new SecretsManagerClient({}), secretId),
      apiUrl,
      timeoutMs,
      pacer,
    });
}

/** Memoizes an async factory, forgetting a failure so that the next invocation tries again. */
export function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let cached: Promise<T> | undefined;
  return () => {
    cached ??= factory().catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
}
