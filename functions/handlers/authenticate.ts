import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  bearerApiKey,
  hasScope,
  keyIdFor,
  lastUseIsDue,
  parseApiKey,
  refusalOf,
  type ApiScope,
  type KeyMode,
  type StoredApiKey,
} from '#domain/api-key.ts';
import { headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';

export interface AuthenticateDeps {
  /** Key lookups, cached per warm container (see `CachedApiKeys`). */
  keys: {
    find(keyId: string): Promise<StoredApiKey | undefined>;
    noteUse(keyId: string, at: number): void;
  };
  /** Writes a key's last use (conditionally: at most once an hour across containers). */
  recordKeyUse: (keyId: string, at: number) => Promise<void>;
  /** The one mode this stage takes: test keys with the test processor, live keys with the live one. */
  keyMode: KeyMode;
  now: () => number;
  logger: Logger;
}

export interface AuthenticatedCaller {
  merchantId: string;
  keyId: string;
}

/** Either the caller, or the 401/403 problem to answer with. */
export type Authentication = { caller: AuthenticatedCaller } | { refusal: APIGatewayProxyResult };

const KEY_REQUIRED = 'A valid API key is required: Authorization: Bearer sk_… (or a restricted rk_… key).';

/**
 * Authenticates a request in the function itself, so every target (the local runner,
 * LocalStack, AWS) runs the same code: the bearer key's hash is looked up by key id,
 * compared in constant time, and checked for revocation, a roll's expiry, the stage's mode
 * and the scope the operation needs. A refusal never says whether the key exists; the log
 * line names the key id (derived from the hash), never the key.
 */
export function requestAuthenticator(deps: AuthenticateDeps) {
  return async (event: APIGatewayProxyEvent, scope: ApiScope): Promise<Authentication> => {
    const apiKey = bearerApiKey(headerValue(event, 'Authorization'));
    if (!apiKey) {
      deps.logger.info('Refused a request without a well-formed API key', { sourceIp: event.requestContext.identity?.sourceIp });
      return { refusal: problemResponse('unauthorized', { detail: KEY_REQUIRED }) };
    }
    const keyId = keyIdFor(apiKey);
    // The mode is in the key's own prefix, so saying it reveals nothing about which keys exist.
    const mode = parseApiKey(apiKey)?.mode;
    if (mode !== deps.keyMode) {
      deps.logger.info('Refused a key of the wrong mode', { keyId, mode });
      return {
        refusal: problemResponse('unauthorized', {
          detail: `This stage takes ${deps.keyMode} keys only (sk_${deps.keyMode}_… or rk_${deps.keyMode}_…); a ${mode} key was sent.`,
          accepted_mode: deps.keyMode,
        }),
      };
    }
    const now = deps.now();
    const stored = await deps.keys.find(keyId);
    const refusal = refusalOf(stored, apiKey, now);
    if (refusal || !stored) {
      deps.logger.info('Refused an API key', { keyId, reason: refusal });
      return { refusal: problemResponse('unauthorized', { detail: KEY_REQUIRED }) };
    }
    if (!hasScope(stored, scope)) {
      deps.logger.info('Refused a restricted key outside its scopes', { keyId, missingScope: scope });
      return {
        refusal: problemResponse('forbidden', {
          detail: `This restricted key does not have the scope ${scope}.`,
          missing_scope: scope,
        }),
      };
    }
    if (lastUseIsDue(stored.lastUsedAt, now)) {
      deps.keys.noteUse(keyId, now);
      // Best effort: a lost last-used stamp must not fail the request.
      await deps.recordKeyUse(keyId, now).catch((error: unknown) =>
        deps.logger.warn('Could not record a key use', { keyId, error: error as Error }),
      );
    }
    return { caller: { merchantId: stored.merchantId, keyId } };
  };
}

export type RequestAuthenticator = ReturnType<typeof requestAuthenticator>;
