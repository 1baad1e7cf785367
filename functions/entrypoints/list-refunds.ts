/** Lambda entry point of `GET /v1/refunds` (all of the merchant's, or `?charge=` one charge's). */
import { listHandler } from '#handlers/list-objects.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, listsFromEnvironment, requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('refunds-api');

export const handler = servingEitherApi(
  listHandler('refunds', {
    authenticate: requestAuthenticatorFromEnvironment(logger),
    lists: listsFromEnvironment(),
    charges: chargeRepositoryFromEnvironment(),
    logger,
  }),
);
