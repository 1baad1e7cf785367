import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '#infra/build-app.ts';
import { stageConfig, StageConfigError, stageNames } from '#infra/stage-config.ts';

describe.each(['local', 'prod'])('the %s stack template', (stage) => {
  const config = stageConfig(stage);
  let template: Template;

  beforeAll(() => {
    const { stack } = buildApp({ stage, outdir: mkdtempSync(join(tmpdir(), 'oncepay-infra-')) });
    template = Template.fromStack(stack);
  });

  it('runs every function on Node.js 22 on arm64', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(5);
    for (const fn of Object.values(functions)) {
      expect(fn['Properties']).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    }
  });

  it('gives the work queue a DLQ with maxReceiveCount ≥ 5 and a visibility of ≥ 6× the worker timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: config.queue.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: config.queue.maxReceiveCount },
      SqsManagedSseEnabled: true,
    });
    expect(config.queue.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(config.queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * config.worker.timeoutSeconds);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: config.worker.timeoutSeconds,
      Environment: { Variables: Match.objectLike({ PROCESSOR_SECRET_ID: config.processor.secretName }) },
    });
  });

  it('maps the queue to the worker with batch item failures, the stage batch size and a concurrency cap', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: config.worker.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: config.worker.maxConcurrency },
    });
  });

  it('serves POST /v1/charges and GET /v1/charges/{id} behind the secret-key authorizer', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'CUSTOM' });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'CUSTOM' });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{id}' });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    });
  });

  it('encrypts the tables and sets no physical names', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table['Properties']).toMatchObject({ SSESpecification: { SSEEnabled: true } });
      expect(table['Properties']).not.toHaveProperty('TableName');
    }
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(queue['Properties']).not.toHaveProperty('QueueName');
    }
  });

  it('indexes open charges in a sparse, keys-only GSI for the reconciler', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'open-charges',
          KeySchema: [
            { AttributeName: 'open_shard', KeyType: 'HASH' },
            { AttributeName: 'open_since', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('runs the reconciler on an EventBridge schedule, with the DLQ to read and the work queue to send to', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: `rate(${config.reconciler.periodMinutes} minute${config.reconciler.periodMinutes === 1 ? '' : 's'})`,
      State: 'ENABLED',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: config.reconciler.timeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          STUCK_AFTER_SECONDS: String(config.reconciler.stuckAfterSeconds),
          DEAD_LETTER_QUEUE_URL: Match.anyValue(),
        }),
      },
    });
  });

  it('purges charge records by TTL on purge_at, only after the record retention', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'purge_at', Enabled: true },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          IDEMPOTENCY_RETENTION_HOURS: String(config.idempotencyRetentionHours),
          CHARGE_RECORD_RETENTION_DAYS: String(config.chargeRecordRetentionDays),
        }),
      },
    });
    expect(config.chargeRecordRetentionDays * 24).toBeGreaterThanOrEqual(config.idempotencyRetentionHours);
  });

  it(stage === 'prod' ? 'retains and protects the tables' : 'lets the disposable tables go with the stack', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    for (const table of tables) {
      expect(table['DeletionPolicy']).toBe(config.disposable ? 'Delete' : 'Retain');
      expect(table['Properties']['DeletionProtectionEnabled']).toBe(!config.disposable);
    }
  });

  it('lets the worker read only its own secret and the API only send to the queue', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
        ]),
      },
    });
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
});
