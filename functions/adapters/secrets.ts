import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '#domain/errors.ts';

/** Reads a plain-text secret (e.g. the processor's API key) from Secrets Manager. */
export async function readSecretString(client: SecretsManagerClient, secretId: string): Promise<string> {
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new ConfigurationError(`Secret ${secretId} has no string value`);
  return SecretString.trim();
}
