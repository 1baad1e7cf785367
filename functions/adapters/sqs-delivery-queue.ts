import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** A delivery to make: one event to one endpoint. */
export interface Delivery {
  event_id: string;
  endpoint_id: string;
}

/** The deliveries queue: one message per (event, endpoint), retried by the delivery function's backoff. */
export class SqsDeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Sends every delivery, ten to a request; throws unless all were accepted (a retry may send some twice: at least once). */
  async enqueue(deliveries: Delivery[]): Promise<void> {
    for (let start = 0; start < deliveries.length; start += 10) {
      const batch = deliveries.slice(start, start + 10);
      const { Failed = [] } = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((delivery, index) => ({ Id: String(index), MessageBody: JSON.stringify(delivery) })),
        }),
      );
      if (Failed.length > 0) throw new Error(`The deliveries queue refused ${Failed.length} messages: ${Failed[0]?.Message ?? ''}`);
    }
  }
}

/** The delivery a message names, or `null` for anything else. */
export function parseDelivery(body: string): Delivery | null {
  try {
    const parsed = JSON.parse(body) as Partial<Delivery> | null;
    if (typeof parsed?.event_id === 'string' && /^evt_[0-9A-Za-z]{22}$/.test(parsed.event_id) && typeof parsed.endpoint_id === 'string' && /^we_[0-9A-Za-z]{24}$/.test(parsed.endpoint_id)) {
      return { event_id: parsed.event_id, endpoint_id: parsed.endpoint_id };
    }
  } catch {
    // not JSON
  }
  return null;
}
