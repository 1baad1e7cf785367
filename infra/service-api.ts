import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as xray from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import { ApiEdge } from './api-edge.ts';
import type { StageConfig } from './stage-config.ts';

/** One route of the API: the same table builds the REST API and the HTTP API. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path with `{param}` placeholders, e.g. `/v1/charges/{id}`. */
  path: string;
  handler: lambda.IFunction;
  /** The share of the stage's rate and burst this route may take on its own. */
  throttleShare: number;
  /** Answers at once (never `Prefer: wait`): it gets per-route metrics and a p99 latency alarm. */
  prompt: boolean;
}

/** What the alarms, the dashboard, the deploy rollbacks and the outputs need of either kind of API. */
export interface ServiceApi {
  readonly kind: StageConfig['api']['type'];
  /** The base URL, ending in `/`. */
  readonly url: string;
  /** The routes with per-route metrics (the prompt ones). */
  readonly promptRoutes: Array<{ method: string; path: string }>;
  /** The share of requests answered 5xx in each period. */
  serverErrorRate(period: Duration): cloudwatch.IMetric;
  /** How many requests were answered 4xx and 5xx in each period. */
  errorCounts(period: Duration): cloudwatch.IMetric[];
  /** A per-route metric (`Latency`, `Count`) of a prompt route. */
  routeMetric(metricName: string, route: { method: string; path: string }, statistic: string, period: Duration): cloudwatch.Metric;
}

/** RFC 9457 bodies for the errors API Gateway answers itself (routing, WAF, throttling, limits): REST only. */
const GATEWAY_PROBLEMS: Array<{ type: apigateway.ResponseType; slug: string; title: string; status: number; detail: string }> = [
  {
    // API Gateway answers an unknown route with 403 "Missing Authentication Token"; say 404.
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    slug: 'not-found',
    title: 'Not found',
    status: 404,
    detail: 'There is no such route. See openapi.json for the API.',
  },
  {
    // A managed WAF rule blocked the request (the rate limit answers 429 itself: see ApiEdge).
    type: apigateway.ResponseType.WAF_FILTERED,
    slug: 'forbidden',
    title: 'Forbidden',
    status: 403,
    detail: 'The request was blocked by the firewall.',
  },
  {
    type: apigateway.ResponseType.THROTTLED,
    slug: 'rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: 'Slow down and retry with the same Idempotency-Key.',
  },
  {
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    slug: 'payload-too-large',
    title: 'Payload too large',
    status: 413,
    detail: 'The request is too large.',
  },
  {
    // The function did not answer within API Gateway's 29 s (or could not be reached).
    type: apigateway.ResponseType.INTEGRATION_TIMEOUT,
    slug: 'gateway-timeout',
    title: 'Gateway timeout',
    status: 504,
    detail: 'The request took too long. Retry with the same Idempotency-Key.',
  },
  {
    // The function could not be invoked: Lambda throttled it at its reserved concurrency, among others.
    type: apigateway.ResponseType.INTEGRATION_FAILURE,
    slug: 'gateway-timeout',
    title: 'Gateway timeout',
    status: 504,
    detail: 'The request could not be completed. Retry with the same Idempotency-Key.',
  },
  { type: apigateway.ResponseType.ACCESS_DENIED, slug: 'forbidden', title: 'Forbidden', status: 403, detail: 'The request is not allowed.' },
  { type: apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE, slug: 'unsupported-media-type', title: 'Unsupported media type', status: 415, detail: 'Send application/json.' },
  { type: apigateway.ResponseType.QUOTA_EXCEEDED, slug: 'rate-limited', title: 'Too many requests', status: 429, detail: 'Slow down and retry with the same Idempotency-Key.' },
  // The fallbacks get one status each, so that every problem body says its status (a template cannot read it).
  { type: apigateway.ResponseType.DEFAULT_4XX, slug: 'bad-request', title: 'Bad request', status: 400, detail: 'The request could not be accepted.' },
  {
    // API Gateway's answer when the function failed or answered nothing it can use.
    type: apigateway.ResponseType.DEFAULT_5XX,
    slug: 'internal-error',
    title: 'Internal error',
    status: 502,
    detail: 'Something went wrong. Retry with the same Idempotency-Key.',
  },
];

/**
 * One JSON line per request: who and what, the answer, and where time and failures came from —
 * the integration (the function) and the WAF — so a 5xx or a slow answer can be placed from the
 * log alone. Nothing about the caller beyond the source IP (keys are never logged).
 */
const REST_ACCESS_LOG_FIELDS = {
  requestId: apigateway.AccessLogField.contextRequestId(),
  extendedRequestId: apigateway.AccessLogField.contextExtendedRequestId(),
  ip: apigateway.AccessLogField.contextIdentitySourceIp(),
  requestTime: apigateway.AccessLogField.contextRequestTime(),
  httpMethod: apigateway.AccessLogField.contextHttpMethod(),
  resourcePath: apigateway.AccessLogField.contextResourcePath(),
  protocol: apigateway.AccessLogField.contextProtocol(),
  status: apigateway.AccessLogField.contextStatus(),
  responseLength: apigateway.AccessLogField.contextResponseLength(),
  responseLatency: apigateway.AccessLogField.contextResponseLatency(),
  integrationStatus: apigateway.AccessLogField.contextIntegrationStatus(),
  integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
  integrationError: apigateway.AccessLogField.contextIntegrationErrorMessage(),
  errorType: apigateway.AccessLogField.contextErrorResponseType(),
  errorMessage: apigateway.AccessLogField.contextErrorMessage(),
  wafStatus: apigateway.AccessLogField.contextWafStatus(),
  wafResponseCode: apigateway.AccessLogField.contextWafResponseCode(),
  wafLatency: apigateway.AccessLogField.contextWafLatency(),
  wafError: apigateway.AccessLogField.contextWafError(),
};

/** The same line for an HTTP API, from its own context variables (it has no WAF). */
const HTTP_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
};

const throttleOf = (config: StageConfig, share: number) => ({
  rate: Math.max(1, Math.floor(config.api.throttleRatePerSecond * share)),
  burst: Math.max(1, Math.floor(config.api.throttleBurst * share)),
});

/** The API in front of the functions, of the kind the stage config names. */
export function serviceApi(scope: Construct, config: StageConfig, routes: ApiRoute[], accessLogs: logs.ILogGroup): ServiceApi {
  return config.api.type === 'http' ? httpServiceApi(scope, config, routes, accessLogs) : restServiceApi(scope, config, routes, accessLogs);
}

/**
 * A REST API (the default): gateway errors answered as problem+json, per-method throttling,
 * X-Ray sampled at the stage by the stage config's rule, and the edge (TLS policy, custom
 * domain, WAF). LocalStack's free image serves it.
 */
function restServiceApi(scope: Construct, config: StageConfig, routes: ApiRoute[], accessLogs: logs.ILogGroup): ServiceApi {
  const methodOptions: Record<string, apigateway.MethodDeploymentOptions> = {};
  for (const route of routes) {
    const { rate, burst } = throttleOf(config, route.throttleShare);
    methodOptions[`${route.path}/${route.method}`] = { throttlingRateLimit: rate, throttlingBurstLimit: burst, ...(route.prompt ? { metricsEnabled: true } : {}) };
  }
  const api = new apigateway.RestApi(scope, 'ChargesApi', {
    // Its metrics' ApiName: one per stage, so two stages in one account never share an alarm.
    restApiName: `oncepay-${config.stage}`,
    description: 'oncepay charges and refunds API',
    cloudWatchRole: true,
    // REGIONAL: an EDGE endpoint's CloudFront distribution still accepts TLS 1.0.
    endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    // With a custom domain, clients use only it.
    disableExecuteApiEndpoint: config.api.customDomain !== undefined,
    deployOptions: {
      stageName: config.stage,
      throttlingRateLimit: config.api.throttleRatePerSecond,
      throttlingBurstLimit: config.api.throttleBurst,
      methodOptions,
      tracingEnabled: true,
      loggingLevel: apigateway.MethodLoggingLevel.ERROR,
      accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(REST_ACCESS_LOG_FIELDS)),
    },
  });
  // The API decides what is traced (X-Ray matches a stage by its service name, `<api name>/<stage>`); the functions follow.
  if (config.tracing) {
    new xray.CfnSamplingRule(scope, 'ApiSamplingRule', {
      samplingRule: {
        ruleName: `oncepay-${config.stage}`.slice(0, 32),
        priority: 100,
        reservoirSize: config.tracing.reservoirPerSecond,
        fixedRate: config.tracing.fixedRate,
        serviceName: `oncepay-${config.stage}/${config.stage}`,
        serviceType: 'AWS::ApiGateway::Stage',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });
  }
  for (const problem of GATEWAY_PROBLEMS) {
    api.addGatewayResponse(`Problem${problem.type.responseType}`, {
      type: problem.type,
      statusCode: String(problem.status),
      responseHeaders: { 'Content-Type': "'application/problem+json'" },
      templates: {
        'application/json': JSON.stringify({
          type: `https://oncepay.dev/problems/${problem.slug}`,
          title: problem.title,
          status: problem.status,
          detail: problem.detail,
        }),
      },
    });
  }
  new ApiEdge(scope, 'Edge', { config, api });
  // One integration per function, shared by its methods.
  const integrations = new Map<lambda.IFunction, apigateway.LambdaIntegration>();
  for (const route of routes) {
    const resource = api.root.resourceForPath(route.path);
    if (!integrations.has(route.handler)) integrations.set(route.handler, new apigateway.LambdaIntegration(route.handler));
    resource.addMethod(route.method, integrations.get(route.handler));
  }
  const stageName = api.deploymentStage.stageName;
  return {
    kind: 'rest',
    url: api.url,
    promptRoutes: routes.filter((route) => route.prompt).map(({ method, path }) => ({ method, path })),
    serverErrorRate: (period) => api.metricServerError({ period, statistic: 'Average' }),
    errorCounts: (period) => [api.metricClientError({ period }), api.metricServerError({ period })],
    routeMetric: (metricName, route, statistic, period) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: api.restApiName, Method: route.method, Resource: route.path, Stage: stageName },
        statistic,
        period,
      }),
  };
}

/**
 * An HTTP API (`api.type: 'http'`): $1.00 per million requests against REST's $3.50, with the
 * same routes, per-route throttling and access log. What it cannot do: answer its own errors
 * as problem+json (an unknown route is `{"message":"Not Found"}`, a throttled request
 * `{"message":"Too Many Requests"}`), carry a WAF, or start X-Ray traces (so nothing on the API
 * path is traced). LocalStack's free image has no HTTP APIs.
 */
function httpServiceApi(scope: Construct, config: StageConfig, routes: ApiRoute[], accessLogs: logs.ILogGroup): ServiceApi {
  const api = new apigatewayv2.HttpApi(scope, 'ChargesHttpApi', {
    apiName: `oncepay-${config.stage}`,
    description: 'oncepay charges and refunds API',
    createDefaultStage: false,
    disableExecuteApiEndpoint: config.api.customDomain !== undefined,
  });
  const integrations = new Map<lambda.IFunction, HttpLambdaIntegration>();
  for (const route of routes) {
    if (!integrations.has(route.handler)) {
      integrations.set(
        route.handler,
        new HttpLambdaIntegration(`${route.handler.node.id}Integration`, route.handler, { payloadFormatVersion: apigatewayv2.PayloadFormatVersion.VERSION_2_0 }),
      );
    }
    api.addRoutes({ path: route.path, methods: [apigatewayv2.HttpMethod[route.method]], integration: integrations.get(route.handler)! });
  }
  const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;
  const stage = new apigatewayv2.CfnStage(scope, 'ChargesHttpApiStage', {
    apiId: api.apiId,
    // `$default`: the API answers at its root, as the REST API does behind a custom domain.
    stageName: '$default',
    autoDeploy: true,
    defaultRouteSettings: { throttlingRateLimit: config.api.throttleRatePerSecond, throttlingBurstLimit: config.api.throttleBurst },
    // A JSON property: CloudFormation's own (capitalised) names, which CDK does not rewrite inside it.
    routeSettings: Object.fromEntries(
      routes.map((route) => {
        const { rate, burst } = throttleOf(config, route.throttleShare);
        return [routeKey(route), { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst, DetailedMetricsEnabled: route.prompt }];
      }),
    ),
    accessLogSettings: { destinationArn: accessLogs.logGroupArn, format: JSON.stringify(HTTP_ACCESS_LOG_FIELDS) },
  });
  // Route settings name routes that must exist first.
  for (const child of api.node.children) if (child instanceof apigatewayv2.HttpRoute) stage.node.addDependency(child);

  let url: string;
  if (!config.api.customDomain) {
    url = `${api.apiEndpoint}/`;
  } else {
    const domain = new apigatewayv2.DomainName(scope, 'HttpApiCustomDomain', {
      domainName: config.api.customDomain.domainName,
      certificate: acm.Certificate.fromCertificateArn(scope, 'HttpApiCertificate', config.api.customDomain.certificateArn),
      securityPolicy: apigatewayv2.SecurityPolicy.TLS_1_2,
    });
    new apigatewayv2.CfnApiMapping(scope, 'HttpApiMapping', { apiId: api.apiId, domainName: domain.name, stage: stage.ref });
    new CfnOutput(Stack.of(scope), 'ApiDomainTarget', {
      value: domain.regionalDomainName,
      description: `Point ${config.api.customDomain.domainName} here (CNAME, or a Route 53 alias)`,
    });
    url = `https://${config.api.customDomain.domainName}/`;
  }
  const metric = (metricName: string, dimensionsMap: Record<string, string>, statistic: string, period: Duration) =>
    new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: api.apiId, Stage: '$default', ...dimensionsMap }, statistic, period });
  return {
    kind: 'http',
    url,
    promptRoutes: routes.filter((route) => route.prompt).map(({ method, path }) => ({ method, path })),
    serverErrorRate: (period) => metric('5xx', {}, 'Average', period),
    errorCounts: (period) => [metric('4xx', {}, 'Sum', period), metric('5xx', {}, 'Sum', period)],
    routeMetric: (metricName, route, statistic, period) => metric(metricName, { Method: route.method, Resource: route.path }, statistic, period),
  };
}
