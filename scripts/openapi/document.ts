import { z } from 'zod';
import { chargeObjectSchema, problemSchema } from '#domain/api-schemas.ts';
import { API_SCOPES, type ApiScope } from '#domain/api-key.ts';
import { createChargeBodySchema } from '#domain/charge-request.ts';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '#domain/idempotency-key.ts';
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

const forbidden = (scope: ApiScope) => problem(`A restricted key without the scope ${scope}; missing_scope names it. Not remembered.`);

/**
 * The OpenAPI 3.1 document of the public API, generated from the schemas the handlers
 * validate with. `npm run openapi` writes it to openapi.json; a test keeps that file current.
 */
export function openApiDocument() {
  const problemTypes = Object.values(PROBLEM_TYPES)
    .map(({ type, status, title }) => `- \`${type}\` (${status}): ${title}`)
    .join('\n');
  return {
    openapi: '3.1.0',
    info: {
      title: 'oncepay',
      version: '1.0.0',
      description:
        'Charges a card exactly once per Idempotency-Key. Errors are RFC 9457 problem+json; problem types:\n' +
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
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              description:
                'Scoped to your merchant. The same key and body replays the first response byte for byte (Idempotent-Replayed: true), ' +
                'however soon after the first; the same key with another body is 422.',
              schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, pattern: '^[\\x20-\\x7e]+$' },
            },
          ],
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
      },
      '/v1/charges/{id}': {
        get: {
          operationId: 'getCharge',
          summary: 'Retrieve a charge',
          description: 'Restricted keys need the scope charges:read.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The charge', content: { 'application/json': { schema: { $ref: '#/components/schemas/Charge' } } } },
            '401': UNAUTHORIZED,
            '403': forbidden('charges:read'),
            '404': problem('No such charge for this merchant.'),
          },
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
        Problem: jsonSchema(problemSchema, 'output'),
      },
    },
  };
}

export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
