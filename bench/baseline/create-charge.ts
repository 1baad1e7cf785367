/**
 * The peer oncepay is benchmarked against: `POST /v1/charges` the way most teams build it,
 * with Powertools' `makeIdempotent` around the handler (default DynamoDB persistence layer,
 * key scoped by merchant and Idempotency-Key, payload validation on the body). The business
 * logic is the same as oncepay's (same validation, same charge item, same queue), so the
 * comparison isolates the idempotency layer. Not part of the product: only `npm run bench`
 * bundles it, in place of the create-charge function.
 */
import { randomUUID } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbChargeRepository } from '../../functions/adapters/dynamodb-charge-repository.ts';
import { SqsWorkQueue } from '../../functions/adapters/sqs-work-queue.ts';
import { pendingCharge, toChargeObject } from '../../functions/domain/charge.ts';
import { parseChargeRequest } from '../../functions/domain/charge-request.ts';
import { ValidationError } from '../../functions/domain/errors.ts';
import { canonicalJson, fingerprint, type JsonValue } from '../../functions/domain/fingerprint.ts';
import { requestAuthenticatorFromEnvironment } from '../../functions/entrypoints/environment.ts';
import { requiredEnv } from '../../functions/shared/env.ts';

const dynamodb = new DynamoDBClient({});
const charges = new DynamoDbChargeRepository(dynamodb, requiredEnv('CHARGES_TABLE_NAME'));
const queue = new SqsWorkQueue(new SQSClient({ useQueueUrlAsEndpoint: false }), requiredEnv('WORK_QUEUE_URL'));
const authenticate = requestAuthenticatorFromEnvironment(new Logger({ serviceName: 'baseline' }));
const DAY_MS = 86_400_000;

/** What the idempotent part sees: the authenticated merchant, the client's key and the raw body. */
interface ChargeCall {
  merchantId: string;
  idempotencyKey: string;
  body: string;
}

async function createCharge({ merchantId, body: text }: ChargeCall): Promise<APIGatewayProxyResult> {
  let body: JsonValue;
  try {
    body = JSON.parse(text) as JsonValue;
    const request = parseChargeRequest(body);
    const now = Date.now();
    const charge = pendingCharge(`ch_${randomUUID().replace(/-/g, '').slice(0, 22)}`, merchantId, request, now);
    const response = { status: 202, body: JSON.stringify(toChargeObject(charge)) };
    await charges.create({
      charge,
      idempotency: {
        key: randomUUID(),
        generation: 0,
        fingerprint: fingerprint(body),
        canonicalBody: canonicalJson(body),
        ownerToken: randomUUID(),
        response,
        expiresAt: now + DAY_MS,
      },
      lease: null,
      attempts: 0,
      purgeAt: now + 30 * DAY_MS,
      processorPaymentId: null,
      prepareKeyAttempt: 1,
      review: null,
    });
    await queue.enqueue(charge.id);
    return { statusCode: 202, headers: { 'Content-Type': 'application/json', Location: `/v1/charges/${charge.id}` }, body: response.body };
  } catch (error) {
    if (error instanceof ValidationError || error instanceof SyntaxError) {
      return { statusCode: 400, headers: { 'Content-Type': 'application/problem+json' }, body: JSON.stringify({ detail: (error as Error).message }) };
    }
    throw error;
  }
}

const idempotentCreateCharge = makeIdempotent(createCharge, {
  persistenceStore: new DynamoDBPersistenceLayer({ tableName: `${requiredEnv('CHARGES_TABLE_NAME')}-idempotency`, awsSdkV3Client: dynamodb }),
  config: new IdempotencyConfig({
    eventKeyJmesPath: '[merchantId, idempotencyKey]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: 86_400,
  }),
});

/** Authenticates as oncepay's functions do, then runs the idempotent part. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const authentication = await authenticate(event, 'charges:write');
  if ('refusal' in authentication) return authentication.refusal;
  const idempotencyKey = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'idempotency-key')?.[1] ?? '';
  return idempotentCreateCharge({ merchantId: authentication.caller.merchantId, idempotencyKey, body: event.body ?? '' });
}
