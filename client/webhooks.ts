import { WebhookSignatureError } from './errors.ts';

/** What an `Oncepay-Signature` may be off the clock by (either way) and still be accepted. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** An event as oncepay delivers it (openapi.json's `Event`, the fields every event has). */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: boolean;
  data: { object: T };
  [field: string]: unknown;
}

const encoder = new TextEncoder();

/**
 * Verifies a delivery and returns its event: the `Oncepay-Signature` header (`t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, more than one `v1` while a secret is rolled) must
 * sign the raw body with `secret`, at a time within `toleranceSeconds` of now. Compared in
 * constant time. Uses Web Crypto, so it runs wherever `fetch` does. Throws
 * {@link WebhookSignatureError} saying why not.
 *
 * Pass the body exactly as received (before any JSON parsing): a re-serialised body does not verify.
 */
export async function constructEvent<T = Record<string, unknown>>(
  rawBody: string,
  header: string | null | undefined,
  secret: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): Promise<WebhookEvent<T>> {
  if (!header) throw new WebhookSignatureError('No Oncepay-Signature header');
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't') timestamps.push(value);
    if (name === 'v1') signatures.push(value);
  }
  const timestamp = Number(timestamps[0]);
  if (!/^\d+$/.test(timestamps[0] ?? '') || !Number.isSafeInteger(timestamp)) throw new WebhookSignatureError('No t=<unix seconds> in the signature');
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const age = (options.nowSeconds ?? Math.floor(Date.now() / 1000)) - timestamp;
  if (Math.abs(age) > tolerance) {
    throw new WebhookSignatureError(`Signed ${age > 0 ? `${age} s ago` : `${-age} s ahead`}: outside the ${tolerance} s tolerance (a replay, or a clock off)`);
  }
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = hex(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamps[0]}.${rawBody}`))));
  if (!signatures.some((candidate) => constantTimeEqual(candidate, expected))) {
    throw new WebhookSignatureError('No v1 signature matches this body with this secret (another secret, or a changed body)');
  }
  let event: unknown;
  try {
    event = JSON.parse(rawBody);
  } catch {
    throw new WebhookSignatureError('The signed body is not JSON');
  }
  return event as WebhookEvent<T>;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Equal strings, in a time that depends only on their length (which is public: 64 hex digits). */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index += 1) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}
