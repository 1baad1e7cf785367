import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ProcessRefundDeps } from '#domain/process-refund.ts';
import type { ProcessChargeDeps } from '#domain/process-charge.ts';
import { workerHandler } from '#handlers/worker.ts';

describe('the worker’s metrics', () => {
  it('publishes nothing, and warns about nothing, for a batch that recorded no metric (a warning per invocation costs log ingestion)', async () => {
    const warnings: unknown[] = [];
    const quiet = { warn: (...args: unknown[]) => warnings.push(args), debug: () => {}, info: () => {}, error: () => {} };
    const metrics = new Metrics({ namespace: 'test', serviceName: 'worker', logger: quiet });
    const handler = workerHandler({
      useCaseDeps: { charges: {} as ProcessChargeDeps, refunds: {} as ProcessRefundDeps, processorEvents: {} as never },
      setVisibility: () => Promise.resolve(),
      retry: { baseDelaySeconds: 1, maxDelaySeconds: 10 },
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      metrics,
      recordsInParallel: false,
    });
    // A poison record: handled (made visible for the DLQ) without touching the use case or any metric.
    const event = { Records: [{ messageId: 'm1', receiptHandle: 'r1', body: 'not json', attributes: { ApproximateReceiveCount: '1' } }] } as unknown as SQSEvent;
    await handler(event, { awsRequestId: 'test' } as Context);
    expect(warnings).toEqual([]);
  });
});
