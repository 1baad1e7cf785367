import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { chargeRecordFromItem } from '#adapters/dynamodb-charge-repository.ts';
import { DISPUTE_KEY_PREFIX, disputeFromItem } from '#adapters/dynamodb-dispute-repository.ts';
import { refundRecordFromItem } from '#adapters/dynamodb-refund-repository.ts';
import type { DynamoDbWebhookStore } from '#adapters/dynamodb-webhook-store.ts';
import type { SqsDeliveryQueue } from '#adapters/sqs-delivery-queue.ts';
import { chargeEvent, disputeEvents, refundEvent, type EventObject } from '#domain/event.ts';
import { subscribes } from '#domain/webhook-endpoint.ts';

export interface EventsHandlerDeps {
  store: Pick<DynamoDbWebhookStore, 'putEvent' | 'listEndpoints'>;
  /** One count per event the first time it is stored (`charge.succeeded` → `ChargeSucceeded`): the dashboard's outcomes. */
  metrics: Pick<Metrics, 'addMetric' | 'hasStoredMetrics' | 'publishStoredMetrics'>;
  deliveries: Pick<SqsDeliveryQueue, 'enqueue'>;
  now: () => number;
  /** How long an event is kept (Stripe: 30 days). */
  eventRetentionMs: number;
  logger: Logger;
}

type Image = Record<string, AttributeValue>;

/**
 * The charges table's stream is the outbox: every state change is a record of the table's own
 * write, so no change can be made without its event (no dual write). For each change that makes a
 * charge or refund final (or fails a refund that had succeeded), and each change of a dispute,
 * this stores its events (ids derived from the change) and asks for one delivery per subscribed
 * endpoint of the merchant. Records are handled in stream order;
 * the first that fails is reported, and Lambda retries from it (the ones before are done).
 * Doing a record twice is harmless: the event is stored once, and a delivery made twice carries
 * the same event id, which merchants deduplicate on.
 */
export function eventsHandler(deps: EventsHandlerDeps) {
  return async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    deps.logger.addContext(context);
    try {
      for (const record of event.Records) {
        try {
          await handle(deps, record);
        } catch (error) {
          deps.logger.error('Could not publish the event of a state change; the stream retries from it', {
            sequenceNumber: record.dynamodb?.SequenceNumber,
            error: error as Error,
          });
          return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
        }
      }
      return { batchItemFailures: [] };
    } finally {
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}

async function handle(deps: EventPublishingDeps, record: DynamoDBRecord): Promise<void> {
  const change = record.dynamodb;
  if (!change?.NewImage) return;
  const after = unmarshall(change.NewImage as Image);
  const before = change.OldImage ? unmarshall(change.OldImage as Image) : undefined;
  await publish(deps, eventsOf(String(after['pk']), before, after), String(after['merchant_id']));
}

/**
 * Publishes the events of an item as it is now, as if it had just been created: a final charge
 * or refund's outcome, a dispute's creation (and closing). `npm run cli -- events replay-failed`
 * uses it for stream records the events function gave up on; ids are derived from the change,
 * so an event published before is the same event again. Returns how many events it published.
 */
export async function publishCurrentState(deps: EventPublishingDeps, item: Record<string, unknown>): Promise<number> {
  const events = eventsOf(String(item['pk']), undefined, item);
  await publish(deps, events, String(item['merchant_id']));
  return events.length;
}

async function publish(deps: EventPublishingDeps, events: EventObject[], merchantId: string): Promise<void> {
  if (events.length === 0) return;
  const endpoints = await deps.store.listEndpoints(merchantId);
  for (const event of events) {
    if (await deps.store.putEvent(event, merchantId, deps.now() + deps.eventRetentionMs)) deps.metrics?.addMetric(eventMetricName(event.type), MetricUnit.Count, 1);
    const subscribed = endpoints.filter((endpoint) => subscribes(endpoint, event.type));
    await deps.deliveries.enqueue(subscribed.map((endpoint) => ({ event_id: event.id, endpoint_id: endpoint.id })));
    deps.logger.info('Published an event', { eventId: event.id, type: event.type, deliveries: subscribed.length });
  }
}

/** What publishing needs; outside Lambda (the CLI's replay) nothing is counted. */
export type EventPublishingDeps = Omit<EventsHandlerDeps, 'metrics'> & Partial<Pick<EventsHandlerDeps, 'metrics'>>;

/** `charge.dispute.created` → `ChargeDisputeCreated`. */
export function eventMetricName(type: string): string {
  return type
    .split(/[._]/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

function eventsOf(pk: string, before: Record<string, unknown> | undefined, after: Record<string, unknown>): EventObject[] {
  const one = (event: EventObject | null) => (event ? [event] : []);
  if (pk.startsWith('CHARGE#')) return one(chargeEvent(before && chargeRecordFromItem(before).charge, chargeRecordFromItem(after).charge));
  if (pk.startsWith('REFUND#')) return one(refundEvent(before && refundRecordFromItem(before).refund, refundRecordFromItem(after).refund));
  if (pk.startsWith(DISPUTE_KEY_PREFIX)) return disputeEvents(before && disputeFromItem(before), disputeFromItem(after));
  return [];
}
