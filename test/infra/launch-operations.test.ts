/**
 * Issue 22's launch checks on the synthesized templates: a page reaches a person, the money
 * path keeps its concurrency, alarms mean one stage and one thing, deployments shift through
 * CodeDeploy and roll back, and the edge filters and logs what it blocks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MANAGED_RULE_GROUPS } from '#infra/api-edge.ts';
import { buildApp } from '#infra/build-app.ts';
import { HEARTBEAT_MISSED_PERIODS } from '#infra/operations.ts';
import { reservedConcurrency, stageConfig, validateStageConfig, type StageConfig } from '#infra/stage-config.ts';

const synth = (stage: string, context: Record<string, string> = {}) => {
  const { service, stateful } = buildApp({ stage, outdir: mkdtempSync(join(tmpdir(), 'oncepay-launch-')), context });
  return { service: Template.fromStack(service), stateful: Template.fromStack(stateful) };
};
const PAGED = { alarmEmails: 'oncall@example.com' };
const prod = synth('prod', PAGED).service;
const dev = synth('dev').service;

/** The logical id of the function whose id starts with `Service<name>`. */
function functionProperties(template: Template, name: string): Record<string, unknown> {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(`Service${name}`));
  if (!found) throw new Error(`no ${name}`);
  return found[1]['Properties'];
}

describe('a page reaches a person', () => {
  it('a kept stage with no subscriber does not synthesize, and says what to add in one line', () => {
    expect(() => synth('prod')).toThrow(/^Stage prod pages no one: add an address to alarms\.emails .* --context alarmEmails=/);
    expect(() => synth('dev')).not.toThrow();
  });

  it('subscribers from the stage config survive a deploy without flags; Slack goes through AWS Chatbot', () => {
    const config = stageConfig('prod');
    const withSlack: StageConfig = { ...config, alarms: { emails: [], httpsUrls: [], slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' } } };
    expect(() => validateStageConfig(withSlack)).not.toThrow();
    expect(() => validateStageConfig({ ...config, alarms: { emails: [], httpsUrls: [], slack: { workspaceId: 'oncall', channelId: '#alarms' } } })).toThrow(
      /workspace id \(T…\) and channel id/,
    );
  });

  it('keeps the undelivered-notifications queue with the stage, and alarms when a page was not delivered', () => {
    const queues = prod.findResources('AWS::SQS::Queue');
    const undelivered = Object.entries(queues).find(([id]) => id.startsWith('OperationsUndeliveredAlarms'));
    expect(undelivered?.[1]['DeletionPolicy']).toBe('Retain');
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'oncepay-prod-AlarmNotificationsUndelivered',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [undelivered?.[0], 'QueueName'] } }],
    });
  });
});

describe('concurrency isolation', () => {
  it.each(['dev', 'prod'])('%s reserves the money path’s concurrency and caps the reads and deliveries', (stage) => {
    const template = stage === 'prod' ? prod : dev;
    const { concurrency, worker } = stageConfig(stage);
    for (const name of ['CreateChargeFunction', 'CreateRefundFunction', 'ProcessorWebhookFunction']) {
      expect(functionProperties(template, name)['ReservedConcurrentExecutions']).toBe(concurrency.moneyPathApi);
    }
    for (const name of ['GetChargeFunction', 'GetRefundFunction', 'ListChargesFunction', 'ListRefundsFunction', 'EventsApiFunction', 'DisputesApiFunction', 'WebhookEndpointsFunction']) {
      expect(functionProperties(template, name)['ReservedConcurrentExecutions']).toBe(concurrency.reads);
    }
    expect(functionProperties(template, 'WorkerFunction')['ReservedConcurrentExecutions']).toBe(worker.maxConcurrency);
    expect(functionProperties(template, 'ReconcilerFunction')['ReservedConcurrentExecutions']).toBe(1);
    expect(functionProperties(template, 'DeliverFunction')['ReservedConcurrentExecutions']).toBe(concurrency.deliveries);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: concurrency.deliveries } });
    // The template's reservations are exactly what the config's total counts.
    const total = Object.values(template.findResources('AWS::Lambda::Function')).reduce((sum, fn) => sum + Number(fn['Properties']['ReservedConcurrentExecutions'] ?? 0), 0);
    expect(total).toBe(reservedConcurrency(stageConfig(stage)));
  });

  it('refuses reservations above the account’s limit less the 100 Lambda keeps unreserved, and waits that could fill the reads', () => {
    const config = stageConfig('prod');
    expect(() => validateStageConfig({ ...config, concurrency: { ...config.concurrency, accountLimit: reservedConcurrency(config) + 99 } })).toThrow(
      /reserve \d+ concurrent executions, more than the account's \d+ less the 100/,
    );
    expect(() => validateStageConfig({ ...config, concurrency: { ...config.concurrency, waitingReads: config.concurrency.reads } })).toThrow(/waitingReads must be at least 1 and below/);
  });
});

describe('alarms that mean one stage, one thing', () => {
  it('names the API per stage, so API alarms of two stages in one account never read the same metric', () => {
    prod.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'oncepay-prod' });
    dev.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'oncepay-dev' });
    for (const alarm of Object.values(prod.findResources('AWS::CloudWatch::Alarm'))) {
      const apiName = (alarm['Properties']['Dimensions'] as Array<{ Name: string; Value: unknown }> | undefined)?.find((dimension) => dimension.Name === 'ApiName');
      if (apiName) expect(apiName.Value).toBe('oncepay-prod');
    }
  });

  it('gives the methods that never wait their own metrics; the reads that may wait have none', () => {
    const [stage] = Object.values(prod.findResources('AWS::ApiGateway::Stage'));
    const detailed = (stage?.['Properties']['MethodSettings'] as Array<{ MetricsEnabled?: boolean; ResourcePath: string; HttpMethod: string }>)
      .filter((setting) => setting.MetricsEnabled)
      .map((setting) => `${setting.HttpMethod} ${setting.ResourcePath}`)
      .sort();
    expect(detailed).toEqual(['GET /~1v1~1charges', 'GET /~1v1~1refunds', 'POST /~1v1~1charges', 'POST /~1v1~1refunds', 'POST /~1webhooks~1stripe']);
  });

  it(`fires the heartbeat alarm on ${HEARTBEAT_MISSED_PERIODS} of 5 periods, and alarms on the stream, the deliveries, DynamoDB and Stripe’s 429s`, () => {
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ReconcilerPassCompleted', EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'oncepay-prod-EventsStreamIteratorAge', MetricName: 'IteratorAge', Statistic: 'Maximum' });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'oncepay-prod-DeliveriesQueueOldestMessageAge', MetricName: 'ApproximateAgeOfOldestMessage' });
    const throttles = Object.values(prod.findResources('AWS::CloudWatch::Alarm')).find((alarm) => alarm['Properties']['AlarmName'] === 'oncepay-prod-DynamoDbThrottles');
    const names = (throttles?.['Properties']['Metrics'] as Array<{ MetricStat?: { Metric: { MetricName: string } } }>).flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric.MetricName] : []));
    expect(names.sort()).toEqual(['ReadThrottleEvents', 'ReadThrottleEvents', 'ReadThrottleEvents', 'WriteThrottleEvents', 'WriteThrottleEvents', 'WriteThrottleEvents']);
    const rateLimited = Object.values(prod.findResources('AWS::CloudWatch::Alarm')).find((alarm) => alarm['Properties']['AlarmName'] === 'oncepay-prod-ProcessorRateLimited');
    expect(JSON.stringify(rateLimited)).toContain('ProcessorRateLimited');
    // A sum is computed only where every operand has a datapoint: each is filled with 0, or one quiet series would silence the alarm.
    const expressions = (name: string) =>
      (Object.values(prod.findResources('AWS::CloudWatch::Alarm')).find((alarm) => alarm['Properties']['AlarmName'] === `oncepay-prod-${name}`)?.['Properties']['Metrics'] as Array<{ Expression?: string }>)
        .flatMap((metric) => (metric.Expression ? [metric.Expression] : []));
    expect(expressions('ProcessorRateLimited')).toEqual(['FILL(worker, 0) + FILL(reconciler, 0)']);
    expect(expressions('DynamoDbThrottles')[0]).toMatch(/^FILL\(r0, 0\) \+ FILL\(w0, 0\) \+ /);
    expect(expressions('FunctionThrottles')[0]).toMatch(/^FILL\(t0, 0\) \+ /);
  });

  it('has one dashboard per stage', () => {
    prod.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'oncepay-prod' });
    const body = JSON.stringify(prod.findResources('AWS::CloudWatch::Dashboard'));
    for (const shown of ['ChargeSucceeded', 'ChargeFailed', 'Latency', 'ApproximateAgeOfOldestMessage', 'ChargesInReview', 'Webhook backlog']) expect(body).toContain(shown);
  });
});

describe('safe deploys', () => {
  it('publishes every function as a version behind a live alias, which the API, the event sources and the schedule call', () => {
    const functions = Object.keys(prod.findResources('AWS::Lambda::Function'));
    const aliases = Object.values(prod.findResources('AWS::Lambda::Alias'));
    expect(aliases).toHaveLength(functions.length);
    for (const alias of aliases) expect(alias['Properties']).toMatchObject({ Name: 'live', FunctionVersion: { 'Fn::GetAtt': [expect.any(String), 'Version'] } });
    const aliasIds = new Set(Object.keys(prod.findResources('AWS::Lambda::Alias')));
    for (const method of Object.values(prod.findResources('AWS::ApiGateway::Method'))) {
      expect(JSON.stringify(method['Properties']['Integration']['Uri'])).toMatch(new RegExp([...aliasIds].join('|')));
    }
    // `<function name>:live`, the name taken from the alias's ARN.
    for (const mapping of Object.values(prod.findResources('AWS::Lambda::EventSourceMapping'))) {
      const [, [select, qualifier]] = mapping['Properties']['FunctionName']['Fn::Join'];
      expect(qualifier).toBe(':live');
      expect(aliasIds.has(select['Fn::Select'][1]['Fn::Split'][1]['Ref'])).toBe(true);
    }
    const [rule] = Object.values(prod.findResources('AWS::Events::Rule'));
    expect(aliasIds.has(rule?.['Properties']['Targets'][0]['Arn']['Ref'])).toBe(true);
  });

  it('shifts traffic with CodeDeploy: a 10% canary for 5 minutes in prod, all at once in dev, rolled back by the error and 5xx alarms', () => {
    const groups = (template: Template) => Object.values(template.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups(prod)).toHaveLength(14);
    for (const group of groups(prod)) {
      expect(group['Properties']).toMatchObject({
        DeploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        AutoRollbackConfiguration: { Enabled: true, Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']) },
        AlarmConfiguration: { Enabled: true },
      });
      // The alias's errors and the API's 5xx rate, per minute; not the slower paging alarm, which would block a fix.
      expect(group['Properties']['AlarmConfiguration']['Alarms']).toHaveLength(2);
    }
    for (const group of groups(dev)) expect(group['Properties']['DeploymentConfigName']).toBe('CodeDeployDefault.LambdaAllAtOnce');
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'oncepay-prod-CreateChargeFunctionDeployErrors', MetricName: 'Errors', Period: 60 });
    prod.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'oncepay-prod-ApiDeploy5xxRate', MetricName: '5XXError', Period: 60 });
    // The alias moves only through CodeDeploy.
    for (const alias of Object.values(prod.findResources('AWS::Lambda::Alias'))) expect(alias['UpdatePolicy']).toHaveProperty('CodeDeployLambdaAliasUpdate');
  });

  it('ships a fix during an incident only when asked: --context deployAlarms=ignore turns the alarm check off', () => {
    const emergency = synth('prod', { ...PAGED, deployAlarms: 'ignore' }).service;
    for (const group of Object.values(emergency.findResources('AWS::CodeDeploy::DeploymentGroup'))) {
      expect(group['Properties']['AlarmConfiguration']).toMatchObject({ Enabled: false });
    }
    expect(() => synth('prod', { ...PAGED, deployAlarms: 'off' })).toThrow(/deployAlarms can only be ignore/);
  });

  it('deploys without CodeDeploy only where asked (LocalStack), and never in a kept stage', () => {
    synth('dev', { trafficShift: 'none' }).service.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
    expect(() => synth('prod', { ...PAGED, trafficShift: 'none' })).toThrow(/kept stage deploys through CodeDeploy/);
    expect(() => synth('dev', { trafficShift: 'canary' })).toThrow(/trafficShift can only be none/);
  });
});

describe('the edge', () => {
  it('puts AWS’s managed rule groups behind the rate limit, which answers 429 itself; the body rules leave Stripe’s signed events alone', () => {
    prod.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        // No Content-Type header: WAF refuses one (it takes the body's content type).
        Match.objectLike({ Name: 'RateLimitPerClientIp', Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'RateLimited' } } } }),
        ...MANAGED_RULE_GROUPS.map((group) => Match.objectLike({ Statement: { ManagedRuleGroupStatement: Match.objectLike({ VendorName: 'AWS', Name: group.name }) } })),
      ]),
    });
    prod.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'AWSManagedRulesCommonRuleSet',
          Statement: { ManagedRuleGroupStatement: Match.objectLike({ ScopeDownStatement: { NotStatement: { Statement: { ByteMatchStatement: Match.objectLike({ SearchString: '/webhooks/stripe' }) } } } }) },
        }),
      ]),
    });
  });

  it('logs integration errors and latency and the WAF’s verdict for every request', () => {
    const [stage] = Object.values(prod.findResources('AWS::ApiGateway::Stage'));
    const format = JSON.parse(stage?.['Properties']['AccessLogSetting']['Format'] as string) as Record<string, string>;
    expect(format).toMatchObject({
      integrationError: '$context.integrationErrorMessage',
      integrationLatency: '$context.integrationLatency',
      integrationStatus: '$context.integrationStatus',
      wafResponseCode: '$context.wafResponseCode',
      wafStatus: '$context.waf.status',
      status: '$context.status',
    });
  });
});
