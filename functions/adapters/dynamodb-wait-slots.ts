import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WaitSlot, WaitSlots } from '#domain/ports.ts';

/** Items of the merchants table holding the wait budget: `WAITSLOT#<kind>#<n>` (IAM lets the reads update only these). */
export const WAIT_SLOT_KEY_PREFIX = 'WAITSLOT#';

/** Slots looked at per wait: a bounded cost when most are held, at the price of refusing a wait a free slot elsewhere could have taken. */
const SLOTS_TRIED = 3;

/**
 * The `Prefer: wait` budget as leased slots in the merchants table (no stream, so holding one
 * wakes nothing). A wait takes a free or lapsed slot with a conditional write and frees it when
 * it answers; a container that dies while waiting leaves a lease that lapses on its own. Never
 * more waits than slots hold at once; when most slots are held, a wait may be refused early
 * (a few slots are tried, from a random one).
 */
export class DynamoDbWaitSlots implements WaitSlots {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** Which reads share the budget: `charges` or `refunds`. */
    private readonly kind: string,
    private readonly slots: number,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
  }

  async take(holdMs: number): Promise<WaitSlot | null> {
    const first = Math.floor(this.random() * this.slots);
    for (let tried = 0; tried < Math.min(SLOTS_TRIED, this.slots); tried += 1) {
      const key = { pk: `${WAIT_SLOT_KEY_PREFIX}${this.kind}#${(first + tried) % this.slots}` };
      const holder = `${this.now()}-${Math.floor(this.random() * 1e9)}`;
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET held_until = :until, holder = :holder',
            ConditionExpression: 'attribute_not_exists(held_until) OR held_until < :now',
            ExpressionAttributeValues: { ':until': this.now() + holdMs, ':holder': holder, ':now': this.now() },
          }),
        );
        return { release: () => this.release(key, holder) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return null;
  }

  /** Frees the slot if this wait still holds it (a lapsed lease may have passed to another). */
  private async release(key: { pk: string }, holder: string): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET held_until = :free',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':free': 0, ':holder': holder },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
