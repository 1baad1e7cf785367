import type { IncomingMessage, ServerResponse } from 'node:http';
import { LatencySampler, type CallType, type SandboxConfig } from './config.ts';
import { parseDisputeList, type DisputeStore } from './dispute-store.ts';
import { createdRange, typesOf, type EventLog } from './events.ts';
import { decodeStripeForm, type FormObject } from './form-body.ts';
import { headerOf, readBody, send } from './http.ts';
import { paramsHash, type IdempotencyKeys, type KeyedRequest } from './idempotency.ts';
import { stripeId } from './ids.ts';
import { listLimit, parseCancel, parseCapture, parseConfirm, parseCreate, parseSearch, rejectUnknownQuery } from './params.ts';
import type { IntentResult, PaymentIntentStore } from './payment-intent-store.ts';
import { parseRefundCreate, parseRefundList } from './refund-params.ts';
import type { RefundResult, RefundStore } from './refund-store.ts';
import { invalidRequest, REFUSALS, StripeApiError } from './stripe-errors.ts';
import type { Timers } from './timers.ts';

export interface StripeApiDeps {
  store: PaymentIntentStore;
  refunds: RefundStore;
  disputes: DisputeStore;
  events: EventLog;
  keys: IdempotencyKeys;
  timers: Timers;
  /** Live: read at each request, so that a change applies at once. */
  config: Readonly<SandboxConfig>;
  /** Keys expired as rolling a key in Stripe's Dashboard expires the old one: refused with 401 `api_key_expired`. */
  expiredKeys: ReadonlySet<string>;
}

/** A Stripe API request, decoded. */
interface ApiRequest {
  /** The id in the path (`{intent}`, `{refund}`), if it has one. */
  id: string;
  params: FormObject;
  query: URLSearchParams;
  idempotencyKey: string | null;
  /** The key's mode: what it creates is in that mode (`livemode`). */
  livemode: boolean;
}

/**
 * One route: `parse` checks the parameters (a refusal there is saved for no key: the endpoint
 * never began), then `run` executes, synchronously, so the events it makes name its request.
 */
interface Endpoint<Params = unknown> {
  method: 'GET' | 'POST';
  /** Whose latency it takes. */
  call: CallType;
  path: RegExp;
  parse(request: ApiRequest): Params;
  run(params: Params, request: ApiRequest): { body: object; holdResponse?: 'once' | 'always' };
}

/** Keeps each route's parameter type while the table holds them all. */
const route = <Params>(endpoint: Endpoint<Params>): Endpoint => endpoint as Endpoint;

/** An endpoint's answer, serialized the moment it ran: what a key's replays repeat. */
interface Executed {
  status: number;
  body: string;
  holdResponse?: 'once' | 'always';
  /** False when the endpoint never began (bad parameters, a conflict): Stripe saves nothing for the key then. */
  began: boolean;
}

/**
 * The sandbox's Stripe API (`/v1/…`): authentication, routing, latency and idempotency keys
 * around the PaymentIntent, Refund, Event and Dispute endpoints. Errors are thrown as
 * {@link StripeApiError}s for the server to answer.
 */
export class StripeApi {
  private readonly endpoints: Endpoint[];

  constructor(private readonly deps: StripeApiDeps) {
    const { store, refunds, disputes, events, config } = deps;
    const intent = ({ intent, holdResponse }: IntentResult) => ({ body: intent, holdResponse });
    const refund = ({ refund, holdResponse }: RefundResult) => ({ body: refund, holdResponse });
    const nothingToParse = () => undefined;
    this.endpoints = [
      route({ method: 'POST', call: 'createPayment', path: /^\/v1\/payment_intents$/, parse: (request) => parseCreate(request.params), run: (params, request) => intent(store.create(params, request.idempotencyKey, request.livemode)) }),
      route({ method: 'GET', call: 'list', path: /^\/v1\/payment_intents\/search$/, parse: (request) => parseSearch(request.query), run: (params) => ({ body: search(store, params, config.searchLagMs) }) }),
      route({ method: 'GET', call: 'retrieve', path: /^\/v1\/payment_intents\/([^/]+)$/, parse: nothingToParse, run: (_params, request) => ({ body: store.retrieve(request.id) }) }),
      route({
        method: 'POST',
        call: 'confirmPayment',
        path: /^\/v1\/payment_intents\/([^/]+)\/confirm$/,
        parse: (request) => parseConfirm(request.params),
        run: (params, request) => intent(store.confirm(request.id, params, request.idempotencyKey)),
      }),
      route({
        method: 'POST',
        call: 'capturePayment',
        path: /^\/v1\/payment_intents\/([^/]+)\/capture$/,
        parse: (request) => parseCapture(request.params),
        run: (params, request) => intent(store.capture(request.id, params, request.idempotencyKey)),
      }),
      route({
        method: 'POST',
        call: 'cancelPayment',
        path: /^\/v1\/payment_intents\/([^/]+)\/cancel$/,
        parse: (request) => parseCancel(request.params),
        run: (params, request) => intent(store.cancel(request.id, params)),
      }),
      route({ method: 'POST', call: 'createRefund', path: /^\/v1\/refunds$/, parse: (request) => parseRefundCreate(request.params), run: (params, request) => refund(refunds.create(params, request.idempotencyKey)) }),
      route({ method: 'GET', call: 'list', path: /^\/v1\/refunds$/, parse: (request) => parseRefundList(request.query), run: (params) => ({ body: { object: 'list', ...refunds.list(params), url: '/v1/refunds' } }) }),
      route({ method: 'GET', call: 'retrieve', path: /^\/v1\/refunds\/([^/]+)$/, parse: nothingToParse, run: (_params, request) => ({ body: refunds.retrieve(request.id) }) }),
      route({ method: 'GET', call: 'list', path: /^\/v1\/events$/, parse: (request) => parseEventList(request.query), run: (params) => ({ body: { object: 'list', ...events.list(params), url: '/v1/events' } }) }),
      route({ method: 'GET', call: 'retrieve', path: /^\/v1\/events\/([^/]+)$/, parse: nothingToParse, run: (_params, request) => ({ body: events.retrieve(request.id) }) }),
      route({ method: 'GET', call: 'list', path: /^\/v1\/disputes$/, parse: (request) => parseDisputeList(request.query), run: (params) => ({ body: { object: 'list', ...disputes.list(params), url: '/v1/disputes' } }) }),
      route({ method: 'GET', call: 'retrieve', path: /^\/v1\/disputes\/([^/]+)$/, parse: nothingToParse, run: (_params, request) => ({ body: disputes.retrieve(request.id) }) }),
    ];
  }

  /** When the requests of the last second were admitted (the rate limiter's window). */
  private readonly admitted: number[] = [];

  async handle(request: IncomingMessage, url: URL, response: ServerResponse): Promise<void> {
    const requestId = stripeId('req');
    const livemode = checkAuthorization(headerOf(request, 'authorization'), this.deps.expiredKeys);
    this.admitOrRefuse();
    const method = request.method ?? 'GET';
    const { endpoint, id } = this.route(method, url.pathname);
    const apiRequest: ApiRequest = {
      id,
      params: decodeStripeForm(await readBody(request)),
      query: url.searchParams,
      idempotencyKey: headerOf(request, 'idempotency-key') ?? null,
      livemode,
    };
    if (method === 'POST' && apiRequest.idempotencyKey !== null) {
      const keyed = { key: apiRequest.idempotencyKey, endpoint: `${method} ${url.pathname}`, paramsHash: paramsHash(apiRequest.params) };
      return this.executeKeyed(endpoint, apiRequest, keyed, response, requestId);
    }
    answer(response, await this.execute(endpoint, apiRequest, requestId), requestId);
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

  private readonly latency = new LatencySampler();

  /** Runs an endpoint after its call type's latency (and the fixed delay); a Stripe error it throws is its answer. */
  private async execute(endpoint: Endpoint, request: ApiRequest, requestId: string): Promise<Executed> {
    const { config } = this.deps;
    await this.deps.timers.sleep(config.latencyMs + this.latency.sample(config.latency[endpoint.call], config.latencySeed));
    let params: unknown;
    try {
      params = endpoint.parse(request);
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return { status: error.status, body: JSON.stringify({ error: error.error }), began: false };
    }
    try {
      const { body, holdResponse } = this.deps.events.during({ id: requestId, idempotencyKey: request.idempotencyKey }, () => endpoint.run(params, request));
      return { status: 200, body: JSON.stringify(body), holdResponse, began: true };
    } catch (error) {
      if (!(error instanceof StripeApiError)) throw error;
      return { status: error.status, body: JSON.stringify({ error: error.error }), began: error.savedForKey };
    }
  }

  /**
   * A POST with a key runs at most once per key (see idempotency.ts). Stripe saves the answer of
   * every request whose endpoint began, whatever it was (a 400 about the object's state, a card
   * decline, a 500): a retry with the key gets it again for 24 hours. Parameter errors and
   * conflicts (409, 429) are saved for nothing: the endpoint never began.
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
      executed = await this.execute(endpoint, request, requestId);
    } catch (error) {
      keys.finish(keyed, null);
      throw error;
    }
    keys.finish(keyed, executed.began ? { ...executed, requestId, holdReplays: executed.holdResponse === 'always' } : null);
    answer(response, executed, requestId);
  }
}

/** `GET /v1/payment_intents/search`: the intents search sees now, which lags their creation. */
function search(store: PaymentIntentStore, { metadataKey, value, limit }: ReturnType<typeof parseSearch>, lagMs: number) {
  const matches = store.search(metadataKey, value, lagMs);
  // Pages are not modelled: `has_more` tells that there was more; no `next_page` leads there.
  return { object: 'search_result', data: matches.slice(0, limit), has_more: matches.length > limit, next_page: null, url: '/v1/payment_intents/search' };
}

/** `GET /v1/events`: `type` (one, or a `*` group) or `types` (up to 20), `created`, and the paging parameters. */
function parseEventList(query: URLSearchParams) {
  rejectUnknownQuery(query, ['type', 'types', 'created', 'limit', 'starting_after', 'ending_before']);
  const type = query.get('type');
  const types = typesOf(query);
  if (type !== null && types !== null) throw invalidRequest('You may pass either `type` or `types`, but not both.', { param: 'types' });
  const startingAfter = query.get('starting_after');
  const endingBefore = query.get('ending_before');
  if (startingAfter !== null && endingBefore !== null) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', { param: 'ending_before' });
  }
  return { type, types, created: createdRange(query), limit: listLimit(query), startingAfter, endingBefore };
}

/** Sends the answer, unless a timeout fault holds it: the client then times out. */
function answer(response: ServerResponse, executed: Executed, requestId: string): void {
  if (executed.holdResponse) return;
  send(response, executed.status, executed.body, requestId);
}

/**
 * Stripe's answer to a request without a secret (`sk_`) or restricted (`rk_`) key; the key's
 * mode otherwise (`true`: live). The sandbox takes keys of both modes, as an account does, and
 * what a live key creates says `livemode: true`; no money moves either way.
 */
function checkAuthorization(authorization: string | undefined, expiredKeys: ReadonlySet<string>): boolean {
  if (authorization === undefined) {
    throw new StripeApiError(401, {
      type: 'invalid_request_error',
      message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  }
  const key = /^Bearer (?:sk|rk)_(test|live)_\w+$/.exec(authorization);
  if (!key) {
    throw new StripeApiError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided: the processor sandbox accepts sk_test_, rk_test_, sk_live_ and rk_live_ keys.' });
  }
  const given = authorization.slice('Bearer '.length);
  if (expiredKeys.has(given)) {
    throw new StripeApiError(401, { type: 'invalid_request_error', code: 'api_key_expired', message: `Expired API Key provided: ${given.slice(0, 8)}${'*'.repeat(given.length - 12)}${given.slice(-4)}` });
  }
  return key[1] === 'live';
}

export function unrecognized(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). The processor sandbox serves /v1/payment_intents, /v1/refunds, /v1/events, /v1/disputes and /_sandbox/….`,
  });
}
