/**
 * oncepay's TypeScript client: `import { Oncepay } from 'oncepay/client'`. Exactly once from the
 * client's side too: every create carries an Idempotency-Key (yours, or a UUID made once per
 * logical call), every retry of that call reuses it with the same body, and the error a caller
 * finally gets says whether the outcome is unknown and which key finds it out. Runs on Node 22
 * and anywhere else with `fetch` and Web Crypto. Its types come from openapi.json
 * (`npm run client:types` writes openapi-types.ts).
 */
import { OncepayApiError, OncepayConnectionError, problemOf } from './errors.ts';
import type { components } from './openapi-types.ts';
import { DEFAULT_RETRY_POLICY, nextStep, type AttemptResult, type RetryPolicy } from './retry.ts';
import { constructEvent } from './webhooks.ts';

export { OncepayApiError, OncepayConnectionError, OncepayError, WebhookSignatureError, type Problem } from './errors.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.ts';
export type { WebhookEvent } from './webhooks.ts';

type Schemas = components['schemas'];
export type Charge = Schemas['Charge'];
export type CreateChargeParams = Schemas['CreateChargeRequest'];
export type Refund = Schemas['Refund'];
export type CreateRefundParams = Schemas['CreateRefundRequest'];
export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type CreateWebhookEndpointParams = Schemas['CreateWebhookEndpointRequest'];
export type RollWebhookEndpointSecretParams = Schemas['RollWebhookEndpointSecretRequest'];
export type Event = Schemas['Event'];
export type Dispute = Schemas['Dispute'];

/** A page of a list, as the API answers it. */
export interface Page<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url?: string;
}

/** Filters and paging of the list endpoints (`created[gte]` and the like as they are named in openapi.json). */
export type ListParams = Record<string, string | number | undefined>;

export interface OncepayOptions {
  /** The stage's API URL (`ApiUrl` output; `http://127.0.0.1:3000` for `npm start`). */
  baseUrl: string;
  retry?: Partial<RetryPolicy>;
  /** Each attempt's own timeout (ms): past it the attempt counts as a network error and is retried. */
  timeoutMs?: number;
  /** Injected for tests and other runtimes; the defaults are the global ones. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  newIdempotencyKey?: () => string;
}

export interface CreateOptions {
  /** Your key for this purchase; without one the client makes a UUID v4 for this call and reuses it on its retries. */
  idempotencyKey?: string;
}

/** The longest `Prefer: wait` the API honours (s). */
const MAX_WAIT_SECONDS = 20;
const FINAL_CHARGE = new Set(['succeeded', 'failed']);
const FINAL_REFUND = new Set(['succeeded', 'failed', 'canceled']);

interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  query?: ListParams;
  /** POSTs only: the key of this logical call, the same on every attempt. */
  idempotencyKey?: string | null;
  /** Whether asking again is safe: a GET, a DELETE, a POST with a key the server honours. Otherwise only a 429 is retried. */
  retrySafe: boolean;
  headers?: Record<string, string>;
}

export class Oncepay {
  readonly charges: {
    create(params: CreateChargeParams, options?: CreateOptions & { waitForOutcome?: number }): Promise<Charge>;
    retrieve(id: string, options?: { wait?: number }): Promise<Charge>;
    list(params?: ListParams): ListRequest<Charge>;
  };
  readonly refunds: {
    create(params: CreateRefundParams, options?: CreateOptions & { waitForOutcome?: number }): Promise<Refund>;
    retrieve(id: string, options?: { wait?: number }): Promise<Refund>;
    list(params?: ListParams): ListRequest<Refund>;
  };
  readonly webhookEndpoints: {
    create(params: CreateWebhookEndpointParams): Promise<WebhookEndpoint>;
    list(params?: ListParams): ListRequest<WebhookEndpoint>;
    delete(id: string): Promise<unknown>;
    rollSecret(id: string, params?: RollWebhookEndpointSecretParams, options?: CreateOptions): Promise<WebhookEndpoint>;
  };
  readonly events: { retrieve(id: string): Promise<Event>; list(params?: ListParams): ListRequest<Event> };
  readonly disputes: { retrieve(id: string): Promise<Dispute>; list(params?: ListParams): ListRequest<Dispute> };
  readonly webhooks = { constructEvent };

  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly newKey: () => string;
  private readonly timeoutMs: number;

  constructor(
    private readonly apiKey: string,
    options: OncepayOptions,
  ) {
    if (!apiKey) throw new TypeError('An API key (sk_… or rk_…) is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.newKey = options.newIdempotencyKey ?? (() => crypto.randomUUID());
    this.timeoutMs = options.timeoutMs ?? 30_000;

    const get = <T>(path: string, headers?: Record<string, string>) => this.request<T>({ method: 'GET', path, retrySafe: true, ...(headers ? { headers } : {}) });
    const list = <T>(path: string) => (params: ListParams = {}) =>
      new ListRequest<T>((query) => this.request<Page<T>>({ method: 'GET', path, query, retrySafe: true }), params);
    const create = <T>(path: string, body: unknown, options: CreateOptions = {}) =>
      this.request<T>({ method: 'POST', path, body, idempotencyKey: options.idempotencyKey ?? this.newKey(), retrySafe: true });
    const waiting = (wait: number | undefined) => (wait ? { Prefer: `wait=${Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.ceil(wait)))}` } : undefined);

    /** Charges and refunds alike: a create that may wait for the outcome, a read that may wait, a list. */
    const moneyOperations = <T extends { id: string; status: string }, P>(path: string, final: Set<string>) => {
      const retrieve = (id: string, options: { wait?: number } = {}) => get<T>(`${path}/${encodeURIComponent(id)}`, waiting(options.wait));
      return {
        create: async (params: P, options: CreateOptions & { waitForOutcome?: number } = {}) => {
          const created = await create<T>(path, params, options);
          return this.waitForFinal(created, options.waitForOutcome, final, (wait) => retrieve(created.id, { wait }));
        },
        retrieve,
        list: list<T>(path),
      };
    };
    this.charges = moneyOperations<Charge, CreateChargeParams>('/v1/charges', FINAL_CHARGE);
    this.refunds = moneyOperations<Refund, CreateRefundParams>('/v1/refunds', FINAL_REFUND);
    this.webhookEndpoints = {
      // The API takes no Idempotency-Key here: a lost answer is not retried (list the endpoints to see whether it was made).
      create: (params) => this.request<WebhookEndpoint>({ method: 'POST', path: '/v1/webhook_endpoints', body: params, retrySafe: false }),
      list: list<WebhookEndpoint>('/v1/webhook_endpoints'),
      delete: (id) => this.request<unknown>({ method: 'DELETE', path: `/v1/webhook_endpoints/${encodeURIComponent(id)}`, retrySafe: true }),
      rollSecret: (id, params = {}, options = {}) => create<WebhookEndpoint>(`/v1/webhook_endpoints/${encodeURIComponent(id)}/roll_secret`, params, options),
    };
    this.events = { retrieve: (id) => get<Event>(`/v1/events/${encodeURIComponent(id)}`), list: list<Event>('/v1/events') };
    this.disputes = { retrieve: (id) => get<Dispute>(`/v1/disputes/${encodeURIComponent(id)}`), list: list<Dispute>('/v1/disputes') };
  }

  /**
   * Reads with `Prefer: wait` until the object is final or `seconds` have passed; then the latest
   * state. The create has succeeded by then: a read that fails ends the wait with what is known
   * (never an error that would suggest creating again). A read answered early (the stage's
   * waiting reads are all taken, so it did not wait) is followed by a jittered pause, not at once.
   */
  private async waitForFinal<T extends { status: string }>(first: T, seconds: number | undefined, final: Set<string>, read: (wait: number) => Promise<T>): Promise<T> {
    if (!seconds || seconds <= 0) return first;
    const until = this.now() + seconds * 1000;
    let latest = first;
    let pauseMs = this.policy.baseDelayMs;
    while (!final.has(latest.status)) {
      const left = (until - this.now()) / 1000;
      if (left <= 0) break;
      const asked = Math.min(MAX_WAIT_SECONDS, Math.ceil(left));
      const startedAt = this.now();
      try {
        latest = await read(left);
      } catch {
        return latest;
      }
      if (!final.has(latest.status) && this.now() - startedAt < (asked * 1000) / 2) {
        await this.sleep(Math.min(Math.floor(this.random() * pauseMs), Math.max(0, until - this.now())));
        pauseMs = Math.min(this.policy.maxDelayMs, pauseMs * 2);
      }
    }
    return latest;
  }

  /** One logical call: its attempts, with the same key and body, until an answer, or the policy stops. */
  private async request<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(`${this.baseUrl}${spec.path}`);
    for (const [name, value] of Object.entries(spec.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const key = spec.idempotencyKey ?? null;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(key === null ? {} : { 'Idempotency-Key': key }),
      ...spec.headers,
    };
    const startedAt = this.now();
    // Whether an earlier attempt may have been done (no answer, a 5xx, a 409): then no later refusal proves it was not.
    let uncertain = false;
    for (let retries = 0; ; retries += 1) {
      let result: AttemptResult;
      let answer: { status: number; text: string } | null = null;
      let failure: unknown = null;
      try {
        const response = await this.fetch(url, { method: spec.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(this.timeoutMs) });
        answer = { status: response.status, text: await response.text() };
        if (response.ok) return (answer.text === '' ? undefined : JSON.parse(answer.text)) as T;
        result = { kind: 'answer', status: response.status, retryAfter: response.headers.get('retry-after') };
      } catch (error) {
        failure = error;
        result = { kind: 'network_error' };
      }
      const retryable = spec.retrySafe || (result.kind === 'answer' && result.status === 429);
      const step = retryable ? nextStep(this.policy, result, retries, startedAt, this.now(), this.random) : { kind: 'stop' as const };
      if (step.kind === 'stop') {
        const earlierUncertain = spec.method !== 'GET' && uncertain;
        throw answer ? new OncepayApiError(answer.status, problemOf(answer.status, answer.text), key, earlierUncertain) : new OncepayConnectionError(failure, key, spec.method);
      }
      uncertain ||= result.kind === 'network_error' || result.status >= 500 || result.status === 409;
      await this.sleep(step.delayMs);
    }
  }
}

/**
 * A list call: `await` it for the first page, or iterate it (`for await`) for every item, page
 * after page by `starting_after`.
 */
export class ListRequest<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  constructor(
    private readonly fetchPage: (query: ListParams) => Promise<Page<T>>,
    private readonly params: ListParams,
  ) {}

  then<A = Page<T>, B = never>(onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.fetchPage(this.params).then(onFulfilled, onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let query = this.params;
    for (;;) {
      const page = await this.fetchPage(query);
      yield* page.data;
      const last = page.data.at(-1) as { id?: string } | undefined;
      if (!page.has_more || !last?.id) return;
      query = { ...this.params, starting_after: last.id };
    }
  }
}
