import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import { ValidationError } from '#domain/errors.ts';
import {
  MAX_ENDPOINTS_PER_MERCHANT,
  newEndpointId,
  newEndpointSecret,
  parseEndpointRequest,
  toEndpointObject,
  type UrlPolicy,
  type WebhookEndpoint,
} from '#domain/webhook-endpoint.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { bodyProblem, parseJsonBody } from './json-body.ts';

export interface WebhookEndpointsHandlerDeps {
  authenticate: RequestAuthenticator;
  store: Pick<DynamoDbWebhookStore, 'createEndpoint' | 'listEndpoints' | 'deleteEndpoint'>;
  policy: UrlPolicy;
  /** Where the URL's host resolves, checked when it is registered (and again at every delivery). */
  hostProblem: (url: string) => Promise<string | undefined>;
  now: () => number;
  logger: Logger;
}

const ENDPOINT_ID = /^we_[0-9A-Za-z]{24}$/;
/** The routes this function serves (API Gateway sends it only these). */
const OPERATIONS: Partial<Record<string, 'create' | 'list' | 'delete'>> = { POST: 'create', GET: 'list', DELETE: 'delete' };
const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * `POST /v1/webhook_endpoints` (`201`, the secret shown this once), `GET /v1/webhook_endpoints`
 * (the merchant's, newest first, without secrets) and `DELETE /v1/webhook_endpoints/{id}`.
 * Registering is not idempotent by key, as on Stripe: each call makes a new endpoint and secret.
 */
export function webhookEndpointsHandler(deps: WebhookEndpointsHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    const operation = OPERATIONS[event.httpMethod];
    if (!operation) return problemResponse('notFound', { detail: 'There is no such route. See openapi.json for the API.' });
    try {
      const authentication = await deps.authenticate(event, operation === 'list' ? 'webhooks:read' : 'webhooks:write');
      if ('refusal' in authentication) return authentication.refusal;
      const { merchantId } = authentication.caller;
      switch (operation) {
        case 'create': {
          const request = parseEndpointRequest(parseJsonBody(event), deps.policy);
          const unreachable = await deps.hostProblem(request.url);
          if (unreachable) throw new ValidationError('The request body is not a valid webhook endpoint.', [{ field: 'url', message: unreachable }]);
          const endpoint: WebhookEndpoint = {
            id: newEndpointId(),
            merchantId,
            url: request.url,
            enabledEvents: request.enabledEvents,
            status: 'enabled',
            createdAt: deps.now(),
            secret: newEndpointSecret(),
          };
          if ((await deps.store.createEndpoint(endpoint)) === 'limit_reached') {
            throw new ValidationError(`A merchant may have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first.`, []);
          }
          deps.logger.info('Webhook endpoint created', { endpointId: endpoint.id });
          return json(201, toEndpointObject(endpoint, true));
        }
        case 'list': {
          const endpoints = await deps.store.listEndpoints(merchantId);
          return json(200, { object: 'list', data: endpoints.map((endpoint) => toEndpointObject(endpoint)), has_more: false, url: '/v1/webhook_endpoints' });
        }
        case 'delete': {
          const id = event.pathParameters?.['id'] ?? '';
          const deleted = ENDPOINT_ID.test(id) ? await deps.store.deleteEndpoint(id, merchantId) : undefined;
          if (!deleted) return problemResponse('notFound', { detail: `No such webhook endpoint: '${ENDPOINT_ID.test(id) ? id : '…'}'` });
          return json(200, { id: deleted.id, object: 'webhook_endpoint', deleted: true });
        }
      }
    } catch (error) {
      const refused = bodyProblem(error);
      if (refused) return refused;
      deps.logger.error('Unexpected error on webhook endpoints', { error: error as Error });
      return problemResponse('internal', { detail: 'The webhook endpoints could not be changed or read.', request_id: context.awsRequestId });
    }
  };
}
