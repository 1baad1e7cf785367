import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeStripeForm, type FormValue } from './form-body.ts';
import { TEST_TOKENS, type Decline, type TokenBehaviour } from './test-cards.ts';

/** One capture: money really moved. Tests count these to prove "exactly once". */
export interface LedgerEntry {
  payment_intent: string;
  amount: number;
  currency: string;
  idempotency_key: string | null;
  /** From the PaymentIntent's metadata, where oncepay writes its ids. */
  charge_id: string | null;
  merchant_id: string | null;
  created: number;
}

export interface ProcessorSandbox {
  url: string;
  /** The secret key the sandbox accepts (any `sk_test_…` works; this one is the documented default). */
  secretKey: string;
  ledger(): LedgerEntry[];
  stop(): Promise<void>;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** How long creating a PaymentIntent takes, during which the key is in flight (409 to others). */
  latencyMs?: number;
}

export const SANDBOX_SECRET_KEY = 'sk_test_oncepay_sandbox';

interface SavedResult {
  fingerprint: string;
  status: number;
  body: string;
  behaviour: TokenBehaviour;
}

interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  capture_method: 'automatic';
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: null | { type: 'card_error'; code: string; decline_code: string; message: string };
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string;
  payment_method_types: string[];
  status: 'succeeded' | 'requires_payment_method';
}

class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body['message']));
  }
}

const randomId = (prefix: string) => {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return `${prefix}_${[...randomBytes(24)].map((byte) => alphabet[byte % 62]).join('')}`;
};

/**
 * A card processor sandbox speaking the subset of Stripe's PaymentIntents API that the
 * oncepay adapter uses, with Stripe's idempotency semantics:
 * - a key's first response (once the endpoint ran) is saved and replayed for the same
 *   parameters, with `Idempotent-Replayed: true`;
 * - the same key with other parameters → 400 `idempotency_error`;
 * - the same key while its first request runs → 409 `idempotency_error`;
 * - failures before the endpoint ran (the `error500BeforeCapture` faults) are not saved.
 */
export async function startProcessorSandbox(options: SandboxOptions = {}): Promise<ProcessorSandbox> {
  const saved = new Map<string, SavedResult>();
  const inFlight = new Set<string>();
  const attemptsByKey = new Map<string, number>();
  const intents = new Map<string, PaymentIntent>();
  const ledger: LedgerEntry[] = [];

  const createPaymentIntent = (params: Record<string, FormValue>, behaviour: TokenBehaviour, key: string | null) => {
    const amount = Number(params['amount']);
    const currency = String(params['currency'] ?? '');
    if (!Number.isSafeInteger(amount) || amount <= 0 || !/^[a-z]{3}$/.test(currency)) {
      throw new SandboxError(400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid_integer',
        message: 'Invalid amount or currency.',
      });
    }
    const metadata = (typeof params['metadata'] === 'object' ? params['metadata'] : {}) as Record<string, string>;
    const now = Math.floor(Date.now() / 1000);
    const intent: PaymentIntent = {
      id: randomId('pi'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      capture_method: 'automatic',
      confirmation_method: 'automatic',
      created: now,
      currency,
      description: typeof params['description'] === 'string' ? params['description'] : null,
      last_payment_error: null,
      latest_charge: randomId('ch'),
      livemode: false,
      metadata,
      payment_method: String(params['payment_method']),
      payment_method_types: ['card'],
      status: 'succeeded',
    };
    intents.set(intent.id, intent);
    if (behaviour.kind === 'decline') {
      intent.status = 'requires_payment_method';
      intent.last_payment_error = declineError(behaviour.decline);
      throw new SandboxError(402, {
        ...declineError(behaviour.decline),
        charge: intent.latest_charge,
        payment_intent: intent,
      });
    }
    intent.amount_received = amount;
    ledger.push({
      payment_intent: intent.id,
      amount,
      currency,
      idempotency_key: key,
      charge_id: metadata['oncepay_charge_id'] ?? null,
      merchant_id: metadata['oncepay_merchant_id'] ?? null,
      created: now,
    });
    return intent;
  };

  const handleCreate = async (request: IncomingMessage, response: ServerResponse) => {
    const params = decodeStripeForm(await readBody(request));
    const key = headerOf(request, 'idempotency-key') ?? null;
    const paymentMethod = String(params['payment_method'] ?? '');
    const behaviour = TEST_TOKENS[paymentMethod];
    const fingerprint = createHash('sha256').update(canonicalParams(params)).digest('hex');

    if (key !== null) {
      const previous = saved.get(key);
      if (previous && previous.fingerprint !== fingerprint) {
        return sendError(response, 400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      if (previous) {
        if (previous.behaviour.kind === 'timeoutAfterCapture' && previous.behaviour.times === 'always') return hold(response);
        return send(response, previous.status, previous.body, { 'Idempotent-Replayed': 'true' });
      }
      if (inFlight.has(key)) {
        return sendError(response, 409, {
          type: 'idempotency_error',
          code: 'idempotency_key_in_use',
          message: 'There is currently another in-progress request using this Idempotency-Key. Please try again later.',
        });
      }
    }

    const attempt = (attemptsByKey.get(key ?? '') ?? 0) + 1;
    if (key !== null) attemptsByKey.set(key, attempt);
    if (behaviour?.kind === 'error500BeforeCapture' && (behaviour.times === 'always' || attempt === 1)) {
      return sendError(response, 500, { type: 'api_error', message: 'An unexpected error occurred (sandbox fault).' });
    }

    if (key !== null) inFlight.add(key);
    let status: number;
    let body: string;
    try {
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs ?? 0));
      if (!behaviour) {
        throw new SandboxError(400, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'payment_method',
          message: `No such PaymentMethod: '${paymentMethod}'`,
        });
      }
      status = 200;
      body = JSON.stringify(createPaymentIntent(params, behaviour, key));
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      status = error.status;
      body = JSON.stringify({ error: error.body });
    } finally {
      if (key !== null) inFlight.delete(key);
    }
    if (key !== null) saved.set(key, { fingerprint, status, body, behaviour: behaviour ?? { kind: 'succeed' } });
    if (behaviour?.kind === 'timeoutAfterCapture') return hold(response);
    return send(response, status, body);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const route = `${request.method} ${url.pathname}`;
    void (async () => {
      if (route === 'GET /_sandbox/health') return send(response, 200, '{"ok":true}');
      if (route === 'GET /_sandbox/ledger') return send(response, 200, JSON.stringify({ data: ledger }));
      const authorization = headerOf(request, 'authorization') ?? '';
      if (!/^Bearer sk_test_\w+$/.test(authorization)) {
        return sendError(response, 401, { type: 'invalid_request_error', message: 'Invalid API Key provided.' });
      }
      if (route === 'POST /v1/payment_intents') return handleCreate(request, response);
      if (route === 'GET /v1/payment_intents/search') {
        // Stripe's search query language, reduced to the one clause oncepay uses.
        const clause = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(url.searchParams.get('query') ?? '');
        if (!clause) return sendError(response, 400, { type: 'invalid_request_error', message: 'Unsupported search query.' });
        const [, metadataKey = '', value] = clause;
        const data = [...intents.values()].filter((intent) => intent.metadata[metadataKey] === value);
        return send(response, 200, JSON.stringify({ object: 'search_result', data, has_more: false, next_page: null, url: '/v1/payment_intents/search' }));
      }
      const match = /^GET \/v1\/payment_intents\/(pi_\w+)$/.exec(route);
      const intent = match ? intents.get(match[1] ?? '') : undefined;
      if (intent) return send(response, 200, JSON.stringify(intent));
      return sendError(response, 404, { type: 'invalid_request_error', code: 'resource_missing', message: 'No such resource.' });
    })().catch((error: unknown) => {
      sendError(response, 500, { type: 'api_error', message: `Sandbox failure: ${(error as Error).message}` });
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secretKey: SANDBOX_SECRET_KEY,
    ledger: () => [...ledger],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function declineError(decline: Decline) {
  return { type: 'card_error' as const, code: decline.code, decline_code: decline.declineCode, message: decline.message };
}

/** Never answers: the caller's timeout fires, as when a response is lost after the capture. */
function hold(response: ServerResponse): void {
  response.on('close', () => response.destroy());
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function canonicalParams(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalParams).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalParams(value[key] as FormValue)}`)
    .join(',')}}`;
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Request-Id': randomId('req'),
    ...headers,
  });
  response.end(body);
}

function sendError(response: ServerResponse, status: number, error: Record<string, unknown>): void {
  send(response, status, JSON.stringify({ error }));
}
