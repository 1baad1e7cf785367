import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chargeObjectSchema, disputeObjectSchema, eventObjectSchema, refundObjectSchema, webhookEndpointObjectSchema } from '#domain/api-schemas.ts';
import { toDisputeObject, type Dispute } from '#domain/dispute.ts';
import { chargeEvent, disputeEvents } from '#domain/event.ts';
import { toEndpointObject } from '#domain/webhook-endpoint.ts';
import { pendingCharge, toChargeObject } from '#domain/charge.ts';
import { toRefundObject } from '#domain/refund.ts';
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
      amountRefunded: 0,
      dispute: null,
    });
    expect(chargeObjectSchema.safeParse(object).success).toBe(true);
    expect(chargeObjectSchema.safeParse({ ...object, disputed: true, dispute: 'du_0123456789ABCDEFGHIJkl' }).success).toBe(true);
  });

  it('describes the dispute object, and the dispute events, the functions actually produce', () => {
    const dispute: Dispute = {
      id: 'du_0123456789ABCDEFGHIJkl',
      processorDisputeId: 'du_stripe',
      merchantId: 'mer_a',
      chargeId: 'ch_0123456789ABCDEFGHIJkl',
      amount: 500,
      currency: 'usd',
      reason: 'fraudulent',
      status: 'won',
      isChargeRefundable: false,
      evidenceDueBy: null,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_001_000,
    };
    expect(disputeObjectSchema.safeParse(toDisputeObject(dispute)).success).toBe(true);
    for (const event of disputeEvents(undefined, dispute)) expect(eventObjectSchema.safeParse(event).success, event.type).toBe(true);
  });

  it('describes the refund object the handlers actually return, in every status', () => {
    for (const status of ['pending', 'processing', 'succeeded', 'failed', 'canceled'] as const) {
      const object = toRefundObject({
        id: 're_0123456789ABCDEFGHIJkl',
        merchantId: 'mer_acme',
        chargeId: 'ch_0123456789ABCDEFGHIJkl',
        amount: 100,
        currency: 'usd',
        reason: null,
        metadata: {},
        status,
        createdAt: 1_700_000_000_000,
        updatedAt: 1_700_000_000_000,
        failureReason: status === 'failed' ? 'expired_or_canceled_card' : null,
      });
      expect(refundObjectSchema.safeParse(object).success, status).toBe(true);
    }
  });

  it('describes the events and endpoints the functions actually produce', () => {
    const charge = pendingCharge('ch_0123456789ABCDEFGHIJkl', 'mer_a', { amount: 500, currency: 'usd', paymentMethod: 'pm_card_visa', description: null, metadata: {} }, 1_700_000_000_000);
    const event = chargeEvent({ ...charge, status: 'processing' }, { ...charge, status: 'succeeded' });
    expect(eventObjectSchema.safeParse(event).success).toBe(true);
    const endpoint = { id: 'we_0123456789ABCDEFGHIJklmn', merchantId: 'mer_a', url: 'https://h.example.com/', enabledEvents: ['*'], status: 'enabled' as const, createdAt: 0, sealedSecret: 'sealed' };
    expect(webhookEndpointObjectSchema.safeParse(toEndpointObject(endpoint, 'whsec_x')).success).toBe(true);
    expect(webhookEndpointObjectSchema.safeParse(toEndpointObject(endpoint)).success).toBe(true);
  });
});
