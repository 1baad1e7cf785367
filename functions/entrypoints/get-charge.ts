/** Lambda entry point of `GET /v1/charges/{id}`. */
import { getChargeHandler } from '#handlers/get-charge.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, requestAuthenticatorFromEnvironment, waitSlotsFromEnvironment } from './environment.ts';

const logger = createLogger('charges-api');

export const handler = getChargeHandler({
  authenticate: requestAuthenticatorFromEnvironment(logger),
  charges: chargeRepositoryFromEnvironment(),
  logger,
  waitSlots: waitSlotsFromEnvironment('charges'),
});
