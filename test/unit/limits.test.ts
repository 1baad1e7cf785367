/** What a stage sustains (`npm run limits`, the README's table), bound by bound, from its config. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chargeRateBounds } from '#infra/limits.ts';
import { stageConfig } from '#infra/stage-config.ts';

const byBound = (config: ReturnType<typeof stageConfig>) => Object.fromEntries(chargeRateBounds(config).map((bound) => [bound.bound, bound.chargesPerSecond]));

describe('the charge rate a stage sustains', () => {
  it('prod: about 30 charges/s, bound by the worker paced to Stripe’s 100 requests/s at three a charge', () => {
    const bounds = byBound(stageConfig('prod'));
    expect(bounds).toEqual({
      'Stripe’s request rate': 33,
      'the worker': 30,
      'the API throttle': 250,
      'the WAF, per client IP': 200,
      'create-charge’s reserved concurrency': 2000,
      'DynamoDB on demand, before it scales': 400,
    });
  });

  it('moves with the settings it names', () => {
    const config = stageConfig('prod');
    const raised = { ...config, processor: { ...config.processor, requestsPerSecond: 3_000 }, worker: { ...config.worker, maxConcurrency: 110 } };
    expect(byBound(raised)['Stripe’s request rate']).toBe(1_000);
    expect(byBound(raised)['the worker']).toBeGreaterThanOrEqual(900);
    expect(byBound({ ...config, api: { ...config.api, throttleRatePerSecond: 2_000 } })['the API throttle']).toBe(1_000);
  });
});

describe('the README', () => {
  it('shows prod’s bounds as npm run limits prints them', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const bound of chargeRateBounds(stageConfig('prod'))) {
      expect(readme).toContain(`| ${bound.bound} | ${bound.setting} | ${bound.chargesPerSecond} | ${bound.toRaise} |`);
    }
  });
});
