import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
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
import { Construct } from 'constructs';
import { OPEN_CHARGES_INDEX, REVIEW_INDEX } from '../functions/adapters/dynamodb-operation-items.ts';
import { CHARGE_REFUNDS_INDEX, MERCHANT_LISTS_INDEX } from '../functions/adapters/dynamodb-lists.ts';
import { WAIT_SLOT_KEY_PREFIX } from '../functions/adapters/dynamodb-wait-slots.ts';
import { SECRET_CONTEXT_KEYS } from '../functions/adapters/kms-secret-sealer.ts';
import { MAX_WAIT_SECONDS } from '../functions/handlers/prefer-wait.ts';
import { CREATE_CHARGE_THROTTLE_SHARE } from './limits.ts';
import { METRICS_NAMESPACE } from './operations.ts';
import { serviceApi, type ApiRoute, type ServiceApi } from './service-api.ts';
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

/** The alias every caller of a function uses; CodeDeploy moves it between published versions. */
export const LIVE_ALIAS = 'live';

/** One reconciliation pass at a time (`npm run localstack:deploy` applies it too: LocalStack's CloudFormation drops it). */
export const RECONCILER_RESERVED_CONCURRENCY = 1;

/** The functions, their event sources and the API in front of them (REST or HTTP, as the stage config says). */
export class ChargeService extends Construct {
  readonly api: ServiceApi;
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
        // Traced only when the REST API sampled the request (its sampling rule: service-api.ts); Lambda's own sampling is fixed.
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
    // Reads are cheap and idempotent; creating charges gets a tighter per-route limit. Routes that
    // never wait are "prompt": their latency alarms leave `Prefer: wait` reads out.
    const route = (method: ApiRoute['method'], path: string, handler: lambda.IFunction, throttleShare: number, prompt = false): ApiRoute => ({
      method,
      path,
      handler,
      throttleShare,
      prompt,
    });
    this.api = serviceApi(this, config, [
      route('POST', '/v1/charges', createCharge, CREATE_CHARGE_THROTTLE_SHARE, true),
      route('GET', '/v1/charges', listCharges, 0.25, true),
      route('GET', '/v1/charges/{id}', getCharge, 1),
      route('POST', '/v1/refunds', createRefund, 0.25, true),
      route('GET', '/v1/refunds', listRefunds, 0.25, true),
      route('GET', '/v1/refunds/{id}', getRefund, 0.5),
      route('POST', '/v1/webhook_endpoints', webhookEndpoints, 0.05),
      route('GET', '/v1/webhook_endpoints', webhookEndpoints, 0.05),
      route('DELETE', '/v1/webhook_endpoints/{id}', webhookEndpoints, 0.05),
      route('POST', '/v1/webhook_endpoints/{id}/roll_secret', webhookEndpoints, 0.05),
      route('GET', '/v1/events', eventsApi, 0.1),
      route('GET', '/v1/events/{id}', eventsApi, 0.1),
      route('GET', '/v1/disputes', disputesApi, 0.1),
      route('GET', '/v1/disputes/{id}', disputesApi, 0.1),
      // Stripe sends about one event per charge, in bursts after an outage.
      route('POST', '/webhooks/stripe', processorWebhook, 0.5, true),
    ], accessLogs);
  }
}

