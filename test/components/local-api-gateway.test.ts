import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiGateway, type ApiDefinition, type RunningApiGateway } from '../../scripts/local/api-gateway.ts';
import { FunctionHost, ThrottledError } from '../../scripts/local/function-host.ts';

/** A function hosted from a fixture bundle, one environment. */
const fixtureHost = (name: string, fixture: string) =>
  new FunctionHost(
    {
      logicalId: name,
      functionName: name.toLowerCase(),
      functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name.toLowerCase()}`,
      aliases: [],
      bundlePath: fileURLToPath(new URL(`../fixtures/functions/${fixture}`, import.meta.url)),
      exportName: 'handler',
      timeoutMs: 3000,
      memoryMb: 128,
      environment: {},
      reservedConcurrency: null,
    },
    { baseEnvironment: {}, maxEnvironments: 1, onLog: () => undefined },
  );

describe('local API Gateway', () => {
  let host: FunctionHost;
  let gateway: RunningApiGateway;

  beforeAll(async () => {
    host = fixtureHost('Counting', 'counting-proxy-handler.mjs');
    const api: ApiDefinition = {
      kind: 'rest',
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

describe('what counts against a function’s timeout, and its reserved concurrency', () => {
  const slow = (overrides: Partial<ConstructorParameters<typeof FunctionHost>[0]>, init: number) =>
    new FunctionHost(
      {
        logicalId: 'SlowInit',
        functionName: 'slow-init',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:slow-init',
        aliases: [],
        bundlePath: fileURLToPath(new URL('../fixtures/functions/slow-init-handler.mjs', import.meta.url)),
        exportName: 'handler',
        timeoutMs: 1000,
        memoryMb: 128,
        environment: { INIT_MS: String(init) },
        reservedConcurrency: null,
        ...overrides,
      },
      { baseEnvironment: {}, maxEnvironments: 1, onLog: () => undefined },
    );

  it('a cold start longer than the timeout is not the handler’s time (Lambda limits init on its own)', async () => {
    const host = slow({}, 1_500);
    try {
      expect(await host.invoke({})).toMatchObject({ ok: true });
      // The handler's own time still counts.
      expect(await host.invoke({ holdMs: 1_500 })).toMatchObject({ ok: false, timedOut: true });
    } finally {
      await host.close();
    }
  });

  it('waiting for a free environment counts against no timeout: queued invocations all finish', async () => {
    const host = slow({ timeoutMs: 1_000 }, 0);
    try {
      // One environment; three invocations of 600 ms each: the last waits 1.2 s, more than the timeout.
      const results = await Promise.all([0, 1, 2].map(() => host.invoke({ holdMs: 600 })));
      expect(results.map((result) => result.ok)).toEqual([true, true, true]);
    } finally {
      await host.close();
    }
  });

  it('an invocation waiting for one of this machine’s environments counts against the reserved concurrency (on Lambda it would be running)', async () => {
    const host = slow({ reservedConcurrency: 2 }, 0);
    try {
      // One environment here: the second invocation waits for it, and the third is one past the reserve.
      const results = await Promise.allSettled([0, 1, 2].map(() => host.invoke({ holdMs: 300 })));
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ThrottledError);
    } finally {
      await host.close();
    }
  });

  it('past its reserved concurrency a function is throttled, and API Gateway passes no 429 on: its integration-failure answer, or an HTTP API’s 500', async () => {
    const host = slow({ reservedConcurrency: 1 }, 0);
    const route = { httpMethod: 'POST', resourcePath: '/hold', resourceId: 'POST /hold', segments: ['hold'], host };
    const rest: ApiDefinition = {
      kind: 'rest',
      apiId: 'test',
      stageName: 'v1',
      routes: [route],
      gatewayResponses: new Map([
        ['THROTTLED', { statusCode: 429, headers: { 'Content-Type': 'application/problem+json' }, body: '{"type":"https://oncepay.dev/problems/rate-limited"}' }],
        ['INTEGRATION_FAILURE', { statusCode: 504, headers: { 'Content-Type': 'application/problem+json' }, body: '{"type":"https://oncepay.dev/problems/gateway-timeout"}' }],
      ]),
      throttle: null,
    };
    const http: ApiDefinition = { ...rest, kind: 'http', stageName: '$default', gatewayResponses: new Map() };
    const gateways = [await startApiGateway({ api: rest, port: 0, region: 'us-east-1', accountId: '000000000000', onRequest: () => undefined })];
    gateways.push(await startApiGateway({ api: http, port: 0, region: 'us-east-1', accountId: '000000000000', onRequest: () => undefined }));
    try {
      const busy = host.invoke({ holdMs: 800 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const throttled = await fetch(`${gateways[0]?.url}/hold`, { method: 'POST', body: '{}' });
      expect(throttled.status).toBe(504);
      expect(await throttled.json()).toEqual({ type: 'https://oncepay.dev/problems/gateway-timeout' });
      const throttledHttp = await fetch(`${gateways[1]?.url}/hold`, { method: 'POST', body: '{}' });
      expect(throttledHttp.status).toBe(500);
      expect(await throttledHttp.json()).toEqual({ message: 'Internal Server Error' });
      expect(await busy).toMatchObject({ ok: true });
    } finally {
      for (const gateway of gateways) await gateway.close();
      await host.close();
    }
  });
});

describe('local HTTP API (payload 2.0)', () => {
  let host: FunctionHost;
  let gateway: RunningApiGateway;

  beforeAll(async () => {
    host = fixtureHost('Echo', 'echo-event-handler.mjs');
    const api: ApiDefinition = {
      kind: 'http',
      apiId: 'httpapi',
      stageName: '$default',
      routes: [{ httpMethod: 'POST', resourcePath: '/items/{id}', resourceId: 'POST /items/{id}', segments: ['items', '{id}'], host }],
      gatewayResponses: new Map(),
      throttle: { ratePerSecond: 0.001, burst: 2 },
    };
    gateway = await startApiGateway({ api, port: 0, region: 'us-east-1', accountId: '000000000000', onRequest: () => undefined });
  });
  afterAll(async () => {
    await gateway.close();
    await host.close();
  });

  it('sends the 2.0 event: route key, lower-case headers, repeated values joined with commas, cookies apart', async () => {
    // Two header lines of one name (fetch would merge them into one line).
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${gateway.url}/items/it_1?limit=1&limit=2`,
        { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Twice': ['a', 'b'], Cookie: 'one=1; two=2' } },
        (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
      request.end('{"amount":1}');
    });
    expect(answer.status).toBe(200);
    const event = JSON.parse(answer.body) as Record<string, unknown> & { headers: Record<string, string> };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /items/{id}',
      rawPath: '/items/it_1',
      rawQueryString: 'limit=1&limit=2',
      queryStringParameters: { limit: '1,2' },
      pathParameters: { id: 'it_1' },
      cookies: ['one=1', 'two=2'],
      body: '{"amount":1}',
      isBase64Encoded: false,
      requestContext: { apiId: 'httpapi', routeKey: 'POST /items/{id}', stage: '$default', http: { method: 'POST', path: '/items/it_1' } },
    });
    expect(event.headers['x-twice']).toBe('a,b');
    expect(event.headers['cookie']).toBeUndefined();
  });

  it('answers its own errors as an HTTP API does: {"message": …}, no problem+json', async () => {
    const unknown = await fetch(`${gateway.url}/nothing`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: 'Not Found' });
    // The stage's bucket holds two tokens, refilled once in 1,000 s: a few requests empty it.
    let throttled: Response | undefined;
    for (let attempt = 0; attempt < 3 && throttled?.status !== 429; attempt += 1) throttled = await fetch(`${gateway.url}/items/it_2`, { method: 'POST', body: '{}' });
    expect(throttled?.status).toBe(429);
    expect(await throttled?.json()).toEqual({ message: 'Too Many Requests' });
  });
});
