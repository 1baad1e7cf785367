import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { createCharge, CreateChargeOutcome } from '#domain/create-charge.ts';
import { parseIdempotencyKey } from '#domain/idempotency-key.ts';
import { headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RequestAuthenticator } from './authenticate.ts';
import { keyReusedProblem, storedResponse } from './idempotent-response.ts';
import { bodyProblem, parseJsonBody } from './json-body.ts';

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
      const refused = bodyProblem(error);
      if (refused) return refused;
      deps.logger.error('Unexpected error creating a charge', { error: error as Error });
      return problemResponse('internal', {
        detail: 'The charge could not be recorded. Retry with the same Idempotency-Key.',
        request_id: context.awsRequestId,
      });
    }
  };
}

function toHttp(outcome: CreateChargeOutcome): APIGatewayProxyResult {
  switch (outcome.kind) {
    case 'created':
    case 'replayed':
      return storedResponse(outcome.response, `/v1/charges/${outcome.chargeId}`, outcome.kind === 'replayed');
    case 'key_reused_with_other_body':
      return keyReusedProblem(outcome.differingFields);
  }
}
