import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { UnknownCursorError } from '#adapters/dynamodb-lists.ts';
import type { DynamoDbWebhookStore, StoredEvent } from '#adapters/dynamodb-webhook-store.ts';
import { ValidationError } from '#domain/errors.ts';
import { EVENT_TYPES } from '#domain/event.ts';
import { parseListQuery } from '#domain/listing.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';

export interface EventsApiHandlerDeps {
  authenticate: RequestAuthenticator;
  store: Pick<DynamoDbWebhookStore, 'getEvent' | 'listEvents'>;
  logger: Logger;
}

const EVENT_ID = /^evt_[0-9A-Za-z]{22}$/;

/** The event as it was delivered, with its delivery attempts (which deliveries do not carry). */
function eventWithAttempts(stored: StoredEvent): Record<string, unknown> {
  return { ...(JSON.parse(stored.body) as Record<string, unknown>), delivery_attempts: stored.attempts };
}

/**
 * `GET /v1/events/{id}` and `GET /v1/events` (newest first, `type` filter, cursors): the
 * merchant's own events of the last 30 days, each with its delivery attempts. Restricted keys
 * need `webhooks:read`.
 */
export function eventsApiHandler(deps: EventsApiHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    try {
      const authentication = await deps.authenticate(event, 'webhooks:read');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      const id = event.pathParameters?.['id'];
      if (id !== undefined) {
        const stored = EVENT_ID.test(id) ? await deps.store.getEvent(id) : undefined;
        if (!stored || stored.merchantId !== merchantId) return problemResponse('notFound', { detail: `No such event: '${EVENT_ID.test(id) ? id : '…'}'` });
        return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(eventWithAttempts(stored)) };
      }
      const query = parseListQuery(event.queryStringParameters ?? {}, { idPattern: EVENT_ID, filter: { parameter: 'type', values: EVENT_TYPES }, created: true });
      const page = await deps.store.listEvents(merchantId, query);
      return {
        statusCode: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ object: 'list', data: page.data.map(eventWithAttempts), has_more: page.hasMore, url: '/v1/events' }),
      };
    } catch (error) {
      if (error instanceof ValidationError) return problemResponse('validation', { detail: error.message, errors: error.problems });
      if (error instanceof UnknownCursorError) {
        return problemResponse('validation', { detail: 'The list cursor names no object of this list.', errors: [{ field: error.field, message: `no such object: '${error.id}'` }] });
      }
      deps.logger.error('Unexpected error reading events', { error: error as Error });
      return problemResponse('internal', { detail: 'The events could not be read.', request_id: context.awsRequestId });
    }
  };
}
