/**
 * The events function counts each merchant event once, when it is first stored: the stream may
 * hand it the same change twice, and the dashboard's charge outcomes must not count it twice.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { eventMetricName, eventsHandler } from '#handlers/events.ts';

const chargeItem = (status: string) => ({
  pk: 'CHARGE#ch_0123456789ABCDEFGHIJklmn',
  merchant_id: 'mer_a',
  request_body: '{"amount":1000,"currency":"usd"}',
  response_status: 202,
  response_body: '{"id":"ch_0123456789ABCDEFGHIJklmn","status":"pending"}',
  amount: 1000,
  currency: 'usd',
  status,
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_001_000,
});

describe('the events function’s outcome metrics', () => {
  it('names a metric after the event type', () => {
    expect(eventMetricName('charge.succeeded')).toBe('ChargeSucceeded');
    expect(eventMetricName('charge.dispute.created')).toBe('ChargeDisputeCreated');
    expect(eventMetricName('refund.failed')).toBe('RefundFailed');
  });

  it('counts an event the first time it is stored, not when the same change comes again', async () => {
    const stored = new Set<string>();
    const counted: string[] = [];
    const handler = eventsHandler({
      store: {
        putEvent: async (event) => {
          if (stored.has(event.id)) return false;
          stored.add(event.id);
          return true;
        },
        listEndpoints: async () => [],
      },
      deliveries: { enqueue: async () => undefined } as never,
      now: () => 1_700_000_002_000,
      eventRetentionMs: 1_000,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { addMetric: (name: string) => void counted.push(name), hasStoredMetrics: () => false, publishStoredMetrics: () => undefined } as unknown as Metrics,
    });
    const change = {
      eventName: 'MODIFY',
      dynamodb: { OldImage: marshall(chargeItem('processing')), NewImage: marshall(chargeItem('succeeded')), SequenceNumber: '1' },
    };
    const event = { Records: [change, change] } as unknown as DynamoDBStreamEvent;
    expect(await handler(event, { awsRequestId: 'r' } as Context)).toEqual({ batchItemFailures: [] });
    expect(counted).toEqual(['ChargeSucceeded']);
  });
});
