import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chargeObjectSchema } from '#domain/api-schemas.ts';
import { toChargeObject } from '#domain/charge.ts';
import { openApiJson } from '../../scripts/openapi/document.ts';

describe('openapi.json', () => {
  it('is current: regenerate it with `npm run openapi` when a schema changes', () => {
    expect(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')).toBe(openApiJson());
  });

  it('describes the charge object the handlers actually return', () => {
    const object = toChargeObject({
      id: 'ch_0123456789ABCDEFGHIJkl',
      merchantId: 'mer_acme',
      status: 'succeeded',
      amount: 100,
      currency: 'usd',
      paymentMethod: 'pm_card_visa',
      description: null,
      metadata: { a: 'b' },
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      failureCode: null,
      failureMessage: null,
      declineCode: null,
    });
    expect(chargeObjectSchema.safeParse(object).success).toBe(true);
  });
});
