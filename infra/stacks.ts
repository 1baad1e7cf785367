import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Operations } from './operations.ts';
import { ChargeService } from './service.ts';
import type { StageConfig } from './stage-config.ts';
import { ChargeStorage, type ChargeStorageRefs } from './storage.ts';

export interface OncePayStackProps extends StackProps {
  config: StageConfig;
}

/** Tables and queues: deployed rarely, retained and protected outside disposable stages. */
export class OncePayStatefulStack extends Stack {
  readonly storage: ChargeStorage;

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
      worker: this.service.worker,
      functions: this.service.functions,
      workQueue: props.storage.workQueue,
      deadLetterQueue: props.storage.deadLetterQueue,
      deliveriesDeadLetterQueue: props.storage.deliveriesDeadLetterQueue,
      eventsFailureQueue: props.storage.eventsFailureQueue,
    });
    new CfnOutput(this, 'ApiUrl', { value: this.service.api.url });
    new CfnOutput(this, 'ReconcilerFunctionName', { value: this.service.reconciler.functionName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.alarmTopic.topicArn });
    // For `npm run cli -- review settle`, which asks the processor before closing a charge.
    new CfnOutput(this, 'ProcessorApiUrl', { value: props.config.processor.apiUrl });
    new CfnOutput(this, 'ProcessorSecretName', { value: props.config.processor.secretName });
    // Register this URL at the processor for its events, and put that endpoint's signing secret here (`npm run cli -- processor-webhook`).
    new CfnOutput(this, 'ProcessorWebhookUrl', { value: `${this.service.api.url}webhooks/stripe` });
    new CfnOutput(this, 'ProcessorWebhookSecretName', { value: this.service.processorWebhookSecretName });
  }
}
