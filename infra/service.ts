import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogLevel, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import { OPEN_CHARGES_INDEX, REVIEW_INDEX } from '../functions/adapters/dynamodb-charge-repository.ts';
import { CHARGE_REFUNDS_INDEX, MERCHANT_LISTS_INDEX } from '../functions/adapters/dynamodb-lists.ts';
import { WAIT_SLOT_KEY_PREFIX } from '../functions/adapters/dynamodb-wait-slots.ts';
import { SECRET_CONTEXT_KEYS } from '../functions/adapters/kms-secret-sealer.ts';
import { MAX_WAIT_SECONDS } from '../functions/handlers/prefer-wait.ts';
import { ApiEdge } from './api-edge.ts';
import { CREATE_CHARGE_THROTTLE_SHARE } from './limits.ts';
import { METRICS_NAMESPACE } from './operations.ts';
import { processorRequestsPerSecondPerContainer, type StageConfig } from './stage-config.ts';
import { WEBHOOK_DELIVERY_FUNCTION_TIMEOUT_SECONDS, type ChargeStorageRefs } from './storage.ts';

/** Each function's Lambda entry point: `functions/entrypoints/<name>.ts` wires a handler to AWS. */
const handlerEntry = (name: string) => fileURLToPath(new URL(`../functions/entrypoints/${name}.ts`, import.meta.url));

/**
 * Least privilege on a table: exactly the item actions a function performs, on the table
 * itself (CDK's grant helpers would add every index and more actions than it uses).
 */
function allowItemActions(fn: lambda.IFunction, table: dynamodb.ITable, actions: string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
}

/**
 * What an API function may do in the merchants table: read keys, and stamp a key's last use
 * (`UpdateItem` limited to that one attribute, so a compromised function cannot un-revoke a key).
 */
function allowKeyLookups(fn: lambda.IFunction, merchants: dynamodb.ITable): void {
  allowItemActions(fn, merchants, ['dynamodb:GetItem']);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [merchants.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'last_used_at'] } },
    }),
  );
}

/** The `Prefer: wait` budget's slots in the merchants table: their lease attributes, and no other item. */
function allowWaitSlots(fn: lambda.IFunction, merchants: dynamodb.ITable): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [merchants.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${WAIT_SLOT_KEY_PREFIX}*`] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'held_until', 'holder'] },
      },
    }),
  );
}

/** Queries on the named GSIs of a table, and nothing else of it. */
function allowIndexQueries(fn: lambda.IFunction, table: dynamodb.ITable, indexes: string[]): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes.map((index) => `${table.tableArn}/index/${index}`) }));
}

/**
 * Use of the webhook secrets key, only under an encryption context that names a merchant and
 * one of its endpoints (how `KmsSecretSealer` binds each ciphertext to its endpoint).
 */
function allowSecretSealing(fn: lambda.IFunction, key: kms.IKey, actions: Array<'kms:Encrypt' | 'kms:Decrypt'>): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions,
      resources: [key.keyArn],
      conditions: {
        StringLike: { [`kms:EncryptionContext:${SECRET_CONTEXT_KEYS.endpoint}`]: 'we_*', [`kms:EncryptionContext:${SECRET_CONTEXT_KEYS.merchant}`]: '?*' },
      },
    }),
  );
}

/** RFC 9457 bodies for the errors API Gateway answers itself (routing, WAF, throttling, limits). */
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
const ACCESS_LOG_FIELDS = {
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

/** The alias every caller of a function uses; CodeDeploy moves it between published versions. */
export const LIVE_ALIAS = 'live';

/** One reconciliation pass at a time (`npm run localstack:deploy` applies it too: LocalStack's CloudFormation drops it). */
export const RECONCILER_RESERVED_CONCURRENCY = 1;

/** The functions, their event source and the REST API in front of them. */
export class ChargeService extends Construct {
  readonly api: apigateway.RestApi;
  /** Where the signing secret of the endpoint registered at the processor goes (`npm run cli -- processor-webhook`). */
  readonly processorWebhookSecretName: string;
  readonly reconciler: lambda.Alias;
  readonly worker: lambda.Alias;
  /** Every function, for per-function alarms (their metrics cover every version). */
  readonly functions: lambda.IFunction[] = [];
  /** Every function's `live` alias, which CodeDeploy shifts (see `SafeDeploys`). */
  readonly liveAliases: lambda.Alias[] = [];
  /** The function reading the charges table's stream, and the one delivering webhooks. */
  readonly eventsFunction: lambda.IFunction;
  readonly deliverFunction: lambda.IFunction;
  /** The REST methods that answer at once (no `Prefer: wait`), with detailed metrics for per-method latency alarms. */
  readonly promptMethods: Array<{ method: string; resource: string }> = [];

  constructor(scope: Construct, id: string, config: StageConfig, storage: ChargeStorageRefs) {
    super(scope, id);
    // Kept stages keep their logs (audit history) when the stack goes; disposable ones do not.
    const logRemovalPolicy = config.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const processorSecret = secretsmanager.Secret.fromSecretNameV2(this, 'ProcessorSecret', config.processor.secretName);
    /**
     * A function and its `live` alias: the API, the event sources and the schedule call the
     * alias, which CodeDeploy shifts from one published version to the next (and back).
     */
    const fn = (name: string, handlerFile: string, props: NodejsFunctionProps): lambda.Alias => {
      const created = new NodejsFunction(this, name, {
        entry: handlerEntry(handlerFile),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        // Traced only when the API sampled the request (its sampling rule below): Lambda's own sampling is fixed.
        tracing: lambda.Tracing.PASS_THROUGH,
        logGroup: new logs.LogGroup(this, `${name}Logs`, {
          retention: config.logRetentionDays as logs.RetentionDays,
          removalPolicy: logRemovalPolicy,
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
      this.functions.push(created);
      const live = new lambda.Alias(this, `${name}Live`, { aliasName: LIVE_ALIAS, version: created.currentVersion });
      this.liveAliases.push(live);
      return live;
    };

    const chargesEnvironment = {
      CHARGES_TABLE_NAME: storage.charges.tableName,
      OPEN_CHARGE_SHARDS: String(config.capacity.openChargeShards),
      LIST_SHARDS: String(config.capacity.listShards),
      POWERTOOLS_SERVICE_NAME: 'oncepay',
    };
    // Custom metrics carry the stage as a dimension: two stages in one account never cross-fire.
    const metricsEnvironment = { POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE, STAGE: config.stage };
    // The API functions authenticate bearer keys themselves (no API Gateway authorizer), so
    // LocalStack's free image, which has none, runs the same code as AWS.
    const authenticationEnvironment = { MERCHANTS_TABLE_NAME: storage.merchants.tableName, API_KEY_MODE: config.keyMode };
    const createCharge = fn('CreateChargeFunction', 'create-charge', {
      reservedConcurrentExecutions: config.concurrency.moneyPathApi,
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: {
        ...chargesEnvironment,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        IDEMPOTENCY_RETENTION_HOURS: String(config.idempotencyRetentionHours),
        CHARGE_RECORD_RETENTION_DAYS: String(config.chargeRecordRetentionDays),
        REENQUEUE_AFTER_SECONDS: String(config.api.functionTimeoutSeconds),
        ...authenticationEnvironment,
      },
    });
    // UpdateItem: a key reused after expiry keeps its earlier generations (in a transaction).
    allowItemActions(createCharge, storage.charges, ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    storage.workQueue.grantSendMessages(createCharge);

    // Reads may wait for the outcome (`Prefer: wait=N`, N ≤ 20): room for the wait and the answer.
    const readTimeout = Duration.seconds(Math.max(config.api.functionTimeoutSeconds, MAX_WAIT_SECONDS + 5));
    const waitEnvironment = { WAITING_READS: String(config.concurrency.waitingReads) };
    const getCharge = fn('GetChargeFunction', 'get-charge', {
      reservedConcurrentExecutions: config.concurrency.reads,
      timeout: readTimeout,
      environment: { ...chargesEnvironment, ...authenticationEnvironment, ...waitEnvironment },
    });
    allowItemActions(getCharge, storage.charges, ['dynamodb:GetItem']);

    const createRefund = fn('CreateRefundFunction', 'create-refund', {
      reservedConcurrentExecutions: config.concurrency.moneyPathApi,
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: {
        ...chargesEnvironment,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        IDEMPOTENCY_RETENTION_HOURS: String(config.idempotencyRetentionHours),
        CHARGE_RECORD_RETENTION_DAYS: String(config.chargeRecordRetentionDays),
        REENQUEUE_AFTER_SECONDS: String(config.api.functionTimeoutSeconds),
        ...authenticationEnvironment,
      },
    });
    // The refund and its reservation on the charge are one transaction (Put + Update items).
    allowItemActions(createRefund, storage.charges, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    storage.workQueue.grantSendMessages(createRefund);

    const getRefund = fn('GetRefundFunction', 'get-refund', {
      reservedConcurrentExecutions: config.concurrency.reads,
      timeout: readTimeout,
      environment: { ...chargesEnvironment, ...authenticationEnvironment, ...waitEnvironment },
    });
    for (const waitingRead of [getCharge, getRefund]) allowWaitSlots(waitingRead, storage.merchants);
    allowItemActions(getRefund, storage.charges, ['dynamodb:GetItem']);

    const listFunction = (name: string, handlerFile: string) => {
      const created = fn(name, handlerFile, {
        reservedConcurrentExecutions: config.concurrency.reads,
        timeout: Duration.seconds(config.api.functionTimeoutSeconds),
        environment: { ...chargesEnvironment, ...authenticationEnvironment },
      });
      allowItemActions(created, storage.charges, ['dynamodb:GetItem', 'dynamodb:BatchGetItem']);
      allowIndexQueries(created, storage.charges, [MERCHANT_LISTS_INDEX.name, CHARGE_REFUNDS_INDEX.name]);
      return created;
    };
    const listCharges = listFunction('ListChargesFunction', 'list-charges');
    const listRefunds = listFunction('ListRefundsFunction', 'list-refunds');
    for (const apiFunction of [createCharge, getCharge, createRefund, getRefund, listCharges, listRefunds]) allowKeyLookups(apiFunction, storage.merchants);

    const processorEnvironment = {
      PROCESSOR_API_URL: config.processor.apiUrl,
      PROCESSOR_SECRET_ID: config.processor.secretName,
      PROCESSOR_SECRET_MAX_AGE_SECONDS: String(config.processor.secretMaxAgeMinutes * 60),
      PROCESSOR_MODE: config.keyMode,
      PROCESSOR_TIMEOUT_MS: String(config.processor.timeoutMs),
      PROCESSOR_REQUESTS_PER_SECOND: String(processorRequestsPerSecondPerContainer(config)),
    };
    const worker = fn('WorkerFunction', 'worker', {
      // At least the event source's maximum: more pollers than reserved concurrency would be throttled.
      reservedConcurrentExecutions: config.worker.maxConcurrency,
      timeout: Duration.seconds(config.worker.timeoutSeconds),
      environment: {
        ...chargesEnvironment,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        ...processorEnvironment,
        RETRY_BASE_DELAY_SECONDS: String(config.retry.baseDelaySeconds),
        RETRY_MAX_DELAY_SECONDS: String(config.retry.maxDelaySeconds),
        RECORDS_IN_PARALLEL: String(config.worker.recordsInParallel),
        ...metricsEnvironment,
      },
    });
    // PutItem: a dispute the processor opened, written with its charge in one transaction.
    allowItemActions(worker, storage.charges, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
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
      // One pass at a time: a pass still running when the next is due makes the next one a
      // throttled async event, retried by Lambda no longer than a period, then dropped.
      reservedConcurrentExecutions: RECONCILER_RESERVED_CONCURRENCY,
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, config.reconciler.periodMinutes * 60)),
      environment: {
        ...chargesEnvironment,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        DEAD_LETTER_QUEUE_URL: storage.deadLetterQueue.queueUrl,
        ...processorEnvironment,
        STUCK_AFTER_SECONDS: String(config.reconciler.stuckAfterSeconds),
        REVIEW_AFTER_SECONDS: String(config.reconciler.reviewAfterSeconds),
        WEBHOOKS_TABLE_NAME: storage.webhooks.tableName,
        ...metricsEnvironment,
      },
    });
    // PutItem: a dead-lettered processor event's dispute, written with its charge.
    allowItemActions(reconciler, storage.charges, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // The catch-up over the processor's events: its cursor, and each event it receives recorded once.
    allowItemActions(reconciler, storage.webhooks, ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    reconciler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [OPEN_CHARGES_INDEX.name, REVIEW_INDEX.name].map((index) => `${storage.charges.tableArn}/index/${index}`),
      }),
    );
    storage.workQueue.grantSendMessages(reconciler);
    storage.deadLetterQueue.grantConsumeMessages(reconciler);
    processorSecret.grantRead(reconciler);
    new events.Rule(this, 'ReconcilerSchedule', {
      description: 'Runs a reconciliation pass',
      schedule: events.Schedule.rate(Duration.minutes(config.reconciler.periodMinutes)),
      targets: [new targets.LambdaFunction(reconciler, { retryAttempts: 0 })],
    });
    this.reconciler = reconciler;
    this.worker = worker;

    // Webhooks: the charges table's stream → events (stored once, deliveries queued) → delivery.
    const webhooksEnvironment = {
      WEBHOOKS_TABLE_NAME: storage.webhooks.tableName,
      LIST_SHARDS: String(config.capacity.listShards),
      WEBHOOK_ALLOW_LOOPBACK_HTTP: String(config.webhooks.allowLoopbackHttp),
      POWERTOOLS_SERVICE_NAME: 'oncepay',
    };
    const eventsFunction = fn('EventsFunction', 'events', {
      timeout: Duration.seconds(30),
      environment: { ...webhooksEnvironment, DELIVERIES_QUEUE_URL: storage.deliveriesQueue.queueUrl, ...metricsEnvironment },
    });
    // GetItem + BatchGetItem: the merchant's endpoints, read strongly consistently (never through an index).
    allowItemActions(eventsFunction, storage.webhooks, ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem']);
    storage.deliveriesQueue.grantSendMessages(eventsFunction);
    if (!storage.charges.tableStreamArn) throw new Error('The charges table has no stream: the events function reads it');
    eventsFunction.addEventSource(
      new DynamoEventSource(storage.charges, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        bisectBatchOnError: true,
        // An outage of DynamoDB or SQS must not cost events: retry for hours, not ten times. A record
        // that still fails after 6 h (a poison, isolated by bisecting) goes to the failure queue, alarmed.
        retryAttempts: 10_000,
        maxRecordAge: Duration.hours(6),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(storage.eventsFailureQueue),
      }),
    );

    const deliver = fn('DeliverFunction', 'deliver', {
      reservedConcurrentExecutions: config.concurrency.deliveries,
      timeout: Duration.seconds(WEBHOOK_DELIVERY_FUNCTION_TIMEOUT_SECONDS),
      environment: {
        ...webhooksEnvironment,
        DELIVERIES_QUEUE_URL: storage.deliveriesQueue.queueUrl,
        WEBHOOK_RETRY_BASE_SECONDS: String(config.webhooks.retryBaseSeconds),
        WEBHOOK_RETRY_MAX_SECONDS: String(config.webhooks.retryMaxSeconds),
        WEBHOOK_GIVE_UP_AFTER_HOURS: String(config.webhooks.giveUpAfterHours),
        WEBHOOK_SECRETS_KEY_ARN: storage.webhookSecretsKey.keyArn,
        ...metricsEnvironment,
      },
    });
    this.eventsFunction = eventsFunction.version.lambda;
    this.deliverFunction = deliver.version.lambda;
    allowSecretSealing(deliver, storage.webhookSecretsKey, ['kms:Decrypt']);
    // UpdateItem: an endpoint disabled after 3 days of failures, and each attempt recorded on its event.
    allowItemActions(deliver, storage.webhooks, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    storage.deliveriesQueue.grantConsumeMessages(deliver);
    deliver.addEventSource(
      new SqsEventSource(storage.deliveriesQueue, { batchSize: 10, maxConcurrency: config.concurrency.deliveries, reportBatchItemFailures: true }),
    );

    const webhookEndpoints = fn('WebhookEndpointsFunction', 'webhook-endpoints', {
      reservedConcurrentExecutions: config.concurrency.reads,
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: {
        ...webhooksEnvironment,
        ...authenticationEnvironment,
        WEBHOOK_SECRETS_KEY_ARN: storage.webhookSecretsKey.keyArn,
        IDEMPOTENCY_RETENTION_HOURS: String(config.idempotencyRetentionHours),
      },
    });
    // Decrypt only to answer a replayed roll (same Idempotency-Key) with the secret that roll made.
    allowSecretSealing(webhookEndpoints, storage.webhookSecretsKey, ['kms:Encrypt', 'kms:Decrypt']);
    // An endpoint and its merchant's endpoint set are written in one transaction (Put/Delete + Update).
    allowItemActions(webhookEndpoints, storage.webhooks, ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    allowKeyLookups(webhookEndpoints, storage.merchants);

    const eventsApi = fn('EventsApiFunction', 'events-api', {
      reservedConcurrentExecutions: config.concurrency.reads,
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: { ...webhooksEnvironment, ...authenticationEnvironment },
    });
    // Events only (`EVENT#…` items): never an endpoint, its sealed secrets, or a roll's record.
    eventsApi.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
        resources: [storage.webhooks.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EVENT#*'] } },
      }),
    );
    allowIndexQueries(eventsApi, storage.webhooks, [MERCHANT_LISTS_INDEX.name]);
    allowKeyLookups(eventsApi, storage.merchants);

    const disputesApi = fn('DisputesApiFunction', 'disputes-api', {
      reservedConcurrentExecutions: config.concurrency.reads,
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: { ...chargesEnvironment, ...authenticationEnvironment },
    });
    allowItemActions(disputesApi, storage.charges, ['dynamodb:GetItem', 'dynamodb:BatchGetItem']);
    allowIndexQueries(disputesApi, storage.charges, [MERCHANT_LISTS_INDEX.name]);
    allowKeyLookups(disputesApi, storage.merchants);

    // Stripe's events in: no merchant key, the signature is the authentication; the work goes through the work queue.
    const processorWebhookSecret = secretsmanager.Secret.fromSecretNameV2(this, 'ProcessorWebhookSecret', config.processor.webhookSecretName);
    const processorWebhook = fn('ProcessorWebhookFunction', 'processor-webhook', {
      reservedConcurrentExecutions: config.concurrency.moneyPathApi,
      timeout: Duration.seconds(config.api.functionTimeoutSeconds),
      environment: {
        WEBHOOKS_TABLE_NAME: storage.webhooks.tableName,
        WORK_QUEUE_URL: storage.workQueue.queueUrl,
        PROCESSOR_WEBHOOK_SECRET_ID: config.processor.webhookSecretName,
        POWERTOOLS_SERVICE_NAME: 'oncepay',
        ...metricsEnvironment,
      },
    });
    allowItemActions(processorWebhook, storage.webhooks, ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    storage.workQueue.grantSendMessages(processorWebhook);
    processorWebhookSecret.grantRead(processorWebhook);
    this.processorWebhookSecretName = config.processor.webhookSecretName;

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: logRemovalPolicy,
    });
    // Reads are cheap and idempotent; creating charges gets a tighter per-method limit.
    const perMethod = (share: number) => ({
      throttlingRateLimit: Math.max(1, Math.floor(config.api.throttleRatePerSecond * share)),
      throttlingBurstLimit: Math.max(1, Math.floor(config.api.throttleBurst * share)),
    });
    // Methods that never wait get per-method metrics: their latency alarms leave `Prefer: wait` reads out.
    const prompt = (resource: string, method: string, share: number) => {
      this.promptMethods.push({ resource, method });
      return { ...perMethod(share), metricsEnabled: true };
    };
    this.api = new apigateway.RestApi(this, 'ChargesApi', {
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
        methodOptions: {
          '/v1/charges/POST': prompt('/v1/charges', 'POST', CREATE_CHARGE_THROTTLE_SHARE),
          '/v1/charges/GET': prompt('/v1/charges', 'GET', 0.25),
          '/v1/charges/{id}/GET': perMethod(1),
          '/v1/refunds/POST': prompt('/v1/refunds', 'POST', 0.25),
          '/v1/refunds/GET': prompt('/v1/refunds', 'GET', 0.25),
          '/v1/refunds/{id}/GET': perMethod(0.5),
          '/v1/webhook_endpoints/POST': perMethod(0.05),
          '/v1/webhook_endpoints/GET': perMethod(0.05),
          '/v1/webhook_endpoints/{id}/DELETE': perMethod(0.05),
          '/v1/webhook_endpoints/{id}/roll_secret/POST': perMethod(0.05),
          '/v1/events/GET': perMethod(0.1),
          '/v1/events/{id}/GET': perMethod(0.1),
          '/v1/disputes/GET': perMethod(0.1),
          '/v1/disputes/{id}/GET': perMethod(0.1),
          // Stripe sends about one event per charge, in bursts after an outage.
          '/webhooks/stripe/POST': prompt('/webhooks/stripe', 'POST', 0.5),
        },
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    // The API decides what is traced (X-Ray matches a stage by its service name, `<api name>/<stage>`); the functions follow.
    if (config.tracing) {
      new xray.CfnSamplingRule(this, 'ApiSamplingRule', {
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
      this.api.addGatewayResponse(`Problem${problem.type.responseType}`, {
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
    new ApiEdge(this, 'Edge', { config, api: this.api });
    const v1 = this.api.root.addResource('v1');
    const charges = v1.addResource('charges');
    charges.addMethod('POST', new apigateway.LambdaIntegration(createCharge));
    charges.addMethod('GET', new apigateway.LambdaIntegration(listCharges));
    charges.addResource('{id}').addMethod('GET', new apigateway.LambdaIntegration(getCharge));
    const refunds = v1.addResource('refunds');
    refunds.addMethod('POST', new apigateway.LambdaIntegration(createRefund));
    refunds.addMethod('GET', new apigateway.LambdaIntegration(listRefunds));
    refunds.addResource('{id}').addMethod('GET', new apigateway.LambdaIntegration(getRefund));
    const endpoints = v1.addResource('webhook_endpoints');
    const endpointsIntegration = new apigateway.LambdaIntegration(webhookEndpoints);
    endpoints.addMethod('POST', endpointsIntegration);
    endpoints.addMethod('GET', endpointsIntegration);
    const endpoint = endpoints.addResource('{id}');
    endpoint.addMethod('DELETE', endpointsIntegration);
    endpoint.addResource('roll_secret').addMethod('POST', endpointsIntegration);
    const eventsResource = v1.addResource('events');
    const eventsIntegration = new apigateway.LambdaIntegration(eventsApi);
    eventsResource.addMethod('GET', eventsIntegration);
    eventsResource.addResource('{id}').addMethod('GET', eventsIntegration);
    const disputesResource = v1.addResource('disputes');
    const disputesIntegration = new apigateway.LambdaIntegration(disputesApi);
    disputesResource.addMethod('GET', disputesIntegration);
    disputesResource.addResource('{id}').addMethod('GET', disputesIntegration);
    this.api.root.addResource('webhooks').addResource('stripe').addMethod('POST', new apigateway.LambdaIntegration(processorWebhook));
  }
}

