import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway, type RestApiDefinition, type RunningApiGateway } from '../../scripts/local/api-gateway.ts';
import { FunctionHost } from '../../scripts/local/function-host.ts';

describe('local API Gateway', () => {
  let host: FunctionHost;
  let gateway: RunningApiGateway;

  beforeAll(async () => {
    host = new FunctionHost(
      {
        logicalId: 'Counting',
        functionName: 'counting',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:counting',
        bundlePath: fileURLToPath(new URL('../fixtures/functions/counting-proxy-handler.mjs', import.meta.url)),
        exportName: 'handler',
        timeoutMs: 3000,
        memoryMb: 128,
        environment: {},
        reservedConcurrency: null,
      },
      { baseEnvironment: {}, maxEnvironments: 1, onLog: () => undefined },
    );
    const api: RestApiDefinition = {
      apiId: 'test',
      stageName: 'v1',
      routes: [{ httpMethod: 'GET', resourcePath: '/count', resourceId: 'count', segments: ['count'], host }],
      gatewayResponses: new Map([
        ['THROTTLED', { headers: { 'Content-Type': 'application/problem+json' }, body: '{"type":"https://oncepay.dev/problems/rate-limited"}' }],
      ]),
      throttle: { ratePerSecond: 0.001, burst: 1 },
    };
    gateway = await startApiGateway({ api, port: 0, region: 'us-east-1', accountId: '000000000000', onRequest: () => undefined });
  });
  afterAll(async () => {
    await gateway.close();
    await host.close();
  });

  it('throttles with 429 before invoking the function, so nothing is remembered', async () => {
    const first = await fetch(`${gateway.url}/count`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ invocations: 1 });
    const throttled = await fetch(`${gateway.url}/count`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('content-type')).toBe('application/problem+json');
    expect(await host.invoke({})).toMatchObject({ ok: true, result: { body: JSON.stringify({ invocations: 2 }) } });
  });
});
