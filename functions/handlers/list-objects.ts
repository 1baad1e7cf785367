import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { UnknownCursorError, type DynamoDbLists } from '#adapters/dynamodb-lists.ts';
import { chargeRecordFromItem } from '#adapters/dynamodb-charge-repository.ts';
import { refundRecordFromItem } from '#adapters/dynamodb-refund-repository.ts';
import { toChargeObject, type ChargeStatus } from '#domain/charge.ts';
import { ValidationError } from '#domain/errors.ts';
import { parseListQuery } from '#domain/listing.ts';
import type { ChargeRepository } from '#domain/ports.ts';
import { toRefundObject } from '#domain/refund.ts';
import { CHARGE_ID_PATTERN } from '#domain/refund-request.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';

export interface ListHandlerDeps {
  authenticate: RequestAuthenticator;
  lists: Pick<DynamoDbLists, 'list'>;
  charges: Pick<ChargeRepository, 'get'>;
  logger: Logger;
}

const CHARGE_STATUSES: readonly ChargeStatus[] = ['pending', 'processing', 'succeeded', 'failed'];
const REFUND_ID_PATTERN = /^re_[0-9A-Za-z]{22}$/;

/**
 * `GET /v1/charges` (filters: `status`, `created[gte]`, `created[lte]`) and `GET /v1/refunds`
 * (filter: `charge`): Stripe lists `{object: "list", data, has_more, url}`, newest first, with
 * `limit`, `starting_after` and `ending_before`. A merchant only ever lists its own objects.
 */
export function listHandler(kind: 'charges' | 'refunds', deps: ListHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, kind === 'charges' ? 'charges:read' : 'refunds:read');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      const parameters = event.queryStringParameters ?? {};
      const query =
        kind === 'charges'
          ? parseListQuery(parameters, { idPattern: CHARGE_ID_PATTERN, filter: { parameter: 'status', values: CHARGE_STATUSES }, created: true })
          : parseListQuery(parameters, { idPattern: REFUND_ID_PATTERN, extra: ['charge'] });
      const ofCharge = kind === 'refunds' ? parameters['charge'] : undefined;
      if (ofCharge !== undefined) {
        if (!CHARGE_ID_PATTERN.test(ofCharge)) throw new ValidationError('The list parameters are not valid.', [{ field: 'charge', message: 'must be a charge id (ch_…)' }]);
        const charge = await deps.charges.get(ofCharge);
        if (!charge || charge.charge.merchantId !== merchantId) return problemResponse('notFound', { detail: `No such charge: '${ofCharge}'` });
      }
      const page = await deps.lists.list(kind, merchantId, query, ofCharge);
      const data =
        kind === 'charges'
          ? page.data.map((item) => toChargeObject(chargeRecordFromItem(item).charge))
          : page.data.map((item) => toRefundObject(refundRecordFromItem(item).refund));
      return {
        statusCode: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ object: 'list', data, has_more: page.hasMore, url: `/v1/${kind}` }),
      };
    } catch (error) {
      if (error instanceof ValidationError) return problemResponse('validation', { detail: error.message, errors: error.problems });
      if (error instanceof UnknownCursorError) {
        return problemResponse('validation', { detail: 'The list cursor names no object of this list.', errors: [{ field: error.field, message: `no such object: '${error.id}'` }] });
      }
      deps.logger.error(`Unexpected error listing ${kind}`, { error: error as Error });
      return problemResponse('internal', { detail: `The ${kind} could not be listed.`, request_id: context.awsRequestId });
    }
  };
}
