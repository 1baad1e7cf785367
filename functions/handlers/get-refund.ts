import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RefundRepository, WaitSlots } from '#domain/ports.ts';
import { isRefundTerminal, toRefundObject } from '#domain/refund.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { preferredWaitSeconds, waitWithinBudget } from './prefer-wait.ts';

export interface GetRefundHandlerDeps {
  authenticate: RequestAuthenticator;
  refunds: Pick<RefundRepository, 'get'>;
  logger: Logger;
  /** The stage's budget of reads waiting at once (`Prefer: wait`). */
  waitSlots: WaitSlots;
}

const REFUND_ID = /^re_[0-9A-Za-z]{22}$/;

/** `GET /v1/refunds/{id}`: another merchant's refund is answered exactly like a missing one; `Prefer: wait=N` as for charges. */
export function getRefundHandler(deps: GetRefundHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, 'refunds:read');
      if ('refusal' in authentication) return authentication.refusal;
      const refundId = event.pathParameters?.['id'] ?? '';
      const notFound = problemResponse('notFound', { detail: `No such refund: '${REFUND_ID.test(refundId) ? refundId : '…'}'` });
      if (!REFUND_ID.test(refundId)) return notFound;
      const wait = preferredWaitSeconds(event);
      const read = () => deps.refunds.get(refundId);
      const first = await read();
      if (!first || first.refund.merchantId !== authentication.caller.merchantId) return notFound;
      const waited = wait === null ? null : await waitWithinBudget<typeof first | undefined>(first, read, (found) => !found || isRefundTerminal(found.refund.status), wait, context, deps.waitSlots, (error) =>
        deps.logger.warn('The Prefer: wait budget could not be read; answering at once', { error: error as Error }),
      );
      const record = waited?.value ?? first;
      return {
        statusCode: 200,
        headers: { 'Content-Type': 'application/json', ...(wait === null ? {} : { Vary: 'Prefer' }), ...(waited?.applied ? { 'Preference-Applied': `wait=${wait}` } : {}) },
        body: JSON.stringify(toRefundObject(record.refund)),
      };
    } catch (error) {
      deps.logger.error('Unexpected error reading a refund', { error: error as Error });
      return problemResponse('internal', { detail: 'The refund could not be read.', request_id: context.awsRequestId });
    }
  };
}
