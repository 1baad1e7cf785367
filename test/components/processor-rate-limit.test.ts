/**
 * The processor's account rate limit: the sandbox refuses requests past it with Stripe's 429
 * `rate_limit`, and oncepay's containers, each paced to its share, stay under it together.
 * The mutant (no pacing) is caught: the same load then meets 429s.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestPacer } from '#adapters/processor/request-pacer.ts';
import { StripeCardProcessor } from '#adapters/processor/stripe-card-processor.ts';
import { ProcessorUnavailableError } from '#domain/errors.ts';
import { INSTANT_LATENCY, startProcessorSandbox, type ProcessorSandbox } from '../../scripts/processor-sandbox/sandbox.ts';

describe('RequestPacer', () => {
  it('gives turns 1000/rate ms apart, in order of asking, and refuses (without taking) a turn past the longest wait', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const pacer = new RequestPacer(4, () => now, async (ms) => void slept.push(ms));
    expect(await pacer.turn(1_000)).toBe(0);
    expect(await pacer.turn(1_000)).toBe(250);
    expect(await pacer.turn(1_000)).toBe(500);
    expect(await pacer.turn(600)).toBeNull(); // would wait 750 ms
    expect(await pacer.turn(1_000)).toBe(750); // the refused turn was not taken
    now += 2_000;
    expect(await pacer.turn(0)).toBe(0);
    expect(slept).toEqual([250, 500, 750]);
  });
});

describe('the processor’s rate limit', () => {
  let sandbox: ProcessorSandbox;
  afterEach(() => sandbox.stop());

  it('the sandbox answers 429 rate_limit past rateLimitPerSecond, as Stripe does, and runs nothing', async () => {
    sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, rateLimitPerSecond: 5 });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${sandbox.url}/v1/payment_intents/pi_missing`, { headers: { Authorization: `Bearer ${sandbox.secretKey}` } })),
    );
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(3);
    expect(await refused[0]?.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'rate_limit' } });
  });

  /** Two worker containers (and an idle reconciler) sharing a 20 requests/s account, each sending 15 requests at once. */
  async function burstFromTwoContainers(paced: boolean): Promise<{ refused: number; counted: number }> {
    let counted = 0;
    sandbox = await startProcessorSandbox({ latency: INSTANT_LATENCY, rateLimitPerSecond: 0 });
    const setup = new StripeCardProcessor({ secretKey: sandbox.secretKey, keyOrigin: 'the test', mode: 'test', apiUrl: sandbox.url, timeoutMs: 5_000 });
    const created = await setup.preparePayment(
      { chargeId: `ch_${randomUUID().replace(/-/g, '')}`, merchantId: 'mer_rate', amount: 500, currency: 'usd', paymentMethod: 'pm_card_visa', description: null },
      randomUUID(),
    );
    if (created.kind !== 'prepared') throw new Error('not prepared');
    sandbox.configure({ rateLimitPerSecond: 20 }); // after the setup request, which the limit then does not count
    const containers = [0, 1].map(
      () =>
        new StripeCardProcessor({
          secretKey: sandbox.secretKey,
          keyOrigin: 'the test',
          mode: 'test',
          apiUrl: sandbox.url,
          timeoutMs: 5_000,
          onRateLimited: () => void (counted += 1),
          ...(paced ? { pacer: new RequestPacer(20 / 3) } : {}),
        }),
    );
    const results = await Promise.allSettled(
      containers.flatMap((container) => Array.from({ length: 15 }, () => container.retrievePayment(created.paymentId))),
    );
    const failures = results.filter((result) => result.status === 'rejected').map((result) => result.reason as unknown);
    for (const failure of failures) expect(failure).toBeInstanceOf(ProcessorUnavailableError);
    return { refused: failures.length, counted };
  }

  it('containers paced to their share of the limit are never refused', async () => {
    expect(await burstFromTwoContainers(true)).toEqual({ refused: 0, counted: 0 });
  });

  it('mutant: without pacing, the same burst meets the limit (429 → transient, retried later), and each 429 is counted for the alarm', async () => {
    const { refused, counted } = await burstFromTwoContainers(false);
    expect(refused).toBeGreaterThan(0);
    expect(counted).toBe(refused);
  });
});
