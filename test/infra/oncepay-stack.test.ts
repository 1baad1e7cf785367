import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { API_SECURITY_POLICY } from '#infra/api-edge.ts';
import { API_5XX_RATE_ALARM, API_P99_LATENCY_ALARM_MS, METRICS_NAMESPACE, workQueueAgeAlarmSeconds } from '#infra/operations.ts';
import {
  longestRetrySchedule,
  OPEN_INDEX_WRITES_PER_CHARGE,
  openChargeShardsFor,
  listShardsFor,
  LIST_INDEX_WRITES_PER_CHARGE,
  PARTITION_WRITES_PER_SECOND,
  PROCESSOR_CALLS_ON_THE_COMMON_PATH,
  processorRequestsPerSecondPerContainer,
  recordsInFlightPerWorker,
  stageConfig,
  StageConfigError,
  stageNames,
  validateStageConfig,
  type StageConfig,
} from '#infra/stage-config.ts';

const outdir = () => mkdtempSync(join(tmpdir(), 'oncepay-infra-'));
/** A kept stage must page someone: its synth fails without a subscriber (see the alarm subscriber tests). */
const paged = (stage: string): Record<string, string> => (stageConfig(stage).disposable ? {} : { alarmEmails: 'oncall@example.com' });

describe.each(['local', 'prod'])('the %s stacks', (stage) => {
  const config = stageConfig(stage);
  let stateful: Template;
  let service: Template;

  beforeAll(() => {
    const app = buildApp({ stage, outdir: outdir(), context: paged(stage) });
    stateful = Template.fromStack(app.stateful);
    service = Template.fromStack(app.service);
  });

  it('keeps data in the stateful stack and code in the stateless one', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 3);
    stateful.resourceCountIs('AWS::SQS::Queue', 5);
    stateful.resourceCountIs('AWS::Lambda::Function', 0);
    service.resourceCountIs('AWS::DynamoDB::Table', 0);
    service.resourceCountIs('AWS::Lambda::Function', 14);
  });

  it('runs every function on Node.js 22 on arm64, traced when the API sampled the request, with its own log group', () => {
    for (const fn of Object.values(service.findResources('AWS::Lambda::Function'))) {
      expect(fn['Properties']).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'PassThrough' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
    service.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetentionDays });
  });

  it('gives the work queue a DLQ with maxReceiveCount ≥ 5 and a visibility of ≥ 6× the worker timeout', () => {
    stateful.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: config.queue.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: config.queue.maxReceiveCount },
      SqsManagedSseEnabled: true,
    });
    expect(config.queue.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(config.queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * config.worker.timeoutSeconds);
    service.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: config.worker.timeoutSeconds,
      Environment: { Variables: Match.objectLike({ PROCESSOR_SECRET_ID: config.processor.secretName }) },
    });
  });

  it('encrypts every queue and refuses non-TLS access to them', () => {
    for (const queue of Object.values(stateful.findResources('AWS::SQS::Queue'))) {
      expect(queue['Properties']['SqsManagedSseEnabled']).toBe(true);
    }
    const policies = Object.values(stateful.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect(policy['Properties']['PolicyDocument']['Statement']).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it('maps the queue to the worker with batch item failures, the stage batch size and a concurrency cap', () => {
    service.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: config.worker.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: config.worker.maxConcurrency },
    });
  });

  it('serves the charges and refunds routes with no API Gateway authorizer (the functions authenticate), throttled', () => {
    service.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    service.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    service.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'NONE' });
    service.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'NONE' });
    service.resourceCountIs('AWS::ApiGateway::Method', 15);
    for (const fn of API_FUNCTIONS) {
      const [functionResource] = Object.values(service.findResources('AWS::Lambda::Function')).filter((resource) =>
        JSON.stringify(resource['Properties']['Role']).includes(`Service${fn}ServiceRole`),
      );
      expect(functionResource?.['Properties']['Environment']['Variables']).toMatchObject({
        API_KEY_MODE: config.keyMode,
        MERCHANTS_TABLE_NAME: expect.anything(),
      });
    }
    service.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: stage,
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: config.api.throttleRatePerSecond }),
        Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1v1~1charges' }),
      ]),
    });
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'WAF_FILTERED',
      StatusCode: '403',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    });
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'MISSING_AUTHENTICATION_TOKEN', StatusCode: '404' });
    // Every answer the gateway makes itself is problem+json that says its status, the fallbacks included.
    const gatewayResponses = Object.values(service.findResources('AWS::ApiGateway::GatewayResponse')).map((resource) => resource['Properties'] as Record<string, unknown>);
    expect(gatewayResponses.map((properties) => properties['ResponseType'])).toEqual(expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'INTEGRATION_TIMEOUT', 'THROTTLED']));
    for (const properties of gatewayResponses) {
      const body = JSON.parse((properties['ResponseTemplates'] as Record<string, string>)['application/json'] ?? '{}') as { status?: number };
      expect(typeof body.status, String(properties['ResponseType'])).toBe('number');
    }
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'DEFAULT_5XX', StatusCode: '502' });
  });

  it('encrypts the tables, keeps PITR, deletion protection and RETAIN outside disposable stages, and sets no physical names', () => {
    for (const table of Object.values(stateful.findResources('AWS::DynamoDB::Table'))) {
      expect(table['Properties']).toMatchObject({
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: !config.disposable },
        DeletionProtectionEnabled: !config.disposable,
      });
      expect(table['DeletionPolicy']).toBe(config.disposable ? 'Delete' : 'Retain');
      expect(table['Properties']).not.toHaveProperty('TableName');
    }
    for (const queue of Object.values(stateful.findResources('AWS::SQS::Queue'))) {
      expect(queue['Properties']).not.toHaveProperty('QueueName');
    }
  });

  it('indexes open charges and refunds, those flagged for review, and the merchant lists in keys-only GSIs', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'open-charges',
          KeySchema: [
            { AttributeName: 'open_shard', KeyType: 'HASH' },
            { AttributeName: 'open_since', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'charges-in-review',
          KeySchema: [
            { AttributeName: 'review_queue', KeyType: 'HASH' },
            { AttributeName: 'review_since', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'merchant-lists',
          KeySchema: [
            { AttributeName: 'list_partition', KeyType: 'HASH' },
            { AttributeName: 'list_sort', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'charge-refunds',
          KeySchema: [
            { AttributeName: 'refund_of', KeyType: 'HASH' },
            { AttributeName: 'list_sort', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('purges charge records by TTL on purge_at, only after the record retention', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'purge_at', Enabled: true },
    });
    service.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IDEMPOTENCY_RETENTION_HOURS: String(config.idempotencyRetentionHours),
          CHARGE_RECORD_RETENTION_DAYS: String(config.chargeRecordRetentionDays),
        }),
      },
    });
  });

  it('runs the reconciler on an EventBridge schedule', () => {
    service.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${config.reconciler.periodMinutes} minute${config.reconciler.periodMinutes === 1 ? '' : 's'})`,
      State: 'ENABLED',
    });
    service.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: config.reconciler.timeoutSeconds,
      Environment: { Variables: Match.objectLike({ STUCK_AFTER_SECONDS: String(config.reconciler.stuckAfterSeconds) }) },
    });
  });

  it('grants each function exactly the DynamoDB actions it performs, on its table only', () => {
    const dynamoStatements = Object.entries(service.findResources('AWS::IAM::Policy')).flatMap(([logicalId, policy]) =>
      (policy['Properties']['PolicyDocument']['Statement'] as Array<{ Action: string | string[] }>)
        .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('dynamodb:')))
        .map((statement) => ({
          logicalId,
          actions: [statement.Action].flat().sort(),
          table: JSON.stringify(statement).includes('MerchantsTable') ? 'merchants' : JSON.stringify(statement).includes('WebhooksTable') ? 'webhooks' : 'charges',
          condition: (statement as { Condition?: unknown }).Condition,
        })),
    );
    const actionsOf = (fn: string, table = 'charges') =>
      dynamoStatements.filter((entry) => entry.logicalId.startsWith(`Service${fn}`) && entry.table === table).map((entry) => entry.actions);
    expect(actionsOf('CreateChargeFunction')).toEqual([['dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(actionsOf('GetChargeFunction')).toEqual([['dynamodb:GetItem']]);
    // A refund and its reservation on the charge are one transaction: Put and Update items.
    expect(actionsOf('CreateRefundFunction')).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(actionsOf('GetRefundFunction')).toEqual([['dynamodb:GetItem']]);
    for (const fn of ['ListChargesFunction', 'ListRefundsFunction']) {
      expect(actionsOf(fn)).toEqual([['dynamodb:BatchGetItem', 'dynamodb:GetItem'], ['dynamodb:Query']]);
    }
    const waitingReads = ['GetChargeFunction', 'GetRefundFunction'];
    for (const fn of API_FUNCTIONS) {
      // Key lookups, and a last-used stamp that cannot touch anything else (not revoked_at).
      const stamp = { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'last_used_at'] } };
      // The reads that may wait also lease the `Prefer: wait` budget's slots, and no other item.
      const slots = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['WAITSLOT#*'] }, 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'held_until', 'holder'] } };
      const merchantStatements = dynamoStatements.filter((entry) => entry.logicalId.startsWith(`Service${fn}`) && entry.table === 'merchants');
      const sorted = (statements: unknown[][]) => statements.map((statement) => JSON.stringify(statement)).sort();
      expect(sorted(merchantStatements.map((entry) => [entry.actions, entry.condition]))).toEqual(
        sorted([[['dynamodb:GetItem'], undefined], [['dynamodb:UpdateItem'], stamp], ...(waitingReads.includes(fn) ? [[['dynamodb:UpdateItem'], slots]] : [])]),
      );
    }
    for (const fn of ['WorkerFunction', 'ReconcilerFunction']) expect(actionsOf(fn, 'merchants')).toEqual([]);
    // PutItem: a dispute the processor opened, written with its charge.
    expect(actionsOf('WorkerFunction')).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(actionsOf('ReconcilerFunction')).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], ['dynamodb:Query']]);
    expect(actionsOf('ReconcilerFunction', 'webhooks')).toEqual([['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(actionsOf('DisputesApiFunction')).toEqual([['dynamodb:BatchGetItem', 'dynamodb:GetItem'], ['dynamodb:Query']]);
    // Stripe's events in: only recording each event once in the webhooks table; nothing of charges or merchants.
    expect(actionsOf('ProcessorWebhookFunction', 'webhooks')).toEqual([['dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect([...actionsOf('ProcessorWebhookFunction'), ...actionsOf('ProcessorWebhookFunction', 'merchants')]).toEqual([]);
    expect(dynamoStatements.flatMap((entry) => entry.actions).some((action) => action.includes('*'))).toBe(false);
  });

  it('lets only the worker and the reconciler read the processor key, and only the processor webhook its signing secret', () => {
    const readersOf = (secretName: string) =>
      Object.entries(service.findResources('AWS::IAM::Policy'))
        .filter(([, policy]) =>
          (policy['Properties']['PolicyDocument']['Statement'] as Array<{ Action: string | string[] }>).some(
            (statement) => [statement.Action].flat().includes('secretsmanager:GetSecretValue') && JSON.stringify(statement).includes(`:secret:${secretName}-`),
          ),
        )
        .map(([logicalId]) => logicalId.replace(/ServiceRole.*/, ''))
        .sort();
    expect(readersOf(config.processor.secretName)).toEqual(['ServiceReconcilerFunction', 'ServiceWorkerFunction']);
    expect(readersOf(config.processor.webhookSecretName)).toEqual(['ServiceProcessorWebhookFunction']);
  });

  it('pages on the DLQ, the oldest messages, stuck charges, reviews, processor configuration and rate limits, reconciler errors and heartbeat, function errors, the stream, DynamoDB throttles, API 5xx rate, per-method p99 latency and throttles, notifying SNS', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm['Properties']['AlarmActions'] !== undefined);
    const names = alarms.map((alarm) => alarm['Properties']['AlarmName']).sort();
    expect(names).toEqual(
      [
        'AlarmNotificationsUndelivered',
        'Api5xxRate',
        'ApiLatencyP99GETv1charges',
        'ApiLatencyP99GETv1refunds',
        'ApiLatencyP99POSTv1charges',
        'ApiLatencyP99POSTv1refunds',
        'ApiLatencyP99POSTwebhooksstripe',
        'ChargesInReview',
        'DeadLetterQueueNotEmpty',
        'DeliverFunctionErrors',
        'DeliveriesDeadLettered',
        'DeliveriesQueueOldestMessageAge',
        'DynamoDbThrottles',
        'EventsFunctionErrors',
        'EventsNotPublished',
        'EventsStreamIteratorAge',
        'FunctionThrottles',
        'FunctionThrottles2',
        'ProcessorConfigurationErrors',
        'ProcessorEventsCatchUpLagging',
        'ProcessorEventsRefused',
        'ProcessorLivemodeMismatch',
        'ProcessorRateLimited',
        'ReconcilerErrors',
        'ReconcilerHeartbeatMissing',
        'StuckCharges',
        'WebhookEndpointsDisabled',
        'WebhookSecretsUnavailable',
        'WorkQueueOldestMessageAge',
        'WorkerErrors',
      ]
        // Only a stage with subscribers has an undelivered-notifications queue to alarm on.
        .filter((name) => name !== 'AlarmNotificationsUndelivered' || !config.disposable)
        .map((name) => `oncepay-${stage}-${name}`),
    );
    // The 5xx alarm is on the rate (Average of 5XXError), not on a single error.
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Statistic: 'Average', Threshold: API_5XX_RATE_ALARM });
    // Latency per method that never waits: a `Prefer: wait` read is slow by request.
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: API_P99_LATENCY_ALARM_MS,
      Dimensions: Match.arrayWith([{ Name: 'Method', Value: 'POST' }, { Name: 'Resource', Value: '/v1/charges' }]),
    });
    const latencyAlarms = Object.values(service.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm['Properties']['MetricName'] === 'Latency');
    expect(latencyAlarms.flatMap((alarm) => alarm['Properties']['Dimensions']).filter((dimension: { Name: string }) => dimension.Name === 'Resource').map((dimension: { Value: string }) => dimension.Value)).not.toContain('/v1/charges/{id}');
    // Stripe keeps events 30 days: a catch-up an hour behind pages someone.
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ProcessorEventsCursorLagSeconds', Statistic: 'Maximum', Threshold: 3600 });
    // Silence is the failure: no completed pass in 3 of 5 periods breaches.
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReconcilerPassCompleted',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      Period: config.reconciler.periodMinutes * 60,
    });
    for (const alarm of alarms) expect(alarm['Properties']['AlarmActions']).toHaveLength(1);
    service.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('custom metrics carry the stage as a dimension, in the functions and in the alarms on them', () => {
    const custom = Object.values(service.findResources('AWS::CloudWatch::Alarm')).filter((alarm) => alarm['Properties']['Namespace'] === METRICS_NAMESPACE);
    expect(custom.length).toBeGreaterThanOrEqual(5);
    for (const alarm of custom) expect(alarm['Properties']['Dimensions']).toContainEqual({ Name: 'stage', Value: stage });
    service.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, STAGE: stage }) },
    });
  });

  it('no alarm fires during a normal retry backoff: the oldest-message alarm waits out the whole retry schedule', () => {
    const threshold = workQueueAgeAlarmSeconds(config);
    expect(threshold).toBeGreaterThanOrEqual(longestRetrySchedule(config) + config.queue.visibilityTimeoutSeconds);
    service.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: threshold });
    expect(config.reconciler.stuckAfterSeconds).toBeGreaterThan(config.retry.maxDelaySeconds + config.worker.timeoutSeconds);
  });

  it('delivers alarms: a customer-managed key CloudWatch may use, and a topic policy that lets CloudWatch publish', () => {
    const topic = Object.values(service.findResources('AWS::SNS::Topic'))[0];
    const keyRef = topic?.['Properties']['KmsMasterKeyId'];
    expect(keyRef).toMatchObject({ 'Fn::GetAtt': [expect.stringMatching(/AlarmTopicKey/), 'Arn'] });
    const keys = service.findResources('AWS::KMS::Key');
    const key = keys[keyRef['Fn::GetAtt'][0]];
    expect(key?.['Properties']['EnableKeyRotation']).toBe(true);
    expect(key?.['Properties']['KeyPolicy']['Statement']).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
      }),
    );
    service.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': Match.anyValue() } }),
          }),
        ]),
      },
    });
  });

  it('serves a REGIONAL endpoint with a TLS 1.2+ security policy', () => {
    service.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: API_SECURITY_POLICY,
      EndpointAccessMode: 'STRICT',
      DisableExecuteApiEndpoint: false,
    });
  });

  it('keeps the one reconciliation pass at a time: timeout below the period, reserved concurrency 1, no async retries', () => {
    expect(config.reconciler.timeoutSeconds).toBeLessThan(config.reconciler.periodMinutes * 60);
    service.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: config.reconciler.timeoutSeconds,
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ STUCK_AFTER_SECONDS: String(config.reconciler.stuckAfterSeconds) }) },
    });
    service.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: Match.anyValue() });
  });

  it('gives every function that writes or reads the open-charges index the same shard count', () => {
    const counts = Object.values(service.findResources('AWS::Lambda::Function'))
      .map((fn) => fn['Properties']['Environment']?.['Variables']?.['OPEN_CHARGE_SHARDS'])
      .filter((count) => count !== undefined);
    expect(counts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(counts)).toEqual(new Set([String(config.capacity.openChargeShards)]));
  });

  it(`keeps logs ${stage === 'prod' ? 'at least 365 days and retains them, the tables and the queues' : 'briefly and destroys everything'} when the stack goes`, () => {
    const expected = config.disposable ? 'Delete' : 'Retain';
    for (const group of Object.values(service.findResources('AWS::Logs::LogGroup'))) {
      expect(group['DeletionPolicy']).toBe(expected);
      expect(group['Properties']['RetentionInDays']).toBe(config.logRetentionDays);
    }
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SQS::Queue']) {
      for (const resource of Object.values(stateful.findResources(type))) expect(resource['DeletionPolicy']).toBe(expected);
    }
    if (!config.disposable) expect(config.logRetentionDays).toBeGreaterThanOrEqual(365);
  });

  it('outputs what clients and the CLI need', () => {
    expect(Object.keys(stateful.findOutputs('*')).filter((name) => !name.startsWith('ExportsOutput')).sort()).toEqual([
      'ChargesTableName',
      'DeadLetterQueueUrl',
      'DeliveriesQueueUrl',
      'EventsFailureQueueUrl',
      'MerchantsTableName',
      'WebhookSecretsKeyArn',
      'WebhooksTableName',
      'WorkQueueUrl',
    ]);
    expect(Object.keys(service.findOutputs('*'))).toEqual(
      expect.arrayContaining(['AlarmTopicArn', 'ApiUrl', 'ReconcilerFunctionName', 'ProcessorApiUrl', 'ProcessorSecretName']),
    );
  });
});


/** The functions behind the REST API: each authenticates bearer keys itself. */
const API_FUNCTIONS = [
  'CreateChargeFunction',
  'GetChargeFunction',
  'ListChargesFunction',
  'CreateRefundFunction',
  'GetRefundFunction',
  'ListRefundsFunction',
  'WebhookEndpointsFunction',
  'EventsApiFunction',
  'DisputesApiFunction',
];
describe('the API edge and alarm subscribers, from config or context', () => {
  const synth = (stage: string, context: Record<string, string> = {}) => {
    const app = buildApp({ stage, outdir: outdir(), context: { ...paged(stage), ...context } });
    return { service: Template.fromStack(app.service), app };
  };

  it('prod puts a WAF web ACL with a rate-based rule per client IP in front of the stage; dev has none unless asked', () => {
    const prod = synth('prod').service;
    prod.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: { Limit: stageConfig('prod').api.waf?.rateLimitPer5Minutes, AggregateKeyType: 'IP' } } })]),
    });
    prod.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    synth('dev').service.resourceCountIs('AWS::WAFv2::WebACL', 0);
    synth('dev', { wafRateLimit: '3000' }).service.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([Match.objectLike({ Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: 'IP' } } })]),
    });
    synth('prod', { wafRateLimit: 'off' }).service.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  it('a custom domain (certificate from context) gets TLS 1.2+ and a base path mapping, and turns the execute-api endpoint off', () => {
    const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6789-abcd-ef0123456789';
    const { service } = synth('dev', { apiDomainName: 'pay.example.com', apiCertificateArn: certificateArn });
    service.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'pay.example.com',
      RegionalCertificateArn: certificateArn,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: API_SECURITY_POLICY,
    });
    service.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    service.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
    expect(Object.keys(service.findOutputs('*'))).toContain('ApiDomainTarget');
    expect(() => synth('dev', { apiDomainName: 'pay.example.com' })).toThrow(/go together/);
  });

  it('subscribes the alarm topic to every email and HTTPS endpoint given', () => {
    const { service } = synth('prod', { alarmEmails: 'oncall@example.com, finance@example.com', alarmHttpsUrls: 'https://hooks.example.com/oncepay' });
    const subscriptions = Object.values(service.findResources('AWS::SNS::Subscription')).map((resource) => [resource['Properties']['Protocol'], resource['Properties']['Endpoint']]);
    expect(subscriptions.sort()).toEqual([
      ['email', 'finance@example.com'],
      ['email', 'oncall@example.com'],
      ['https', 'https://hooks.example.com/oncepay'],
    ]);
    expect(() => synth('prod', { alarmHttpsUrls: 'http://hooks.example.com' })).toThrow(/must be an https:\/\/ URL/);
    expect(() => synth('prod', { alarmEmails: 'not-an-address' })).toThrow(/is not an email address/);
  });

  it('names alarms per stage, so two stages in one account never share one', () => {
    const alarmNames = (stage: string) =>
      Object.values(synth(stage).service.findResources('AWS::CloudWatch::Alarm')).map((alarm) => String(alarm['Properties']['AlarmName']));
    const dev = new Set(alarmNames('dev'));
    expect(alarmNames('prod').filter((name) => dev.has(name))).toEqual([]);
  });
});

describe('cdk-nag', () => {
  it.each(stageNames())('has no unacknowledged AwsSolutions or Serverless finding in the %s stage', (stage) => {
    expect(() => buildApp({ stage, outdir: outdir(), context: paged(stage) }).app.synth()).not.toThrow();
  });
});

describe('stage config', () => {
  it('knows local, dev and prod', () => {
    expect(stageNames()).toEqual(['local', 'dev', 'prod']);
  });

  it('refuses an unknown stage with the list of known ones', () => {
    expect(() => stageConfig('qa')).toThrow(new StageConfigError('Unknown stage "qa"; expected one of local, dev, prod'));
  });

  it('refuses a processor URL that is not http(s)', () => {
    expect(() => stageConfig('local', { processorApiUrl: 'ftp://x' })).toThrow(StageConfigError);
  });

  it('refuses anything but Stripe itself as the processor of a stage that is kept (prod)', () => {
    expect(() => stageConfig('prod', { processorApiUrl: 'http://127.0.0.1:12111' })).toThrow(/must be https:\/\/api.stripe.com/);
    expect(stageConfig('dev', { processorApiUrl: 'http://127.0.0.1:12111' }).processor.apiUrl).toBe('http://127.0.0.1:12111');
  });

  it.each(stageNames())('in %s, a charge waiting out its longest backoff is never taken for stuck, and a worker attempt holds its processor calls', (stage) => {
    const { reconciler, retry, worker, processor, queue } = stageConfig(stage);
    expect(reconciler.stuckAfterSeconds).toBeGreaterThan(retry.maxDelaySeconds + worker.timeoutSeconds);
    expect(reconciler.reviewAfterSeconds).toBeGreaterThan(reconciler.stuckAfterSeconds);
    expect(PROCESSOR_CALLS_ON_THE_COMMON_PATH * processor.timeoutMs + 1000).toBeLessThanOrEqual(worker.timeoutSeconds * 1000);
    expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * worker.timeoutSeconds + worker.maxBatchingWindowSeconds);
  });

  it.each(stageNames())('in %s, the workers and the reconciler together stay under the processor’s request rate, one request per second or more per record', (stage) => {
    const config = stageConfig(stage);
    const perContainer = processorRequestsPerSecondPerContainer(config);
    expect(perContainer * (config.worker.maxConcurrency + 1)).toBeLessThanOrEqual(config.processor.requestsPerSecond + 1e-9);
    expect(recordsInFlightPerWorker(config)).toBeLessThanOrEqual(perContainer);
  });

  it('prod: 10,000 charges/s spread over enough open-charges shards that none takes over 1,000 writes/s', () => {
    const { capacity } = stageConfig('prod');
    expect(capacity.peakChargesPerSecond).toBe(10_000);
    expect(openChargeShardsFor(10_000)).toBe(30);
    expect((capacity.peakChargesPerSecond * OPEN_INDEX_WRITES_PER_CHARGE) / capacity.openChargeShards).toBeLessThan(PARTITION_WRITES_PER_SECOND);
  });

  it('prod: one merchant at 10,000 charges/s spreads its list partitions over enough shards that none takes over 1,000 writes/s', () => {
    const { capacity } = stageConfig('prod');
    expect(listShardsFor(10_000)).toBe(15);
    expect((capacity.peakChargesPerSecond * LIST_INDEX_WRITES_PER_CHARGE) / capacity.listShards).toBeLessThan(PARTITION_WRITES_PER_SECOND);
  });

  it('prod accepts only live keys, dev and local only test keys', () => {
    expect(stageNames().map((stage) => [stage, stageConfig(stage).keyMode])).toEqual([
      ['local', 'test'],
      ['dev', 'test'],
      ['prod', 'live'],
    ]);
  });

  it('refuses timings and sizes that do not agree', () => {
    const refuses = (stage: string, change: (config: StageConfig) => void, message: RegExp) => {
      const config = structuredClone(stageConfig(stage));
      change(config);
      expect(() => validateStageConfig(config)).toThrow(message);
    };
    refuses('prod', (config) => (config.reconciler.timeoutSeconds = 60), /reconciler timeout must be below its period/);
    refuses('prod', (config) => (config.worker.maxConcurrency = 50), /exceed the processor's 100 requests\/s/);
    refuses('prod', (config) => (config.capacity.openChargeShards = 4), /need at least 30 open-charges shards/);
    refuses('prod', (config) => (config.capacity.listShards = 8), /need at least 15 list shards/);
    refuses('prod', (config) => (config.logRetentionDays = 90), /at least 365 days/);
    refuses('prod', (config) => (config.keyMode = 'test'), /keyMode must be live/);
    refuses('prod', (config) => (config.queue.visibilityTimeoutSeconds = 180), /visibility timeout must be at least 6×/);
  });
});
