import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { createChargeHandler } from '#handlers/create-charge.ts';
import { apiClient } from '../support/api-client.ts';
import { FIXTURE_API_KEY, inMemoryAuthenticator } from '../support/api-keys.ts';
import { itWithGatewayProblemBodies } from '../support/target.ts';

const acme = apiClient();
const visa = { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa' };

describe('every error is RFC 9457 problem+json with a stable type', () => {
  it('names unknown fields (no mass assignment of status, id, …)', async () => {
    const result = await acme.createCharge({ ...visa, status: 'succeeded', captured: true });
    expect(result.status).toBe(400);
    expect(result.headers.get('content-type')).toBe('application/problem+json');
    expect(result.json).toMatchObject({
      type: 'https://oncepay.dev/problems/validation-error',
      title: 'Invalid request',
      status: 400,
      errors: [
        { field: 'status', message: 'is not a known field' },
        { field: 'captured', message: 'is not a known field' },
      ],
    });
  });

  it('refuses an amount below the processor’s minimum for its currency, naming amount, before recording a charge', async () => {
    const key = `min-${Date.now()}`;
    const result = await acme.createCharge({ ...visa, amount: 49 }, { idempotencyKey: key });
    expect(result.status).toBe(400);
    expect(result.json['errors']).toEqual([{ field: 'amount', message: 'must be between 50 and 99999999 for usd' }]);
    // Not remembered: the client may fix the amount and retry the same key.
    expect((await acme.createCharge(visa, { idempotencyKey: key })).status).toBe(202);
  });

  it('rejects a card number anywhere in the request, without echoing it', async () => {
    const result = await acme.createCharge({ ...visa, metadata: { note: '4242424242424242' } });
    expect(result.status).toBe(400);
    expect(result.json['errors']).toEqual([{ field: 'metadata.note', message: expect.stringContaining('card number') }]);
    expect(result.text).not.toContain('4242424242424242');
  });

  it('answers malformed JSON with 400', async () => {
    const result = await acme.createCharge(undefined, { rawBody: '{"amount": 10,' });
    expect(result.status).toBe(400);
    expect(result.json['detail']).toBe('The body is not valid JSON.');
  });

  it('answers a non-JSON content type with 415', async () => {
    const result = await acme.createCharge(undefined, {
      rawBody: 'amount=10&currency=usd',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(result.status).toBe(415);
    expect(result.json['type']).toBe('https://oncepay.dev/problems/unsupported-media-type');
  });

  it('answers a body over 32 KiB with 413', async () => {
    const result = await acme.createCharge({ ...visa, description: 'x'.repeat(40_000) });
    expect(result.status).toBe(413);
    expect(result.json['type']).toBe('https://oncepay.dev/problems/payload-too-large');
  });

  it('answers an unknown route with 404', async () => {
    const response = await fetch(`${inject('apiUrl')}/v1/payouts`, { headers: { Authorization: 'Bearer sk_test_acme_local' } });
    expect(response.status).toBe(404);
  });

  itWithGatewayProblemBodies('answers an unknown route with a not-found problem+json body', async () => {
    const response = await fetch(`${inject('apiUrl')}/v1/payouts`, { headers: { Authorization: 'Bearer sk_test_acme_local' } });
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { type: string }).type).toBe('https://oncepay.dev/problems/not-found');
  });

  it('answers an unexpected failure with a generic 500 naming the request id, and nothing internal', async () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/events/post-charge.json', import.meta.url), 'utf8')) as APIGatewayProxyEvent;
    const handler = createChargeHandler({
      authenticate: inMemoryAuthenticator({ [FIXTURE_API_KEY]: 'mer_fixture' }).authenticate,
      createCharge: () => Promise.reject(new Error('ECONNRESET at 10.0.0.7 table=prod-charges')),
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    });
    const response = await handler(fixture, { awsRequestId: 'req-42' } as Context);
    expect(response.statusCode).toBe(500);
    expect(response.headers?.['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toEqual({
      type: 'https://oncepay.dev/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'The charge could not be recorded. Retry with the same Idempotency-Key.',
      request_id: 'req-42',
    });
  });
});
