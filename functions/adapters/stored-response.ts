import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * The answer kept for an idempotency key, compressed: it is most of a charge or refund item, and
 * every write pays for the whole item by the kilobyte. Deflate is lossless, so a replay still
 * gets the original bytes. Read back from a `GetItem` it is binary; from a stream record Lambda
 * delivers binary as base64 text. Items written before it was compressed hold the JSON itself,
 * which (unlike base64) starts with `{`.
 */
export function packResponseBody(body: string): Uint8Array {
  return deflateRawSync(Buffer.from(body, 'utf8'));
}

export function unpackResponseBody(stored: Uint8Array | string): string {
  if (typeof stored === 'string') return stored.startsWith('{') ? stored : inflateRawSync(Buffer.from(stored, 'base64')).toString('utf8');
  return inflateRawSync(stored).toString('utf8');
}
