import { Logger } from '@aws-lambda-powertools/logger';
import { CachedApiKeys } from '#adapters/cached-api-keys.ts';
import { newStoredApiKey, type KeyMode, type StoredApiKey } from '#domain/api-key.ts';
import { requestAuthenticator, type RequestAuthenticator } from '#handlers/authenticate.ts';

/** The key in `test/fixtures/events/post-charge.json`. */
export const FIXTURE_API_KEY = 'sk_test_fixture_key';

/**
 * The functions' real authenticator over keys held in memory, for tests that call a handler
 * in-process: `keys` maps each bearer key to its merchant.
 */
export function inMemoryAuthenticator(
  keys: Record<string, string>,
  options: { keyMode?: KeyMode; now?: () => number } = {},
): { authenticate: RequestAuthenticator; stored: Map<string, StoredApiKey> } {
  const now = options.now ?? Date.now;
  const stored = new Map<string, StoredApiKey>();
  for (const [apiKey, merchantId] of Object.entries(keys)) {
    const key = newStoredApiKey(apiKey, merchantId, now());
    stored.set(key.keyId, key);
  }
  const authenticate = requestAuthenticator({
    keys: new CachedApiKeys({ findKey: (keyId) => Promise.resolve(stored.get(keyId)) }, now),
    recordKeyUse: () => Promise.resolve(),
    keyMode: options.keyMode ?? 'test',
    now,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  });
  return { authenticate, stored };
}
