import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { OncePayError, PoisonMessageError } from '#domain/errors.ts';
import type { DisputeRepository, ProcessorEventNotice, ProcessorEventSource } from '#domain/ports.ts';
import { processCharge, type ProcessChargeDeps, type ProcessChargeOutcome } from '#domain/process-charge.ts';
import { processRefund, type ProcessRefundDeps } from '#domain/process-refund.ts';
import { handleProcessorEvent, type HandledEvent } from '#domain/processor-events.ts';
import { backoffSeconds, type RetryPolicy } from '#domain/retry-backoff.ts';
import { parseWorkMessage } from '#domain/work-message.ts';

/** The record goes back to the queue; its visibility was set to when it is worth another look. */
class RedeliverLaterError extends OncePayError {}

export interface WorkerDeps {
  useCaseDeps: { charges: ProcessChargeDeps; refunds: ProcessRefundDeps; processorEvents: { source: ProcessorEventSource; disputes: DisputeRepository } };
  /** Sets when the record may be received again (SQS ChangeMessageVisibility). */
  setVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  retry: RetryPolicy;
  logger: Logger;
  /** `ProcessorConfigurationErrors`: the processor refused oncepay itself (alarmed). */
  metrics: Metrics;
  /** Work on a batch's records at once (the stage config bounds how many against the processor's rate). */
  recordsInParallel: boolean;
}

/**
 * The SQS worker: one use-case run per record (a charge, a refund, or a processor event to look
 * into), partial batch responses via Powertools `batch`. Poison records are made visible again at once, so the redrive policy moves them
 * to the DLQ after `maxReceiveCount` receives; transient failures, undecided payments and
 * configuration errors come back after a backoff (the last also logged as errors and counted,
 * for the alarm: the charge stays open until a person fixes the configuration).
 */
export function workerHandler(deps: WorkerDeps) {
  const processor = new BatchProcessor(EventType.SQS);

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    const { useCaseDeps } = deps;

    const lookInto = async (notice: ProcessorEventNotice, record: SQSRecord, attempt: { leaseOwner: string; leaseDurationMs: number }): Promise<HandledEvent> => {
      const describe = (outcome: ProcessChargeOutcome) => (outcome.kind === 'final' ? outcome.status : outcome.kind);
      return handleProcessorEvent(
        {
          ...useCaseDeps.processorEvents,
          charges: useCaseDeps.charges.charges,
          refunds: useCaseDeps.refunds.refunds,
          settleCharge: async (chargeId) => describe(await processCharge(useCaseDeps.charges, { chargeId, ...attempt })),
          settleRefund: async (refundId) => describe(await processRefund(useCaseDeps.refunds, { refundId, ...attempt })),
          now: useCaseDeps.charges.now,
        },
        notice,
        { attempt: Number(record.attributes.ApproximateReceiveCount) || 1 },
      );
    };

    const handleRecord = async (record: SQSRecord): Promise<void> => {
      let outcome: ProcessChargeOutcome | HandledEvent;
      try {
        const item = parseWorkMessage(record.body);
        if (item === null) throw new PoisonMessageError('The message body is not a work message');
        const attempt = { leaseOwner: `${context.awsRequestId}/${record.messageId}`, leaseDurationMs: context.getRemainingTimeInMillis() };
        outcome =
          item.kind === 'charge'
            ? await processCharge(useCaseDeps.charges, { chargeId: item.id, ...attempt })
            : item.kind === 'refund'
              ? await processRefund(useCaseDeps.refunds, { refundId: item.id, ...attempt })
              : await lookInto(item.notice, record, attempt);
      } catch (error) {
        if (error instanceof PoisonMessageError) {
          deps.logger.error('Poison message; it will reach the DLQ through the redrive policy', {
            messageId: record.messageId,
            reason: error.message,
          });
          await visibleAgainIn(record, 0);
        }
        throw error;
      }
      logOutcome(record, outcome);
      if (outcome.kind === 'final' || outcome.kind === 'done') return;
      if (outcome.kind === 'review') {
        deps.logger.warn('Flagged for review: a person settles it (npm run cli -- review settle)', { messageId: record.messageId, reason: outcome.reason });
        return;
      }
      if (outcome.kind === 'misconfigured') {
        deps.logger.error('The processor refused oncepay’s request; the charge stays open until the configuration is fixed', {
          messageId: record.messageId,
          reason: outcome.reason,
        });
        deps.metrics.addMetric('ProcessorConfigurationErrors', MetricUnit.Count, 1);
      }
      const seconds = outcome.kind === 'busy' ? Math.ceil(outcome.retryAfterMs / 1000) : backoffSeconds(outcome.attempt, deps.retry);
      await visibleAgainIn(record, seconds);
      throw new RedeliverLaterError(`Redeliver ${record.messageId} in ${seconds}s`);
    };

    const visibleAgainIn = async (record: SQSRecord, seconds: number) => {
      try {
        await deps.setVisibility(record.receiptHandle, seconds);
      } catch (error) {
        deps.logger.warn('Could not set the retry delay; the record returns after the visibility timeout', {
          messageId: record.messageId,
          error: error as Error,
        });
      }
    };

    const logOutcome = (record: SQSRecord, outcome: ProcessChargeOutcome | HandledEvent) =>
      deps.logger.info('Processed work message', { messageId: record.messageId, ...outcome });

    try {
      return await processPartialResponse(event, handleRecord, processor, {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: deps.recordsInParallel,
      });
    } finally {
      // Most batches record no metric; publishing nothing would log a warning per invocation.
      if (deps.metrics.hasStoredMetrics()) deps.metrics.publishStoredMetrics();
    }
  };
}

