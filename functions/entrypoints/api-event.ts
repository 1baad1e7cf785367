import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';

type RestHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Lets a handler written for the REST API's proxy event (payload 1.0) serve an HTTP API's
 * (payload 2.0) too, so one bundle runs behind either (`api.type` in the stage config). The
 * answer needs no change: a 2.0 integration reads the same `statusCode`, `headers`, `body` and
 * `isBase64Encoded` (the handlers set no `multiValueHeaders`, which 2.0 ignores).
 */
export function servingEitherApi(handler: RestHandler) {
  return (event: APIGatewayProxyEvent | APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyResult> =>
    handler(isHttpApiEvent(event) ? restEventOf(event) : event, context);
}

function isHttpApiEvent(event: APIGatewayProxyEvent | APIGatewayProxyEventV2): event is APIGatewayProxyEventV2 {
  return (event as { version?: unknown }).version === '2.0';
}

/**
 * The 1.0 event a REST API would have sent for the same request. Where the formats differ, the
 * REST API's meaning is kept for query parameters: one given twice takes its last value (2.0
 * joins them with commas). A header sent twice stays joined with a comma, as 2.0 gives it (REST
 * keeps the last): it cannot be split back, since a value may hold a comma. So a request with two
 * `Idempotency-Key` headers has the key `a,b` behind an HTTP API and `b` behind a REST API.
 */
export function restEventOf(event: APIGatewayProxyEventV2): APIGatewayProxyEvent {
  const { http } = event.requestContext;
  // The route key is `METHOD /path/{param}`: its path is the REST API's resource.
  const resource = event.routeKey.slice(event.routeKey.indexOf(' ') + 1);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) if (value !== undefined) headers[name] = value;
  if (event.cookies?.length) headers['cookie'] = event.cookies.join('; ');
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString)) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const pathParameters = event.pathParameters ? (Object.fromEntries(Object.entries(event.pathParameters).filter(([, value]) => value !== undefined)) as Record<string, string>) : null;
  return {
    resource,
    path: event.rawPath,
    httpMethod: http.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: pathParameters && Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded,
    requestContext: {
      accountId: event.requestContext.accountId,
      apiId: event.requestContext.apiId,
      authorizer: undefined,
      domainName: event.requestContext.domainName,
      domainPrefix: event.requestContext.domainPrefix,
      extendedRequestId: event.requestContext.requestId,
      httpMethod: http.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: http.sourceIp,
        user: null,
        userAgent: http.userAgent,
        userArn: null,
      },
      path: http.path,
      protocol: http.protocol,
      requestId: event.requestContext.requestId,
      requestTimeEpoch: event.requestContext.timeEpoch,
      resourceId: event.routeKey,
      resourcePath: resource,
      stage: event.requestContext.stage,
    },
  };
}
