import type { StoredApiKey } from '#domain/api-key.ts';

/**
 * How long a warm container trusts what it read about a key. Revocation, a roll's new expiry
 * and scope changes reach every container within this time (the API promises 60 s).
 */
export const KEY_CACHE_TTL_MS = 30_000;

/** Bounds memory: a caller spraying random keys evicts the oldest entries, nothing more. */
const MAX_CACHED_KEYS = 10_000;

interface KeySource {
  findKey(keyId: string): Promise<StoredApiKey | undefined>;
}

/**
 * Key lookups cached per warm container: a valid key costs one DynamoDB read per
 * {@link KEY_CACHE_TTL_MS} per container, not one per request. Unknown ids are cached too,
 * so a client retrying with a wrong key does not read the table on every attempt.
 */
export class CachedApiKeys {
  private readonly entries = new Map<string, { key: StoredApiKey | undefined; readAt: number }>();

  constructor(
    private readonly source: KeySource,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = KEY_CACHE_TTL_MS,
  ) {}

  async find(keyId: string): Promise<StoredApiKey | undefined> {
    const cached = this.entries.get(keyId);
    if (cached && this.now() - cached.readAt < this.ttlMs) return cached.key;
    const key = await this.source.findKey(keyId);
    this.entries.delete(keyId);
    if (this.entries.size >= MAX_CACHED_KEYS) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(keyId, { key, readAt: this.now() });
    return key;
  }

  /** Notes a use this container has written, so it does not write it again within the hour. */
  noteUse(keyId: string, at: number): void {
    const cached = this.entries.get(keyId);
    if (cached?.key) cached.key = { ...cached.key, lastUsedAt: at };
  }
}
