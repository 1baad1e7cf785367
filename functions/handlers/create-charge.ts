import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { createCharge, CreateChargeOutcome } from '#domain/create-charge.ts';
import { ValidationError } from '#domain/errors.ts';
import type { JsonValue } from '#domain/fingerprint.ts';
import { parseIdempotencyKey } from '#domain/idempotency-key.ts';
import { bodyText, headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RequestAuthenticator } from './authenticate.ts';

/** Bodies above this are refused before parsing; a charge request is a few hundred bytes. */
export const MAX_BODY_BYTES = 32 * 1024;

export interface CreateChargeHandlerDeps {
  authenticate: RequestAuthenticator;
  createCharge: (input: Parameters<typeof createCharge>[1]) => Promise<CreateChargeOutcome>;
  logger: Logger;
}

/** `POST /v1/charges`: parse the HTTP request, run the use case, map its outcome to HTTP. */
export function createChargeHandler(deps: CreateChargeHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, 'charges:write');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      const idempotencyKey = parseIdempotencyKey(headerValue(event, 'Idempotency-Key'));
      const body = parseJsonBody(event);
      const outcome = await deps.createCharge({ merchantId, idempotencyKey, body, requestToken: randomUUID() });
      return toHttp(outcome);
    } catch (error) {
      if (error instanceof ValidationError) {
        return problemResponse('validation', { detail: error.message, errors: error.problems });
      }
      if (error instanceof BodyTooLargeError) {
        return problemResponse('payloadTooLarge', { detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` });
      }
      if (error instanceof UnsupportedMediaTypeError) {
        return problemResponse('unsupportedMediaType', { detail: 'Send the body as application/json.' });
      }
      deps.logger.error('Unexpected error creating a charge', { error: error as Error });
      return problemResponse('internal', {
        detail: 'The charge could not be recorded. Retry with the same Idempotency-Key.',
        request_id: context.awsRequestId,
      });
    }
  };
}

class BodyTooLargeError extends Error {}
class UnsupportedMediaTypeError extends Error {}

function parseJsonBody(event: APIGatewayProxyEvent): JsonValue {
  const contentType = headerValue(event, 'Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  const text = bodyText(event);
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new BodyTooLargeError();
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new ValidationError('The body is not valid JSON.', [{ field: '', message: 'must be a JSON object' }]);
  }
}

function toHttp(outcome: CreateChargeOutcome): APIGatewayProxyResult {
  switch (outcome.kind) {
    case 'created':
    case 'replayed':
      return {
        statusCode: outcome.response.status,
        headers: {
          'Content-Type': 'application/json',
          Location: `/v1/charges/${outcome.chargeId}`,
          ...(outcome.kind === 'replayed' ? { 'Idempotent-Replayed': 'true' } : {}),
        },
        body: outcome.response.body,
      };
    case 'key_reused_with_other_body':
      return problemResponse('keyReused', {
        detail: 'This Idempotency-Key was first used with a different request body.',
        differing_fields: outcome.differingFields,
      });
  }
}
