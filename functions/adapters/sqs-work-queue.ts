import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WorkQueue } from '#domain/ports.ts';
import { workMessageBody } from '#domain/work-message.ts';

/** {@link WorkQueue} on an SQS standard queue. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(chargeId: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: workMessageBody(chargeId) }));
  }
}
