/**
 * How the Stripe adapter reads each refusal of a refund create, one row of docs/money-path.md's refund
 * table per case, through the official SDK against a stub that answers exactly that error (the
 * sandbox produces only some of them). Final refusals fail the refund (its amount goes back);
 * oncepay's own mistakes are configuration (alarmed, retried); anything else goes to a person.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINAL_REFUND_REFUSALS, StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { ProcessorConfigurationError, ProcessorUnavailableError } from '#domain/errors.ts';

let server: Server;
let processor: StripeCardProcessor;
let answer: { status: number; error: Record<string, unknown> } = { status: 400, error: {} };

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: answer.error })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  processor = new StripeCardProcessor({ secretKey: 'sk_test_stub', keyOrigin: 'the test', mode: 'test', apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 2_000 });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const create = () =>
  processor.createRefund({ refundId: 're_x', chargeId: 'ch_x', merchantId: 'mer_x', paymentId: 'pi_x', amount: 100, reason: null }, 'oncepay_re_x_refund');
const refusal = (status: number, code: string | undefined, type = 'invalid_request_error') => ({ status, error: { type, message: `refused (${code ?? 'no code'})`, ...(code ? { code } : {}) } });

describe('a refund create Stripe refuses', () => {
  it.each([...FINAL_REFUND_REFUSALS])('%s: final for the refund (failed with that reason; nothing moved)', async (code) => {
    answer = refusal(400, code);
    expect(await create()).toEqual({ kind: 'failed', processorRefundId: null, reason: code });
  });

  it.each([
    ['a code this code does not know', refusal(400, 'refund_some_new_rule')],
    ['no code ("does not have a successful charge to refund")', refusal(400, undefined)],
    ['a card error', refusal(402, 'card_declined', 'card_error')],
  ])('%s: refused, for a person to settle', async (_, stub) => {
    answer = stub;
    expect(await create()).toMatchObject({ kind: 'refused', code: stub.error['code'] ?? 'no_code' });
  });

  it.each([
    ['a payment id this account does not have', refusal(404, 'resource_missing')],
    ['a parameter oncepay built wrong', refusal(400, 'parameter_unknown')],
    ['the key reused with other parameters', refusal(400, undefined, 'idempotency_error')],
    ['a revoked key', { status: 401, error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }],
  ])('%s: oncepay’s configuration, never the refund’s', async (_, stub) => {
    answer = stub;
    await expect(create()).rejects.toBeInstanceOf(ProcessorConfigurationError);
  });

  it('a 500: transient, and its key spent; a 429: transient, the key still good', async () => {
    answer = { status: 500, error: { type: 'api_error', message: 'An unknown error occurred' } };
    await expect(create()).rejects.toMatchObject({ keySpent: true });
    answer = { status: 429, error: { type: 'invalid_request_error', code: 'lock_timeout', message: 'locked' } };
    const locked = await create().catch((error: unknown) => error);
    expect(locked).toBeInstanceOf(ProcessorUnavailableError);
    expect((locked as ProcessorUnavailableError).keySpent).toBe(false);
  });

  it.each([502, 503, 504])('a %i from in front of Stripe: transient, and the key kept (the request may still be running there)', async (status) => {
    answer = { status, error: { type: 'api_error', message: 'Bad gateway' } };
    const gateway = await create().catch((error: unknown) => error);
    expect(gateway).toBeInstanceOf(ProcessorUnavailableError);
    expect((gateway as ProcessorUnavailableError).keySpent).toBe(false);
  });
});
