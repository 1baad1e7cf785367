/** Lambda entry point of `GET /v1/disputes` and `GET /v1/disputes/{id}`. */
import { disputesApiHandler } from '#handlers/disputes-api.ts';
import { createLogger } from '#shared/logger.ts';
import { chargeRepositoryFromEnvironment, disputeRepositoryFromEnvironment, listsFromEnvironment, requestAuthenticatorFromEnvironment } from './environment.ts';
import { servingEitherApi } from './api-event.ts';

const logger = createLogger('disputes-api');

export const handler = servingEitherApi(
  disputesApiHandler({
    authenticate: requestAuthenticatorFromEnvironment(logger),
    disputes: disputeRepositoryFromEnvironment(),
    charges: chargeRepositoryFromEnvironment(),
    lists: listsFromEnvironment(),
    logger,
  }),
);
