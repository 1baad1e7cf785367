import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { CachedApiKeys, KEY_CACHE_TTL_MS } from '#adapters/cached-api-keys.ts';
import { generateApiKey, keyIdFor, newStoredApiKey, parseRollOverlap, type ApiScope, type StoredApiKey } from '#domain/api-key.ts';
import { requestAuthenticator, type Authentication } from '#handlers/authenticate.ts';

/** A merchants table in memory, counting reads and last-used writes; a clock the test moves. */
function world(options: { cacheTtlMs?: number } = {}) {
  let now = 1_700_000_000_000;
  const table = new Map<string, StoredApiKey>();
  const counts = { reads: 0, lastUsedWrites: 0 };
  const logLines: Array<Record<string, unknown>> = [];
  const logger = { info: (message: string, extra: object) => logLines.push({ message, ...extra }), warn: () => {} } as unknown as Logger;
  const keys = new CachedApiKeys(
    {
      findKey: (keyId) => {
        counts.reads += 1;
        const stored = table.get(keyId);
        return Promise.resolve(stored && { ...stored });
      },
    },
    () => now,
    options.cacheTtlMs,
  );
  const authenticate = requestAuthenticator({
    keys,
    recordKeyUse: (keyId, at) => {
      counts.lastUsedWrites += 1;
      const stored = table.get(keyId);
      if (stored) stored.lastUsedAt = at;
      return Promise.resolve();
    },
    keyMode: 'test',
    now: () => now,
    logger,
  });
  const addKey = (merchantId: string, scopes: ApiScope[] | null = null, mode: 'test' | 'live' = 'test') => {
    const apiKey = generateApiKey(scopes ? 'restricted' : 'secret', mode);
    table.set(keyIdFor(apiKey), newStoredApiKey(apiKey, merchantId, now, scopes));
    return apiKey;
  };
  const call = (apiKey: string | undefined, scope: ApiScope = 'charges:read') =>
    authenticate({ headers: apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }, requestContext: {} } as unknown as APIGatewayProxyEvent, scope);
  return {
    table,
    counts,
    logLines,
    addKey,
    call,
    authenticate,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

const refusal = (authentication: Authentication): APIGatewayProxyResult | undefined => ('refusal' in authentication ? authentication.refusal : undefined);
const problem = (authentication: Authentication) => JSON.parse(refusal(authentication)?.body ?? '{}') as Record<string, unknown>;

/** Revokes a key a warm container has cached and returns how long until it is refused (Infinity: never within 5 minutes). */
async function secondsUntilRevocationBites(cacheTtlMs?: number): Promise<number> {
  const w = world({ cacheTtlMs });
  const apiKey = w.addKey('mer_a');
  expect('caller' in (await w.call(apiKey))).toBe(true);
  const stored = w.table.get(keyIdFor(apiKey));
  if (stored) stored.revokedAt = w.now();
  for (let second = 0; second <= 300; second += 1) {
    if (refusal(await w.call(apiKey))?.statusCode === 401) return second;
    w.advance(1000);
  }
  return Infinity;
}

describe('authentication in the functions', () => {
  it('accepts a valid secret key and reads the table once per cache period, not per request', async () => {
    const w = world();
    const apiKey = w.addKey('mer_a');
    for (let i = 0; i < 50; i += 1) expect(await w.call(apiKey, 'charges:write')).toEqual({ caller: { merchantId: 'mer_a', keyId: keyIdFor(apiKey) } });
    expect(w.counts.reads).toBe(1);
    w.advance(KEY_CACHE_TTL_MS);
    await w.call(apiKey);
    expect(w.counts.reads).toBe(2);
  });

  it('refuses a revoked key within 60 seconds in a warm container that cached it, and a cache that never expires would not', async () => {
    const seconds = await secondsUntilRevocationBites();
    expect(seconds).toBeLessThanOrEqual(60);
    expect(seconds).toBe(KEY_CACHE_TTL_MS / 1000);
    // The mutant: the same container with a cache that never expires keeps a revoked key working.
    expect(await secondsUntilRevocationBites(Number.POSITIVE_INFINITY)).toBe(Infinity);
  });

  it('answers a missing, malformed, unknown, revoked or expired key with the same 401, which does not say whether the key exists', async () => {
    const w = world();
    const revoked = w.addKey('mer_a');
    const revokedItem = w.table.get(keyIdFor(revoked));
    if (revokedItem) revokedItem.revokedAt = w.now();
    const expired = w.addKey('mer_a');
    const expiredItem = w.table.get(keyIdFor(expired));
    if (expiredItem) expiredItem.expiresAt = w.now();
    const bodies = [];
    for (const apiKey of [undefined, 'sk_test_short', 'not-a-key', generateApiKey('secret', 'test'), revoked, expired]) {
      const result = refusal(await w.call(apiKey));
      expect(result?.statusCode).toBe(401);
      expect(result?.headers?.['Content-Type']).toBe('application/problem+json');
      bodies.push(result?.body);
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0] ?? '{}')).toMatchObject({ type: 'https://oncepay.dev/problems/unauthorized', status: 401 });
  });

  it('logs refusals by key id and reason, never the key', async () => {
    const w = world();
    const unknown = generateApiKey('secret', 'test');
    await w.call(unknown);
    expect(w.logLines).toEqual([expect.objectContaining({ keyId: keyIdFor(unknown), reason: 'unknown' })]);
    expect(JSON.stringify(w.logLines)).not.toContain(unknown.slice(8));
  });

  it('refuses a key of the other mode with a 401 naming the mode the stage takes, without reading the table', async () => {
    const w = world();
    const live = w.addKey('mer_a', null, 'live');
    const result = await w.call(live);
    expect(refusal(result)?.statusCode).toBe(401);
    expect(problem(result)).toMatchObject({ accepted_mode: 'test', detail: expect.stringContaining('This stage takes test keys only') });
    const restrictedLive = w.addKey('mer_a', ['charges:read'], 'live');
    expect(problem(await w.call(restrictedLive))).toMatchObject({ accepted_mode: 'test' });
    expect(w.counts.reads).toBe(0);
  });

  it('lets a restricted key do what its scopes name and answers anything else with a 403 naming the missing scope', async () => {
    const w = world();
    const readOnly = w.addKey('mer_a', ['charges:read']);
    expect(readOnly).toMatch(/^rk_test_/);
    expect(await w.call(readOnly, 'charges:read')).toMatchObject({ caller: { merchantId: 'mer_a' } });
    const refused = await w.call(readOnly, 'charges:write');
    expect(refusal(refused)?.statusCode).toBe(403);
    expect(problem(refused)).toMatchObject({
      type: 'https://oncepay.dev/problems/forbidden',
      status: 403,
      missing_scope: 'charges:write',
      detail: 'This restricted key does not have the scope charges:write.',
    });
    // A secret key has every scope.
    expect(await w.call(w.addKey('mer_a'), 'refunds:write')).toMatchObject({ caller: { merchantId: 'mer_a' } });
  });

  it('fails closed: a restricted key whose stored scopes are missing or unreadable has no scope at all', async () => {
    const w = world();
    const restricted = w.addKey('mer_a', ['charges:read']);
    const stored = w.table.get(keyIdFor(restricted));
    if (!stored) throw new Error('key not stored');
    // As a DynamoDB String Set would read back through the DocumentClient: not an array.
    stored.scopes = new Set(['charges:read']) as unknown as typeof stored.scopes;
    expect(refusal(await w.call(restricted, 'charges:read'))?.statusCode).toBe(403);
    stored.scopes = null;
    expect(refusal(await w.call(restricted, 'charges:write'))?.statusCode).toBe(403);
  });

  it('takes the Bearer scheme in any case, as HTTP does', async () => {
    const w = world();
    const apiKey = w.addKey('mer_a');
    for (const scheme of ['bearer', 'BEARER', 'Bearer\t']) {
      const event = { headers: { authorization: `${scheme} ${apiKey}` }, requestContext: {} } as unknown as APIGatewayProxyEvent;
      expect(await w.authenticate(event, 'charges:read')).toMatchObject({ caller: { merchantId: 'mer_a' } });
    }
  });

  it('keeps a rolled key working until its expiry and refuses it from then on', async () => {
    const w = world();
    const old = w.addKey('mer_a');
    const item = w.table.get(keyIdFor(old));
    if (item) item.expiresAt = w.now() + (parseRollOverlap('2h') ?? 0);
    expect(await w.call(old)).toMatchObject({ caller: { merchantId: 'mer_a' } });
    w.advance(2 * 3_600_000 - 1);
    expect(await w.call(old)).toMatchObject({ caller: { merchantId: 'mer_a' } });
    w.advance(1);
    expect(refusal(await w.call(old))?.statusCode).toBe(401);
  });

  it('records a key’s last use at most once an hour, however many requests use it', async () => {
    const w = world();
    const apiKey = w.addKey('mer_a');
    for (let minute = 0; minute < 60; minute += 1) {
      for (let i = 0; i < 10; i += 1) await w.call(apiKey);
      w.advance(60_000);
    }
    expect(w.counts.lastUsedWrites).toBe(1);
    await w.call(apiKey);
    expect(w.counts.lastUsedWrites).toBe(2);
    expect(w.table.get(keyIdFor(apiKey))?.lastUsedAt).toBe(w.now());
  });
});

describe('roll overlaps', () => {
  it.each([
    ['now', 0],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
  ])('%s is %d ms', (text, ms) => expect(parseRollOverlap(text)).toBe(ms));

  it.each(['8d', '169h', '', '1w', '-1h', '1.5h', 'soon'])('%j is refused', (text) => expect(parseRollOverlap(text)).toBeUndefined());
});
