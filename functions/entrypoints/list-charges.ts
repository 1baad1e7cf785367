/** Lambda entry point of `GET /v1/charges`. */
import { listHandler } from '#handlers/list-objects.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, listsFromEnvironment, requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('charges-api');

export const handler = servingEitherApi(
  listHandler('charges', {
    authenticate: requestAuthenticatorFromEnvironment(logger),
    lists: listsFromEnvironment(),
    charges: chargeRepositoryFromEnvironment(),
    logger,
  }),
);
