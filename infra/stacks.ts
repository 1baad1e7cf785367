import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TableBackups } from './backups.ts';
import { Operations } from './operations.ts';
import { SafeDeploys } from './safe-deploys.ts';
import { ChargeService } from './service.ts';
import type { StageConfig } from './stage-config.ts';
import { ChargeStorage, type ChargeStorageRefs } from './storage.ts';

export interface OncePayStackProps extends StackProps {
  config: StageConfig;
}

/** Tables and queues (and their backups): deployed rarely, retained and protected outside disposable stages. */
export class OncePayStatefulStack extends Stack {
  readonly storage: ChargeStorage;
  /** Set where the stage has a backup plan. */
  readonly backups: TableBackups | undefined;

  constructor(scope: Construct, id: string, props: OncePayStackProps) {
    super(scope, id, props);
    this.storage = new ChargeStorage(this, 'Storage', props.config);
    new CfnOutput(this, 'ChargesTableName', { value: this.storage.charges.tableName });
    new CfnOutput(this, 'MerchantsTableName', { value: this.storage.merchants.tableName });
    new CfnOutput(this, 'WorkQueueUrl', { value: this.storage.workQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.storage.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'WebhooksTableName', { value: this.storage.webhooks.tableName });
    new CfnOutput(this, 'DeliveriesQueueUrl', { value: this.storage.deliveriesQueue.queueUrl });
    new CfnOutput(this, 'EventsFailureQueueUrl', { value: this.storage.eventsFailureQueue.queueUrl });
    if (props.config.backup) {
      const { charges, merchants, webhooks } = this.storage;
      this.backups = new TableBackups(this, 'Backups', { config: props.config.backup, tables: [charges, merchants, webhooks] });
    }
    // For `npm run cli -- webhooks seal-secrets`, which seals secrets stored before they were sealed.
    new CfnOutput(this, 'WebhookSecretsKeyArn', { value: this.storage.webhookSecretsKey.keyArn });
  }
}

export interface OncePayServiceStackProps extends OncePayStackProps {
  storage: ChargeStorageRefs;
}

/** Functions, API, schedule, alarms and dashboard: stateless, safe to replace at any time. */
export class OncePayServiceStack extends Stack {
  readonly service: ChargeService;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: OncePayServiceStackProps) {
    super(scope, id, props);
    this.service = new ChargeService(this, 'Service', props.config, props.storage);
    this.operations = new Operations(this, 'Operations', {
      config: props.config,
      api: this.service.api,
      worker: this.service.worker.version.lambda,
      eventsFunction: this.service.eventsFunction,
      deliverFunction: this.service.deliverFunction,
      functions: this.service.functions,
      tables: [props.storage.charges, props.storage.merchants, props.storage.webhooks],
      workQueue: props.storage.workQueue,
      deadLetterQueue: props.storage.deadLetterQueue,
      deliveriesQueue: props.storage.deliveriesQueue,
      deliveriesDeadLetterQueue: props.storage.deliveriesDeadLetterQueue,
      eventsFailureQueue: props.storage.eventsFailureQueue,
    });
    if (props.config.deployment.trafficShift !== 'none') {
      new SafeDeploys(this, 'SafeDeploys', {
      config: props.config,
      liveAliases: this.service.liveAliases,
      api: this.service.api,
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: this.service.api.url });
    // `rest` or `http`: the tests skip what only a REST API does (its problem+json gateway errors).
    new CfnOutput(this, 'ApiType', { value: this.service.api.kind });
    // The `live` alias (a qualified name): a manual pass runs the code the schedule runs.
    new CfnOutput(this, 'ReconcilerFunctionName', { value: this.service.reconciler.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.alarmTopic.topicArn });
    // For `npm run cli -- review settle`, which asks the processor before closing a charge.
    new CfnOutput(this, 'ProcessorApiUrl', { value: props.config.processor.apiUrl });
    new CfnOutput(this, 'ProcessorSecretName', { value: props.config.processor.secretName });
    // The mode of the keys this stage takes, merchants' and Stripe's alike: `npm run cli -- keys create`
    // makes keys of it unless told otherwise (a key made for prod is live), and the CLI's processor checks Stripe's answers against it.
    new CfnOutput(this, 'KeyMode', { value: props.config.keyMode });
    // Register this URL at the processor for its events, and put that endpoint's signing secret here (`npm run cli -- processor-webhook`).
    new CfnOutput(this, 'ProcessorWebhookUrl', { value: `${this.service.api.url}webhooks/stripe` });
    new CfnOutput(this, 'ProcessorWebhookSecretName', { value: this.service.processorWebhookSecretName });
  }
}
