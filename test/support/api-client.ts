import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { expect, inject } from 'vitest';
import { eventually } from './eventually.ts';

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function call(path: string, init: RequestInit): Promise<HttpResult> {
  const response = await fetch(`${inject('apiUrl')}${path}`, init);
  const text = await response.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A client of the local HTTP API holding one merchant's secret key. */
export function apiClient(secretKey: string = inject('demoKeys').acme) {
  return {
    createCharge(body: unknown, options: { idempotencyKey?: string | null; headers?: Record<string, string>; rawBody?: string } = {}) {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${secretKey}`,
        ...options.headers,
      };
      if (options.idempotencyKey !== null) headers['Idempotency-Key'] = options.idempotencyKey ?? randomUUID();
      return call('/v1/charges', { method: 'POST', headers, body: options.rawBody ?? JSON.stringify(body) });
    },
    getCharge(id: string, headers: Record<string, string> = {}) {
      return call(`/v1/charges/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${secretKey}`, ...headers } });
    },
    createRefund(body: unknown, options: { idempotencyKey?: string | null; rawBody?: string } = {}) {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${secretKey}` };
      if (options.idempotencyKey !== null) headers['Idempotency-Key'] = options.idempotencyKey ?? randomUUID();
      return call('/v1/refunds', { method: 'POST', headers, body: options.rawBody ?? JSON.stringify(body) });
    },
    getRefund(id: string, headers: Record<string, string> = {}) {
      return call(`/v1/refunds/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${secretKey}`, ...headers } });
    },
    getEvent(id: string) {
      return call(`/v1/events/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${secretKey}` } });
    },
    getDispute(id: string) {
      return call(`/v1/disputes/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${secretKey}` } });
    },
    /** `GET /v1/charges`, `/v1/refunds`, `/v1/disputes` or `/v1/events` with these query parameters. */
    list(kind: 'charges' | 'refunds' | 'disputes' | 'events', parameters: Record<string, string> = {}) {
      const query = new URLSearchParams(parameters).toString();
      return call(`/v1/${kind}${query ? `?${query}` : ''}`, { headers: { Authorization: `Bearer ${secretKey}` } });
    },
    createWebhookEndpoint(body: unknown) {
      return call('/v1/webhook_endpoints', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secretKey}` }, body: JSON.stringify(body) });
    },
    /** `POST /v1/webhook_endpoints/{id}/roll_secret`; `idempotencyKey: null` sends none, `body: undefined` no body. */
    rollWebhookSecret(id: string, body: unknown, idempotencyKey: string | null = randomUUID()) {
      return call(`/v1/webhook_endpoints/${encodeURIComponent(id)}/roll_secret`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secretKey}`, ...(idempotencyKey === null ? {} : { 'Idempotency-Key': idempotencyKey }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    listWebhookEndpoints() {
      return call('/v1/webhook_endpoints', { headers: { Authorization: `Bearer ${secretKey}` } });
    },
    deleteWebhookEndpoint(id: string) {
      return call(`/v1/webhook_endpoints/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${secretKey}` } });
    },
    /** Polls the refund until it is `succeeded`, `failed` or `canceled`. */
    async awaitRefundFinal(id: string, timeoutMs = 10_000) {
      return eventually(
        () => this.getRefund(id),
        (result) => ['succeeded', 'failed', 'canceled'].includes(String(result.json['status'])),
        { timeoutMs, what: `refund ${id} to become final` },
      );
    },
    /** Polls the charge until it is `succeeded` or `failed`. */
    async awaitFinal(id: string, timeoutMs = 10_000) {
      return eventually(
        () => this.getCharge(id),
        (result) => result.json['status'] === 'succeeded' || result.json['status'] === 'failed',
        { timeoutMs, what: `charge ${id} to become final` },
      );
    },
  };
}

export interface LedgerEntry {
  kind: 'capture' | 'refund';
  payment_intent: string;
  amount: number;
  charge_id: string | null;
  /** On refund rows: oncepay's refund id, from the processor refund's metadata. */
  refund_id?: string | null;
  idempotency_key: string | null;
}

/** The processor sandbox's ledger rows of a charge: its real captures, or its real refunds. */
export async function ledgerFor(chargeId: string, kind: LedgerEntry['kind'] = 'capture'): Promise<LedgerEntry[]> {
  const response = await fetch(`${inject('sandboxUrl')}/_sandbox/ledger`);
  const { data } = (await response.json()) as { data: LedgerEntry[] };
  return data.filter((entry) => entry.charge_id === chargeId && entry.kind === kind);
}

/**
 * Asserts how many captures the processor made for a charge. On AWS the processor is Stripe,
 * whose ledger the suite cannot read, so there the status checks stand alone.
 */
export async function expectCaptures(chargeId: string, count: number): Promise<void> {
  if (!inject('capabilities').ledger) return;
  expect(await ledgerFor(chargeId)).toHaveLength(count);
}

/** An SQS client for the target: the emulator's endpoint locally, the default chain on AWS. */
export function targetSqsClient(): SQSClient {
  const endpoint = inject('endpoints').sqs;
  return new SQSClient({
    region: inject('region'),
    useQueueUrlAsEndpoint: false,
    ...(endpoint ? { endpoint, credentials: inject('credentials') } : {}),
  });
}
