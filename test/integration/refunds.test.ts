/**
 * Refunds and lists through the HTTP API, end to end: the functions, the table, the queue, the
 * worker and the processor sandbox (its Stripe Refunds, fault tokens and ledger).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { apiClient, ledgerFor } from '../support/api-client.ts';
import { itWithSandboxTokens } from '../support/target.ts';

const acme = apiClient();
const globex = apiClient(inject('demoKeys').globex);

/** A succeeded charge of `amount` paid with `paymentMethod`. */
async function succeededCharge(amount = 2000, paymentMethod = 'pm_card_visa', client = acme): Promise<string> {
  const created = await client.createCharge({ amount, currency: 'usd', payment_method: paymentMethod });
  const id = String(created.json['id']);
  const final = await client.awaitFinal(id);
  expect(final.json['status']).toBe('succeeded');
  return id;
}

describe('POST /v1/refunds', () => {
  it('refunds part, then the rest; refuses more; the charge shows what was refunded; the processor refunded exactly that', async () => {
    const chargeId = await succeededCharge(2000);
    const partial = await acme.createRefund({ charge: chargeId, amount: 500, reason: 'requested_by_customer', metadata: { ticket: 'T-1' } });
    expect(partial.status).toBe(202);
    expect(partial.json).toMatchObject({ object: 'refund', charge: chargeId, amount: 500, currency: 'usd', status: 'pending', reason: 'requested_by_customer', metadata: { ticket: 'T-1' } });
    const partialId = String(partial.json['id']);
    expect(partialId).toMatch(/^re_[0-9A-Za-z]{22}$/);
    expect(partial.headers.get('location')).toBe(`/v1/refunds/${partialId}`);
    expect((await acme.awaitRefundFinal(partialId)).json).toMatchObject({ status: 'succeeded', failure_reason: null });
    expect((await acme.getCharge(chargeId)).json).toMatchObject({ amount_refunded: 500, refunded: false });

    const tooMuch = await acme.createRefund({ charge: chargeId, amount: 1501 });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.headers.get('content-type')).toBe('application/problem+json');
    expect(tooMuch.json).toMatchObject({ type: 'https://oncepay.dev/problems/validation-error', errors: [{ field: 'amount', message: 'must be at most 1500, what is left of the charge' }] });

    const rest = await acme.createRefund({ charge: chargeId });
    expect(rest.json).toMatchObject({ amount: 1500 });
    await acme.awaitRefundFinal(String(rest.json['id']));
    expect((await acme.getCharge(chargeId)).json).toMatchObject({ amount_refunded: 2000, refunded: true });
    const again = await acme.createRefund({ charge: chargeId });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ type: 'https://oncepay.dev/problems/charge-not-refundable', charge: chargeId });

    const refunds = await ledgerFor(chargeId, 'refund');
    expect(refunds.map((row) => [row.refund_id, row.amount]).sort()).toEqual([[partialId, 500], [String(rest.json['id']), 1500]].sort());
  });

  it('replays a refund key byte for byte, answers 422 naming the changed field, and never refunds twice', async () => {
    const chargeId = await succeededCharge(1200);
    const key = randomUUID();
    const first = await acme.createRefund({ charge: chargeId, amount: 300 }, { idempotencyKey: key });
    const replay = await acme.createRefund(undefined, { idempotencyKey: key, rawBody: `{ "amount": 300, "charge": "${chargeId}" }` });
    expect(replay.status).toBe(202);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const changed = await acme.createRefund({ charge: chargeId, amount: 301 }, { idempotencyKey: key });
    expect(changed.status).toBe(422);
    expect(changed.json).toMatchObject({ differing_fields: ['amount'] });
    await acme.awaitRefundFinal(String(first.json['id']));
    expect(await ledgerFor(chargeId, 'refund')).toHaveLength(1);
  });

  it('refuses a charge that is not succeeded, another merchant’s charge, and bad bodies, with problem+json', async () => {
    const declined = await acme.createCharge({ amount: 900, currency: 'usd', payment_method: 'pm_card_chargeDeclined' });
    await acme.awaitFinal(String(declined.json['id']));
    const notRefundable = await acme.createRefund({ charge: declined.json['id'] });
    expect(notRefundable.status).toBe(400);
    expect(notRefundable.json).toMatchObject({ type: 'https://oncepay.dev/problems/charge-not-refundable' });

    const theirs = await succeededCharge(900, 'pm_card_visa', globex);
    const foreign = await acme.createRefund({ charge: theirs });
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ type: 'https://oncepay.dev/problems/not-found', detail: `No such charge: '${theirs}'` });
    expect((await globex.getCharge(theirs)).json).toMatchObject({ amount_refunded: 0 });

    const invalid = await acme.createRefund({ charge: 'ch_x', amount: 0, reason: 'because', status: 'succeeded' });
    expect(invalid.status).toBe(400);
    expect((invalid.json['errors'] as Array<{ field: string }>).map((error) => error.field).sort()).toEqual(['amount', 'charge', 'reason', 'status']);
    expect((await acme.createRefund({ charge: theirs }, { idempotencyKey: null })).status).toBe(400);
  });

  itWithSandboxTokens('a refund whose processor answer is lost is found, not made twice; one that fails at the processor gives its amount back', async () => {
    const lost = await succeededCharge(1000, 'pm_sandbox_refundTimeoutAfterSucceedingOnce');
    const lostRefund = await acme.createRefund({ charge: lost, amount: 400 });
    expect((await acme.awaitRefundFinal(String(lostRefund.json['id']), 20_000)).json['status']).toBe('succeeded');
    expect(await ledgerFor(lost, 'refund')).toHaveLength(1);

    const failing = await succeededCharge(1000, 'pm_sandbox_refundPendingThenFails');
    const failingRefund = await acme.createRefund({ charge: failing });
    expect((await acme.getCharge(failing)).json).toMatchObject({ amount_refunded: 1000, refunded: true });
    const final = await acme.awaitRefundFinal(String(failingRefund.json['id']), 20_000);
    expect(final.json).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect((await acme.getCharge(failing)).json).toMatchObject({ amount_refunded: 0, refunded: false });
    expect(await ledgerFor(failing, 'refund')).toHaveLength(0);
  }, 60_000);
});

describe('lists', () => {
  it('GET /v1/refunds?charge= lists a charge’s refunds newest first; GET /v1/refunds/{id} is the merchant’s only', async () => {
    const chargeId = await succeededCharge(3000);
    const ids: string[] = [];
    for (const amount of [100, 200, 300]) ids.push(String((await acme.createRefund({ charge: chargeId, amount })).json['id']));
    const listed = await acme.list('refunds', { charge: chargeId });
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ object: 'list', has_more: false, url: '/v1/refunds' });
    expect((listed.json['data'] as Array<{ id: string }>).map((refund) => refund.id)).toEqual([...ids].reverse());
    const page = await acme.list('refunds', { charge: chargeId, limit: '2' });
    expect(page.json).toMatchObject({ has_more: true });
    expect((await globex.getRefund(ids[0] ?? '')).status).toBe(404);
    expect((await globex.list('refunds', { charge: chargeId })).status).toBe(404);
  });

  it('GET /v1/charges pages newest first and filters by status; bad parameters are 400s naming them', async () => {
    const merchantCharges: string[] = [];
    for (let i = 0; i < 3; i += 1) merchantCharges.push(await succeededCharge(500 + i));
    const first = await acme.list('charges', { limit: '2' });
    expect(first.status).toBe(200);
    const firstIds = (first.json['data'] as Array<{ id: string }>).map((charge) => charge.id);
    expect(firstIds).toEqual([merchantCharges[2], merchantCharges[1]]);
    expect(first.json['has_more']).toBe(true);
    const next = await acme.list('charges', { limit: '1', starting_after: firstIds[1] ?? '' });
    expect((next.json['data'] as Array<{ id: string }>).map((charge) => charge.id)).toEqual([merchantCharges[0]]);
    const failed = await acme.list('charges', { status: 'failed', limit: '100' });
    expect((failed.json['data'] as Array<{ status: string }>).every((charge) => charge.status === 'failed')).toBe(true);
    const bad = await acme.list('charges', { limit: '101', colour: 'red', status: 'done' });
    expect(bad.status).toBe(400);
    expect((bad.json['errors'] as Array<{ field: string }>).map((error) => error.field).sort()).toEqual(['colour', 'limit', 'status']);
    const foreignCursor = await globex.list('charges', { starting_after: merchantCharges[0] ?? '' });
    expect(foreignCursor.status).toBe(400);
    expect(foreignCursor.json).toMatchObject({ errors: [{ field: 'starting_after' }] });
  });
});
