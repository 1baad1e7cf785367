import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogLevel, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OPEN_CHARGES_INDEX } from '../functions/adapters/dynamodb-charge-repository.ts';
import type { StageConfig } from './stage-config.ts';

export interface OncePayStackProps extends StackProps {
  config: StageConfig;
}

/** Epoch-seconds attribute DynamoDB TTL purges charge records by, after their data retention. */
export const CHARGE_TTL_ATTRIBUTE = 'purge_at';

/** Each function's Lambda entry point: `functions/entrypoints/<name>.ts` wires a handler to AWS. */
const handlerEntry = (name: string) => fileURLToPath(new URL(`../functions/entrypoints/${name}.ts`, import.meta.url));

/** RFC 9457 bodies for the errors API Gateway answers itself (authorizer, throttling, limits). */
const GATEWAY_PROBLEMS: Array<{ type: apigateway.ResponseType; slug: string; title: string; status?: number; detail: string }> = [
  {
    // API Gateway answers an unknown route with 403 "Missing Authentication Token"; say 404.
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    slug: 'not-found',
    title: 'Not found',
    status: 404,
    detail: 'There is no such route. See openapi.json for the API.',
  },
  {
    type: apigateway.ResponseType.UNAUTHORIZED,
    slug: 'unauthorized',
    title: 'Unauthorized',
    status: 401,
    detail: 'A valid secret key is required (Authorization: Bearer sk_...).',
  },
  {
    type: apigateway.ResponseType.ACCESS_DENIED,
    slug: 'forbidden',
    title: 'Forbidden',
    status: 403,
    detail: 'This secret key may not call this operation.',
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
  { type: apigateway.ResponseType.DEFAULT_4XX, slug: 'bad-request', title: 'Bad request', detail: 'The request could not be accepted.' },
  {
    type: apigateway.ResponseType.DEFAULT_5XX,
    slug: 'internal-error',
    title: 'Internal error',
    detail: 'Something went wrong. Retry with the same Idempotency-Key.',
  },
];

/**
 * Stateful resources: the tables and queues. Kept apart from the functions so that a
 * later split into a stateful and a stateless stack moves code, not data.
 */
export class ChargeStorage extends Construct {
  readonly charges: dynamodb.Table;
  readonly merchants: dynamodb.Table;
  readonly workQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, config: StageConfig) {
    super(scope, id);
    const removalPolicy = config.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const tableProps = {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: !config.disposable },
      deletionProtection: !config.disposable,
      removalPolicy,
    };
    this.charges = new dynamodb.Table(this, 'ChargesTable', { ...tableProps, timeToLiveAttribute: CHARGE_TTL_ATTRIBUTE });
    // Keys only: updates to open charges then cost the index nothing until they close.
    this.charges.addGlobalSecondaryIndex({
      indexName: OPEN_CHARGES_INDEX.name,
      partitionKey: { name: OPEN_CHARGES_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: OPEN_CHARGES_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.merchants = new dynamodb.Table(this, 'MerchantsTable', tableProps);

    this.deadLetterQueue = new sqs.Queue(this, 'WorkDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.workQueue = new sqs.Queue(this, 'WorkQueue', {
      visibilityTimeout: Duration.seconds(config.queue.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.queue.maxReceiveCount },
    });
  }
}

/** The functions, their event source and the REST API in front of them. */
export class ChargeService extends Construct {
  readonly api: apigateway.RestApi;
  readonly reconciler: lambda.IFunction;

  constructor(scope: Construct, id: string, config: StageConfig, storage: ChargeStorage) {
    super(scope, id);
    const processorSecret = secretsmanager.Secret.fromSecretNameV2(this, 'ProcessorSecret', config.processor.secretName);
    const fn = (name: string, handlerFile: string, props: NodejsFunctionProps) =>
      new NodejsFunction(this, name, {
        entry: handlerEntry(handlerFile),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        logGroup: new logs.LogGroup(this, `${name}Logs`, {
          retention: config.logRetentionDays as logs.RetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        bundling: {
          format: OutputFormat.ESM,
          minify: true,
          logLevel: LogLevel.ERROR,
          target: 'node22',
          mainFields: ['module', 'main'],
          externalModules: [],
          // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
          banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        },
        ...props,
      });

    const apiEnvironment = {
      CHARGES_TABLE_NAME: storage.charges.tableName,
      POWERTOOLS_SERVICE_NAME: 'oncepay',
    };
    const createCharge = fn('CreateChargeFunction', 'create-charge', {
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: {
        ...apiEnvironment,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        IDEMPOTENCY_RETENTION_HOURS: String(config.idempotencyRetentionHours),
        CHARGE_RECORD_RETENTION_DAYS: String(config.chargeRecordRetentionDays),
        IN_FLIGHT_WINDOW_SECONDS: String(config.api.functionTimeoutSeconds),
      },
    });
    storage.charges.grantReadWriteData(createCharge);
    storage.workQueue.grantSendMessages(createCharge);

    const getCharge = fn('GetChargeFunction', 'get-charge', {
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: apiEnvironment,
    });
    storage.charges.grantReadData(getCharge);

    const authorizerFunction = fn('AuthorizerFunction', 'authorizer', {
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: { MERCHANTS_TABLE_NAME: storage.merchants.tableName, POWERTOOLS_SERVICE_NAME: 'oncepay' },
    });
    storage.merchants.grantReadData(authorizerFunction);

    const processorEnvironment = {
      PROCESSOR_API_URL: config.processor.apiUrl,
      PROCESSOR_SECRET_ID: config.processor.secretName,
      PROCESSOR_TIMEOUT_MS: String(config.processor.timeoutMs),
    };
    const worker = fn('WorkerFunction', 'worker', {
      timeout: Duration.seconds(config.worker.timeoutSeconds),
      environment: {
        CHARGES_TABLE_NAME: storage.charges.tableName,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        ...processorEnvironment,
        RETRY_BASE_DELAY_SECONDS: String(config.retry.baseDelaySeconds),
        RETRY_MAX_DELAY_SECONDS: String(config.retry.maxDelaySeconds),
        POWERTOOLS_SERVICE_NAME: 'oncepay',
      },
    });
    storage.charges.grantReadWriteData(worker);
    storage.workQueue.grantConsumeMessages(worker);
    processorSecret.grantRead(worker);
    worker.addEventSource(
      new SqsEventSource(storage.workQueue, {
        batchSize: config.worker.batchSize,
        maxBatchingWindow: Duration.seconds(config.worker.maxBatchingWindowSeconds),
        maxConcurrency: config.worker.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const reconciler = fn('ReconcilerFunction', 'reconciler', {
      timeout: Duration.seconds(config.reconciler.timeoutSeconds),
      environment: {
        CHARGES_TABLE_NAME: storage.charges.tableName,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        DEAD_LETTER_QUEUE_URL: storage.deadLetterQueue.queueUrl,
        ...processorEnvironment,
        STUCK_AFTER_SECONDS: String(config.reconciler.stuckAfterSeconds),
        POWERTOOLS_SERVICE_NAME: 'oncepay',
        POWERTOOLS_METRICS_NAMESPACE: 'oncepay',
      },
    });
    storage.charges.grantReadWriteData(reconciler);
    storage.workQueue.grantSendMessages(reconciler);
    storage.deadLetterQueue.grantConsumeMessages(reconciler);
    processorSecret.grantRead(reconciler);
    new events.Rule(this, 'ReconcilerSchedule', {
      description: 'Runs a reconciliation pass',
      schedule: events.Schedule.rate(Duration.minutes(config.reconciler.periodMinutes)),
      targets: [new targets.LambdaFunction(reconciler, { retryAttempts: 0 })],
    });
    this.reconciler = reconciler;

    this.api = new apigateway.RestApi(this, 'ChargesApi', {
      description: 'oncepay charges API',
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: config.api.throttleRatePerSecond,
        throttlingBurstLimit: config.api.throttleBurst,
      },
    });
    for (const problem of GATEWAY_PROBLEMS) {
      this.api.addGatewayResponse(`Problem${problem.type.responseType}`, {
        type: problem.type,
        ...(problem.type === apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN ? { statusCode: '404' } : {}),
        responseHeaders: { 'Content-Type': "'application/problem+json'" },
        templates: {
          'application/json': JSON.stringify({
            type: `https://oncepay.dev/problems/${problem.slug}`,
            title: problem.title,
            ...(problem.status ? { status: problem.status } : {}),
            detail: problem.detail,
          }),
        },
      });
    }
    const authorizer = new apigateway.RequestAuthorizer(this, 'SecretKeyAuthorizer', {
      handler: authorizerFunction,
      identitySources: [apigateway.IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.minutes(5),
    });
    const methodOptions = { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM };
    const charges = this.api.root.addResource('v1').addResource('charges');
    charges.addMethod('POST', new apigateway.LambdaIntegration(createCharge), methodOptions);
    charges.addResource('{id}').addMethod('GET', new apigateway.LambdaIntegration(getCharge), methodOptions);
  }
}

/** oncepay in one stack: storage and service, with the outputs clients and the CLI read. */
export class OncePayStack extends Stack {
  constructor(scope: Construct, id: string, props: OncePayStackProps) {
    super(scope, id, props);
    const storage = new ChargeStorage(this, 'Storage', props.config);
    const service = new ChargeService(this, 'Service', props.config, storage);
    new CfnOutput(this, 'ApiUrl', { value: service.api.url });
    new CfnOutput(this, 'ChargesTableName', { value: storage.charges.tableName });
    new CfnOutput(this, 'MerchantsTableName', { value: storage.merchants.tableName });
    new CfnOutput(this, 'WorkQueueUrl', { value: storage.workQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: storage.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ReconcilerFunctionName', { value: service.reconciler.functionName });
  }
}
