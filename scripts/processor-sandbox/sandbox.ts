import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeApi, unrecognized } from './api.ts';
import { applyConfigPatch, DEFAULT_CONFIG, InvalidConfigError, parseConfigPatch, type ConfigPatch, type SandboxConfig } from './config.ts';
import { DisputeStore } from './dispute-store.ts';
import type { DisputeStatus } from './dispute.ts';
import { EventLog } from './events.ts';
import { readBody, sendJson } from './http.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { Ledger, type LedgerEntry } from './ledger.ts';
import { PaymentIntentStore } from './payment-intent-store.ts';
import type { ApiError } from './payment-intent.ts';
import { RefundStore } from './refund-store.ts';
import { StripeApiError } from './stripe-errors.ts';
import { Timers } from './timers.ts';
import { WebhookSender, type WebhookFaultRule, type WebhookTarget } from './webhooks.ts';

export type { CaptureEntry, DisputeEntry, LedgerEntry, RefundEntry, RefundFailureEntry } from './ledger.ts';
export { merchantShare } from './ledger.ts';
export type { CallType, ConfigPatch, LatencySpec, SandboxConfig } from './config.ts';
export { INSTANT_LATENCY, InvalidConfigError, STRIPE_LATENCY } from './config.ts';
export type { WebhookDelivery, WebhookFaultRule, WebhookTarget } from './webhooks.ts';
export { stripeSignatureHeader } from './webhooks.ts';

export interface ProcessorSandbox {
  url: string;
  /** A secret key the sandbox accepts: any `sk_` or `rk_` key, `_test_` or `_live_` (`livemode: true`), works; this is the documented default. */
  secretKey: string;
  /** Expires a key, as rolling it in Stripe's Dashboard does: requests with it are refused, 401 `api_key_expired`. */
  expireKey(key: string): void;
  /** Every movement of money (captures, refunds and their late failures, chargebacks), in that order. */
  ledger(): LedgerEntry[];
  /** Changes the timing while the sandbox runs and answers the whole configuration; throws {@link InvalidConfigError}. */
  configure(patch: ConfigPatch): SandboxConfig;
  /** Where events are sent from now on (`null`: nowhere), as registering an endpoint in Stripe's Dashboard does. */
  setWebhookTarget(target: WebhookTarget | null): void;
  /** Closes every connection (held ones too) and clears every timer. */
  stop(): Promise<void>;
}

export interface SandboxOptions extends ConfigPatch {
  port?: number;
  /** 127.0.0.1 unless containers must reach it (then 0.0.0.0). */
  host?: string;
  /** Where to send events, signed with the secret; none unless given (or set later). */
  webhook?: WebhookTarget;
}

export const SANDBOX_SECRET_KEY = 'sk_test_oncepay_sandbox';

/**
 * A card processor sandbox speaking the subset of Stripe's API that oncepay uses
 * (PaymentIntents: create, confirm, cancel, retrieve, search; Refunds: create, retrieve, list;
 * Events and Disputes: retrieve, list), at least as strictly as Stripe: its idempotency keys
 * (idempotency.ts: every answer of an endpoint that began is saved, 500s included), parameter
 * rules (params.ts, refund-params.ts), states (payment-intent-store.ts, refund-store.ts,
 * dispute-store.ts), search lag, public test tokens and fault tokens (test-cards.ts), and what
 * Stripe does on its own later: disputes, refunds failing after success. Every change is an
 * event (events.ts), sent signed to the configured endpoint (webhooks.ts). Money goes to a ledger
 * that tests read (ledger.ts).
 *
 * The control API (`/_sandbox/…`, no key needed): `GET health`; `GET ledger` → `{data,
 * processing}` (the movements, and how many payments, refunds and disputes may still move
 * money); `GET|POST config` (a JSON partial); `GET|POST webhook` (`{url, secret, enabled_events?}`,
 * or `{}` for none); `GET|POST|DELETE webhook_faults` (`{rules: [WebhookFaultRule]}`); `GET
 * webhook_deliveries`; `POST disputes/{id}/close` (`{"status": "won" | "lost" | "warning_closed"}`)
 * and `POST disputes/{id}/review`, as evidence and the issuer would.
 */
export async function startProcessorSandbox(options: SandboxOptions = {}): Promise<ProcessorSandbox> {
  const { port = 0, host = '127.0.0.1', webhook, ...timing } = options;
  // One object, changed in place: the stores and the API read it at each use.
  const config: SandboxConfig = applyConfigPatch({ ...DEFAULT_CONFIG }, parseConfigPatch(definedOnly(timing)));
  /** Takes `unknown` because `POST /_sandbox/config` passes whatever JSON it was sent. */
  const configure = (patch: unknown): SandboxConfig => {
    Object.assign(config, applyConfigPatch(config, parseConfigPatch(patch)));
    return { ...config, latency: { ...config.latency } };
  };
  const timers = new Timers();
  const ledger = new Ledger();
  const webhooks = new WebhookSender(timers, () => config, (object) => chargeOf(object));
  if (webhook) webhooks.setTarget(webhook);
  const events = new EventLog((event) => webhooks.send(event));
  // The stores refer to each other (a dispute fails pending refunds; a chargeback refuses refunds), through closures.
  const store = new PaymentIntentStore({
    timers,
    ledger,
    events,
    processingMs: () => config.processingMs,
    authorizationExpiryMs: () => config.authorizationExpiryMs,
    onDisputedCapture: (intent, behaviour) => disputes.scheduleFor(intent, behaviour),
  });
  const refunds: RefundStore = new RefundStore({ intents: store, ledger, timers, events, disputes: () => disputes, timing: () => config });
  const disputes: DisputeStore = new DisputeStore({ ledger, timers, events, refunds: () => refunds, timing: () => config });
  /** An object's oncepay charge: on its own metadata (intents, refunds), or its payment's (disputes). */
  const chargeOf = (object: Record<string, unknown>): string | null => {
    const own = (object['metadata'] as Record<string, string> | undefined)?.['oncepay_charge_id'];
    if (own) return own;
    const paymentIntent = object['payment_intent'];
    return typeof paymentIntent === 'string' ? (store.refundable(paymentIntent)?.intent.metadata['oncepay_charge_id'] ?? null) : null;
  };
  const expiredKeys = new Set<string>();
  const api = new StripeApi({ store, refunds, disputes, events, timers, config, expiredKeys, keys: new IdempotencyKeys(() => config.idempotencyKeyTtlMs) });
  let target: WebhookTarget | null = webhook ?? null;
  const setWebhookTarget = (next: WebhookTarget | null) => {
    target = next;
    webhooks.setTarget(next);
  };

  const handleControl = async (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /_sandbox/health') return sendJson(response, 200, { ok: true });
    if (route === 'GET /_sandbox/ledger') {
      return sendJson(response, 200, { data: ledger.all(), processing: store.processingCount() + refunds.pendingCount() + disputes.pendingCount() });
    }
    if (route === 'GET /_sandbox/config') return sendJson(response, 200, config);
    if (route === 'POST /_sandbox/config') return sendJson(response, 200, configure(parseJson(await readBody(request))));
    const shown = () => (target ? { url: target.url, enabled_events: target.enabledEvents ?? ['*'] } : {});
    if (route === 'GET /_sandbox/webhook') return sendJson(response, 200, shown());
    if (route === 'POST /_sandbox/webhook') {
      setWebhookTarget(parseWebhookTarget(parseJson(await readBody(request))));
      return sendJson(response, 200, shown());
    }
    if (route === 'GET /_sandbox/webhook_faults') return sendJson(response, 200, { rules: webhooks.faults() });
    if (route === 'POST /_sandbox/webhook_faults') {
      return sendJson(response, 200, { ids: webhooks.addFaults(parseFaultRules(parseJson(await readBody(request)))) });
    }
    if (route === 'DELETE /_sandbox/webhook_faults') {
      webhooks.clearFaults();
      return sendJson(response, 200, { rules: [] });
    }
    if (route === 'GET /_sandbox/webhook_deliveries') return sendJson(response, 200, { data: webhooks.deliveries() });
    const disputeMove = /^POST \/_sandbox\/disputes\/([^/]+)\/(close|review)$/.exec(route);
    if (disputeMove) {
      const id = disputeMove[1] ?? '';
      const current = disputes.retrieve(id);
      const to: DisputeStatus =
        disputeMove[2] === 'review' ? (current.status.startsWith('warning_') ? 'warning_under_review' : 'under_review') : closingStatus(parseJson(await readBody(request)));
      return sendJson(response, 200, disputes.move(id, to));
    }
    throw unrecognized(request.method ?? 'GET', url.pathname);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const handled = url.pathname.startsWith('/_sandbox/') ? handleControl(request, url, response) : api.handle(request, url, response);
    handled.catch((error: unknown) => sendError(response, errorAnswer(error)));
  });

  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secretKey: SANDBOX_SECRET_KEY,
    expireKey: (key) => void expiredKeys.add(key),
    ledger: () => ledger.all(),
    configure,
    setWebhookTarget,
    stop: () =>
      new Promise<void>((resolve) => {
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Any failure becomes an answer in Stripe's shape; an unexpected one is a 500, never a crash. */
function errorAnswer(error: unknown): { status: number; error: ApiError } {
  if (error instanceof StripeApiError) return error;
  if (error instanceof InvalidConfigError) return { status: 400, error: { type: 'invalid_request_error', message: error.message } };
  console.error('processor sandbox: unexpected failure', error);
  return { status: 500, error: { type: 'api_error', message: `Processor sandbox failure: ${(error as Error).message}` } };
}

function sendError(response: ServerResponse, { status, error }: { status: number; error: ApiError }): void {
  if (response.headersSent) return;
  sendJson(response, status, { error });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidConfigError('The body must be JSON.');
  }
}

function parseWebhookTarget(input: unknown): WebhookTarget | null {
  const given = (input ?? {}) as Record<string, unknown>;
  if (Object.keys(given).length === 0) return null;
  const { url, secret, enabled_events: enabledEvents } = given;
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new InvalidConfigError('"url" must be an http(s) URL.');
  if (typeof secret !== 'string' || !secret.startsWith('whsec_')) throw new InvalidConfigError('"secret" must be a signing secret, whsec_….');
  if (enabledEvents !== undefined && (!Array.isArray(enabledEvents) || enabledEvents.some((type) => typeof type !== 'string'))) {
    throw new InvalidConfigError('"enabled_events" must be a list of event types.');
  }
  return { url, secret, ...(enabledEvents ? { enabledEvents: enabledEvents as string[] } : {}) };
}

const FAULT_ACTIONS: ReadonlyArray<WebhookFaultRule['action']> = ['lose', 'duplicate', 'delay'];

function parseFaultRules(input: unknown): WebhookFaultRule[] {
  const rules = (input as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(rules)) throw new InvalidConfigError('The body must be {"rules": [...]}.');
  return rules.map((rule: Record<string, unknown>) => {
    if (!FAULT_ACTIONS.includes(rule['action'] as WebhookFaultRule['action'])) throw new InvalidConfigError(`"action" must be one of ${FAULT_ACTIONS.join(', ')}.`);
    for (const name of ['type', 'object', 'charge'] as const) if (rule[name] !== undefined && typeof rule[name] !== 'string') throw new InvalidConfigError(`"${name}" must be a string.`);
    for (const name of ['delayMs', 'times'] as const) {
      if (rule[name] !== undefined && (!Number.isInteger(rule[name]) || (rule[name] as number) < 0)) throw new InvalidConfigError(`"${name}" must be a whole number.`);
    }
    return rule as unknown as WebhookFaultRule;
  });
}

function closingStatus(input: unknown): DisputeStatus {
  const status = (input as { status?: unknown } | null)?.status;
  if (status !== 'won' && status !== 'lost' && status !== 'warning_closed') throw new InvalidConfigError('"status" must be won, lost or warning_closed.');
  return status;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
