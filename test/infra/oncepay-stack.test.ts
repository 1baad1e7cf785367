import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { PROCESSOR_CALLS_PER_ATTEMPT, stageConfig, StageConfigError, stageNames } from '#infra/stage-config.ts';

const outdir = () => mkdtempSync(join(tmpdir(), 'oncepay-infra-'));

describe.each(['local', 'prod'])('the %s stacks', (stage) => {
  const config = stageConfig(stage);
  let stateful: Template;
  let service: Template;

  beforeAll(() => {
    const app = buildApp({ stage, outdir: outdir() });
    stateful = Template.fromStack(app.stateful);
    service = Template.fromStack(app.service);
  });

  it('keeps data in the stateful stack and code in the stateless one', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 2);
    stateful.resourceCountIs('AWS::SQS::Queue', 2);
    stateful.resourceCountIs('AWS::Lambda::Function', 0);
    service.resourceCountIs('AWS::DynamoDB::Table', 0);
    service.resourceCountIs('AWS::Lambda::Function', 5);
  });

  it('runs every function on Node.js 22 on arm64 with active tracing and its own log group', () => {
    for (const fn of Object.values(service.findResources('AWS::Lambda::Function'))) {
      expect(fn['Properties']).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
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

  it('encrypts both queues and refuses non-TLS access to them', () => {
    for (const queue of Object.values(stateful.findResources('AWS::SQS::Queue'))) {
      expect(queue['Properties']['SqsManagedSseEnabled']).toBe(true);
    }
    const policies = Object.values(stateful.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(2);
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

  it('serves POST /v1/charges and GET /v1/charges/{id} behind the secret-key authorizer, throttled', () => {
    service.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    service.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'CUSTOM' });
    service.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
    service.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    service.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: stage,
      TracingEnabled: true,
      MethodSettings: Match.arrayWith([
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: config.api.throttleRatePerSecond }),
        Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1v1~1charges' }),
      ]),
    });
    service.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    });
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

  it('indexes open charges, and those flagged for review, in sparse, keys-only GSIs for the reconciler', () => {
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
        .map((statement) => ({ logicalId, actions: [statement.Action].flat().sort() })),
    );
    const actionsOf = (fn: string) => dynamoStatements.filter((entry) => entry.logicalId.startsWith(`Service${fn}`)).map((entry) => entry.actions);
    expect(actionsOf('CreateChargeFunction')).toEqual([['dynamodb:PutItem', 'dynamodb:UpdateItem']]);
    expect(actionsOf('GetChargeFunction')).toEqual([['dynamodb:GetItem']]);
    expect(actionsOf('AuthorizerFunction')).toEqual([['dynamodb:GetItem']]);
    expect(actionsOf('WorkerFunction')).toEqual([['dynamodb:GetItem', 'dynamodb:UpdateItem']]);
    expect(actionsOf('ReconcilerFunction')).toEqual([['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['dynamodb:Query']]);
    expect(dynamoStatements.flatMap((entry) => entry.actions).some((action) => action.includes('*'))).toBe(false);
  });

  it('lets only the worker and the reconciler read the processor secret', () => {
    const readers = Object.entries(service.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) =>
        (policy['Properties']['PolicyDocument']['Statement'] as Array<{ Action: string | string[] }>).some((statement) =>
          [statement.Action].flat().includes('secretsmanager:GetSecretValue'),
        ),
      )
      .map(([logicalId]) => logicalId.replace(/ServiceRole.*/, ''));
    expect(readers.sort()).toEqual(['ServiceReconcilerFunction', 'ServiceWorkerFunction']);
  });

  it('alarms on the DLQ, the oldest message, stuck charges, reviews, processor configuration, reconciler errors and heartbeat, worker errors and API 5xx, notifying SNS', () => {
    const alarms = Object.values(service.findResources('AWS::CloudWatch::Alarm'));
    const metricNames = alarms.map((alarm) => alarm['Properties']['MetricName']).sort();
    expect(metricNames).toEqual([
      '5XXError',
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      'ChargesInReview',
      'Errors',
      'ProcessorConfigurationErrors',
      'ReconcilerErrors',
      'ReconcilerPassCompleted',
      'StuckChargesFound',
    ]);
    // Silence is the failure: no completed pass in two periods breaches.
    service.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReconcilerPassCompleted',
      EvaluationPeriods: 2,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      Period: config.reconciler.periodMinutes * 60,
    });
    for (const alarm of alarms) expect(alarm['Properties']['AlarmActions']).toHaveLength(1);
    service.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    service.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('outputs what clients and the CLI need', () => {
    expect(Object.keys(stateful.findOutputs('*')).filter((name) => !name.startsWith('ExportsOutput')).sort()).toEqual([
      'ChargesTableName',
      'DeadLetterQueueUrl',
      'MerchantsTableName',
      'WorkQueueUrl',
    ]);
    expect(Object.keys(service.findOutputs('*'))).toEqual(
      expect.arrayContaining(['AlarmTopicArn', 'ApiUrl', 'ReconcilerFunctionName', 'ProcessorApiUrl', 'ProcessorSecretName']),
    );
  });
});

describe('cdk-nag', () => {
  it.each(stageNames())('has no unacknowledged AwsSolutions or Serverless finding in the %s stage', (stage) => {
    expect(() => buildApp({ stage, outdir: outdir() }).app.synth()).not.toThrow();
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
    expect(PROCESSOR_CALLS_PER_ATTEMPT * processor.timeoutMs + 1000).toBeLessThanOrEqual(worker.timeoutSeconds * 1000);
    expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * worker.timeoutSeconds + worker.maxBatchingWindowSeconds);
  });
});
