// Mutant: the claiming PutItem loses its condition, so a reused key overwrites its charge.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbChargeRepository as RealRepository } from '../../../functions/adapters/dynamodb-charge-repository.ts';

export * from '../../../functions/adapters/dynamodb-charge-repository.ts';

export class DynamoDbChargeRepository extends RealRepository {
  constructor(client: DynamoDBClient, tableName: string) {
    super(client, tableName);
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Item?: unknown; ConditionExpression?: string };
        if (input.Item !== undefined) delete input.ConditionExpression;
        return next(args);
      },
      { step: 'initialize', name: 'mutant-unconditional-put' },
    );
  }
}
