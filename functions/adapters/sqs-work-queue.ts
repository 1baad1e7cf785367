import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ProcessorEventNotice, WorkQueue } from '#domain/ports.ts';
import { processorEventWorkMessageBody, refundWorkMessageBody, workMessageBody } from '#domain/work-message.ts';

/** {@link WorkQueue} on an SQS standard queue: charges, refunds and processor events share the queue, the workers and the DLQ. */
export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(chargeId: string): Promise<void> {
    await this.send(workMessageBody(chargeId));
  }

  async enqueueRefund(refundId: string): Promise<void> {
    await this.send(refundWorkMessageBody(refundId));
  }

  async enqueueProcessorEvent(notice: ProcessorEventNotice): Promise<void> {
    await this.send(processorEventWorkMessageBody(notice));
  }

  private async send(body: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }));
  }
}
