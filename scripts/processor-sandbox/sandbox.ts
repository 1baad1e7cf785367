import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StripeApi, unrecognized } from './api.ts';
import { DEFAULT_CONFIG, InvalidConfigError, parseConfigPatch, type SandboxConfig } from './config.ts';
import { readBody, sendJson } from './http.ts';
import { IdempotencyKeys } from './idempotency.ts';
import { Ledger, type LedgerEntry } from './ledger.ts';
import { PaymentIntentStore } from './payment-intent-store.ts';
import type { ApiError } from './payment-intent.ts';
import { RefundStore } from './refund-store.ts';
import { StripeApiError } from './stripe-errors.ts';
import { Timers } from './timers.ts';

export type { CaptureEntry, LedgerEntry, RefundEntry } from './ledger.ts';
export type { SandboxConfig } from './config.ts';
export { InvalidConfigError } from './config.ts';

export interface ProcessorSandbox {
  url: string;
  /** The secret key the sandbox accepts (any `sk_test_…` works; this one is the documented default). */
  secretKey: string;
  /** Every capture and refund whose money moved, in that order. */
  ledger(): LedgerEntry[];
  /** Changes the timing while the sandbox runs and answers the whole configuration; throws {@link InvalidConfigError}. */
  configure(patch: Partial<SandboxConfig>): SandboxConfig;
  /** Closes every connection (held ones too) and clears every timer. */
  stop(): Promise<void>;
}

export interface SandboxOptions extends Partial<SandboxConfig> {
  port?: number;
  /** 127.0.0.1 unless containers must reach it (then 0.0.0.0). */
  host?: string;
}

export const SANDBOX_SECRET_KEY = 'sk_test_oncepay_sandbox';

/**
 * A card processor sandbox speaking the subset of Stripe's API that oncepay uses
 * (PaymentIntents: create, confirm, cancel, retrieve, search; Refunds: create, retrieve, list),
 * at least as strictly as Stripe: its idempotency keys (idempotency.ts), parameter rules
 * (params.ts, refund-params.ts), states (payment-intent-store.ts, refund-store.ts), search lag,
 * public test tokens and fault tokens (test-cards.ts). Captures and refunds go to a ledger that
 * tests read (ledger.ts). The control API (`/_sandbox/…`, no key needed): `GET health`,
 * `GET ledger` → `{data, processing}` (captures and refunds, and how many payments and refunds
 * are still `processing` or `pending`: money that may yet move), `GET config`, `POST config`
 * with a JSON partial.
 */
export async function startProcessorSandbox(options: SandboxOptions = {}): Promise<ProcessorSandbox> {
  const { port = 0, host = '127.0.0.1', ...timing } = options;
  const config: SandboxConfig = { ...DEFAULT_CONFIG, ...parseConfigPatch(definedOnly(timing)) };
  /** Takes `unknown` because `POST /_sandbox/config` passes whatever JSON it was sent. */
  const configure = (patch: unknown): SandboxConfig => {
    Object.assign(config, parseConfigPatch(patch));
    return { ...config };
  };
  const timers = new Timers();
  const ledger = new Ledger();
  const processingMs = () => config.processingMs;
  const store = new PaymentIntentStore({ timers, ledger, processingMs });
  const refunds = new RefundStore({ intents: store, ledger, timers, processingMs });
  const api = new StripeApi({ store, refunds, timers, config, keys: new IdempotencyKeys(() => config.idempotencyKeyTtlMs) });

  const handleControl = async (request: IncomingMessage, url: URL, response: ServerResponse) => {
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /_sandbox/health') return sendJson(response, 200, { ok: true });
    if (route === 'GET /_sandbox/ledger') {
      return sendJson(response, 200, { data: ledger.all(), processing: store.processingCount() + refunds.pendingCount() });
    }
    if (route === 'GET /_sandbox/config') return sendJson(response, 200, config);
    if (route === 'POST /_sandbox/config') return sendJson(response, 200, configure(parseJson(await readBody(request))));
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
    ledger: () => ledger.all(),
    configure,
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

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
