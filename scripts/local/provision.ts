import {
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RunningKms } from './kms-emulator.ts';
import { resourcesOfType, type CfnTemplate, type IntrinsicResolver } from './template.ts';

interface TableProperties {
  KeySchema: KeySchemaElement[];
  AttributeDefinitions: AttributeDefinition[];
  GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  StreamSpecification?: { StreamViewType: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY' };
}

export interface LocalResourceNaming {
  stackName: string;
  region: string;
  accountId: string;
}

/** CloudFormation-style generated names: `<stack>-<logicalId>`, never hard-coded. */
export const physicalName = (naming: LocalResourceNaming, logicalId: string) => `${naming.stackName}-${logicalId}`;

/**
 * Creates every `AWS::DynamoDB::Table` of the template in DynamoDB Local: key schema,
 * attribute definitions, GSIs, TTL and stream as declared (billing is always on demand locally).
 */
export async function createTables(
  dynamodb: DynamoDBClient,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  naming: LocalResourceNaming,
): Promise<void> {
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const properties = resolver.resolve(resource.Properties) as TableProperties;
    const tableName = physicalName(naming, logicalId);
    const { TableDescription } = await dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        ...(properties.StreamSpecification
          ? { StreamSpecification: { StreamEnabled: true, StreamViewType: properties.StreamSpecification.StreamViewType } }
          : {}),
        KeySchema: properties.KeySchema,
        AttributeDefinitions: properties.AttributeDefinitions,
        BillingMode: 'PAY_PER_REQUEST',
        ...(properties.GlobalSecondaryIndexes
          ? {
              GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes.map((index) => ({
                IndexName: index.IndexName,
                KeySchema: index.KeySchema,
                Projection: index.Projection,
              })),
            }
          : {}),
      }),
    );
    if (properties.TimeToLiveSpecification?.Enabled) {
      await dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: properties.TimeToLiveSpecification,
        }),
      );
    }
    resolver.register(logicalId, {
      ref: tableName,
      attributes: {
        Arn: `arn:aws:dynamodb:${naming.region}:${naming.accountId}:table/${tableName}`,
        ...(TableDescription?.LatestStreamArn ? { StreamArn: TableDescription.LatestStreamArn } : {}),
      },
    });
  }
}

/** The SQS attributes CloudFormation sets from `AWS::SQS::Queue` properties. */
const QUEUE_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: 'VisibilityTimeout',
  MessageRetentionPeriod: 'MessageRetentionPeriod',
  DelaySeconds: 'DelaySeconds',
  MaximumMessageSize: 'MaximumMessageSize',
  ReceiveMessageWaitTimeSeconds: 'ReceiveMessageWaitTimeSeconds',
  RedrivePolicy: 'RedrivePolicy',
  FifoQueue: 'FifoQueue',
  ContentBasedDeduplication: 'ContentBasedDeduplication',
};

/**
 * Creates every `AWS::SQS::Queue` in the emulator with its attributes, redrive policy
 * included. Queues without a redrive policy (the DLQs) go first, so that every
 * `deadLetterTargetArn` resolves to a queue that exists.
 */
export async function createQueues(
  sqs: SQSClient,
  template: CfnTemplate,
  resolver: IntrinsicResolver,
  naming: LocalResourceNaming,
): Promise<Array<{ arn: string; url: string }>> {
  const created: Array<{ arn: string; url: string }> = [];
  const queues = resourcesOfType(template, 'AWS::SQS::Queue').sort(
    ([, a], [, b]) => Number('RedrivePolicy' in (a.Properties ?? {})) - Number('RedrivePolicy' in (b.Properties ?? {})),
  );
  for (const [logicalId, resource] of queues) {
    const properties = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const [property, attribute] of Object.entries(QUEUE_ATTRIBUTES)) {
      const value = properties[property];
      if (value === undefined) continue;
      attributes[attribute] = typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    const queueName = physicalName(naming, logicalId) + (properties['FifoQueue'] ? '.fifo' : '');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`The SQS emulator did not create ${queueName}`);
    resolver.register(logicalId, {
      ref: QueueUrl,
      attributes: { Arn: Attributes.QueueArn, QueueName: queueName, QueueUrl },
    });
    created.push({ arn: Attributes.QueueArn, url: QueueUrl });
  }
  return created;
}

/** Creates every `AWS::KMS::Key` of the template in the KMS emulator (`Ref` is its key id, `Arn` its ARN). */
export function createKeys(kms: Pick<RunningKms, 'createKey'>, template: CfnTemplate, resolver: IntrinsicResolver): void {
  for (const [logicalId] of resourcesOfType(template, 'AWS::KMS::Key')) {
    const { keyId, arn } = kms.createKey();
    resolver.register(logicalId, { ref: keyId, attributes: { Arn: arn, KeyId: keyId } });
  }
}
