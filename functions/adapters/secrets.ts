import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError } from '#domain/errors.ts';

/** Reads a plain-text secret (e.g. the processor's API key) from Secrets Manager. */
export async function readSecretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new ConfigurationError(`Secret ${secretId} has no string value`);
  return SecretString.trim();
}

/**
 * A plain-text secret read through Powertools Parameters, kept `maxAgeSeconds` and then read
 * again: a rotated secret is in use within that time, with no cold start. A failed read is
 * not kept (Powertools caches values only), so the next call reads again.
 */
export function cachedSecretString(provider: SecretsProvider, secretId: string, maxAgeSeconds: number): () => Promise<string> {
  return async () => {
    const value = await provider.get(secretId, { maxAge: maxAgeSeconds });
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigurationError(`Secret ${secretId} has no string value`);
    return value.trim();
  };
}
