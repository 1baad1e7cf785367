import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { ProcessorRejectedError, ProcessorUnavailableError } from '#domain/errors.ts';
import type { CaptureRequest } from '#domain/ports.ts';
import { startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';

describe('the Stripe adapter against the processor sandbox', () => {
  let sandbox: ProcessorSandbox;
  let processor: StripeCardProcessor;

  beforeAll(async () => {
    sandbox = await startProcessorSandbox();
    processor = new StripeCardProcessor({ secretKey: sandbox.secretKey, apiUrl: sandbox.url, timeoutMs: 500 });
  });
  afterAll(() => sandbox.stop());

  const request = (paymentMethod: string, overrides: Partial<CaptureRequest> = {}): CaptureRequest => {
    const chargeId = `ch_${randomUUID().replace(/-/g, '').slice(0, 22)}`;
    return {
      chargeId,
      merchantId: 'mer_test',
      idempotencyKey: `oncepay_${chargeId}`,
      amount: 4200,
      currency: 'usd',
      paymentMethod,
      description: null,
      ...overrides,
    };
  };
  const capturesOf = (chargeId: string) => sandbox.ledger().filter((entry) => entry.charge_id === chargeId);

  it.each(['pm_card_visa', 'pm_card_mastercard'])('captures with %s, once however often it is asked', async (token) => {
    const capture = request(token);
    const first = await processor.capture(capture);
    expect(first).toMatchObject({ kind: 'succeeded', paymentId: expect.stringMatching(/^pi_/) });
    expect(await processor.capture(capture)).toEqual(first);
    expect(capturesOf(capture.chargeId)).toHaveLength(1);
    expect(capturesOf(capture.chargeId)[0]).toMatchObject({ amount: 4200, currency: 'usd', idempotency_key: capture.idempotencyKey });
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'Your card was declined.'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'Your card has insufficient funds.'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'Your card has expired.'],
  ])('reports %s as a final decline (%s), and the same again on retry', async (token, code, message) => {
    const capture = request(token);
    const outcome = await processor.capture(capture);
    expect(outcome).toMatchObject({ kind: 'failed', code, message });
    expect(await processor.capture(capture)).toEqual(outcome);
    expect(capturesOf(capture.chargeId)).toHaveLength(0);
  });

  it('treats a 500 before capture as an unknown outcome, then succeeds on the retry with the same key', async () => {
    const capture = request('pm_sandbox_error500BeforeCaptureOnce');
    await expect(processor.capture(capture)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect(capturesOf(capture.chargeId)).toHaveLength(0);
    expect(await processor.capture(capture)).toMatchObject({ kind: 'succeeded' });
    expect(capturesOf(capture.chargeId)).toHaveLength(1);
  });

  it('treats a timeout after capture as an unknown outcome; the retry learns of the one capture', async () => {
    const capture = request('pm_sandbox_timeoutAfterCaptureOnce');
    await expect(processor.capture(capture)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect(capturesOf(capture.chargeId)).toHaveLength(1);
    expect(await processor.capture(capture)).toMatchObject({ kind: 'succeeded' });
    expect(capturesOf(capture.chargeId)).toHaveLength(1);
  });

  it('refuses the same processor key with other parameters (Stripe’s idempotency_error)', async () => {
    const capture = request('pm_card_visa');
    await processor.capture(capture);
    await expect(processor.capture({ ...capture, amount: 1 })).rejects.toBeInstanceOf(ProcessorRejectedError);
    expect(capturesOf(capture.chargeId)).toHaveLength(1);
  });

  it('fails an unknown payment method finally with resource_missing', async () => {
    expect(await processor.capture(request('pm_card_unknown'))).toMatchObject({ kind: 'failed', code: 'resource_missing' });
  });

  it('answers 409 to a request whose key is in flight, and the adapter treats that as retryable', async () => {
    const slow = await startProcessorSandbox({ latencyMs: 200 });
    try {
      const slowProcessor = new StripeCardProcessor({ secretKey: slow.secretKey, apiUrl: slow.url, timeoutMs: 2000 });
      const capture = request('pm_card_visa');
      // Both at once: whichever reaches the sandbox second finds the key in flight.
      const outcomes = await Promise.allSettled([slowProcessor.capture(capture), slowProcessor.capture(capture)]);
      expect(outcomes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ status: 'fulfilled', value: expect.objectContaining({ kind: 'succeeded' }) }),
          expect.objectContaining({ status: 'rejected', reason: expect.any(ProcessorUnavailableError) }),
        ]),
      );
      expect(slow.ledger()).toHaveLength(1);
    } finally {
      await slow.stop();
    }
  });

  it('keeps answering nothing for a key whose saved result is an "always" timeout', async () => {
    const capture = request('pm_sandbox_timeoutAfterCaptureAlways');
    await expect(processor.capture(capture)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    await expect(processor.capture(capture)).rejects.toBeInstanceOf(ProcessorUnavailableError);
    expect(capturesOf(capture.chargeId)).toHaveLength(1);
  });

  it('rejects a missing or non-test secret key', async () => {
    const response = await fetch(`${sandbox.url}/v1/payment_intents`, { method: 'POST', body: 'amount=1' });
    expect(response.status).toBe(401);
  });
});
