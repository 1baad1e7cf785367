import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxConfig } from './config.ts';
import { decodeStripeForm, type FormObject } from './form-body.ts';
import { headerOf, readBody, send } from './http.ts';
import { paramsHash, type IdempotencyKeys, type KeyedRequest } from './idempotency.ts';
import { stripeId } from './ids.ts';
import { parseCancel, parseConfirm, parseCreate, parseSearch } from './params.ts';
import type { IntentResult, PaymentIntentStore } from './payment-intent-store.ts';
import { parseRefundCreate, parseRefundList } from './refund-params.ts';
import type { RefundResult, RefundStore } from './refund-store.ts';
import { REFUSALS, StripeApiError } from './stripe-errors.ts';
import type { Timers } from './timers.ts';

export interface StripeApiDeps {
  store: PaymentIntentStore;
  refunds: RefundStore;
  keys: IdempotencyKeys;
  timers: Timers;
  /** Live: read at each request, so that a change applies at once. */
  config: Readonly<SandboxConfig>;
}

/** A Stripe API request, decoded. */
interface ApiRequest {
  /** The id in the path (`{intent}`, `{refund}`), if it has one. */
  id: string;
  params: FormObject;
  query: URLSearchParams;
  idempotencyKey: string | null;
}

interface Endpoint {
  method: 'GET' | 'POST';
  path: RegExp;
  run(request: ApiRequest): { body: object; holdResponse?: 'once' | 'always' };
}

/** An endpoint's answer, serialized the moment it ran: what a key's replays repeat. */
interface Executed {
  status: number;
  body: string;
  holdResponse?: 'once' | 'always';
}

/**
 * The sandbox's Stripe API (`/v1/…`): authentication, routing, latency and idempotency keys
 * around the PaymentIntent and Refund endpoints. Errors are thrown as {@link StripeApiError}s
 * for the server to answer.
 */
export class StripeApi {
  private readonly endpoints: Endpoint[];

  constructor(private readonly deps: StripeApiDeps) {
    const { store, refunds, config } = deps;
    const intent = ({ intent, holdResponse }: IntentResult) => ({ body: intent, holdResponse });
    const refund = ({ refund, holdResponse }: RefundResult) => ({ body: refund, holdResponse });
    this.endpoints = [
      { method: 'POST', path: /^\/v1\/payment_intents$/, run: (request) => intent(store.create(parseCreate(request.params), request.idempotencyKey)) },
      { method: 'GET', path: /^\/v1\/payment_intents\/search$/, run: (request) => ({ body: search(store, request.query, config.searchLagMs) }) },
      { method: 'GET', path: /^\/v1\/payment_intents\/([^/]+)$/, run: (request) => ({ body: store.retrieve(request.id) }) },
      {
        method: 'POST',
        path: /^\/v1\/payment_intents\/([^/]+)\/confirm$/,
        run: (request) => intent(store.confirm(request.id, parseConfirm(request.params), request.idempotencyKey)),
      },
      {
        method: 'POST',
        path: /^\/v1\/payment_intents\/([^/]+)\/cancel$/,
        run: (request) => intent(store.cancel(request.id, parseCancel(request.params))),
      },
      { method: 'POST', path: /^\/v1\/refunds$/, run: (request) => refund(refunds.create(parseRefundCreate(request.params), request.idempotencyKey)) },
      { method: 'GET', path: /^\/v1\/refunds$/, run: (request) => ({ body: listRefunds(refunds, request.query) }) },
      { method: 'GET', path: /^\/v1\/refunds\/([^/]+)$/, run: (request) => ({ body: refunds.retrieve(request.id) }) },
    ];
  }

  /** When the requests of the last second were admitted (the rate limiter's window). */
  private readonly admitted: number[] = [];

  async handle(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    const requestId = stripeId('req');
    checkAuthorization(headerOf(request, 'authorization'));
    this.admitOrRefuse();
    const method = request.method ?? 'GET';
    const { endpoint, id } = this.route(method, url.pathname);
    const apiRequest: ApiRequest = {
      id,
      params: decodeStripeForm(await readBody(request)),
      query: url.searchParams,
      idempotencyKey: headerOf(request, 'idempotency-key') ?? null,
    };
    if (method === 'POST' && apiRequest.idempotencyKey !== null) {
      const keyed = { key: apiRequest.idempotencyKey, endpoint: `${method} ${url.pathname}`, paramsHash: paramsHash(apiRequest.params) };
      return this.executeKeyed(endpoint, apiRequest, keyed, response, requestId);
    }
    answer(response, await this.execute(endpoint, apiRequest), requestId);
  }

  /** Stripe's rate limiter: past `rateLimitPerSecond` requests in a second, 429 `rate_limit` (nothing runs). */
  private admitOrRefuse(): void {
    const limit = this.deps.config.rateLimitPerSecond;
    if (limit === 0) return;
    const now = performance.now();
    while (this.admitted.length > 0 && (this.admitted[0] ?? 0) <= now - 1000) this.admitted.shift();
    if (this.admitted.length >= limit) throw REFUSALS.rate_limit();
    this.admitted.push(now);
  }

  private route(method: string, path: string): { endpoint: Endpoint; id: string } {
    for (const endpoint of this.endpoints) {
      const match = endpoint.method === method ? endpoint.path.exec(path) : null;
      if (match) return { endpoint, id: match[1] ?? '' };
    }
    throw unrecognized(method, path);
  }

  /** Runs an endpoint after the configured latency; a Stripe error it throws is its answer. */
  private async execute(endpoint: Endpoint, request: ApiRequest): Promise<Executed> {
    await this.deps.timers.sleep(this.deps.config.latencyMs);
    try {
      const { body, holdResponse } = endpoint.run(request);
      return { status: 200, body: JSON.stringify(body), holdResponse };
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return { status: error.status, body: JSON.stringify({ error: error.error }) };
    }
  }

  /**
   * A POST with a key runs at most once per key (see idempotency.ts). Only answers of an
   * endpoint that ran are saved: successes and card declines; a parameter error, a 429 or a
   * 500 runs again on retry.
   */
  private async executeKeyed(endpoint: Endpoint, request: ApiRequest, keyed: KeyedRequest, response: ServerResponse, requestId: string) {
    const { keys } = this.deps;
    const replay = keys.replayFor(keyed);
    if (replay) {
      if (replay.holdReplays) return;
      return send(response, replay.status, replay.body, requestId, { 'Idempotent-Replayed': 'true', 'Original-Request': replay.requestId });
    }
    keys.start(keyed.key);
    let executed: Executed;
    try {
      executed = await this.execute(endpoint, request);
    } catch (error) {
      keys.finish(keyed, null);
      throw error;
    }
    const ran = executed.status === 200 || executed.status === 402;
    keys.finish(keyed, ran ? { ...executed, requestId, holdReplays: executed.holdResponse === 'always' } : null);
    answer(response, executed, requestId);
  }
}

/** `GET /v1/payment_intents/search`: the intents search sees now, which lags their creation. */
function search(store: PaymentIntentStore, query: URLSearchParams, lagMs: number) {
  const { metadataKey, value, limit } = parseSearch(query);
  const matches = store.search(metadataKey, value, lagMs);
  // Pages are not modelled: `has_more` tells that there was more; no `next_page` leads there.
  return { object: 'search_result', data: matches.slice(0, limit), has_more: matches.length > limit, next_page: null, url: '/v1/payment_intents/search' };
}

/** `GET /v1/refunds`: strongly consistent, unlike search; a refund is listed once its create ran. */
function listRefunds(refunds: RefundStore, query: URLSearchParams) {
  return { object: 'list', ...refunds.list(parseRefundList(query)), url: '/v1/refunds' };
}

/** Sends the answer, unless a timeout fault holds it: the client then times out. */
function answer(response: ServerResponse, executed: Executed, requestId: string): void {
  if (executed.holdResponse) return;
  send(response, executed.status, executed.body, requestId);
}

/** Stripe's answer to a request without a usable test-mode secret key. */
function checkAuthorization(authorization: string | undefined): void {
  if (authorization === undefined) {
    throw new StripeApiError(401, {
      type: 'invalid_request_error',
      message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  }
  if (!/^Bearer sk_test_\w+$/.test(authorization)) {
    throw new StripeApiError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided: the processor sandbox only accepts sk_test_ keys.' });
  }
}

export function unrecognized(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). The processor sandbox serves /v1/payment_intents, /v1/refunds and /_sandbox/{health,ledger,config}.`,
  });
}
