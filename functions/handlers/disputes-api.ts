import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { disputeFromItem } from '#adapters/dynamodb-dispute-repository.ts';
import { UnknownCursorError, type DynamoDbLists } from '#adapters/dynamodb-lists.ts';
import { toDisputeObject, type Dispute } from '#domain/dispute.ts';
import { ValidationError } from '#domain/errors.ts';
import { parseListQuery } from '#domain/listing.ts';
import type { ChargeRepository, DisputeRepository } from '#domain/ports.ts';
import { CHARGE_ID_PATTERN } from '#domain/refund-request.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';

export interface DisputesApiHandlerDeps {
  authenticate: RequestAuthenticator;
  disputes: Pick<DisputeRepository, 'get'>;
  charges: Pick<ChargeRepository, 'get'>;
  lists: Pick<DynamoDbLists, 'list'>;
  logger: Logger;
}

const DISPUTE_ID = /^du_[0-9A-Za-z]{22}$/;

const ok = (body: unknown): APIGatewayProxyResult => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const list = (disputes: Dispute[], hasMore: boolean) => ok({ object: 'list', data: disputes.map(toDisputeObject), has_more: hasMore, url: '/v1/disputes' });

/**
 * `GET /v1/disputes/{id}` and `GET /v1/disputes` (newest first, cursors, `created`, and `charge=`
 * for one charge's dispute): the disputes Stripe opened on the merchant's charges, in Stripe's
 * shape. Another merchant's dispute is answered like a missing one. Restricted keys need `disputes:read`.
 */
export function disputesApiHandler(deps: DisputesApiHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, 'disputes:read');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      const id = event.pathParameters?.['id'];
      if (id !== undefined) {
        const dispute = DISPUTE_ID.test(id) ? await deps.disputes.get(id) : undefined;
        if (!dispute || dispute.merchantId !== merchantId) return problemResponse('notFound', { detail: `No such dispute: '${DISPUTE_ID.test(id) ? id : '…'}'` });
        return ok(toDisputeObject(dispute));
      }
      const parameters = event.queryStringParameters ?? {};
      const query = parseListQuery(parameters, { idPattern: DISPUTE_ID, created: true, extra: ['charge'] });
      const ofCharge = parameters['charge'];
      if (ofCharge !== undefined) {
        if (!CHARGE_ID_PATTERN.test(ofCharge)) throw new ValidationError('The list parameters are not valid.', [{ field: 'charge', message: 'must be a charge id (ch_…)' }]);
        // A charge has one dispute at most: its own record names it.
        const charge = await deps.charges.get(ofCharge);
        if (!charge || charge.charge.merchantId !== merchantId) return problemResponse('notFound', { detail: `No such charge: '${ofCharge}'` });
        const dispute = charge.charge.dispute ? await deps.disputes.get(charge.charge.dispute.id) : undefined;
        return list(dispute ? [dispute] : [], false);
      }
      const page = await deps.lists.list('disputes', merchantId, query);
      return list(page.data.map(disputeFromItem), page.hasMore);
    } catch (error) {
      if (error instanceof ValidationError) return problemResponse('validation', { detail: error.message, errors: error.problems });
      if (error instanceof UnknownCursorError) {
        return problemResponse('validation', { detail: 'The list cursor names no object of this list.', errors: [{ field: error.field, message: `no such object: '${error.id}'` }] });
      }
      deps.logger.error('Unexpected error reading disputes', { error: error as Error });
      return problemResponse('internal', { detail: 'The disputes could not be read.', request_id: context.awsRequestId });
    }
  };
}
