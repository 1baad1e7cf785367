import { lookup as dnsLookup, promises as dnsPromises, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from '#domain/webhook-endpoint.ts';

/** What one delivery attempt came to. */
export interface DeliveryResult {
  /** The receiver's HTTP status; 0 when there was none (timeout, refused address, network error). */
  status: number;
  durationMs: number;
  /** Why there was no status, in one line. */
  error?: string;
}

export interface WebhookSenderOptions {
  /** A 2xx within this long counts as delivered (10 s). */
  timeoutMs: number;
  /** The local stage's exception: `http://127.0.0.1:<port>` receivers (tests, developers). */
  allowLoopbackHttp: boolean;
}

class RefusedAddressError extends Error {}

/**
 * POSTs an event to a merchant's endpoint. The SSRF guard sits where the connection is made:
 * every address the host resolves to is checked at connect time (so a DNS answer that changed
 * since the endpoint was registered cannot reach a private, loopback or link-local address),
 * redirects are not followed, and the response body is not read beyond its status.
 */
export class WebhookSender {
  constructor(private readonly options: WebhookSenderOptions) {}

  async send(url: string, body: string, headers: Record<string, string>): Promise<DeliveryResult> {
    const started = performance.now();
    const target = new URL(url);
    const loopbackAllowed = this.options.allowLoopbackHttp && target.protocol === 'http:' && target.hostname === '127.0.0.1';
    const guardedLookup: LookupFunction = (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 4);
        const refused = addresses.find((address) => isPrivateAddress(address.address) && !loopbackAllowed);
        if (refused || addresses.length === 0) return callback(new RefusedAddressError(`${hostname} resolves to a refused address`), '', 4);
        const first = addresses[0] as LookupAddress;
        return options.all ? (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses) : callback(null, first.address, first.family);
      });
    };
    const request = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' && loopbackAllowed ? httpRequest : null;
    if (!request) return { status: 0, durationMs: 0, error: `${target.protocol} URLs are not delivered to` };
    // Node does not ask `lookup` about a literal address: check it here.
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && isPrivateAddress(literal) && !loopbackAllowed) return { status: 0, durationMs: 0, error: `${literal} is a refused address` };
    return new Promise<DeliveryResult>((resolve) => {
      let settled = false;
      const done = (result: Omit<DeliveryResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ ...result, durationMs: Math.round(performance.now() - started) });
      };
      const outgoing = request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'User-Agent': 'oncepay-webhooks/1' },
          lookup: guardedLookup,
        },
        (response) => {
          response.resume();
          done({ status: response.statusCode ?? 0 });
        },
      );
      // One deadline for the whole attempt (DNS, connect, TLS, the answer's status line), not an idle timeout:
      // a receiver that trickles bytes must not hold the delivery function.
      const deadline = setTimeout(() => outgoing.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      outgoing.on('error', (error) => done({ status: 0, error: error.message.slice(0, 200) }));
      outgoing.end(body);
    });
  }
}

/**
 * Why a URL's host may not receive events, checked when an endpoint is registered: it does not
 * resolve, or one of its addresses is private, loopback or link-local. (Deliveries check again
 * at connect time: DNS answers change.)
 */
export async function hostProblem(url: string, allowLoopbackHttp: boolean): Promise<string | undefined> {
  const target = new URL(url);
  if (allowLoopbackHttp && target.protocol === 'http:' && target.hostname === '127.0.0.1') return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = await dnsPromises.lookup(host, { all: true });
  } catch {
    return `its host ${host} does not resolve`;
  }
  if (addresses.length === 0) return `its host ${host} does not resolve`;
  if (addresses.some((address) => isPrivateAddress(address.address))) return 'must not point to a private, loopback or link-local address';
  return undefined;
}
