import { createHash } from 'node:crypto';

/** A JSON value as produced by `JSON.parse`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Canonical JSON: object keys sorted by code point at every depth, no insignificant
 * whitespace. Two bodies that differ only in key order or whitespace serialise alike.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical form: the request fingerprint stored with an idempotency key. */
export function fingerprint(value: JsonValue): string {
  return fingerprintOfCanonical(canonicalJson(value));
}

/** The fingerprint of an already canonical body, for callers that keep the canonical form too. */
export function fingerprintOfCanonical(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Dotted paths of the fields whose values differ between two request bodies, sorted.
 * Used to tell a client which fields changed under a reused key, never what they hold.
 * Objects are compared field by field; anything else (arrays included) as a whole.
 */
export function differingFields(first: JsonValue, second: JsonValue, prefix = ''): string[] {
  if (isPlainObject(first) && isPlainObject(second)) {
    const keys = [...new Set([...Object.keys(first), ...Object.keys(second)])].sort();
    return keys.flatMap((key) => {
      const path = prefix ? `${prefix}.${key}` : key;
      if (!(key in first) || !(key in second)) return [path];
      return differingFields(first[key] as JsonValue, second[key] as JsonValue, path);
    });
  }
  return canonicalJson(first) === canonicalJson(second) ? [] : [prefix];
}

function isPlainObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
