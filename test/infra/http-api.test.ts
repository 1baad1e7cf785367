/**
 * The HTTP API option (`api.type: 'http'`, `--context apiType=http`): the REST API's routes,
 * throttles, access log and alarms on an HTTP API, and what it cannot carry refused or left out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { CREATE_CHARGE_THROTTLE_SHARE } from '#infra/limits.ts';
import { stageConfig } from '#infra/stage-config.ts';

const synth = (context: Record<string, string>) => Template.fromStack(buildApp({ outdir: mkdtempSync(join(tmpdir(), 'oncepay-http-')), context }).service);
const prodContext = { stage: 'prod', alarmEmails: 'oncall@example.com' };
const rest = synth(prodContext);
const http = synth({ ...prodContext, apiType: 'http', wafRateLimit: 'off' });

/** `METHOD /path` of every REST method with a Lambda integration. */
function restRoutes(template: Template): string[] {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (id: string): string => {
    const resource = resources[id];
    if (!resource) return '';
    const parent = resource['Properties']['ParentId'] as { Ref?: string };
    return `${parent.Ref ? pathOf(parent.Ref) : ''}/${resource['Properties']['PathPart']}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method'))
    .filter((method) => method['Properties']['Integration']?.['Type'] === 'AWS_PROXY')
    .map((method) => `${method['Properties']['HttpMethod']} ${pathOf((method['Properties']['ResourceId'] as { Ref: string }).Ref)}`)
    .sort();
}

describe('an HTTP API in place of the REST API', () => {
  it('has exactly the REST API’s routes, each a Lambda proxy integration of payload 2.0, and no REST API', () => {
    const routes = Object.values(http.findResources('AWS::ApiGatewayV2::Route')).map((route) => String(route['Properties']['RouteKey']));
    expect(routes.sort()).toEqual(restRoutes(rest));
    expect(routes.length).toBe(15);
    for (const integration of Object.values(http.findResources('AWS::ApiGatewayV2::Integration'))) {
      expect(integration['Properties']).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
    http.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    // Each route's function lets the API invoke its live alias.
    http.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', FunctionName: { Ref: Match.stringLikeRegexp('^ServiceCreateChargeFunctionLive') } });
  });

  it('throttles the stage and each route as the REST API does, with per-route metrics on the routes that answer at once', () => {
    const config = stageConfig('prod');
    const stage = Object.values(http.findResources('AWS::ApiGatewayV2::Stage'))[0]?.['Properties'];
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: config.api.throttleRatePerSecond, ThrottlingBurstLimit: config.api.throttleBurst },
      AccessLogSettings: { DestinationArn: expect.anything(), Format: expect.stringContaining('"status":"$context.status"') },
    });
    expect(stage['RouteSettings']['POST /v1/charges']).toEqual({
      ThrottlingRateLimit: Math.floor(config.api.throttleRatePerSecond * CREATE_CHARGE_THROTTLE_SHARE),
      ThrottlingBurstLimit: Math.floor(config.api.throttleBurst * CREATE_CHARGE_THROTTLE_SHARE),
      DetailedMetricsEnabled: true,
    });
    expect(stage['RouteSettings']['GET /v1/charges/{id}']['DetailedMetricsEnabled']).toBe(false);
  });

  it('alarms on its own metrics: the 5xx rate and each prompt route’s p99, by API id and stage', () => {
    http.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'oncepay-prod-Api5xxRate',
      MetricName: '5xx',
      Statistic: 'Average',
      Dimensions: Match.arrayWith([{ Name: 'Stage', Value: '$default' }]),
    });
    http.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Dimensions: Match.arrayWith([{ Name: 'Method', Value: 'POST' }, { Name: 'Resource', Value: '/v1/charges' }]),
    });
    // The deploys roll back on the same rate, read per minute.
    http.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'oncepay-prod-ApiDeploy5xxRate', MetricName: '5xx', Period: 60 });
  });

  it('has no WAF, no X-Ray sampling rule and no gateway responses (an HTTP API carries none), and says it is HTTP', () => {
    for (const type of ['AWS::WAFv2::WebACL', 'AWS::XRay::SamplingRule', 'AWS::ApiGateway::GatewayResponse']) http.resourceCountIs(type, 0);
    expect(http.findOutputs('ApiType')['ApiType']?.['Value']).toBe('http');
    expect(rest.findOutputs('ApiType')['ApiType']?.['Value']).toBe('rest');
  });

  it('refuses a WAF on an HTTP API, and any other kind of API', () => {
    expect(() => buildApp({ context: { ...prodContext, apiType: 'http' } })).toThrow(/WAF attaches only to a REST API.*wafRateLimit=off/);
    expect(() => buildApp({ context: { stage: 'dev', apiType: 'graphql' } })).toThrow(/apiType must be rest or http/);
  });

  it('serves a custom domain, and gives its URL as the API URL', () => {
    const domain = synth({ ...prodContext, apiType: 'http', wafRateLimit: 'off', apiDomainName: 'pay.example.com', apiCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' });
    domain.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'pay.example.com', DomainNameConfigurations: [Match.objectLike({ SecurityPolicy: 'TLS_1_2' })] });
    domain.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    expect(domain.findOutputs('ApiUrl')['ApiUrl']?.['Value']).toBe('https://pay.example.com/');
  });
});
