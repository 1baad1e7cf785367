import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyMode = 'test' | 'live';

const SECRET_KEY_FORMAT = /^sk_(test|live)_[A-Za-z0-9_]{8,200}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A merchant secret key as stored: never the key itself, only its SHA-256. Keys are
 * 190-bit random strings, so an unsalted fast hash is enough (as for GitHub or Stripe
 * tokens); the key id, derived from the hash, is what the table is keyed by.
 */
export interface StoredApiKey {
  keyId: string;
  merchantId: string;
  mode: KeyMode;
  keyHash: string;
  /** First characters of the key, for people to recognise it in a list. */
  displayPrefix: string;
  createdAt: number;
  revokedAt: number | null;
}

/** A new secret key: `sk_test_` or `sk_live_` and 32 base62 characters from a CSPRNG. */
export function generateSecretKey(mode: KeyMode): string {
  const bytes = randomBytes(32);
  let body = '';
  for (const byte of bytes) body += BASE62[byte % 62];
  // 256 % 62 leaves a small bias; 32 characters of it still carry over 190 bits.
  return `sk_${mode}_${body}`;
}

export function hashSecretKey(secretKey: string): string {
  return createHash('sha256').update(secretKey).digest('hex');
}

/** The public id of a key: derived from its hash, safe to show, log and revoke by. */
export function keyIdFor(secretKey: string): string {
  return `key_${hashSecretKey(secretKey).slice(0, 20)}`;
}

/** The mode of a well-formed secret key, or `undefined` for anything that is not one. */
export function secretKeyMode(secretKey: string): KeyMode | undefined {
  const match = SECRET_KEY_FORMAT.exec(secretKey);
  return match ? (match[1] as KeyMode) : undefined;
}

/** Parses `Authorization: Bearer sk_…`; `undefined` when absent or malformed. */
export function bearerSecretKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/.exec(authorization?.trim() ?? '');
  const key = match?.[1];
  return key && secretKeyMode(key) ? key : undefined;
}

/** Constant-time check of a presented key against a stored one, revocation included. */
export function keyMatches(stored: StoredApiKey, secretKey: string): boolean {
  const presented = Buffer.from(hashSecretKey(secretKey), 'hex');
  const expected = Buffer.from(stored.keyHash, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected) && stored.revokedAt === null;
}

export function newStoredApiKey(secretKey: string, merchantId: string, now: number): StoredApiKey {
  const mode = secretKeyMode(secretKey);
  if (!mode) throw new Error('Not a secret key');
  return {
    keyId: keyIdFor(secretKey),
    merchantId,
    mode,
    keyHash: hashSecretKey(secretKey),
    displayPrefix: `${secretKey.slice(0, 12)}…`,
    createdAt: now,
    revokedAt: null,
  };
}
