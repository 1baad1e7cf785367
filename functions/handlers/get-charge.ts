import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { isTerminal, toChargeObject } from '#domain/charge.ts';
import type { ChargeRepository, WaitSlots } from '#domain/ports.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { preferredWaitSeconds, waitWithinBudget } from './prefer-wait.ts';

export interface GetChargeHandlerDeps {
  authenticate: RequestAuthenticator;
  charges: Pick<ChargeRepository, 'get'>;
  logger: Logger;
  /** The stage's budget of reads waiting at once (`Prefer: wait`). */
  waitSlots: WaitSlots;
}

const CHARGE_ID = /^ch_[0-9A-Za-z]{22}$/;

/**
 * `GET /v1/charges/{id}`. Another merchant's charge is answered exactly like a missing one,
 * so ids cannot be probed across tenants. With `Prefer: wait=N` (N ≤ 20) the answer comes as
 * soon as the charge is final, or after N seconds (`Preference-Applied: wait=N`); when the
 * stage's budget of waiting reads is used up, at once and without `Preference-Applied`.
 */
export function getChargeHandler(deps: GetChargeHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, 'charges:read');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      const chargeId = event.pathParameters?.['id'] ?? '';
      const notFound = problemResponse('notFound', { detail: `No such charge: '${CHARGE_ID.test(chargeId) ? chargeId : '…'}'` });
      if (!CHARGE_ID.test(chargeId)) return notFound;
      const wait = preferredWaitSeconds(event);
      const read = () => deps.charges.get(chargeId);
      const first = await read();
      if (!first || first.charge.merchantId !== merchantId) return notFound;
      const waited = wait === null ? null : await waitWithinBudget<typeof first | undefined>(first, read, (found) => !found || isTerminal(found.charge.status), wait, context, deps.waitSlots, (error) =>
        deps.logger.warn('The Prefer: wait budget could not be read; answering at once', { error: error as Error }),
      );
      const record = waited?.value ?? first;
      return {
        statusCode: 200,
        headers: { 'Content-Type': 'application/json', ...(wait === null ? {} : { Vary: 'Prefer' }), ...(waited?.applied ? { 'Preference-Applied': `wait=${wait}` } : {}) },
        body: JSON.stringify(toChargeObject(record.charge)),
      };
    } catch (error) {
      deps.logger.error('Unexpected error reading a charge', { error: error as Error });
      return problemResponse('internal', { detail: 'The charge could not be read.', request_id: context.awsRequestId });
    }
  };
}
