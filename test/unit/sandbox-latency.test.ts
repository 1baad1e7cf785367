/**
 * The sandbox's latency model: each call type's delays follow its log-normal distribution (the
 * configured median and 99th percentile, within sampling error), and a seed repeats them.
 */
import { describe, expect, it } from 'vitest';
import { applyConfigPatch, DEFAULT_CONFIG, LatencySampler, parseConfigPatch, STRIPE_LATENCY } from '../../scripts/processor-sandbox/config.ts';

const draw = (count: number, spec: { medianMs: number; p99Ms: number }, seed: number) => {
  const sampler = new LatencySampler();
  return Array.from({ length: count }, () => sampler.sample(spec, seed));
};
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.floor((values.length * p) / 100)] ?? 0;

describe('the latency model', () => {
  it('draws a confirm around 800 ms at the median and 2.4 s at the 99th percentile', () => {
    const delays = draw(20_000, STRIPE_LATENCY.confirmPayment, 7);
    expect(percentile(delays, 50)).toBeGreaterThan(760);
    expect(percentile(delays, 50)).toBeLessThan(840);
    expect(percentile(delays, 99)).toBeGreaterThan(2_150);
    expect(percentile(delays, 99)).toBeLessThan(2_650);
    expect(Math.min(...delays)).toBeGreaterThan(0);
  });

  it('repeats its delays for the same seed, and a new seed restarts the sequence', () => {
    expect(draw(50, STRIPE_LATENCY.createPayment, 3)).toEqual(draw(50, STRIPE_LATENCY.createPayment, 3));
    expect(draw(50, STRIPE_LATENCY.createPayment, 3)).not.toEqual(draw(50, STRIPE_LATENCY.createPayment, 4));
  });

  it('answers a fixed delay when the median is the p99, and none for zero', () => {
    expect(new Set(draw(100, { medianMs: 250, p99Ms: 250 }, 1))).toEqual(new Set([250]));
    expect(new Set(draw(100, { medianMs: 0, p99Ms: 0 }, 1))).toEqual(new Set([0]));
  });

  it('is Stripe-like by default, and a patch changes only the call types it names', () => {
    expect(DEFAULT_CONFIG.latency).toEqual(STRIPE_LATENCY);
    const patched = applyConfigPatch({ ...DEFAULT_CONFIG }, parseConfigPatch({ latency: { retrieve: { medianMs: 1, p99Ms: 2 } } }));
    expect(patched.latency).toEqual({ ...STRIPE_LATENCY, retrieve: { medianMs: 1, p99Ms: 2 } });
  });
});
