/**
 * The Stripe adapter against the processor sandbox: one test per row of docs/money-path.md's table
 * "The processor's answers" — each PaymentIntent status and each Stripe error class, and what
 * oncepay makes of it. Statuses the sandbox never produces for oncepay's calls
 * (`requires_capture`: oncepay captures automatically) are checked on Stripe's own fixture.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateOf, StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { ProcessorConfigurationError, ProcessorUnavailableError } from '#domain/errors.ts';
import type { PaymentRequest } from '#domain/ports.ts';
import { INSTANT_LATENCY, startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';
import { eventually } from '../support/eventually.ts';

let sandbox: ProcessorSandbox;
let processor: StripeCardProcessor;

beforeAll(async () => {
  // The account's rate limit has its own suite (processor-rate-limit.test.ts).
  sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, processingMs: 300, rateLimitPerSecond: 0 });
  processor = new StripeCardProcessor({ secretKey: sandbox.secretKey, keyOrigin: 'the test', mode: 'test', apiUrl: sandbox.url, timeoutMs: 500 });
});
afterAll(() => sandbox.stop());

const request = (paymentMethod: string, overrides: Partial<PaymentRequest> = {}): PaymentRequest => ({
  chargeId: `ch_${randomUUID().replace(/-/g, '').slice(0, 22)}`,
  merchantId: 'mer_test',
  amount: 4200,
  currency: 'usd',
  paymentMethod,
  description: null,
  ...overrides,
});

/** Creates the payment unconfirmed, as the worker does; returns its id and the keys to use. */
async function prepared(paymentMethod: string) {
  const payment = request(paymentMethod);
  const result = await processor.preparePayment(payment, `prepare_${payment.chargeId}`);
  if (result.kind !== 'prepared') throw new Error(`not prepared: ${result.code}`);
  return { paymentId: result.paymentId, chargeId: payment.chargeId, confirmKey: `confirm_${payment.chargeId}` };
}

const capturesOf = (chargeId: string) => sandbox.ledger().filter((entry) => entry.kind === 'capture' && entry.charge_id === chargeId);

/** Stripe's own PaymentIntent fixture (test/fixtures/stripe), with another status. */
function fixtureIntent(overrides: Partial<Stripe.PaymentIntent>): Stripe.PaymentIntent {
  const fixtures = JSON.parse(readFileSync(new URL('../fixtures/stripe/fixtures.json', import.meta.url), 'utf8')) as {
    resources: { payment_intent: Stripe.PaymentIntent };
  };
  return { ...fixtures.resources.payment_intent, ...overrides };
}

describe('PaymentIntent statuses', () => {
  it('requires_confirmation (created, never confirmed) → awaiting_confirmation; no money moved', async () => {
    const { paymentId, chargeId } = await prepared('pm_card_visa');
    expect(await processor.retrievePayment(paymentId)).toEqual({ kind: 'awaiting_confirmation', paymentId });
    expect(capturesOf(chargeId)).toHaveLength(0);
  });

  it('succeeded → succeeded, one capture, however often it is confirmed', async () => {
    const { paymentId, chargeId, confirmKey } = await prepared('pm_card_visa');
    expect(await processor.confirmPayment(paymentId, confirmKey)).toEqual({ kind: 'succeeded', paymentId });
    expect(await processor.confirmPayment(paymentId, confirmKey)).toEqual({ kind: 'succeeded', paymentId });
    // Another key (Stripe forgot the first): payment_intent_unexpected_state, answered by a retrieve.
    expect(await processor.confirmPayment(paymentId, `${confirmKey}_again`)).toEqual({ kind: 'succeeded', paymentId });
    expect(capturesOf(chargeId)).toHaveLength(1);
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
  ])('requires_payment_method after a decline (%s, a 402 card_error) → failed %s with decline_code %s', async (token, code, declineCode) => {
    const { paymentId, chargeId, confirmKey } = await prepared(token);
    const declined = await processor.confirmPayment(paymentId, confirmKey);
    expect(declined).toMatchObject({ kind: 'failed', paymentId, code, declineCode });
    expect(await processor.retrievePayment(paymentId)).toEqual(declined);
    expect(capturesOf(chargeId)).toHaveLength(0);
  });

  it('requires_action (3-D Secure, pm_card_authenticationRequired) → requires_authentication; cancelled → failed authentication_required', async () => {
    const { paymentId, chargeId, confirmKey } = await prepared('pm_card_authenticationRequired');
    expect(await processor.confirmPayment(paymentId, confirmKey)).toEqual({ kind: 'requires_authentication', paymentId });
    expect(await processor.cancelPayment(paymentId, `cancel_${paymentId}`, 'requires_authentication')).toMatchObject({
      kind: 'failed',
      code: 'authentication_required',
    });
    expect(await processor.retrievePayment(paymentId)).toMatchObject({ kind: 'failed', code: 'authentication_required' });
    expect(capturesOf(chargeId)).toHaveLength(0);
  });

  it('processing → not_final, then the processor’s decision', async () => {
    const { paymentId, chargeId, confirmKey } = await prepared('pm_sandbox_processingThenSucceeds');
    expect(await processor.confirmPayment(paymentId, confirmKey)).toEqual({ kind: 'not_final', paymentId, status: 'processing' });
    await eventually(() => processor.retrievePayment(paymentId), (state) => state.kind === 'succeeded', { timeoutMs: 5_000, what: 'the payment to settle' });
    expect(capturesOf(chargeId)).toHaveLength(1);
  });

  it('requires_capture → not_final (oncepay captures automatically; a person looks if one ever stays)', () => {
    expect(stateOf(fixtureIntent({ id: 'pi_x', status: 'requires_capture', last_payment_error: null }))).toEqual({
      kind: 'not_final',
      paymentId: 'pi_x',
      status: 'requires_capture',
    });
  });

  it('requires_payment_method without an error → not_final (never a decline without the processor saying so)', () => {
    expect(stateOf(fixtureIntent({ id: 'pi_x', status: 'requires_payment_method', last_payment_error: null }))).toMatchObject({ kind: 'not_final' });
  });

  it('canceled for another reason → failed payment_canceled (a canceled PaymentIntent moved no money)', async () => {
    const { paymentId } = await prepared('pm_card_visa');
    expect(await processor.cancelPayment(paymentId, `cancel_${paymentId}`, 'duplicate')).toMatchObject({ kind: 'failed', code: 'payment_canceled' });
  });
});

describe('Stripe errors', () => {
  it('400 on the charge’s own parameters when creating (an unknown payment method) → refused: final, nothing created', async () => {
    const payment = request('pm_card_unknown');
    expect(await processor.preparePayment(payment, `prepare_${payment.chargeId}`)).toMatchObject({ kind: 'refused', code: 'resource_missing' });
  });

  it('400 amount_too_small → refused', async () => {
    const payment = request('pm_card_visa', { amount: 49 });
    expect(await processor.preparePayment(payment, `prepare_${payment.chargeId}`)).toMatchObject({ kind: 'refused', code: 'amount_too_small' });
  });

  it('400 idempotency_error (a key reused with other parameters) → configuration error, not a decline', async () => {
    const payment = request('pm_card_visa');
    await processor.preparePayment(payment, `prepare_${payment.chargeId}`);
    await expect(processor.preparePayment({ ...payment, amount: 5000 }, `prepare_${payment.chargeId}`)).rejects.toBeInstanceOf(
      ProcessorConfigurationError,
    );
  });

  it('404 for a recorded payment id the processor does not know (another account or mode) → configuration error', async () => {
    await expect(processor.retrievePayment('pi_doesnotexist')).rejects.toBeInstanceOf(ProcessorConfigurationError);
  });

  it('401 api_key_expired (the old key after a rotation) → configuration error', async () => {
    const oldKey = `sk_test_${randomUUID().replace(/-/g, '')}`;
    sandbox.expireKey(oldKey);
    const expired = new StripeCardProcessor({ secretKey: oldKey, keyOrigin: 'the test', mode: 'test', apiUrl: sandbox.url, timeoutMs: 500 });
    const payment = request('pm_card_visa');
    await expect(expired.preparePayment(payment, `prepare_${payment.chargeId}`)).rejects.toThrow(/401 invalid_request_error\/api_key_expired/);
  });

  it('403 permission_error → configuration error; the next lookup answers', async () => {
    const { paymentId, confirmKey } = await prepared('pm_sandbox_lookupRejectedOnce');
    await expect(processor.confirmPayment(paymentId, confirmKey)).rejects.toBeInstanceOf(ProcessorUnavailableError); // captured, answer lost
    await expect(processor.retrievePayment(paymentId)).rejects.toBeInstanceOf(ProcessorConfigurationError);
    expect(await processor.retrievePayment(paymentId)).toEqual({ kind: 'succeeded', paymentId });
  });

  it.each(['pm_sandbox_rateLimitedOnce', 'pm_sandbox_lockTimeoutOnce'])('429 (%s) → transient; the retry with the same key succeeds once', async (token) => {
    const { paymentId, chargeId, confirmKey } = await prepared(token);
    await expect(processor.confirmPayment(paymentId, confirmKey)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect(capturesOf(chargeId)).toHaveLength(0);
    expect(await processor.confirmPayment(paymentId, confirmKey)).toEqual({ kind: 'succeeded', paymentId });
    expect(capturesOf(chargeId)).toHaveLength(1);
  });

  it('500 before anything happened → transient, its key spent (Stripe repeats the 500 for it); another key confirms once', async () => {
    const { paymentId, chargeId, confirmKey } = await prepared('pm_sandbox_error500BeforeCaptureOnce');
    const first = await processor.confirmPayment(paymentId, confirmKey).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ProcessorUnavailableError);
    expect((first as ProcessorUnavailableError).keySpent).toBe(true);
    await expect(processor.confirmPayment(paymentId, confirmKey)).rejects.toMatchObject({ keySpent: true });
    expect(capturesOf(chargeId)).toHaveLength(0);
    expect(await processor.confirmPayment(paymentId, `${confirmKey}_2`)).toEqual({ kind: 'succeeded', paymentId });
    expect(capturesOf(chargeId)).toHaveLength(1);
  });

  it('a timeout and a 429 leave the key unspent: the same key may be asked again', async () => {
    const { paymentId, confirmKey } = await prepared('pm_sandbox_rateLimitedOnce');
    await expect(processor.confirmPayment(paymentId, confirmKey)).rejects.toMatchObject({ keySpent: false });
    expect(await processor.confirmPayment(paymentId, confirmKey)).toEqual({ kind: 'succeeded', paymentId });
  });

  it('a timeout after the capture → transient (unknown outcome); a retrieve learns of the one capture', async () => {
    const { paymentId, chargeId, confirmKey } = await prepared('pm_sandbox_timeoutAfterCaptureOnce');
    await expect(processor.confirmPayment(paymentId, confirmKey)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect(capturesOf(chargeId)).toHaveLength(1);
    expect(await processor.retrievePayment(paymentId)).toEqual({ kind: 'succeeded', paymentId });
  });

  it('409 (the same key in flight) → transient', async () => {
    const slow = await startProcessorSandbox({ latency: INSTANT_LATENCY, latencyMs: 200 });
    try {
      const slowProcessor = new StripeCardProcessor({ secretKey: slow.secretKey, keyOrigin: 'the test', mode: 'test', apiUrl: slow.url, timeoutMs: 2000 });
      const payment = request('pm_card_visa');
      const outcomes = await Promise.allSettled([
        slowProcessor.preparePayment(payment, `prepare_${payment.chargeId}`),
        slowProcessor.preparePayment(payment, `prepare_${payment.chargeId}`),
      ]);
      expect(outcomes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ status: 'fulfilled' }),
          expect.objectContaining({ status: 'rejected', reason: expect.any(ProcessorUnavailableError) }),
        ]),
      );
    } finally {
      await slow.stop();
    }
  });

  it('a connection error (nothing listening) → transient', async () => {
    const gone = await startProcessorSandbox({ latency: INSTANT_LATENCY });
    const url = gone.url;
    await gone.stop();
    const unreachable = new StripeCardProcessor({ secretKey: sandbox.secretKey, keyOrigin: 'the test', mode: 'test', apiUrl: url, timeoutMs: 500 });
    await expect(unreachable.retrievePayment('pi_x')).rejects.toBeInstanceOf(ProcessorUnavailableError);
  });
});
