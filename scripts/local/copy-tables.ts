import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ScanCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';

/**
 * What a PITR or AWS Backup restore produces, on DynamoDB Local (which has neither): a new table
 * with the source's keys, GSIs and every item exactly, and no stream or TTL. Then the runbook's
 * next step: the stream and TTL turned back on as the source had them. Answers the stream ARN.
 */
export async function copyTableAsRestored(dynamodb: DynamoDBClient, source: string, target: string): Promise<{ items: number; streamArn: string | undefined }> {
  const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: source }));
  if (!table?.KeySchema || !table.AttributeDefinitions) throw new Error(`${source} has no key schema`);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: target,
      KeySchema: table.KeySchema,
      AttributeDefinitions: table.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
      ...(table.GlobalSecondaryIndexes?.length
        ? { GlobalSecondaryIndexes: table.GlobalSecondaryIndexes.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })) }
        : {}),
    }),
  );
  let items = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: source, ConsistentRead: true, ExclusiveStartKey: startKey }));
    const puts = (page.Items ?? []).map((Item): WriteRequest => ({ PutRequest: { Item } }));
    for (let start = 0; start < puts.length; start += 25) await writeAll(dynamodb, target, puts.slice(start, start + 25));
    items += puts.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  const { TimeToLiveDescription: ttl } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: source }));
  if (ttl?.TimeToLiveStatus === 'ENABLED' && ttl.AttributeName) {
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: target, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
  }
  if (!table.StreamSpecification?.StreamEnabled) return { items, streamArn: undefined };
  const { TableDescription } = await dynamodb.send(new UpdateTableCommand({ TableName: target, StreamSpecification: table.StreamSpecification }));
  return { items, streamArn: TableDescription?.LatestStreamArn };
}

async function writeAll(dynamodb: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    if (attempt === 10) throw new Error(`${table}: ${pending.length} items still unprocessed after 10 batch writes`);
    const { UnprocessedItems } = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = UnprocessedItems?.[table] ?? [];
  }
}
