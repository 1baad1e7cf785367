/**
 * openapi.json against the wire: real responses of the running stack, each checked with an
 * independent validator (ajv, not the zod schemas the document is generated from) against the
 * operation, status, content type, headers and body schema the document declares for it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { stripeSignatureHeader } from '../../scripts/processor-sandbox/sandbox.ts';
import { apiClient, type HttpResult } from '../support/api-client.ts';
import { itWithGatewayProblemBodies } from '../support/target.ts';

interface Operation {
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: object }> }>;
}
const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(document, 'openapi.json');

/** The path template a concrete path matches (`/v1/charges/ch_…` → `/v1/charges/{id}`). */
function templateOf(path: string): string {
  const segments = path.split('?')[0]!.split('/');
  const template = Object.keys(document.paths).find((candidate) => {
    const parts = candidate.split('/');
    return parts.length === segments.length && parts.every((part, index) => part.startsWith('{') || part === segments[index]);
  });
  if (!template) throw new Error(`openapi.json has no path for ${path}`);
  return template;
}

const checked: string[] = [];

/** Checks one real answer against the document; returns it for the test to go on with. */
function conforms(method: string, path: string, answer: HttpResult): HttpResult {
  const template = templateOf(path);
  const operation = document.paths[template]?.[method.toLowerCase()];
  expect(operation, `${method} ${template} is not in openapi.json`).toBeDefined();
  const declared = operation!.responses[String(answer.status)];
  expect(declared, `${method} ${template} answered ${answer.status}, which openapi.json does not declare: ${answer.text.slice(0, 200)}`).toBeDefined();
  for (const header of ['location', 'idempotent-replayed', 'preference-applied', 'vary']) {
    if (answer.headers.get(header) === null) continue;
    const names = Object.keys(declared!.headers ?? {}).map((name) => name.toLowerCase());
    expect(names, `${method} ${template} ${answer.status} sends ${header}, which is not declared`).toContain(header);
  }
  if (declared!.content) {
    const contentType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const media = declared!.content[contentType];
    expect(media, `${method} ${template} ${answer.status} is ${contentType}, declared: ${Object.keys(declared!.content).join(', ')}`).toBeDefined();
    const reference = (media!.schema as { $ref?: string }).$ref;
    const validate = ajv.compile(reference ? { $ref: `openapi.json${reference}` } : media!.schema);
    const body = JSON.parse(answer.text) as unknown;
    expect(validate(body), `${method} ${template} ${answer.status}: ${ajv.errorsText(validate.errors)}\n${answer.text.slice(0, 300)}`).toBe(true);
    if (contentType === 'application/problem+json') expect((body as { status?: unknown }).status).toBe(answer.status);
  }
  checked.push(`${method} ${template} ${answer.status}`);
  return answer;
}

describe('openapi.json matches the wire', () => {
  const acme = apiClient();
  const globex = apiClient(inject('demoKeys').globex);
  const visa = { amount: 1999, currency: 'usd', payment_method: 'pm_card_visa' };
  afterAll(() => {
    // What the walk-through produces, and more: at least 40 answers, every status the document names for charges.
    expect(checked.length).toBeGreaterThanOrEqual(40);
  });

  it('charges: created, replayed, read (waiting or not), listed, refused for every reason a client can give', async () => {
    const key = randomUUID();
    const created = conforms('POST', '/v1/charges', await acme.createCharge(visa, { idempotencyKey: key }));
    expect(created.status).toBe(202);
    const chargeId = String(created.json['id']);
    conforms('POST', '/v1/charges', await acme.createCharge(visa, { idempotencyKey: key }));
    conforms('POST', '/v1/charges', await acme.createCharge({ ...visa, amount: 2500 }, { idempotencyKey: key }));
    conforms('GET', `/v1/charges/${chargeId}`, await acme.getCharge(chargeId, { Prefer: 'wait=5' }));
    conforms('GET', `/v1/charges/${chargeId}`, await acme.getCharge(chargeId));
    conforms('GET', `/v1/charges/${chargeId}`, await globex.getCharge(chargeId));
    conforms('GET', '/v1/charges', await acme.list('charges', { limit: '2' }));
    conforms('GET', '/v1/charges', await acme.list('charges', { status: 'succeeded', limit: '1' }));
    conforms('GET', '/v1/charges', await acme.list('charges', { bogus: '1' }));
    conforms('POST', '/v1/charges', await acme.createCharge({ ...visa, amount: 0 }));
    conforms('POST', '/v1/charges', await acme.createCharge({ ...visa, amount: 1e20 }));
    conforms('POST', '/v1/charges', await acme.createCharge({ ...visa, status: 'succeeded' }));
    conforms('POST', '/v1/charges', await acme.createCharge(visa, { idempotencyKey: null }));
    conforms('POST', '/v1/charges', await acme.createCharge(visa, { rawBody: '{"amount":' }));
    conforms('POST', '/v1/charges', await acme.createCharge(visa, { headers: { 'Content-Type': 'text/plain' } }));
    conforms('POST', '/v1/charges', await acme.createCharge(visa, { rawBody: JSON.stringify({ ...visa, description: 'x'.repeat(40_000) }) }));
    conforms('POST', '/v1/charges', await apiClient('sk_test_not_a_key').createCharge(visa));
    conforms('GET', '/v1/charges/ch_0000000000000000000000', await apiClient('sk_test_not_a_key').getCharge('ch_0000000000000000000000'));
    const declined = conforms('POST', '/v1/charges', await acme.createCharge({ ...visa, payment_method: 'pm_card_chargeDeclined' }));
    conforms('GET', `/v1/charges/${String(declined.json['id'])}`, await acme.getCharge(String(declined.json['id']), { Prefer: 'wait=5' }));
  });

  it('refunds: created, replayed, read, listed, refused', async () => {
    const created = await acme.createCharge(visa);
    const chargeId = String(created.json['id']);
    await acme.awaitFinal(chargeId);
    const key = randomUUID();
    const refund = conforms('POST', '/v1/refunds', await acme.createRefund({ charge: chargeId, amount: 500 }, { idempotencyKey: key }));
    expect(refund.status).toBe(202);
    const refundId = String(refund.json['id']);
    conforms('POST', '/v1/refunds', await acme.createRefund({ charge: chargeId, amount: 500 }, { idempotencyKey: key }));
    conforms('POST', '/v1/refunds', await acme.createRefund({ charge: chargeId, amount: 600 }, { idempotencyKey: key }));
    conforms('POST', '/v1/refunds', await acme.createRefund({ charge: chargeId, amount: 999_999 }));
    conforms('POST', '/v1/refunds', await acme.createRefund({ charge: 'ch_0000000000000000000000' }));
    conforms('POST', '/v1/refunds', await acme.createRefund({ charge: 'nope' }));
    conforms('GET', `/v1/refunds/${refundId}`, await acme.getRefund(refundId, { Prefer: 'wait=5' }));
    conforms('GET', `/v1/refunds/${refundId}`, await globex.getRefund(refundId));
    conforms('GET', '/v1/refunds', await acme.list('refunds', { charge: chargeId }));
    conforms('GET', '/v1/refunds', await acme.list('refunds', { charge: 'ch_0000000000000000000000' }));
    conforms('GET', '/v1/refunds', await acme.list('refunds', { limit: '1000' }));
  });

  it('webhook endpoints, events and disputes', async () => {
    const endpoint = conforms('POST', '/v1/webhook_endpoints', await acme.createWebhookEndpoint({ url: 'http://127.0.0.1:9/hook', enabled_events: ['charge.succeeded'] }));
    expect(endpoint.status).toBe(201);
    conforms('POST', '/v1/webhook_endpoints', await acme.createWebhookEndpoint({ url: 'ftp://example.com', enabled_events: ['*'] }));
    conforms('GET', '/v1/webhook_endpoints', await acme.listWebhookEndpoints());
    const rollPath = `/v1/webhook_endpoints/${String(endpoint.json['id'])}/roll_secret`;
    const rollKey = randomUUID();
    expect(conforms('POST', rollPath, await acme.rollWebhookSecret(String(endpoint.json['id']), { expires_in: 60 }, rollKey)).status).toBe(200);
    expect(conforms('POST', rollPath, await acme.rollWebhookSecret(String(endpoint.json['id']), { expires_in: 60 }, rollKey)).headers.get('idempotent-replayed')).toBe('true');
    conforms('POST', rollPath, await acme.rollWebhookSecret(String(endpoint.json['id']), { expires_in: 0 }, rollKey));
    conforms('POST', rollPath, await acme.rollWebhookSecret(String(endpoint.json['id']), { expires_in: 604_801 }));
    conforms('POST', '/v1/webhook_endpoints/we_0000000000000000000000/roll_secret', await acme.rollWebhookSecret('we_0000000000000000000000', {}));
    conforms('DELETE', `/v1/webhook_endpoints/${String(endpoint.json['id'])}`, await acme.deleteWebhookEndpoint(String(endpoint.json['id'])));
    conforms('DELETE', '/v1/webhook_endpoints/we_0000000000000000000000', await acme.deleteWebhookEndpoint('we_0000000000000000000000'));
    const events = conforms('GET', '/v1/events', await acme.list('events', { limit: '3' }));
    const first = (events.json['data'] as Array<{ id: string }>)[0];
    if (first) conforms('GET', `/v1/events/${first.id}`, await acme.getEvent(first.id));
    conforms('GET', '/v1/events/evt_0000000000000000000000', await acme.getEvent('evt_0000000000000000000000'));
    conforms('GET', '/v1/events', await acme.list('events', { type: 'nope' }));
    conforms('GET', '/v1/disputes', await acme.list('disputes', { limit: '2' }));
    conforms('GET', '/v1/disputes/du_0000000000000000000000', await acme.getDispute('du_0000000000000000000000'));
  });

  itWithGatewayProblemBodies('the gateway’s own answer to an unknown route', async () => {
    await conformsRaw('GET', '/v1/charges', await fetch(`${inject('apiUrl')}/v1/nothing-here`), true);
  });

  it('Stripe’s webhook refusing a forged event', async () => {
    const body = JSON.stringify({ id: 'evt_conformance', object: 'event', type: 'payment_intent.succeeded', created: 1, data: { object: { id: 'pi_x' } } });
    const forged = await fetch(`${inject('apiUrl')}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': stripeSignatureHeader(body, 'whsec_guess', Math.floor(Date.now() / 1000)) },
      body,
    });
    await conformsRaw('POST', '/webhooks/stripe', forged);
  });

  /** For answers made outside the merchant client (an unknown route is checked as a problem body only). */
  async function conformsRaw(method: string, path: string, response: Response, problemOnly = false) {
    const text = await response.text();
    const answer: HttpResult = { status: response.status, headers: response.headers, text, json: JSON.parse(text) as Record<string, unknown> };
    if (!problemOnly) return conforms(method, path, answer);
    const validate = ajv.compile({ $ref: 'openapi.json#/components/schemas/Problem' });
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(validate(answer.json), ajv.errorsText(validate.errors)).toBe(true);
    expect(answer.json['status']).toBe(answer.status);
    checked.push(`${method} (unknown route) ${answer.status}`);
    return answer;
  }
});
