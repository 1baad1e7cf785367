/** Lambda entry point of `GET /v1/charges/{id}`. */
import { getChargeHandler } from '#handlers/get-charge.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment } from './environment.ts';

export const handler = getChargeHandler({
  charges: chargeRepositoryFromEnvironment(),
  logger: createLogger('charges-api'),
});
