import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OPEN_CHARGES_INDEX, REVIEW_INDEX } from '../functions/adapters/dynamodb-operation-items.ts';
import { CHARGE_REFUNDS_INDEX, MERCHANT_LISTS_INDEX } from '../functions/adapters/dynamodb-lists.ts';
import { stackIdsFor, WEBHOOK_MAX_RECEIVES, type StageConfig } from './stage-config.ts';

/** Epoch-seconds attribute DynamoDB TTL purges charge records by, after their data retention. */
export const CHARGE_TTL_ATTRIBUTE = 'purge_at';

/**
 * Stateful resources: the tables and queues. PITR, deletion protection and `RETAIN` outside
 * disposable stages; server-side encryption everywhere; TLS-only queue policies.
 */
/** What the service needs of the storage: interfaces, so it can live in another stack. */
export interface ChargeStorageRefs {
  charges: dynamodb.ITable;
  merchants: dynamodb.ITable;
  /** Webhook endpoints and the events to deliver to them. */
  webhooks: dynamodb.ITable;
  /** Seals merchants' webhook signing secrets (customer-managed, rotated): kept here so a service redeploy never loses it. */
  webhookSecretsKey: kms.IKey;
  workQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  /** One message per (event, endpoint) to deliver. */
  deliveriesQueue: sqs.IQueue;
  deliveriesDeadLetterQueue: sqs.IQueue;
  /** Where the events function's stream source reports a batch of changes it gave up on. */
  eventsFailureQueue: sqs.IQueue;
}

export class ChargeStorage extends Construct implements ChargeStorageRefs {
  /** The stack's own tables, or the restored ones the config names (`restoredTables`). */
  readonly charges: dynamodb.ITable;
  readonly merchants: dynamodb.ITable;
  readonly webhooks: dynamodb.ITable;
  readonly webhookSecretsKey: kms.Key;
  readonly workQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly deliveriesQueue: sqs.Queue;
  readonly deliveriesDeadLetterQueue: sqs.Queue;
  readonly eventsFailureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, config: StageConfig) {
    super(scope, id);
    const removalPolicy = config.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const restored = config.restoredTables;
    // Imported tables are not resources of the stack: a kept stack switched to them orphans its own (RETAIN).
    const tables = restored
      ? {
          charges: dynamodb.Table.fromTableAttributes(this, 'RestoredChargesTable', { tableName: restored.charges, tableStreamArn: restored.chargesStreamArn }),
          merchants: dynamodb.Table.fromTableName(this, 'RestoredMerchantsTable', restored.merchants),
          webhooks: dynamodb.Table.fromTableName(this, 'RestoredWebhooksTable', restored.webhooks),
        }
      : createTables(this, config, removalPolicy);
    this.charges = tables.charges;
    this.merchants = tables.merchants;
    this.webhooks = tables.webhooks;
    // Only the WebhookEndpoints (Encrypt, and Decrypt to replay a roll's answer) and Deliver
    // (Decrypt) functions are granted it, in infra/service.ts; losing it would lose every secret.
    this.webhookSecretsKey = new kms.Key(this, 'WebhookSecretsKey', {
      description: 'oncepay: seals merchants’ webhook signing secrets',
      enableKeyRotation: true,
      removalPolicy,
      policy: webhookSecretsKeyPolicy(Stack.of(this), stackIdsFor(config.stage).service),
    });

    this.deadLetterQueue = new sqs.Queue(this, 'WorkDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    this.workQueue = new sqs.Queue(this, 'WorkQueue', {
      visibilityTimeout: Duration.seconds(config.queue.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.queue.maxReceiveCount },
    });

    const queueProps = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy };
    this.deliveriesDeadLetterQueue = new sqs.Queue(this, 'DeliveriesDeadLetterQueue', { ...queueProps, retentionPeriod: Duration.days(14) });
    this.deliveriesQueue = new sqs.Queue(this, 'DeliveriesQueue', {
      ...queueProps,
      // Six times the delivery function's timeout, as for the work queue; a delivery lives beyond its 3-day retry window.
      visibilityTimeout: Duration.seconds(6 * WEBHOOK_DELIVERY_FUNCTION_TIMEOUT_SECONDS),
      retentionPeriod: Duration.hours(config.webhooks.giveUpAfterHours + 24),
      deadLetterQueue: { queue: this.deliveriesDeadLetterQueue, maxReceiveCount: WEBHOOK_MAX_RECEIVES },
    });
    this.eventsFailureQueue = new sqs.Queue(this, 'EventsFailureQueue', { ...queueProps, retentionPeriod: Duration.days(14) });
  }
}

/** The stack's own tables, with the logical ids they always had. */
function createTables(scope: Construct, config: StageConfig, removalPolicy: RemovalPolicy): Record<'charges' | 'merchants' | 'webhooks', dynamodb.Table> {
  const tableProps = {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: !config.disposable },
    deletionProtection: !config.disposable,
    removalPolicy,
  };
  // The stream is the outbox: every state change, old and new image, read by the events function.
  const charges = new dynamodb.Table(scope, 'ChargesTable', {
    ...tableProps,
    timeToLiveAttribute: CHARGE_TTL_ATTRIBUTE,
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });
  // Keys only: updates to open charges then cost the index nothing until they close.
  charges.addGlobalSecondaryIndex({
    indexName: OPEN_CHARGES_INDEX.name,
    partitionKey: { name: OPEN_CHARGES_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: OPEN_CHARGES_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  });
  // Open charges flagged for a person (`npm run cli -- review list`, the ChargesInReview metric).
  charges.addGlobalSecondaryIndex({
    indexName: REVIEW_INDEX.name,
    partitionKey: { name: REVIEW_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: REVIEW_INDEX.sortKey, type: dynamodb.AttributeType.NUMBER },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  });
  // A merchant's charges and refunds, newest first (GET /v1/charges, GET /v1/refunds): keys only,
  // written once per item; its partitions are sharded per merchant (capacity.listShards).
  // A charge's refunds (GET /v1/refunds?charge=…): keys only, one partition per charge.
  for (const index of [MERCHANT_LISTS_INDEX, CHARGE_REFUNDS_INDEX]) {
    charges.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
  const merchants = new dynamodb.Table(scope, 'MerchantsTable', tableProps);
  // Endpoints (with their signing secrets: encrypted at rest) and events, listed per merchant.
  const webhooks = new dynamodb.Table(scope, 'WebhooksTable', { ...tableProps, timeToLiveAttribute: CHARGE_TTL_ATTRIBUTE });
  webhooks.addGlobalSecondaryIndex({
    indexName: MERCHANT_LISTS_INDEX.name,
    partitionKey: { name: MERCHANT_LISTS_INDEX.partitionKey, type: dynamodb.AttributeType.STRING },
    sortKey: { name: MERCHANT_LISTS_INDEX.sortKey, type: dynamodb.AttributeType.STRING },
    projectionType: dynamodb.ProjectionType.KEYS_ONLY,
  });
  return { charges, merchants, webhooks };
}

/** The delivery function's timeout: one 10 s attempt per record (records run in parallel), and its writes. */
export const WEBHOOK_DELIVERY_FUNCTION_TIMEOUT_SECONDS = 30;


/** What the account may do with the webhook-secrets key besides using it: administer it (IAM decides who). */
const KEY_ADMINISTRATION = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/**
 * The webhook-secrets key's policy. Unlike a default key policy (the account's IAM decides
 * everything), `Decrypt` is allowed only to roles of the stage's service stack, and IAM grants
 * it to two of them (WebhookEndpoints, Deliver): an administrator's `kms:*` does not open a
 * merchant's secret. `Encrypt` opens nothing and stays with IAM (the functions, and the operator
 * running `webhooks seal-secrets`). Administration stays with the account, or the key could not be
 * managed; changing this policy is a CloudTrail event.
 */
function webhookSecretsKeyPolicy(stack: Stack, serviceStackName: string): iam.PolicyDocument {
  const account = new iam.AccountRootPrincipal();
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({ sid: 'Administration', principals: [account], actions: KEY_ADMINISTRATION, resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'SealThroughIam', principals: [account], actions: ['kms:Encrypt'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'OpenOnlyFromTheService',
        principals: [account],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/${serviceStackName}-*` } },
      }),
    ],
  });
}
