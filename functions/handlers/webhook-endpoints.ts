import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDbWebhookStore, SecretRoll } from '#adapters/dynamodb-webhook-store.ts';
import { ValidationError } from '#domain/errors.ts';
import { differingFields, fingerprint, type JsonValue } from '#domain/fingerprint.ts';
import { parseIdempotencyKey } from '#domain/idempotency-key.ts';
import {
  bindingOf,
  MAX_ENDPOINTS_PER_MERCHANT,
  newEndpointId,
  newEndpointSecret,
  parseEndpointRequest,
  parseRollSecretRequest,
  toEndpointObject,
  type SecretSealer,
  type UrlPolicy,
  type WebhookEndpoint,
} from '#domain/webhook-endpoint.ts';
import { bodyText, headerValue } from '#shared/http.ts';
import { problemResponse } from '#shared/problem.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { keyReusedProblem } from './idempotent-response.ts';
import { bodyProblem, parseJsonBody } from './json-body.ts';

export interface WebhookEndpointsHandlerDeps {
  authenticate: RequestAuthenticator;
  store: Pick<DynamoDbWebhookStore, 'createEndpoint' | 'listEndpoints' | 'deleteEndpoint' | 'getEndpoint' | 'getSecretRoll' | 'rollSecret'>;
  /** Seals each new secret for its endpoint; opens one only to replay a roll's answer. */
  sealer: SecretSealer;
  /** How long a roll's `Idempotency-Key` is remembered (the stage's `idempotencyRetentionHours`). */
  idempotencyRetentionMs: number;
  policy: UrlPolicy;
  /** Where the URL's host resolves, checked when it is registered (and again at every delivery). */
  hostProblem: (url: string) => Promise<string | undefined>;
  now: () => number;
  logger: Logger;
}

const ENDPOINT_ID = /^we_[0-9A-Za-z]{24}$/;
/** The routes this function serves (API Gateway sends it only these). */
const OPERATIONS: Partial<Record<string, 'create' | 'list' | 'delete' | 'roll'>> = {
  'POST /v1/webhook_endpoints': 'create',
  'GET /v1/webhook_endpoints': 'list',
  'DELETE /v1/webhook_endpoints/{id}': 'delete',
  'POST /v1/webhook_endpoints/{id}/roll_secret': 'roll',
};
/** Rolls that lose a race with another roll of the same endpoint try again this often. */
const ROLL_TRIES = 3;
const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * `POST /v1/webhook_endpoints` (`201`, the secret shown this once), `GET /v1/webhook_endpoints`
 * (the merchant's, newest first, without secrets), `DELETE /v1/webhook_endpoints/{id}` and
 * `POST /v1/webhook_endpoints/{id}/roll_secret` (`200`, the new secret shown). Registering is not
 * idempotent by key, as on Stripe: each call makes a new endpoint and secret. Rolling is: it
 * takes an `Idempotency-Key`, and a retry answers the first answer again, secret included, so a
 * lost answer never leaves a merchant with a secret it never saw.
 */
export function webhookEndpointsHandler(deps: WebhookEndpointsHandlerDeps) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    deps.logger.addContext(context);
    const operation = OPERATIONS[`${event.httpMethod} ${event.resource}`];
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
          const id = newEndpointId();
          const secret = newEndpointSecret();
          const endpoint: WebhookEndpoint = {
            id,
            merchantId,
            url: request.url,
            enabledEvents: request.enabledEvents,
            status: 'enabled',
            createdAt: deps.now(),
            sealedSecret: await deps.sealer.seal(secret, { merchantId, endpointId: id }),
          };
          if ((await deps.store.createEndpoint(endpoint)) === 'limit_reached') {
            throw new ValidationError(`A merchant may have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first.`, []);
          }
          deps.logger.info('Webhook endpoint created', { endpointId: endpoint.id });
          return json(201, toEndpointObject(endpoint, secret));
        }
        case 'list': {
          const endpoints = await deps.store.listEndpoints(merchantId);
          return json(200, { object: 'list', data: endpoints.map((endpoint) => toEndpointObject(endpoint)), has_more: false, url: '/v1/webhook_endpoints' });
        }
        case 'roll':
          return await rollSecret(deps, event, merchantId);
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

/** The answer to a roll, first or replayed: the endpoint object as it was stored, with the new secret. */
function rollAnswer(roll: SecretRoll, secret: string, replayed: boolean): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
    body: JSON.stringify({ ...(JSON.parse(roll.response) as Record<string, unknown>), secret }),
  };
}

/**
 * `POST /v1/webhook_endpoints/{id}/roll_secret {"expires_in": seconds}`: a new secret signs from
 * now on; the replaced one keeps signing beside it for `expires_in` seconds (0, the default: it
 * stops at once). A roll during another's overlap keeps only the secret it replaces: the one
 * that was already being retired stops at once, so at most two secrets ever sign.
 */
async function rollSecret(deps: WebhookEndpointsHandlerDeps, event: APIGatewayProxyEvent, merchantId: string): Promise<APIGatewayProxyResult> {
  const id = event.pathParameters?.['id'] ?? '';
  if (!ENDPOINT_ID.test(id)) return problemResponse('notFound', { detail: "No such webhook endpoint: '…'" });
  const idempotencyKey = parseIdempotencyKey(headerValue(event, 'Idempotency-Key'));
  // An empty body is the default roll, as `{}`.
  const body = bodyText(event).trim() === '' ? {} : parseJsonBody(event);
  const { expiresInSeconds } = parseRollSecretRequest(body);
  const request: JsonValue = { id, body };
  const requestFingerprint = fingerprint(request);
  const now = deps.now();
  const retention = { retainedSince: now - deps.idempotencyRetentionMs, purgeAt: now + deps.idempotencyRetentionMs };
  const answerExisting = async (existing: SecretRoll) => {
    if (existing.fingerprint !== requestFingerprint) return keyReusedProblem(differingFields(existing.request, request));
    return rollAnswer(existing, await deps.sealer.unseal(existing.sealedSecret, { merchantId, endpointId: existing.endpointId }), true);
  };
  const remembered = await deps.store.getSecretRoll(merchantId, idempotencyKey, retention.retainedSince);
  if (remembered) return answerExisting(remembered);
  for (let attempt = 0; attempt < ROLL_TRIES; attempt += 1) {
    const endpoint = await deps.store.getEndpoint(id);
    if (!endpoint || endpoint.merchantId !== merchantId) return problemResponse('notFound', { detail: `No such webhook endpoint: '${id}'` });
    const secret = newEndpointSecret();
    const sealedSecret = await deps.sealer.seal(secret, bindingOf(endpoint));
    const previous = expiresInSeconds > 0 ? { sealed: endpoint.sealedSecret, expiresAt: now + expiresInSeconds * 1000 } : undefined;
    const roll: SecretRoll = {
      merchantId,
      idempotencyKey,
      request,
      fingerprint: requestFingerprint,
      endpointId: id,
      sealedSecret,
      response: JSON.stringify(toEndpointObject(endpoint)),
      createdAt: now,
    };
    const outcome = await deps.store.rollSecret(roll, { replaces: endpoint.sealedSecret, ...(previous ? { previous } : {}) }, retention);
    if ('existing' in outcome) return answerExisting(outcome.existing);
    if ('rolled' in outcome) {
      deps.logger.info('Webhook endpoint secret rolled', { endpointId: id, overlapSeconds: expiresInSeconds });
      return rollAnswer(roll, secret, false);
    }
  }
  return problemResponse('conflict', { detail: 'The endpoint’s secret is being rolled by another request; retry with the same Idempotency-Key.' });
}
