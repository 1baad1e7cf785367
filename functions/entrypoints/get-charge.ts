/** Lambda entry point of `GET /v1/charges/{id}`. */
import { getChargeHandler } from '#handlers/get-charge.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, requestAuthenticatorFromEnvironment, waitSlotsFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('charges-api');

export const handler = servingEitherApi(
  getChargeHandler({
    authenticate: requestAuthenticatorFromEnvironment(logger),
    charges: chargeRepositoryFromEnvironment(),
    logger,
    waitSlots: waitSlotsFromEnvironment('charges'),
  }),
);
