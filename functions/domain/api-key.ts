import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyMode = 'test' | 'live';

/**
 * What a restricted key may do. A secret key may do everything; a restricted key only what
 * its scopes name. `refunds:*`, `disputes:read` and `webhooks:*` guard the refund, dispute and
 * webhook endpoints.
 */
export const API_SCOPES = ['charges:read', 'charges:write', 'refunds:read', 'refunds:write', 'disputes:read', 'webhooks:read', 'webhooks:write'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Secret keys (`sk_`) may do everything; restricted keys (`rk_`) only their scopes. */
export type KeyType = 'secret' | 'restricted';

const API_KEY_FORMAT = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,200}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * An API key as stored: never the key itself, only its SHA-256. Keys are 190-bit random
 * strings, so an unsalted fast hash is enough (as for GitHub or Stripe tokens); the key id,
 * derived from the hash, is what the table is keyed by.
 */
export interface StoredApiKey {
  keyId: string;
  merchantId: string;
  mode: KeyMode;
  type: KeyType;
  /** A restricted key's scopes; `null` for a secret key, which has them all. */
  scopes: ApiScope[] | null;
  keyHash: string;
  /** First characters of the key, for people to recognise it in a list. */
  displayPrefix: string;
  createdAt: number;
  revokedAt: number | null;
  /** Set when the key is rolled: it keeps working until then. */
  expiresAt: number | null;
  /** The key that replaced this one in a roll. */
  rolledTo: string | null;
  /** Recorded at most once an hour (see {@link LAST_USED_RESOLUTION_MS}). */
  lastUsedAt: number | null;
}

/** How often a key's last use is written: a write per request would cost more than the request. */
export const LAST_USED_RESOLUTION_MS = 3_600_000;

/** A new key: `sk_`/`rk_`, the mode, and 32 base62 characters from a CSPRNG. */
export function generateApiKey(type: KeyType, mode: KeyMode): string {
  const bytes = randomBytes(32);
  let body = '';
  for (const byte of bytes) body += BASE62[byte % 62];
  // 256 % 62 leaves a small bias; 32 characters of it still carry over 190 bits.
  return `${type === 'secret' ? 'sk' : 'rk'}_${mode}_${body}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** The public id of a key: derived from its hash, safe to show, log and revoke by. */
export function keyIdFor(apiKey: string): string {
  return `key_${hashApiKey(apiKey).slice(0, 20)}`;
}

export const KEY_ID_FORMAT = /^key_[0-9a-f]{20}$/;

/** Type and mode of a well-formed key, or `undefined` for anything that is not one. */
export function parseApiKey(apiKey: string): { type: KeyType; mode: KeyMode } | undefined {
  const match = API_KEY_FORMAT.exec(apiKey);
  if (!match) return undefined;
  return { type: match[1] === 'sk' ? 'secret' : 'restricted', mode: match[2] as KeyMode };
}

/** Parses `Authorization: Bearer <key>` (the scheme is case-insensitive, RFC 9110 §11.1); `undefined` when absent or not a key. */
export function bearerApiKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)$/i.exec(authorization?.trim() ?? '');
  const key = match?.[1];
  return key && parseApiKey(key) ? key : undefined;
}

export function newStoredApiKey(
  apiKey: string,
  merchantId: string,
  now: number,
  scopes: ApiScope[] | null = null,
): StoredApiKey {
  const parsed = parseApiKey(apiKey);
  if (!parsed) throw new Error('Not an API key');
  if ((parsed.type === 'restricted') !== (scopes !== null)) throw new Error('A restricted key has scopes; a secret key has none');
  if (scopes?.length === 0) throw new Error('A restricted key needs at least one scope');
  return {
    keyId: keyIdFor(apiKey),
    merchantId,
    mode: parsed.mode,
    type: parsed.type,
    scopes: scopes ? [...new Set(scopes)].sort() : null,
    keyHash: hashApiKey(apiKey),
    displayPrefix: `${apiKey.slice(0, 12)}…`,
    createdAt: now,
    revokedAt: null,
    expiresAt: null,
    rolledTo: null,
    lastUsedAt: null,
  };
}

/** Why a presented key was refused; logged, never told to the caller. */
export type KeyRefusal = 'unknown' | 'revoked' | 'expired';

/**
 * Checks a presented key against what is stored under its id: constant-time hash comparison,
 * then revocation and a roll's expiry. Returns the refusal reason, or `undefined` if it is good.
 */
export function refusalOf(stored: StoredApiKey | undefined, apiKey: string, now: number): KeyRefusal | undefined {
  if (!stored) return 'unknown';
  const presented = Buffer.from(hashApiKey(apiKey), 'hex');
  const expected = Buffer.from(stored.keyHash, 'hex');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'unknown';
  if (stored.revokedAt !== null) return 'revoked';
  if (stored.expiresAt !== null && stored.expiresAt <= now) return 'expired';
  return undefined;
}

/**
 * Fails closed: only a secret key holds every scope; a restricted key holds the scopes stored
 * with it, and none if they are missing or unreadable.
 */
export function hasScope(key: Pick<StoredApiKey, 'type' | 'scopes'>, scope: ApiScope): boolean {
  if (key.type === 'secret') return true;
  return Array.isArray(key.scopes) && key.scopes.includes(scope);
}

export function isApiScope(value: string): value is ApiScope {
  return (API_SCOPES as readonly string[]).includes(value);
}

/** Whether this use should be written as the key's last use (at most once per resolution). */
export function lastUseIsDue(lastUsedAt: number | null, now: number): boolean {
  return lastUsedAt === null || now - lastUsedAt >= LAST_USED_RESOLUTION_MS;
}

/** The longest overlap a roll may give the old key (Stripe's limit is seven days too). */
export const MAX_ROLL_OVERLAP_MS = 7 * 86_400_000;

/**
 * `--expire-in` of a roll: `now`, or a number and a unit (`s`, `m`, `h`, `d`), at most seven
 * days. Returns milliseconds, or `undefined` when it is not one.
 */
export function parseRollOverlap(text: string): number | undefined {
  if (text === 'now') return 0;
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(text);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(match[1]) * unit;
  return ms <= MAX_ROLL_OVERLAP_MS ? ms : undefined;
}
