import { describe, expect, it } from 'vitest';
import {
  canReach,
  chargeIdFor,
  isTerminal,
  confirmKeyFor,
  prepareKeyFor,
  statusesLeadingTo,
  toChargeObject,
  type Charge,
  type ChargeStatus,
} from '#domain/charge.ts';

describe('charge state machine', () => {
  const allowed: Array<[ChargeStatus, ChargeStatus]> = [
    ['pending', 'processing'],
    ['processing', 'pending'],
    ['processing', 'succeeded'],
    ['processing', 'failed'],
  ];
  const statuses: ChargeStatus[] = ['pending', 'processing', 'succeeded', 'failed'];

  it.each(statuses.flatMap((from) => statuses.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    const direct = allowed.some(([a, b]) => a === from && b === to);
    expect(statusesLeadingTo(to).includes(from)).toBe(direct);
    // Reachable in one or more steps: open charges can reach anything, terminal ones nothing.
    expect(canReach(from, to)).toBe(!isTerminal(from));
  });

  it('has exactly the terminal states succeeded and failed', () => {
    expect(statuses.filter(isTerminal)).toEqual(['succeeded', 'failed']);
  });

  it('names the single status each worker write starts from', () => {
    expect(statusesLeadingTo('processing')).toEqual(['pending']);
    expect(statusesLeadingTo('succeeded')).toEqual(['processing']);
    expect(statusesLeadingTo('failed')).toEqual(['processing']);
  });
});

describe('charge ids', () => {
  it('are deterministic per (merchant, key, generation) and Stripe-shaped', () => {
    const id = chargeIdFor('mer_acme', 'key-1', 0);
    expect(id).toMatch(/^ch_[0-9A-Za-z]{22}$/);
    expect(chargeIdFor('mer_acme', 'key-1', 0)).toBe(id);
  });

  it('differ across merchants, keys and generations', () => {
    const ids = new Set([
      chargeIdFor('mer_acme', 'key-1', 0),
      chargeIdFor('mer_globex', 'key-1', 0),
      chargeIdFor('mer_acme', 'key-2', 0),
      chargeIdFor('mer_acme', 'key-1', 1),
    ]);
    expect(ids.size).toBe(4);
  });

  it('cannot be confused by separators inside merchant ids or keys', () => {
    expect(chargeIdFor('a', 'b\u0000c', 0)).not.toBe(chargeIdFor('a\u0000b', 'c', 0));
  });

  it('give processor idempotency keys that depend on the charge and the attempt alone, one per endpoint', () => {
    expect([prepareKeyFor('ch_x', 1), confirmKeyFor('ch_x', 1)]).toEqual(['oncepay_ch_x_prepare', 'oncepay_ch_x_confirm']);
    expect([prepareKeyFor('ch_x', 2), confirmKeyFor('ch_x', 3)]).toEqual(['oncepay_ch_x_prepare_2', 'oncepay_ch_x_confirm_3']);
  });
});

describe('public charge object', () => {
  it('uses snake_case, epoch seconds and a fixed key order', () => {
    const charge: Charge = {
      id: 'ch_1',
      merchantId: 'mer_acme',
      status: 'failed',
      amount: 500,
      currency: 'eur',
      paymentMethod: 'pm_card_chargeDeclined',
      description: null,
      metadata: {},
      createdAt: 1_700_000_000_999,
      updatedAt: 1_700_000_001_000,
      failureCode: 'card_declined',
      failureMessage: 'Your card was declined.',
      declineCode: 'generic_decline',
      amountRefunded: 0,
      dispute: null,
    };
    const object = toChargeObject(charge);
    expect(Object.keys(object)).toEqual([
      'id', 'object', 'status', 'amount', 'currency', 'payment_method', 'description', 'metadata',
      'created', 'updated', 'failure_code', 'failure_message', 'decline_code', 'amount_refunded', 'refunded', 'disputed', 'dispute',
    ]);
    expect(object).toMatchObject({ created: 1_700_000_000, updated: 1_700_000_001, object: 'charge' });
    expect(object).not.toHaveProperty('merchantId');
  });
});
