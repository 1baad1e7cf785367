/**
 * The TypeScript client (`oncepay/client`) against the running stack: the example checkout, a
 * lost answer retried by the client, one key raced by 200 callers, and typed errors. Faults at
 * the client's side of the wire (a response lost after the API answered) are injected into the
 * client's `fetch`: the request reaches the API for real, only its answer is dropped.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { Oncepay, OncepayApiError } from 'oncepay/client';
import { DynamoDbMerchantStore } from '#adapters/dynamodb-merchant-store.ts';
import { generateApiKey, newStoredApiKey } from '#domain/api-key.ts';
import { chargeIdFor } from '#domain/charge.ts';
import { checkout } from '../../examples/checkout.ts';
import { expectCaptures } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { injectProxyFaults } from '../support/stack-control.ts';

const client = (options: Partial<ConstructorParameters<typeof Oncepay>[1]> = {}) =>
  new Oncepay(inject('demoKeys').acme, { baseUrl: inject('apiUrl'), retry: { baseDelayMs: 50, maxDelayMs: 500 }, ...options });

/** A fetch that lets the first `lost` requests through to the API and then throws away their answers. */
function losingAnswers(lost: number) {
  let calls = 0;
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    calls += 1;
    const response = await fetch(input, init);
    if (calls <= lost) {
      await response.arrayBuffer();
      throw new TypeError('fetch failed: the connection was reset after the request was sent');
    }
    return response;
  }) as typeof fetch;
  return { fetcher, calls: () => calls };
}

describe('oncepay/client on the stack', () => {
  it('runs the example checkout: one charge for the order, succeeded, found again by the same order', async () => {
    const oncepay = client();
    const order = { id: randomUUID(), amountCents: 2500, paymentMethod: 'pm_card_visa' };
    const charge = await checkout(oncepay, order);
    expect(charge).toMatchObject({ status: 'succeeded', amount: 2500, metadata: { order_id: order.id } });
    expect((await checkout(oncepay, order)).id).toBe(charge.id);
    await expectCaptures(charge.id, 1);
  });

  it('retries a lost answer with the same key: one charge', async () => {
    const { fetcher, calls } = losingAnswers(2);
    const charge = await client({ fetch: fetcher }).charges.create({ amount: 1200, currency: 'usd', payment_method: 'pm_card_visa' }, { waitForOutcome: 30 });
    expect(calls()).toBeGreaterThanOrEqual(3);
    expect(charge.status).toBe('succeeded');
    await expectCaptures(charge.id, 1);
  });

  it('200 concurrent creates with one key make one charge', async () => {
    const oncepay = client({ retry: { baseDelayMs: 100, maxDelayMs: 2_000, maxRetries: 10, deadlineMs: 50_000 } });
    const key = `race-${randomUUID()}`;
    const charges = await Promise.all(Array.from({ length: 200 }, () => oncepay.charges.create({ amount: 1300, currency: 'usd', payment_method: 'pm_card_visa' }, { idempotencyKey: key })));
    expect(new Set(charges.map((charge) => charge.id)).size).toBe(1);
    const charge = await oncepay.charges.retrieve(charges[0]?.id ?? '', { wait: 20 });
    expect(charge.status).toBe('succeeded');
    await expectCaptures(charge.id, 1);
  }, 120_000);

  it('throws typed errors: field errors, a reused key’s differing fields, an unknown object, a bad key', async () => {
    const oncepay = client();
    const invalid = await oncepay.charges.create({ amount: 10, currency: 'usd', payment_method: 'pm_card_visa' }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(OncepayApiError);
    expect(invalid).toMatchObject({ status: 400, code: 'validation-error', outcomeUnknown: false, fieldErrors: [{ field: 'amount', message: expect.any(String) }] });
    const key = randomUUID();
    await oncepay.charges.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' }, { idempotencyKey: key });
    await expect(oncepay.charges.create({ amount: 1001, currency: 'usd', payment_method: 'pm_card_visa' }, { idempotencyKey: key })).rejects.toMatchObject({
      status: 422,
      differingFields: ['amount'],
      idempotencyKey: key,
    });
    await expect(oncepay.charges.retrieve('ch_0000000000000000000000')).rejects.toMatchObject({ status: 404, code: 'not-found' });
    await expect(new Oncepay('sk_test_nobody', { baseUrl: inject('apiUrl') }).charges.list()).rejects.toMatchObject({ status: 401, outcomeUnknown: false });
  });

  it('throws typed errors for a refund the charge cannot take and a body too large', async () => {
    const oncepay = client();
    const declined = await oncepay.charges.create({ amount: 900, currency: 'usd', payment_method: 'pm_card_chargeDeclined' }, { waitForOutcome: 30 });
    expect(declined.status).toBe('failed');
    await expect(oncepay.refunds.create({ charge: declined.id })).rejects.toMatchObject({ status: 400, code: 'charge-not-refundable', outcomeUnknown: false });
    await expect(oncepay.charges.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', description: 'x'.repeat(40_000) })).rejects.toMatchObject({
      status: 413,
      code: 'payload-too-large',
      outcomeUnknown: false,
    });
  });

  it.skipIf(!inject('endpoints').dynamodb)('throws a typed error naming the scope a restricted key lacks', async () => {
    const restricted = generateApiKey('restricted', 'test');
    const dynamodb = new DynamoDBClient({ region: inject('region'), endpoint: inject('endpoints').dynamodb, credentials: inject('credentials') });
    await new DynamoDbMerchantStore(dynamodb, String(inject('outputs')['MerchantsTableName'])).createKey(newStoredApiKey(restricted, 'mer_acme', Date.now(), ['charges:read']));
    dynamodb.destroy();
    await expect(new Oncepay(restricted, { baseUrl: inject('apiUrl') }).charges.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' })).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
      missingScope: 'charges:write',
      outcomeUnknown: false,
    });
  });

  it('throws typed errors for a disputed charge and a body that is not JSON', async () => {
    const oncepay = client();
    const charge = await oncepay.charges.create({ amount: 2600, currency: 'usd', payment_method: 'pm_card_createDispute' }, { waitForOutcome: 30 });
    const disputed = await eventually(() => oncepay.charges.retrieve(charge.id), (read) => read.disputed === true, { timeoutMs: 20_000, what: 'the dispute on the charge' });
    await expect(oncepay.refunds.create({ charge: charge.id, amount: 100 })).rejects.toMatchObject({ status: 400, code: 'charge-disputed', outcomeUnknown: false, problem: { dispute: disputed.dispute } });

    // Something between the client and the API rewrites the body's type.
    const asText = (async (input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'Content-Type': 'text/plain' } })) as typeof fetch;
    await expect(client({ fetch: asText }).charges.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' })).rejects.toMatchObject({ status: 415, code: 'unsupported-media-type', outcomeUnknown: false });
  }, 60_000);

  it.skipIf(!inject('faultControlUrl'))('an internal error and a function that died after its write: outcome unknown, and the key the error names finds the one charge', async () => {
    const visa = { amount: 1700, currency: 'usd', payment_method: 'pm_card_visa' };
    const once = client({ retry: { maxRetries: 0 } });
    const patient = client({ retry: { maxRetries: 20, baseDelayMs: 200, maxDelayMs: 1_000, deadlineMs: 40_000 } });

    const failing = `internal-${randomUUID()}`;
    await injectProxyFaults({ target: 'dynamodb', operation: 'PutItem', bodyIncludes: [`CHARGE#${chargeIdFor('mer_acme', failing, 0)}`], action: 'error', times: 10 });
    const internal = (await once.charges.create(visa, { idempotencyKey: failing }).catch((error: unknown) => error)) as OncepayApiError;
    expect(internal).toMatchObject({ status: 500, code: 'internal-error', outcomeUnknown: true, idempotencyKey: failing });
    expect(internal.requestId).toEqual(expect.any(String));

    const dying = `died-${randomUUID()}`;
    // The charge is written, then its function hangs until Lambda ends it: API Gateway answers a 5xx of its own.
    await injectProxyFaults({ target: 'dynamodb', operation: 'PutItem', bodyIncludes: [`CHARGE#${chargeIdFor('mer_acme', dying, 0)}`], action: 'hold-response' });
    const died = (await once.charges.create(visa, { idempotencyKey: dying }).catch((error: unknown) => error)) as OncepayApiError;
    expect(died).toBeInstanceOf(OncepayApiError);
    expect(died).toMatchObject({ outcomeUnknown: true, idempotencyKey: dying });
    expect(died.status).toBeGreaterThanOrEqual(500);

    for (const error of [internal, died]) {
      const charge = await patient.charges.create(visa, { idempotencyKey: String(error.idempotencyKey), waitForOutcome: 30 });
      expect(charge.status).toBe('succeeded');
      await expectCaptures(charge.id, 1);
    }
  }, 90_000);

  it('lists every charge by following cursors', async () => {
    const oncepay = client();
    const created = new Set<string>();
    for (let index = 0; index < 5; index += 1) created.add((await oncepay.charges.create({ amount: 1500 + index, currency: 'usd', payment_method: 'pm_card_visa' })).id);
    expect((await oncepay.charges.list({ limit: 2 })).data).toHaveLength(2);
    // Newest first, two a page: the five just made come within the first pages (lists catch up within about a second).
    const seen = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const charge of oncepay.charges.list({ limit: 2 })) {
          ids.push(charge.id);
          if ([...created].every((id) => ids.includes(id)) || ids.length >= 200) break;
        }
        return ids;
      },
      (ids) => [...created].every((id) => ids.includes(id)),
      { what: 'the new charges in the list' },
    );
    expect(new Set(seen).size).toBe(seen.length);
  });
});
