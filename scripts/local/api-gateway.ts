import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { ThrottledError, type FunctionHost } from './function-host.ts';
import { listenOnLoopback } from './net.ts';
import { resourcesOfType, type CfnTemplate, type IntrinsicResolver } from './template.ts';

interface Route {
  httpMethod: string;
  resourcePath: string;
  resourceId: string;
  segments: string[];
  host: FunctionHost;
}

interface GatewayResponse {
  statusCode?: number;
  headers: Record<string, string>;
  body?: string;
}

/**
 * The API as the template declares it: a REST API (payload 1.0, its gateway responses) or an
 * HTTP API (payload 2.0, API Gateway's fixed error answers); routes and stage throttling.
 */
export interface ApiDefinition {
  kind: 'rest' | 'http';
  apiId: string;
  stageName: string;
  routes: Route[];
  gatewayResponses: Map<string, GatewayResponse>;
  throttle: { ratePerSecond: number; burst: number } | null;
}

/** API Gateway's own default status per gateway response type (the ones this emulator raises). */
const DEFAULT_STATUS: Record<string, number> = {
  MISSING_AUTHENTICATION_TOKEN: 403,
  THROTTLED: 429,
  REQUEST_TOO_LARGE: 413,
  INTEGRATION_FAILURE: 502,
  INTEGRATION_TIMEOUT: 504,
};
const DEFAULT_MESSAGE: Record<string, string> = {
  MISSING_AUTHENTICATION_TOKEN: 'Missing Authentication Token',
  THROTTLED: 'Too Many Requests',
  REQUEST_TOO_LARGE: 'Request Too Long',
  INTEGRATION_FAILURE: 'Internal server error',
  INTEGRATION_TIMEOUT: 'Endpoint request timed out',
};

/** An HTTP API's own answers (it has no gateway responses to configure), per the REST type raised. */
const HTTP_API_ANSWERS: Record<string, { status: number; message: string }> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 404, message: 'Not Found' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Entity Too Large' },
  INTEGRATION_TIMEOUT: { status: 503, message: 'Service Unavailable' },
  DEFAULT_5XX: { status: 500, message: 'Internal Server Error' },
};

/** API Gateway's payload limit, and its integration timeout for a REST and an HTTP API. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = { rest: 29_000, http: 30_000 };

/**
 * Reads the template's REST API. The resolver must already know the API (`Ref` = its id),
 * its resources (`Ref` = their logical id) and its functions (by ARN, through `hostsByArn`).
 */
export function readRestApi(
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  hostsByArn: Map<string, FunctionHost>,
): ApiDefinition {
  const [api, ...others] = resourcesOfType(template, 'AWS::ApiGateway::RestApi');
  if (!api || others.length > 0) throw new Error('The local runner serves exactly one REST API per stack');
  const [apiLogicalId] = api;
  const apiId = resolver.resolveString({ Ref: apiLogicalId });

  const parents = new Map<string, { parent: string; pathPart: string }>();
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::ApiGateway::Resource')) {
    const properties = resource.Properties ?? {};
    parents.set(logicalId, {
      parent: resolver.resolveString(properties['ParentId']),
      pathPart: String(properties['PathPart']),
    });
  }
  const pathOf = (resourceId: string): string => {
    const node = parents.get(resourceId);
    if (!node) return '';
    return `${pathOf(node.parent)}/${node.pathPart}`;
  };

  const functionFor = (uri: unknown): FunctionHost => {
    const resolved = resolver.resolveString(uri);
    const arn = /functions\/(.+)\/invocations$/.exec(resolved)?.[1] ?? '';
    const host = hostsByArn.get(arn);
    if (!host) throw new Error(`No local function for integration ${resolved}`);
    return host;
  };

  // The runner serves what every target runs; an authorizer would go unenforced here.
  if (resourcesOfType(template, 'AWS::ApiGateway::Authorizer').length > 0) {
    throw new Error('The local runner does not run API Gateway authorizers: authenticate in the functions');
  }
  const routes: Route[] = [];
  for (const [, resource] of resourcesOfType(template, 'AWS::ApiGateway::Method')) {
    const properties = resource.Properties ?? {};
    const integration = properties['Integration'] as { Type?: string; Uri?: unknown } | undefined;
    if (!integration || integration.Type !== 'AWS_PROXY') continue; // e.g. CORS mocks
    const resourceId = resolver.resolveString(properties['ResourceId']);
    const resourcePath = pathOf(resourceId) || '/';
    routes.push({
      httpMethod: String(properties['HttpMethod']),
      resourcePath,
      resourceId,
      segments: resourcePath.split('/').filter(Boolean),
      host: functionFor(integration.Uri),
    });
  }

  const gatewayResponses = new Map<string, GatewayResponse>();
  for (const [, resource] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')) {
    const properties = resource.Properties ?? {};
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((properties['ResponseParameters'] ?? {}) as Record<string, string>)) {
      const header = /^gatewayresponse\.header\.(.+)$/.exec(name)?.[1];
      if (header) headers[header] = value.replace(/^'(.*)'$/, '$1');
    }
    const templates = (properties['ResponseTemplates'] ?? {}) as Record<string, string>;
    gatewayResponses.set(String(properties['ResponseType']), {
      ...(properties['StatusCode'] ? { statusCode: Number(properties['StatusCode']) } : {}),
      headers,
      ...(templates['application/json'] ? { body: templates['application/json'] } : {}),
    });
  }

  const [stage] = resourcesOfType(template, 'AWS::ApiGateway::Stage');
  const stageProperties = stage?.[1].Properties ?? {};
  const settings = ((stageProperties['MethodSettings'] ?? []) as Array<Record<string, unknown>>).find(
    (setting) => setting['HttpMethod'] === '*' && setting['ResourcePath'] === '/*',
  );
  const throttle =
    settings && settings['ThrottlingRateLimit'] !== undefined
      ? { ratePerSecond: Number(settings['ThrottlingRateLimit']), burst: Number(settings['ThrottlingBurstLimit'] ?? 0) }
      : null;

  return { kind: 'rest', apiId, stageName: String(stageProperties['StageName'] ?? 'prod'), routes, gatewayResponses, throttle };
}

/**
 * Reads the template's HTTP API: its routes (`METHOD /path`), their Lambda integrations and the
 * stage's default throttling. The resolver must know the API and its integrations (`Ref`).
 */
export function readHttpApi(template: CfnTemplate, resolver: IntrinsicResolver, hostsByArn: Map<string, FunctionHost>): ApiDefinition {
  const [api, ...others] = resourcesOfType(template, 'AWS::ApiGatewayV2::Api');
  if (!api || others.length > 0) throw new Error('The local runner serves exactly one HTTP API per stack');
  const apiId = resolver.resolveString({ Ref: api[0] });
  if (resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer').length > 0) {
    throw new Error('The local runner does not run API Gateway authorizers: authenticate in the functions');
  }
  const integrations = new Map<string, FunctionHost>();
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')) {
    const properties = resource.Properties ?? {};
    if (properties['IntegrationType'] !== 'AWS_PROXY' || properties['PayloadFormatVersion'] !== '2.0') {
      throw new Error(`${logicalId}: the local runner serves Lambda proxy integrations of payload format 2.0 only`);
    }
    const arn = resolver.resolveString(properties['IntegrationUri']);
    const host = hostsByArn.get(arn);
    if (!host) throw new Error(`No local function for integration ${arn}`);
    integrations.set(resolver.resolveString({ Ref: logicalId }), host);
  }
  const routes: Route[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const properties = resource.Properties ?? {};
    const routeKey = String(properties['RouteKey']);
    const [httpMethod = '', resourcePath = ''] = routeKey.split(' ');
    const target = /^integrations\/(.+)$/.exec(resolver.resolveString(properties['Target']))?.[1] ?? '';
    const host = integrations.get(target);
    if (!host) throw new Error(`${logicalId}: route ${routeKey} has no Lambda integration`);
    routes.push({ httpMethod, resourcePath, resourceId: routeKey, segments: resourcePath.split('/').filter(Boolean), host });
  }
  const [stage] = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage');
  const stageProperties = stage?.[1].Properties ?? {};
  const settings = (stageProperties['DefaultRouteSettings'] ?? {}) as Record<string, unknown>;
  const throttle =
    settings['ThrottlingRateLimit'] !== undefined
      ? { ratePerSecond: Number(settings['ThrottlingRateLimit']), burst: Number(settings['ThrottlingBurstLimit'] ?? 0) }
      : null;
  return { kind: 'http', apiId, stageName: String(stageProperties['StageName'] ?? '$default'), routes, gatewayResponses: new Map(), throttle };
}

export interface ApiGatewayOptions {
  api: ApiDefinition;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  region: string;
  accountId: string;
  onRequest: (line: { method: string; path: string; status: number; durationMs: number }) => void;
}

export interface RunningApiGateway {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the API over HTTP as API Gateway would with a custom domain at the root: route
 * matching, stage throttling, the payload limit, and proxy integration: payload 1.0 and the
 * template's gateway responses for a REST API, payload 2.0 and API Gateway's fixed error
 * answers for an HTTP API. Authentication is the functions' own business.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<RunningApiGateway> {
  const bucket = options.api.throttle ? new TokenBucket(options.api.throttle.ratePerSecond, options.api.throttle.burst) : null;

  const server: Server = createServer((request, response) => {
    const started = Date.now();
    const requestId = randomUUID();
    const url = new URL(request.url ?? '/', 'http://local');
    void handle(request, url, requestId)
      .catch((error: unknown) => gatewayResponse(options.api, 'DEFAULT_5XX', `Local runner failure: ${(error as Error).message}`, 500))
      .then((reply) => {
        response.writeHead(reply.statusCode, { ...reply.headers, 'x-amzn-RequestId': requestId });
        response.end(reply.body);
        options.onRequest({ method: request.method ?? '', path: url.pathname, status: reply.statusCode, durationMs: Date.now() - started });
      });
  });

  const handle = async (request: IncomingMessage, url: URL, requestId: string): Promise<HttpReply> => {
    const body = await readBody(request, MAX_PAYLOAD_BYTES);
    if (body === null) return gatewayResponse(options.api, 'REQUEST_TOO_LARGE');
    if (bucket && !bucket.take()) return gatewayResponse(options.api, 'THROTTLED');
    const match = matchRoute(options.api.routes, request.method ?? '', url.pathname);
    if (!match) return gatewayResponse(options.api, 'MISSING_AUTHENTICATION_TOKEN');
    const { route, pathParameters } = match;
    const { kind } = options.api;
    const routed = { request, url, route, pathParameters, body, requestId };
    const event = kind === 'http' ? httpApiEvent(options, routed) : proxyEvent(options, routed);
    let result: Awaited<ReturnType<FunctionHost['invoke']>> | 'timeout';
    try {
      result = await withTimeout(route.host.invoke(event), INTEGRATION_TIMEOUT_MS[kind]);
    } catch (error) {
      // The function is at its reserved concurrency: Lambda throttles (429), and API Gateway passes no 429 on:
      // a REST API answers its INTEGRATION_FAILURE response (502 unless the stage sets one), an HTTP API 500.
      if (error instanceof ThrottledError) return gatewayResponse(options.api, 'INTEGRATION_FAILURE');
      throw error;
    }
    if (result === 'timeout') return gatewayResponse(options.api, 'INTEGRATION_TIMEOUT');
    if (!result.ok) return gatewayResponse(options.api, 'DEFAULT_5XX', 'Internal server error', 502);
    const reply = kind === 'http' ? httpApiResult(result.result) : proxyResult(result.result);
    return reply ?? gatewayResponse(options.api, 'DEFAULT_5XX', 'Internal server error', 502);
  };

  const { url, stop } = await listenOnLoopback(server, options.port);
  return { url, close: stop };
}

interface HttpReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

function matchRoute(routes: Route[], method: string, path: string) {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const route of routes) {
    if (route.httpMethod !== method && route.httpMethod !== 'ANY') continue;
    if (route.segments.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matched = route.segments.every((segment, index) => {
      const value = segments[index] ?? '';
      const parameter = /^\{(.+)\}$/.exec(segment)?.[1];
      if (parameter) {
        pathParameters[parameter] = value;
        return value.length > 0;
      }
      return segment === value;
    });
    if (matched) return { route, pathParameters };
  }
  return undefined;
}

/** A request matched to a route, as both payload formats are built from it. */
interface RoutedRequest {
  request: IncomingMessage;
  url: URL;
  route: Route;
  pathParameters: Record<string, string>;
  body: Buffer;
  requestId: string;
}

function proxyEvent(options: ApiGatewayOptions, { request, url, route, pathParameters, body, requestId }: RoutedRequest): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? '';
    const value = request.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const isText = body.length === 0 || isTextual(findHeader(headers, 'content-type'));
  const now = new Date();
  return {
    resource: route.resourcePath,
    path: url.pathname,
    httpMethod: route.httpMethod,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body: body.length === 0 ? null : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: options.accountId,
      apiId: options.api.apiId,
      authorizer: undefined,
      domainName: url.host,
      domainPrefix: 'local',
      extendedRequestId: requestId,
      httpMethod: route.httpMethod,
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
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: findHeader(headers, 'user-agent') ?? null,
        userArn: null,
      },
      path: `/${options.api.stageName}${url.pathname}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId,
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: route.resourceId,
      resourcePath: route.resourcePath,
      stage: options.api.stageName,
    },
  };
}

/** The payload 2.0 event an HTTP API sends: lower-case headers and repeated values joined with commas, cookies apart. */
function httpApiEvent(options: ApiGatewayOptions, { request, url, route, pathParameters, body, requestId }: RoutedRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = (request.rawHeaders[i] ?? '').toLowerCase();
    const value = request.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  const isText = body.length === 0 || isTextual(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.resourceId,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: options.accountId,
      apiId: options.api.apiId,
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: request.method ?? '',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.resourceId,
      stage: options.api.stageName,
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/** A payload 2.0 answer: a structured one as given; anything else is JSON with status 200, as API Gateway infers. */
function httpApiResult(result: unknown): HttpReply | undefined {
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const reply = proxyResult({ ...result, multiValueHeaders: undefined });
    const cookies = (result as { cookies?: unknown }).cookies;
    if (reply && Array.isArray(cookies) && cookies.length > 0) reply.headers['set-cookie'] = cookies.map(String).join(', ');
    return reply;
  }
  if (result === undefined) return undefined;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result) };
}

function proxyResult(result: unknown): HttpReply | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<string, unknown>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return undefined;
  const replyHeaders: Record<string, string> = {};
  for (const [name, values] of Object.entries((multiValueHeaders ?? {}) as Record<string, unknown[]>)) {
    replyHeaders[name] = values.map(String).join(', ');
  }
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) replyHeaders[name] = String(value);
  if (body !== undefined && body !== null && typeof body !== 'string') return undefined;
  const payload = typeof body === 'string' ? (isBase64Encoded ? Buffer.from(body, 'base64') : body) : '';
  return { statusCode, headers: replyHeaders, body: payload };
}

function gatewayResponse(api: ApiDefinition, type: string, message?: string, status?: number): HttpReply {
  if (api.kind === 'http') {
    const answer = HTTP_API_ANSWERS[type] ?? HTTP_API_ANSWERS['DEFAULT_5XX'] ?? { status: 500, message: 'Internal Server Error' };
    return { statusCode: answer.status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: answer.message }) };
  }
  const fallback = (status ?? DEFAULT_STATUS[type] ?? 500) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
  const configured = api.gatewayResponses.get(type) ?? api.gatewayResponses.get(fallback);
  const statusCode = configured?.statusCode ?? status ?? DEFAULT_STATUS[type] ?? 500;
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...configured?.headers },
    body: configured?.body ?? JSON.stringify({ message: message ?? DEFAULT_MESSAGE[type] ?? 'Error' }),
  };
}

function findHeader(headers: Record<string, string | undefined> | null, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === wanted)?.[1];
}

function isTextual(contentType: string | undefined): boolean {
  return contentType === undefined || /^(text\/|application\/(json|problem\+json|x-www-form-urlencoded|xml))/i.test(contentType);
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** API Gateway's stage throttling: a token bucket of `burst` tokens refilled at `rate` per second. */
class TokenBucket {
  private tokens: number;
  private refilledAt = Date.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
