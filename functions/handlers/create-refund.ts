import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { createRefund, CreateRefundOutcome } from '#domain/create-refund.ts';
import { parseIdempotencyKey } from '#domain/idempotency-key.ts';
import { headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { keyReusedProblem, storedResponse } from './idempotent-response.ts';
import { bodyProblem, parseJsonBody } from './json-body.ts';

export interface CreateRefundHandlerDeps {
  authenticate: RequestAuthenticator;
  createRefund: (input: Parameters<typeof createRefund>[1]) => Promise<CreateRefundOutcome>;
  logger: Logger;
}

/** `POST /v1/refunds`: the same idempotency contract as `POST /v1/charges`. */
export function createRefundHandler(deps: CreateRefundHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, 'refunds:write');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      const idempotencyKey = parseIdempotencyKey(headerValue(event, 'Idempotency-Key'));
      const body = parseJsonBody(event);
      return toHttp(await deps.createRefund({ merchantId, idempotencyKey, body, requestToken: randomUUID() }));
    } catch (error) {
      const refused = bodyProblem(error);
      if (refused) return refused;
      deps.logger.error('Unexpected error creating a refund', { error: error as Error });
      return problemResponse('internal', {
        detail: 'The refund could not be recorded. Retry with the same Idempotency-Key.',
        request_id: context.awsRequestId,
      });
    }
  };
}

function toHttp(outcome: CreateRefundOutcome): APIGatewayProxyResult {
  switch (outcome.kind) {
    case 'created':
    case 'replayed':
      return storedResponse(outcome.response, `/v1/refunds/${outcome.refundId}`, outcome.kind === 'replayed');
    case 'key_reused_with_other_body':
      return keyReusedProblem(outcome.differingFields);
    case 'charge_not_found':
      return problemResponse('notFound', { detail: `No such charge: '${outcome.chargeId}'` });
    case 'charge_not_refundable':
      return problemResponse('chargeNotRefundable', { detail: `Charge ${outcome.chargeId} cannot be refunded: ${outcome.reason}.`, charge: outcome.chargeId });
    case 'charge_disputed':
      return problemResponse('chargeDisputed', {
        detail: `Charge ${outcome.chargeId} has been charged back (dispute ${outcome.disputeId}): the dispute takes the money back, and it cannot be refunded as well. Respond to the dispute instead.`,
        charge: outcome.chargeId,
        dispute: outcome.disputeId,
      });
    case 'amount_too_large':
      return problemResponse('validation', {
        detail: `The refund amount (${outcome.requested}) is greater than what is left to refund on the charge (${outcome.left}).`,
        errors: [{ field: 'amount', message: `must be at most ${outcome.left}, what is left of the charge` }],
      });
  }
}
