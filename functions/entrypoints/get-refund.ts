/** Lambda entry point of `GET /v1/refunds/{id}`. */
import { getRefundHandler } from '#handlers/get-refund.ts';
import { createLogger } from '#shared/logger.ts';
import { refundRepositoryFromEnvironment, requestAuthenticatorFromEnvironment, waitSlotsFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('refunds-api');

export const handler = servingEitherApi(
  getRefundHandler({
    authenticate: requestAuthenticatorFromEnvironment(logger),
    refunds: refundRepositoryFromEnvironment(),
    logger,
    waitSlots: waitSlotsFromEnvironment('refunds'),
  }),
);
