/**
 * The secret roll's decisions that the stack cannot easily provoke: a roll that keeps losing the
 * race to other rolls is a 409 (retry with the same key), a key reused for another endpoint is a
 * 422 naming `id`, and a replay opens the secret sealed for the roll's own endpoint.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { SecretRoll, SecretRollOutcome } from '#adapters/dynamodb-webhook-store.ts';
import type { SecretBinding, WebhookEndpoint } from '#domain/webhook-endpoint.ts';
import { webhookEndpointsHandler } from '#handlers/webhook-endpoints.ts';

const ENDPOINT_ID = 'we_0123456789ABCDEFGHIJklmn';
const endpoint: WebhookEndpoint = { id: ENDPOINT_ID, merchantId: 'mer_a', url: 'https://hooks.example.com/', enabledEvents: ['*'], status: 'enabled', createdAt: 0, sealedSecret: 'sealed:old' };

function handlerWith(options: { roll: () => SecretRollOutcome; remembered?: SecretRoll }) {
  const rolls: SecretRoll[] = [];
  const opened: SecretBinding[] = [];
  const handler = webhookEndpointsHandler({
    authenticate: async () => ({ caller: { merchantId: 'mer_a', keyId: 'key_a' } }),
    store: {
      createEndpoint: async () => 'created',
      listEndpoints: async () => [],
      deleteEndpoint: async () => undefined,
      getEndpoint: async () => endpoint,
      getSecretRoll: async () => options.remembered,
      rollSecret: async (roll) => (rolls.push(roll), options.roll()),
    },
    sealer: {
      seal: async (secret) => `sealed:${secret}`,
      unseal: async (sealed, binding) => (opened.push(binding), sealed.replace(/^sealed:/, '')),
    },
    idempotencyRetentionMs: 86_400_000,
    policy: { allowLoopbackHttp: false },
    hostProblem: async () => undefined,
    now: () => 1_700_000_000_000,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  });
  const roll = (id: string, body: unknown) =>
    handler(
      {
        httpMethod: 'POST',
        resource: '/v1/webhook_endpoints/{id}/roll_secret',
        pathParameters: { id },
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k1' },
        body: JSON.stringify(body),
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEvent,
      { awsRequestId: 'test' } as Context,
    );
  return { roll, rolls, opened };
}

describe('rolling a secret', () => {
  it('tries three times against rolls that keep winning the race, then answers 409 (retry with the same key)', async () => {
    const world = handlerWith({ roll: () => ({ endpointChanged: true }) });
    const answer = await world.roll(ENDPOINT_ID, { expires_in: 60 });
    expect(answer.statusCode).toBe(409);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'https://oncepay.dev/problems/conflict', status: 409 });
    expect(world.rolls).toHaveLength(3);
    // Each try seals a new secret of its own.
    expect(world.rolls.map((roll) => roll.sealedSecret.startsWith('sealed:whsec_'))).toEqual([true, true, true]);
  });

  it('answers a key first used for another endpoint with 422 naming id, and a replay with the secret opened for the roll’s endpoint', async () => {
    const remembered: SecretRoll = {
      merchantId: 'mer_a',
      idempotencyKey: 'k1',
      request: { id: 'we_ZZZZZZZZZZZZZZZZZZZZZZZZ', body: { expires_in: 60 } },
      fingerprint: 'another',
      endpointId: 'we_ZZZZZZZZZZZZZZZZZZZZZZZZ',
      sealedSecret: 'sealed:whsec_first',
      response: JSON.stringify({ id: 'we_ZZZZZZZZZZZZZZZZZZZZZZZZ', object: 'webhook_endpoint' }),
      createdAt: 1_699_999_000_000,
    };
    const reused = await handlerWith({ roll: () => ({ rolled: true }), remembered }).roll(ENDPOINT_ID, { expires_in: 60 });
    expect(reused.statusCode).toBe(422);
    expect(JSON.parse(reused.body)).toMatchObject({ differing_fields: ['id'] });

    // The record a real roll leaves, then the same request again.
    const first = handlerWith({ roll: () => ({ rolled: true }) });
    await first.roll(ENDPOINT_ID, { expires_in: 60 });
    const [made] = first.rolls;
    const again = handlerWith({ roll: () => ({ rolled: true }), remembered: made! });
    const replayed = await again.roll(ENDPOINT_ID, { expires_in: 60 });
    expect(replayed.statusCode).toBe(200);
    expect(replayed.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
    expect(JSON.parse(replayed.body)).toMatchObject({ id: ENDPOINT_ID, secret: made!.sealedSecret.replace(/^sealed:/, '') });
    expect(again.opened).toEqual([{ merchantId: 'mer_a', endpointId: ENDPOINT_ID }]);
    expect(again.rolls).toEqual([]);
  });
});
