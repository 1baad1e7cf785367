/**
 * The delivery function's decisions, with a clock: delivered on a 2xx, retried with backoff
 * (the same stored bytes each time), the endpoint disabled once the retry window is over, and
 * nothing sent to a deleted or disabled endpoint or for another merchant's event.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { DeliveryAttempt } from '#adapters/dynamodb-webhook-store.ts';
import type { DeliveryResult } from '#adapters/webhook-sender.ts';
import type { WebhookEndpoint } from '#domain/webhook-endpoint.ts';
import { deliverHandler } from '#handlers/deliver.ts';
import { verifySignature } from '../../scripts/webhook-receiver.ts';

const HOUR = 3_600_000;
const endpoint: WebhookEndpoint = {
  id: 'we_0123456789ABCDEFGHIJklmn',
  merchantId: 'mer_a',
  url: 'https://hooks.example.com/',
  enabledEvents: ['*'],
  status: 'enabled',
  createdAt: 0,
  sealedSecret: 'sealed:whsec_x',
};
/** A sealer as strict as KMS about the binding: a secret sealed for another endpoint does not open. */
const sealer = {
  unseal: async (sealed: string, binding: { merchantId: string; endpointId: string }) => {
    if (binding.merchantId !== endpoint.merchantId || binding.endpointId !== endpoint.id) throw new Error('InvalidCiphertextException');
    return sealed.replace(/^sealed:/, '');
  },
};
const EVENT_ID = 'evt_0123456789ABCDEFGHIJkl';

function world(
  answer: DeliveryResult,
  options: {
    queuedHoursAgo?: number;
    endpoint?: WebhookEndpoint | undefined;
    eventMerchant?: string;
    deliversOtherEvents?: boolean;
    attemptRecordFails?: boolean;
    kmsDown?: boolean;
  } = {},
) {
  const now = 100 * HOUR;
  const sent: Array<{ url: string; body: string; signature: string | undefined }> = [];
  const visibility: number[] = [];
  const statuses: string[] = [];
  const attempts: DeliveryAttempt[] = [];
  const metricLines: string[] = [];
  const metrics = { addMetric: (name: string) => void metricLines.push(name), hasStoredMetrics: () => false, publishStoredMetrics: () => undefined } as unknown as Metrics;
  const handler = deliverHandler({
    store: {
      getEndpoint: async () => ('endpoint' in options ? options.endpoint : endpoint),
      getEvent: async () => ({ merchantId: options.eventMerchant ?? 'mer_a', body: '{"id":"evt_x"}', attempts: [] }),
      disableIfFailing: async () => {
        if (options.deliversOtherEvents) return false;
        statuses.push('disabled');
        return true;
      },
      recordSuccess: async () => void statuses.push('success stamped'),
      recordAttempt: async (_id, attempt) => {
        if (options.attemptRecordFails) throw new Error('ProvisionedThroughputExceededException');
        attempts.push(attempt);
      },
    },
    sealer: options.kmsDown ? { unseal: () => Promise.reject(new Error('KMSInternalException')) } : sealer,
    sender: { send: async (url, body, headers) => (sent.push({ url, body, signature: headers['Oncepay-Signature'] }), answer) },
    setVisibility: async (_handle, seconds) => void visibility.push(seconds),
    now: () => now,
    retry: { baseSeconds: 2, maxSeconds: 3600 },
    giveUpAfterMs: 72 * HOUR,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    metrics,
  });
  const run = async (receiveCount = 1) => {
    const queuedAt = now - (options.queuedHoursAgo ?? 0) * HOUR;
    const event = {
      Records: [
        {
          messageId: 'm1',
          receiptHandle: 'r1',
          body: JSON.stringify({ event_id: EVENT_ID, endpoint_id: endpoint.id }),
          attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(queuedAt) },
        },
      ],
    } as unknown as SQSEvent;
    return await handler(event, { awsRequestId: 'test' } as Context);
  };
  return { run, sent, visibility, statuses, metricLines, attempts };
}

describe('the delivery function', () => {
  it('delivers the stored event, signed, and is done on a 2xx', async () => {
    const w = world({ status: 204, durationMs: 5 });
    expect(await w.run()).toEqual({ batchItemFailures: [] });
    expect(w.sent).toEqual([{ url: endpoint.url, body: '{"id":"evt_x"}', signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/) }]);
    expect(w.attempts).toEqual([{ endpoint: endpoint.id, created: 360_000, status_code: 204, duration_ms: 5 }]);
    expect(w.statuses).toEqual(['success stamped']);
  });

  it('signs with the current secret and, while its overlap lasts, the one a roll replaced', async () => {
    const now = 100 * HOUR;
    const rolled = { ...endpoint, sealedSecret: 'sealed:whsec_new', previousSecret: { sealed: 'sealed:whsec_x', expiresAt: now + 1 } };
    const during = world({ status: 200, durationMs: 5 }, { endpoint: rolled });
    await during.run();
    const [header = ''] = during.sent.map((sent) => sent.signature ?? '');
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of ['whsec_new', 'whsec_x']) expect(await verifySignature(header, '{"id":"evt_x"}', secret, now / 1000)).toBe(true);
    const after = world({ status: 200, durationMs: 5 }, { endpoint: { ...rolled, previousSecret: { sealed: 'sealed:whsec_x', expiresAt: now } } });
    await after.run();
    const [single = ''] = after.sent.map((sent) => sent.signature ?? '');
    expect(single).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifySignature(single, '{"id":"evt_x"}', 'whsec_new', now / 1000)).toBe(true);
    expect(await verifySignature(single, '{"id":"evt_x"}', 'whsec_x', now / 1000)).toBe(false);
  });

  it('is done on a 2xx even when the attempt cannot be recorded (the record is for people, the delivery for the merchant)', async () => {
    const w = world({ status: 200, durationMs: 5 }, { attemptRecordFails: true });
    expect(await w.run()).toEqual({ batchItemFailures: [] });
  });

  it('gives one event up after three days but keeps an endpoint enabled that delivers other events', async () => {
    const w = world({ status: 400, durationMs: 5 }, { queuedHoursAgo: 72, deliversOtherEvents: true });
    expect(await w.run(90)).toEqual({ batchItemFailures: [] });
    expect(w.statuses).toEqual([]);
    expect(w.metricLines).toEqual([]);
  });

  it('retries anything else after a backoff that doubles', async () => {
    const w = world({ status: 500, durationMs: 5 });
    expect(await w.run(1)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(await w.run(4)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(w.visibility[0]).toBeLessThanOrEqual(2);
    expect(w.visibility[1]).toBeGreaterThan(14);
    expect(w.visibility[1]).toBeLessThanOrEqual(16);
    expect(w.statuses).toEqual([]);
  });

  it('disables the endpoint, and says so in a metric, once the delivery kept failing for three days', async () => {
    const w = world({ status: 0, durationMs: 10_000, error: 'timeout' }, { queuedHoursAgo: 72 });
    expect(await w.run(90)).toEqual({ batchItemFailures: [] });
    expect(w.attempts).toEqual([{ endpoint: endpoint.id, created: 360_000, status_code: null, duration_ms: 10_000, error: 'timeout' }]);
    expect(w.statuses).toEqual(['disabled']);
    expect(w.metricLines).toEqual(['WebhookEndpointsDisabled']);
  });

  it('holds, with backoff, a delivery to an endpoint whose secret was stored before secrets were sealed', async () => {
    const w = world({ status: 200, durationMs: 1 }, { endpoint: { ...endpoint, sealedSecret: '' } });
    expect(await w.run(1)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(w.sent).toEqual([]);
    expect(w.visibility).toHaveLength(1);
    expect(w.visibility[0]).toBeLessThanOrEqual(2);
    expect(w.metricLines).toEqual(['WebhookSecretsUnavailable']);
  });

  it('sends nothing when the secret cannot be opened (KMS down or refusing): retried with backoff, counted for the alarm', async () => {
    const w = world({ status: 200, durationMs: 1 }, { kmsDown: true });
    expect(await w.run(3)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(w.sent).toEqual([]);
    expect(w.visibility).toHaveLength(1);
    expect(w.metricLines).toEqual(['WebhookSecretsUnavailable']);
  });

  it('sends nothing to a deleted or disabled endpoint, nor another merchant’s event', async () => {
    for (const w of [
      world({ status: 200, durationMs: 1 }, { endpoint: undefined }),
      world({ status: 200, durationMs: 1 }, { endpoint: { ...endpoint, status: 'disabled' } }),
      world({ status: 200, durationMs: 1 }, { eventMerchant: 'mer_b' }),
    ]) {
      expect(await w.run()).toEqual({ batchItemFailures: [] });
      expect(w.sent).toEqual([]);
    }
  });
});
