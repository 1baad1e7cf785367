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
/** Ports a deployed stage delivers to, as Stripe's receivers use: 443 (none written) and 8443. */
const ALLOWED_HTTPS_PORTS: ReadonlySet<string> = new Set(['', '8443']);
/** The longest a rolled secret may keep signing beside the new one: 7 days. */
export const MAX_ROLL_OVERLAP_SECONDS = 7 * 24 * 3600;

export type EndpointStatus = 'enabled' | 'disabled';

/**
 * A merchant's webhook endpoint. Its secret signs its deliveries and is shown only when it is
 * created or rolled; the endpoint holds it sealed (see {@link SecretSealer}), never in the clear.
 */
export interface WebhookEndpoint {
  id: string;
  merchantId: string;
  url: string;
  /** Event types sent to it; `['*']` for all. */
  enabledEvents: string[];
  status: EndpointStatus;
  createdAt: number;
  /** The current signing secret, sealed. */
  sealedSecret: string;
  /** The secret the last roll replaced, sealed, while it still signs: until `expiresAt` (ms). */
  previousSecret?: { sealed: string; expiresAt: number };
}

/** What a sealed secret is bound to: a ciphertext copied to another endpoint or merchant does not open. */
export interface SecretBinding {
  merchantId: string;
  endpointId: string;
}

/** Seals signing secrets (KMS on AWS) so that the table never holds one in the clear. */
export interface SecretSealer {
  seal(secret: string, binding: SecretBinding): Promise<string>;
  /** Throws when the sealed secret was not sealed for this binding. */
  unseal(sealed: string, binding: SecretBinding): Promise<string>;
}

export const bindingOf = (endpoint: Pick<WebhookEndpoint, 'id' | 'merchantId'>): SecretBinding => ({ merchantId: endpoint.merchantId, endpointId: endpoint.id });

/** The sealed secrets that sign a delivery at `now`: the current one, then the replaced one while its overlap lasts. */
export function liveSealedSecrets(endpoint: Pick<WebhookEndpoint, 'sealedSecret' | 'previousSecret'>, now: number): string[] {
  const previous = endpoint.previousSecret;
  return previous && previous.expiresAt > now ? [endpoint.sealedSecret, previous.sealed] : [endpoint.sealedSecret];
}

export interface WebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: string[];
  status: EndpointStatus;
  created: number;
  /** Only in the answer to its creation or to a roll of its secret. */
  secret?: string;
}

/** The API's view of an endpoint; `secret` (in the clear) only in the answers that make one. */
export function toEndpointObject(endpoint: WebhookEndpoint, secret?: string): WebhookEndpointObject {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint',
    url: endpoint.url,
    enabled_events: endpoint.enabledEvents,
    status: endpoint.status,
    created: Math.floor(endpoint.createdAt / 1000),
    ...(secret === undefined ? {} : { secret }),
  };
}

export const createEndpointBodySchema = z
  .strictObject({
    url: z.string({ error: 'must be a string' }).check(
      z.maxLength(MAX_URL_LENGTH, { error: `must be at most ${MAX_URL_LENGTH} characters` }),
      z.describe(
        'Where events are POSTed: https on port 443 or 8443 (the local stage also takes http://127.0.0.1:<port>), never a private, loopback or link-local address.',
      ),
    ),
    enabled_events: z
      .array(z.enum(['*', ...EVENT_TYPES], { error: `must be * or one of ${EVENT_TYPES.join(', ')}` }))
      .check(z.minLength(1, { error: 'must name at least one event type, or *' }), z.describe('The event types to send; ["*"] for all.')),
  })
  .check(z.describe('A webhook endpoint to register.'));

export const rollSecretBodySchema = z
  .strictObject({
    expires_in: z.optional(
      z.int({ error: 'must be an integer number of seconds' }).check(
        z.gte(0, { error: `must be between 0 and ${MAX_ROLL_OVERLAP_SECONDS} (7 days)` }),
        z.lte(MAX_ROLL_OVERLAP_SECONDS, { error: `must be between 0 and ${MAX_ROLL_OVERLAP_SECONDS} (7 days)` }),
        z.describe('Seconds the old secret keeps signing beside the new one (0, the default: it stops at once; at most 604800, 7 days).'),
      ),
    ),
  })
  .check(z.describe('How to roll an endpoint’s signing secret.'));

/** Validates the body of `POST /v1/webhook_endpoints/{id}/roll_secret`; throws {@link ValidationError}. */
export function parseRollSecretRequest(body: JsonValue): { expiresInSeconds: number } {
  const result = rollSecretBodySchema.safeParse(body);
  if (!result.success) throw new ValidationError('The request body is not a valid secret roll.', toFieldProblems(result.error, body));
  return { expiresInSeconds: result.data.expires_in ?? 0 };
}

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
  // `URL` drops a default port, so an explicit :443 reads as none.
  if (!ALLOWED_HTTPS_PORTS.has(url.port)) return `must use port 443 or 8443, not ${url.port}`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && isPrivateAddress(host)) return 'must not point to a private, loopback or link-local address';
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
    return 'must not point to a private, loopback or link-local address';
  }
  return undefined;
}

/**
 * True for addresses a webhook must never reach (SSRF): unspecified, loopback, private
 * (RFC 1918, unique local, site-local), carrier-grade NAT, link-local (the cloud metadata
 * service among them), multicast and reserved ranges — in IPv4, and in IPv6 in every form that
 * carries an IPv4 address (mapped, compatible, NAT64, 6to4), checked on the address's bytes.
 * Anything that is not an IP address is refused too.
 */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) return isPrivateIpv4(address.split('.').map(Number));
  const hextets = isIP(address) === 6 ? ipv6Hextets(address) : null;
  if (!hextets) return true;
  const [h0 = 0, h1 = 0, , , , h5 = 0, h6 = 0, h7 = 0] = hextets;
  const embedded = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff];
  const zeroUpTo = (count: number) => hextets.slice(0, count).every((hextet) => hextet === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, ::1 and :: among them)
  if (zeroUpTo(5) && (h5 === 0xffff || h5 === 0)) return h5 === 0 && h6 === 0 ? true : isPrivateIpv4(embedded(h6, h7));
  // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 2002::/16 (6to4)
  if (h0 === 0x64 && h1 === 0xff9b) return true;
  if (h0 === 0x2002) return isPrivateIpv4(embedded(h1, hextets[2] ?? 0));
  return (
    (h0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (h0 & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (h0 & 0xffc0) === 0xfec0 || // site-local fec0::/10
    (h0 & 0xff00) === 0xff00 || // multicast
    (h0 === 0x2001 && h1 === 0x0db8) // documentation
  );
}

function isPrivateIpv4([a = 0, b = 0]: number[]): boolean {
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

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted IPv4 folded in); `null` if malformed. */
function ipv6Hextets(address: string): number[] | null {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail, ...rest] = text.split('::');
  if (rest.length > 0) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

export function subscribes(endpoint: Pick<WebhookEndpoint, 'enabledEvents' | 'status'>, type: EventType): boolean {
  return endpoint.status === 'enabled' && (endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(type));
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const randomBase62 = (length: number) => Array.from(randomBytes(length), (byte) => BASE62[byte % 62]).join('');

export const newEndpointId = () => `we_${randomBase62(24)}`;
/** 192 bits of randomness, shown once. */
export const newEndpointSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

/**
 * `Oncepay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one `v1` per
 * live secret, the current one first (`t=…,v1=<new>,v1=<old>` while a rolled secret's overlap lasts).
 */
export function signatureHeader(secrets: readonly string[], unixSeconds: number, rawBody: string): string {
  const signatures = secrets.map((secret) => `,v1=${createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex')}`);
  return `t=${unixSeconds}${signatures.join('')}`;
}

/** The backoff before delivery attempt `attempt + 1`: doubling from `baseSeconds`, at most `maxSeconds`, with up to 10% jitter off. */
export function deliveryBackoffSeconds(attempt: number, baseSeconds: number, maxSeconds: number, random: () => number = Math.random): number {
  const raw = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(raw * (1 - 0.1 * random())));
}
