import { createHash } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 22; // 62^22 > 2^128

/**
 * A public id (`<prefix>_` + 22 base-62 characters, 128 bits of SHA-256) derived from `parts`:
 * the same parts always give the same id, so a request's retries name the same object.
 */
export function derivedId(prefix: string, parts: ReadonlyArray<string | number>): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  let value = digest.readBigUInt64BE(0) * 2n ** 64n + digest.readBigUInt64BE(8);
  let id = '';
  for (let i = 0; i < ID_LENGTH; i += 1) {
    id = BASE62[Number(value % 62n)] + id;
    value /= 62n;
  }
  return `${prefix}_${id}`;
}
