import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { restEventOf, servingEitherApi } from '../../functions/entrypoints/api-event.ts';
import { headerValue } from '#shared/http.ts';

const httpApiEvent = (overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: 'POST /v1/webhook_endpoints/{id}/roll_secret',
  rawPath: '/v1/webhook_endpoints/we_1/roll_secret',
  rawQueryString: 'limit=1&limit=3&starting_after=ch_1',
  cookies: ['a=1', 'b=2'],
  headers: { authorization: 'Bearer sk_test_x', 'idempotency-key': 'k-1', 'content-type': 'application/json' },
  queryStringParameters: { limit: '1,3', starting_after: 'ch_1' },
  pathParameters: { id: 'we_1' },
  body: '{"expires_in_hours":1}',
  isBase64Encoded: false,
  requestContext: {
    accountId: '123456789012',
    apiId: 'api1',
    domainName: 'api1.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'api1',
    http: { method: 'POST', path: '/v1/webhook_endpoints/we_1/roll_secret', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'curl/8' },
    requestId: 'req-1',
    routeKey: 'POST /v1/webhook_endpoints/{id}/roll_secret',
    stage: '$default',
    time: '03/Dec/2026:18:00:00 +0000',
    timeEpoch: 1_796_320_800_000,
  },
  ...overrides,
});

describe('an HTTP API event (payload 2.0) as the REST handlers read it', () => {
  it('keeps what the handlers read: method, route as resource, path parameters, headers, body, source IP', () => {
    const event = restEventOf(httpApiEvent());
    expect(event).toMatchObject({
      httpMethod: 'POST',
      resource: '/v1/webhook_endpoints/{id}/roll_secret',
      path: '/v1/webhook_endpoints/we_1/roll_secret',
      pathParameters: { id: 'we_1' },
      body: '{"expires_in_hours":1}',
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1', identity: { sourceIp: '203.0.113.9' } },
    });
    expect(headerValue(event, 'Idempotency-Key')).toBe('k-1');
    expect(headerValue(event, 'Cookie')).toBe('a=1; b=2');
  });

  it('gives a repeated query parameter its last value, as a REST API does (2.0 joins them with commas)', () => {
    expect(restEventOf(httpApiEvent()).queryStringParameters).toEqual({ limit: '3', starting_after: 'ch_1' });
    expect(restEventOf(httpApiEvent()).multiValueQueryStringParameters).toEqual({ limit: ['1', '3'], starting_after: ['ch_1'] });
  });

  it('has null where a REST API has nothing: no query, no path parameters, no body', () => {
    const { queryStringParameters, pathParameters, body, ...rest } = httpApiEvent({ rawQueryString: '', routeKey: 'GET /v1/charges' });
    void queryStringParameters;
    void pathParameters;
    void body;
    const event = restEventOf(rest as APIGatewayProxyEventV2);
    expect(event.queryStringParameters).toBeNull();
    expect(event.pathParameters).toBeNull();
    expect(event.body).toBeNull();
    expect(event.resource).toBe('/v1/charges');
  });

  it('passes a REST event through unchanged, and converts only a 2.0 one', async () => {
    const seen: APIGatewayProxyEvent[] = [];
    const handler = servingEitherApi(async (event) => {
      seen.push(event);
      return { statusCode: 200, body: '' };
    });
    const restEvent = restEventOf(httpApiEvent());
    await handler(restEvent, {} as Context);
    await handler(httpApiEvent(), {} as Context);
    expect(seen[0]).toBe(restEvent);
    expect(seen[1]).toEqual(restEvent);
  });
});
