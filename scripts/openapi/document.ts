import { z } from 'zod';
import {
  chargeObjectSchema,
  disputeObjectSchema,
  eventObjectSchema,
  eventWithAttemptsSchema,
  listSchema,
  problemSchema,
  refundObjectSchema,
  webhookEndpointObjectSchema,
} from '#domain/api-schemas.ts';
import { API_SCOPES, type ApiScope } from '#domain/api-key.ts';
import { createChargeBodySchema } from '#domain/charge-request.ts';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '#domain/idempotency-key.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '#domain/listing.ts';
import { createRefundBodySchema } from '#domain/refund-request.ts';
import { createEndpointBodySchema, rollSecretBodySchema } from '#domain/webhook-endpoint.ts';
import { EVENT_TYPES } from '#domain/event.ts';
import { PROCESSOR_EVENT_TYPES } from '#domain/processor-events.ts';
import { MAX_WAIT_SECONDS } from '#handlers/prefer-wait.ts';
import { PROBLEM_TYPES } from '#shared/problem.ts';

const jsonSchema = (schema: z.core.$ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { target: 'draft-2020-12', io });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const UNAUTHORIZED = problem(
  'Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take ' +
    '(then accepted_mode names the one it takes); not remembered.',
);

const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: true,
  description:
    'Scoped to your merchant. The same key and body replays the first response byte for byte (Idempotent-Replayed: true), ' +
    'however soon after the first; the same key with another body is 422.',
  schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, pattern: '^[\\x20-\\x7e]+$' },
};

const cursorParameters = (prefix: string) => [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT } },
  { name: 'starting_after', in: 'query', description: 'The page after this object (its id).', schema: { type: 'string', pattern: `^${prefix}_` } },
  { name: 'ending_before', in: 'query', description: 'The page before this object; not with starting_after.', schema: { type: 'string', pattern: `^${prefix}_` } },
];

const preferWait = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description: `RFC 7240 wait=N: answer as soon as the object is final, or after N seconds (at most ${MAX_WAIT_SECONDS}); the answer then carries Preference-Applied: wait=N. When the stage's budget of waiting reads is used up, the answer comes at once, with the current state and without Preference-Applied.`,
  schema: { type: 'string', example: 'wait=10' },
};

/** The response headers of a read that honoured `Prefer: wait`. */
const preferenceHeaders = {
  'Preference-Applied': { schema: { type: 'string', example: 'wait=10' }, description: 'Present when Prefer: wait=N was honoured: the N applied. Absent when the budget of waiting reads was used up.' },
  Vary: { schema: { type: 'string', enum: ['Prefer'] }, description: 'Present with Preference-Applied: the answer depends on the Prefer header.' },
};

const listResponse = (description: string, schema: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});

const forbidden = (scope: ApiScope) => problem(`A restricted key without the scope ${scope}; missing_scope names it. Not remembered.`);

/**
 * The OpenAPI 3.1 document of the public API, generated from the schemas the handlers
 * validate with. `npm run openapi` writes it to openapi.json; a test keeps that file current.
 */
export function openApiDocument() {
  const problemTypes = Object.values(PROBLEM_TYPES)
    .map(({ type, status, title }) => `- \`${type}\` (${status}): ${title}`)
    .join('\n');
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'oncepay',
      version: '1.0.0',
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Charges a card exactly once per Idempotency-Key, and refunds it never beyond what was captured; hears what Stripe does on its own ' +
        '(refunds failing late, disputes) and tells the merchant. Errors are RFC 9457 problem+json; problem types:\n' +
        problemTypes,
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'npm start' }],
    security: [{ secretKey: [] }],
    paths: {
      '/v1/charges': {
        post: {
          operationId: 'createCharge',
          summary: 'Create a charge (once per Idempotency-Key)',
          description: 'Restricted keys need the scope charges:write.',
          parameters: [idempotencyKeyParameter],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateChargeRequest' } } },
          },
          responses: {
            '202': {
              description: 'Accepted: the charge is recorded and will be processed.',
              headers: {
                Location: { schema: { type: 'string' }, description: '/v1/charges/{id}' },
                'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] }, description: 'Present on a replay.' },
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Charge' } } },
            },
            '400': problem('Invalid body or Idempotency-Key; not remembered.'),
            '401': UNAUTHORIZED,
            '403': forbidden('charges:write'),
            '413': problem('Body too large.'),
            '415': problem('Body is not application/json.'),
            '422': problem('Idempotency-Key reused with a different body; differing_fields names them.'),
            '429': problem('Throttled; not remembered.'),
            '500': problem('Unexpected error; retry with the same Idempotency-Key.'),
          },
        },
        get: {
          operationId: 'listCharges',
          summary: 'List your charges, newest first',
          description:
            'Restricted keys need the scope charges:read. A new charge appears in the list within about a second (GET by id sees it at once); ' +
            'listed charges are read strongly consistently.',
          parameters: [
            ...cursorParameters('ch'),
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['pending', 'processing', 'succeeded', 'failed'] } },
            { name: 'created[gte]', in: 'query', description: 'Created at or after (Unix seconds).', schema: { type: 'integer', minimum: 0 } },
            { name: 'created[lte]', in: 'query', description: 'Created at or before (Unix seconds).', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            '200': listResponse('A page of charges', 'ChargeList'),
            '400': problem('Invalid or unknown parameter, or a cursor that is not one of your charges; errors names it.'),
            '401': UNAUTHORIZED,
            '403': forbidden('charges:read'),
          },
        },
      },
      '/v1/charges/{id}': {
        get: {
          operationId: 'getCharge',
          summary: 'Retrieve a charge',
          description: 'Restricted keys need the scope charges:read.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, preferWait],
          responses: {
            '200': { description: 'The charge', headers: preferenceHeaders, content: { 'application/json': { schema: { $ref: '#/components/schemas/Charge' } } } },
            '401': UNAUTHORIZED,
            '403': forbidden('charges:read'),
            '404': problem('No such charge for this merchant.'),
          },
        },
      },
      '/v1/refunds': {
        post: {
          operationId: 'createRefund',
          summary: 'Refund all or part of a succeeded charge (once per Idempotency-Key)',
          description:
            'Restricted keys need the scope refunds:write. The amount is held on the charge (amount_refunded) in the same atomic write that ' +
            'records the refund, so racing refunds never exceed what was captured; a refund that fails gives it back.',
          parameters: [idempotencyKeyParameter],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateRefundRequest' } } } },
          responses: {
            '202': {
              description: 'Accepted: the refund is recorded, its amount held, and it will be sent to the processor.',
              headers: {
                Location: { schema: { type: 'string' }, description: '/v1/refunds/{id}' },
                'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] }, description: 'Present on a replay.' },
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Refund' } } },
            },
            '400': problem(
              'Invalid body or Idempotency-Key; an amount above what is left of the charge (errors names amount); charge-not-refundable ' +
                '(the charge is not succeeded, or fully refunded); or charge-disputed (the charge was charged back: dispute names the chargeback). ' +
                'Not remembered: retry the key once the charge allows it.',
            ),
            '401': UNAUTHORIZED,
            '403': forbidden('refunds:write'),
            '404': problem('No such charge for this merchant; not remembered.'),
            '413': problem('Body too large.'),
            '415': problem('Body is not application/json.'),
            '422': problem('Idempotency-Key reused with a different body; differing_fields names them.'),
            '429': problem('Throttled; not remembered.'),
            '500': problem('Unexpected error; retry with the same Idempotency-Key.'),
          },
        },
        get: {
          operationId: 'listRefunds',
          summary: 'List your refunds, or one charge’s, newest first',
          description: 'Restricted keys need the scope refunds:read. A new refund appears in the list within about a second.',
          parameters: [
            ...cursorParameters('re'),
            { name: 'charge', in: 'query', description: 'Only this charge’s refunds.', schema: { type: 'string', pattern: '^ch_' } },
          ],
          responses: {
            '200': listResponse('A page of refunds', 'RefundList'),
            '400': problem('Invalid or unknown parameter, or a cursor that is not one of your refunds; errors names it.'),
            '401': UNAUTHORIZED,
            '403': forbidden('refunds:read'),
            '404': problem('No such charge for this merchant (with charge=).'),
          },
        },
      },
      '/v1/refunds/{id}': {
        get: {
          operationId: 'getRefund',
          summary: 'Retrieve a refund',
          description: 'Restricted keys need the scope refunds:read.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, preferWait],
          responses: {
            '200': { description: 'The refund', headers: preferenceHeaders, content: { 'application/json': { schema: { $ref: '#/components/schemas/Refund' } } } },
            '401': UNAUTHORIZED,
            '403': forbidden('refunds:read'),
            '404': problem('No such refund for this merchant.'),
          },
        },
      },
      '/v1/webhook_endpoints': {
        post: {
          operationId: 'createWebhookEndpoint',
          summary: 'Register a webhook endpoint (its secret is in this answer only)',
          description:
            'Restricted keys need the scope webhooks:write. Deployed stages take https URLs on port 443 or 8443 only and refuse hosts that resolve to private, loopback or ' +
            'link-local addresses; the local stage also takes http://127.0.0.1:<port>. At most 16 endpoints per merchant.',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateWebhookEndpointRequest' } } } },
          responses: {
            '201': { description: 'The endpoint, with its secret', content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookEndpoint' } } } },
            '400': problem('Invalid body, a refused URL (errors names url), or 16 endpoints already.'),
            '401': UNAUTHORIZED,
            '403': forbidden('webhooks:write'),
          },
        },
        get: {
          operationId: 'listWebhookEndpoints',
          summary: 'List your webhook endpoints (without secrets)',
          description: 'Restricted keys need the scope webhooks:read.',
          responses: {
            '200': listResponse('Every endpoint, newest first', 'WebhookEndpointList'),
            '401': UNAUTHORIZED,
            '403': forbidden('webhooks:read'),
          },
        },
      },
      '/v1/webhook_endpoints/{id}': {
        delete: {
          operationId: 'deleteWebhookEndpoint',
          summary: 'Delete a webhook endpoint: nothing more is delivered to it',
          description: 'Restricted keys need the scope webhooks:write.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'Deleted',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { id: { type: 'string' }, object: { const: 'webhook_endpoint' }, deleted: { const: true } }, required: ['id', 'object', 'deleted'] },
                },
              },
            },
            '401': UNAUTHORIZED,
            '403': forbidden('webhooks:write'),
            '404': problem('No such endpoint for this merchant.'),
          },
        },
      },
      '/v1/webhook_endpoints/{id}/roll_secret': {
        post: {
          operationId: 'rollWebhookEndpointSecret',
          summary: 'Roll an endpoint’s signing secret (the new secret is in this answer)',
          description:
            'Restricted keys need the scope webhooks:write. From now on deliveries are signed with the new secret; the replaced one keeps signing beside it ' +
            '(a second v1= in Oncepay-Signature) for expires_in seconds, then stops. A roll during another roll’s overlap stops the secret that was already being ' +
            'replaced at once: at most two secrets sign. A retry with the same Idempotency-Key answers the first answer again, the same secret included.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, idempotencyKeyParameter],
          requestBody: { required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/RollWebhookEndpointSecretRequest' } } } },
          responses: {
            '200': {
              description: 'The endpoint, with its new secret (replayed: Idempotent-Replayed: true)',
              headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true'] }, description: 'Present on a replay.' } },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookEndpoint' } } },
            },
            '400': problem('Invalid body (errors names expires_in) or Idempotency-Key; not remembered.'),
            '401': UNAUTHORIZED,
            '403': forbidden('webhooks:write'),
            '404': problem('No such endpoint for this merchant.'),
            '409': problem('Other rolls of the same endpoint kept winning the race; retry with the same Idempotency-Key.'),
            '415': problem('A body that is not application/json.'),
            '422': problem('Idempotency-Key reused with another endpoint or body; differing_fields names them.'),
            '500': problem('Unexpected error; retry with the same Idempotency-Key.'),
          },
        },
      },
      '/v1/disputes': {
        get: {
          operationId: 'listDisputes',
          summary: 'List the disputes opened on your charges, newest first, or one charge’s',
          description: 'Restricted keys need the scope disputes:read. A charge has one dispute at most.',
          parameters: [
            ...cursorParameters('du'),
            { name: 'charge', in: 'query', description: 'Only this charge’s dispute.', schema: { type: 'string', pattern: '^ch_' } },
            { name: 'created[gte]', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'created[lte]', in: 'query', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            '200': listResponse('A page of disputes', 'DisputeList'),
            '400': problem('Invalid or unknown parameter, or a cursor that is not one of your disputes; errors names it.'),
            '401': UNAUTHORIZED,
            '403': forbidden('disputes:read'),
            '404': problem('No such charge for this merchant (with charge=).'),
          },
        },
      },
      '/v1/disputes/{id}': {
        get: {
          operationId: 'getDispute',
          summary: 'Retrieve a dispute',
          description: 'Restricted keys need the scope disputes:read.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The dispute', content: { 'application/json': { schema: { $ref: '#/components/schemas/Dispute' } } } },
            '401': UNAUTHORIZED,
            '403': forbidden('disputes:read'),
            '404': problem('No such dispute for this merchant.'),
          },
        },
      },
      '/webhooks/stripe': {
        post: {
          operationId: 'receiveProcessorEvent',
          summary: 'Stripe’s events in (for Stripe, not for merchants)',
          description:
            'Register this URL as a webhook endpoint in the Stripe account the stage uses, for exactly these types: ' +
            `${PROCESSOR_EVENT_TYPES.join(', ')}. No API key: the Stripe-Signature header is the authentication, verified against the ` +
            'endpoint’s signing secret with a 5-minute tolerance. A verified event is recorded once and looked into by id (its payload decides nothing); ' +
            'other types are answered 200 and ignored.',
          security: [],
          parameters: [{ name: 'Stripe-Signature', in: 'header', required: true, schema: { type: 'string' }, description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">' }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', description: 'A Stripe event, as Stripe sends it.' } } } },
          responses: {
            '200': {
              description: 'Received (recorded and queued), or ignored (a type oncepay does not listen to)',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { received: { const: true }, ignored: { const: true } }, required: ['received'], additionalProperties: false },
                },
              },
            },
            '400': problem('signature-invalid: missing, forged, re-serialised, or older than 5 minutes. Nothing changed.'),
            '500': problem('Could not record or queue it: Stripe sends it again.'),
          },
        },
      },
      '/v1/events': {
        get: {
          operationId: 'listEvents',
          summary: 'List your events of the last 30 days, newest first, with their delivery attempts',
          description: 'Restricted keys need the scope webhooks:read.',
          parameters: [
            ...cursorParameters('evt'),
            { name: 'type', in: 'query', schema: { type: 'string', enum: [...EVENT_TYPES] } },
            { name: 'created[gte]', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'created[lte]', in: 'query', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: {
            '200': listResponse('A page of events', 'EventList'),
            '400': problem('Invalid or unknown parameter; errors names it.'),
            '401': UNAUTHORIZED,
            '403': forbidden('webhooks:read'),
          },
        },
      },
      '/v1/events/{id}': {
        get: {
          operationId: 'getEvent',
          summary: 'Retrieve an event and its delivery attempts',
          description: 'Restricted keys need the scope webhooks:read.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The event', content: { 'application/json': { schema: { $ref: '#/components/schemas/EventWithAttempts' } } } },
            '401': UNAUTHORIZED,
            '403': forbidden('webhooks:read'),
            '404': problem('No such event for this merchant.'),
          },
        },
      },
    },
    webhooks: {
      event: {
        post: {
          operationId: 'deliverEvent',
          summary: 'An event, POSTed to each subscribed endpoint, at least once',
          description:
            'Verify Oncepay-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> under the endpoint secret; refuse t more than 5 minutes off), ' +
            'answer 2xx within 10 s, deduplicate on the event id. Anything else is retried with exponential backoff for 3 days, then the endpoint is disabled.',
          parameters: [{ name: 'Oncepay-Signature', in: 'header', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Event' } } } },
          responses: { '200': { description: 'Received (any 2xx)' } },
        },
      },
    },
    components: {
      securitySchemes: {
        secretKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A merchant API key: a secret key (sk_test_… or sk_live_…) may do everything; a restricted key (rk_test_… or rk_live_…) ' +
            `only what its scopes name (${API_SCOPES.join(', ')}). A stage takes keys of one mode only. Revoked keys are refused within 60 s.`,
        },
      },
      schemas: {
        CreateChargeRequest: jsonSchema(createChargeBodySchema, 'input'),
        Charge: jsonSchema(chargeObjectSchema, 'output'),
        ChargeList: jsonSchema(listSchema(chargeObjectSchema, '/v1/charges'), 'output'),
        CreateRefundRequest: jsonSchema(createRefundBodySchema, 'input'),
        Refund: jsonSchema(refundObjectSchema, 'output'),
        RefundList: jsonSchema(listSchema(refundObjectSchema, '/v1/refunds'), 'output'),
        CreateWebhookEndpointRequest: jsonSchema(createEndpointBodySchema, 'input'),
        RollWebhookEndpointSecretRequest: jsonSchema(rollSecretBodySchema, 'input'),
        WebhookEndpoint: jsonSchema(webhookEndpointObjectSchema, 'output'),
        WebhookEndpointList: jsonSchema(listSchema(webhookEndpointObjectSchema, '/v1/webhook_endpoints'), 'output'),
        Event: jsonSchema(eventObjectSchema, 'output'),
        EventWithAttempts: jsonSchema(eventWithAttemptsSchema, 'output'),
        EventList: jsonSchema(listSchema(eventWithAttemptsSchema, '/v1/events'), 'output'),
        Dispute: jsonSchema(disputeObjectSchema, 'output'),
        DisputeList: jsonSchema(listSchema(disputeObjectSchema, '/v1/disputes'), 'output'),
        Problem: jsonSchema(problemSchema, 'output'),
      },
    },
  };
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) declareGatewayAnswers(operation.responses);
  }
  return document;
}

/**
 * What API Gateway itself may answer on any route, before or instead of the function: its
 * throttling (429), a function that failed or answered nothing usable (502), and one that did not
 * answer within the 29 s integration limit (504). All are problem+json with `status`.
 */
function declareGatewayAnswers(responses: Record<string, unknown>): void {
  responses['429'] ??= problem('Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause.');
  responses['502'] ??= problem('The function failed (API Gateway’s answer): retry with the same Idempotency-Key.');
  responses['504'] ??= problem('The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key.');
}

export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
