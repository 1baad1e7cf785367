import { createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as z from 'zod/mini';
import { toFieldProblems } from './charge-request.ts';
import { ValidationError } from './errors.ts';
import { EVENT_TYPES, type EventType } from './event.ts';
import type { JsonValue } from './fingerprint.ts';

/** Stripe's limit on webhook endpoints per account. */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;
const MAX_URL_LENGTH = 2048;

export type EndpointStatus = 'enabled' | 'disabled';

/** A merchant's webhook endpoint; the secret signs its deliveries and is shown only when it is created. */
export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  /** Event types sent to it; `['*']` for all. */
  enabledEvents: string[];
  status: EndpointStatus;
  createdAt: number;
  secret: string;
}

export interface WebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: string[];
  status: EndpointStatus;
  created: number;
  /** Only in the answer to its creation. */
  secret?: string;
}

export function toEndpointObject(endpoint: WebhookEndpoint, withSecret = false): WebhookEndpointObject {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    url: endpoint.url,
    enabled_events: endpoint.enabledEvents,
    status: endpoint.status,
    created: Math.floor(endpoint.createdAt / 1000),
    ...(withSecret ? { secret: endpoint.secret } : {}),
  };
}

export const createEndpointBodySchema = z
  .strictObject({
    url: z.string({ error: 'must be a string' }).check(
      z.maxLength(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` }),
      z.describe('Where events are POSTed: https (the local stage also takes http://127.0.0.1:<port>), never a private, loopback or link-local address.'),
    ),
    enabled_events: z
      .array(z.enum(['*', ...EVENT_TYPES], { error: `must be * or one of ${EVENT_TYPES.join(', ')}` }))
      .check(z.minLength(1, { error: 'must name at least one event type, or *' }), z.describe('The event types to send; ["*"] for all.')),
  })
  .check(z.describe('A webhook endpoint to register.'));

/** Which URLs a stage delivers to: https only, unless `allowLoopbackHttp` (the local stage) admits `http://127.0.0.1:<port>`. */
export interface UrlPolicy {
  allowLoopbackHttp: boolean;
}

/** Validates the body of `POST /v1/webhook_endpoints` and the URL's shape; throws {@link ValidationError}. */
export function parseEndpointRequest(body: JsonValue, policy: UrlPolicy): { url: string; enabledEvents: string[] } {
  const result = createEndpointBodySchema.safeParse(body);
  if (!result.success) throw new ValidationError('The request body is not a valid webhook endpoint.', toFieldProblems(result.error, body));
  const problem = urlProblem(result.data.url, policy);
  if (problem) throw new ValidationError('The request body is not a valid webhook endpoint.', [{ field: 'url', message: problem }]);
  const events = [...new Set(result.data.enabled_events)];
  return { url: new URL(result.data.url).toString(), enabledEvents: events.includes('*') ? ['*'] : events.sort() };
}

/** Why a URL may not receive events (its shape; where its host resolves is checked at the network's edge), or `undefined`. */
export function urlProblem(text: string, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'http:' && policy.allowLoopbackHttp && url.hostname === '127.0.0.1' && url.port !== '') return undefined;
  if (url.protocol !== 'https:') return policy.allowLoopbackHttp ? 'must be https (or http://127.0.0.1:<port> on the local stage)' : 'must be https';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isPrivateAddress(host)) return 'must not point to a private, loopback or link-local address';
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    return 'must not point to a private, loopback or link-local address';
  }
  return undefined;
}

/**
 * True for addresses a webhook must never reach (SSRF): unspecified, loopback, private
 * (RFC 1918, unique local), carrier-grade NAT, link-local (the cloud metadata service among
 * them), multicast and reserved ranges, in IPv4, IPv6 and IPv4-mapped IPv6.
 */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return isPrivateAddress(mapped[1]);
  if (isIP(address) === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return (
      a === 0 || a === 10 || a === 127 || a >= 224 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19))
    );
  }
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith('ff') || lower.startsWith('64:ff9b:') || lower.startsWith('2001:db8');
  }
  return true;
}

export function subscribes(endpoint: Pick<WebhookEndpoint, 'enabledEvents' | 'status'>, type: EventType): boolean {
  return endpoint.status === 'enabled' && (endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(type));
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const randomBase62 = (length: number) => Array.from(randomBytes(length), (byte) => BASE62[byte % 62]).join('');

export const newEndpointId = () => `we_${randomBase62(24)}`;
/** 192 bits of randomness, shown once. */
export const newEndpointSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/** `Oncepay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint's secret>`. */
export function signatureHeader(secret: string, unixSeconds: number, rawBody: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** The backoff before delivery attempt `attempt + 1`: doubling from `baseSeconds`, at most `maxSeconds`, with up to 10% jitter off. */
export function deliveryBackoffSeconds(attempt: number, baseSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const raw = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(raw * (1 - 0.1 * random())));
}
