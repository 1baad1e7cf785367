// Mutant: the refund's reservation on the charge loses its condition (succeeded, the merchant's,
// amount_refunded + refund ≤ amount), so refunds that race reserve more than was captured.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbRefundRepository as RealRepository } from '../../../functions/adapters/dynamodb-refund-repository.ts';

export * from '../../../functions/adapters/dynamodb-refund-repository.ts';

interface TransactUpdate {
  Update?: { UpdateExpression?: string; ConditionExpression?: string };
}

export class DynamoDbRefundRepository extends RealRepository {
  constructor(client: DynamoDBClient, tableName: string, openShards?: number, listShards?: number) {
    super(client, tableName, openShards, listShards);
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { TransactItems?: TransactUpdate[] };
        for (const item of input.TransactItems ?? []) {
          const update = item.Update;
          // Still names every attribute and value the update passes (DynamoDB refuses unused ones), and is always true.
          if (update?.UpdateExpression?.includes('if_not_exists(amount_refunded')) {
            update.ConditionExpression =
              'attribute_exists(pk) OR merchant_id = :merchant OR #status = :succeeded OR amount = :chargeAmount OR amount >= :amount OR amount_refunded <= :limit';
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'mutant-unconditional-reservation' },
    );
  }
}
