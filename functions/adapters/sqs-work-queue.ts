import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WorkQueue } from '#domain/ports.ts';

/** The body of a work message: only the id; the worker reads everything else from the table. */
export interface WorkMessage {
  charge_id: string;
}

/** {@link WorkQueue} on an SQS standard queue. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(chargeId: string): Promise<void> {
    const message: WorkMessage = { charge_id: chargeId };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }));
  }
}
